"""An independent verifier of an audit-log export, written from the public specifications only.

Sources, and nothing else:

- C2SP ``signed-note`` (note format, verifier keys, key ids, Ed25519 signature type 0x01),
- C2SP ``tlog-checkpoint`` (the checkpoint body: origin, tree size, root hash),
- C2SP ``tlog-cosignature`` (``cosignature/v1``, signature type 0x04, timestamped signatures),
- RFC 6962 section 2.1 (the Merkle tree hash, ``PATH(m, D[n])``, ``PROOF(m, D[n])``),
- RFC 9162 sections 2.1.3.2 and 2.1.4.2 (verifying inclusion and consistency proofs),
- ``docs/audit.md`` sections 1 to 6 and 8 (record hashes, the export layout, signed decisions).

It is kept apart from the production code on purpose: it imports nothing from ``hanse`` and was
written without reading it, so that a misreading of a specification in production is not repeated
here. Only the standard library and ``cryptography`` (for Ed25519) are used.

``verify_export(directory)`` checks an export as ``docs/audit.md`` section 6 steps 1 to 6 describe
and raises ``VerificationError`` naming the first thing that failed. Run this file directly for a
self-test of the Merkle and note code against the RFC 6962 7-leaf example tree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "Checkpoint",
    "Cosignature",
    "Note",
    "NoteSignature",
    "VerificationError",
    "VerifierKey",
    "canonical_json",
    "consistency_proof",
    "inclusion_path",
    "leaf_hash",
    "merkle_tree_hash",
    "node_hash",
    "open_note",
    "parse_checkpoint",
    "parse_note",
    "parse_verifier_key",
    "record_hash",
    "roots_at_sizes",
    "verify_consistency",
    "verify_export",
    "verify_inclusion",
]

# signed-note: signature type identifier bytes.
SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04

# signed-note: a signature line is em dash (U+2014), space, key name, space, base64, newline.
SIGNATURE_PREFIX = "\u2014 "
MAX_SIGNATURES = 64  # signed-note: verifiers MUST accept at least 16.

HASH_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
MAX_COSIGNATURE_TIME = 2**63 - 1  # tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1.
MAX_PROOF_LENGTH = 64  # a proof for a tree of fewer than 2^64 leaves has at most 64 hashes

EXPORT_FORMAT = "hanse-audit-export/1"
ZERO_HASH_HEX = "0" * 64
DECISION_HEADER = "hanse/decision/v1"

MANIFEST_KEYS = frozenset({"format", "origin", "scope", "tenant", "records", "tree_size", "exported_at"})
RECORD_KEYS = frozenset({"seq", "prev_hash", "hash", "body"})
BODY_KEYS = frozenset(
    {
        "id",
        "seq",
        "at",
        "actor_id",
        "actor_upn",
        "actor_tenant_id",
        "partner_id",
        "tenant_id",
        "action",
        "target_type",
        "target_id",
        "before",
        "after",
        "request_id",
        "correlation_id",
        "client_address",
    }
)
BODY_OPTIONAL_KEYS = frozenset({"grant_id"})
INCLUSION_KEYS = frozenset({"seq", "leaf_index", "tree_size", "path"})
CONSISTENCY_KEYS = frozenset({"first", "second", "path"})
DECISION_KEYS = frozenset({"request", "decision", "note"})

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX8 = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_CHECKPOINT_FILE = re.compile(r"([0-9]{12})\.note")


class VerificationError(Exception):
    """The export (or a checkpoint, key or proof in it) does not verify; the message says what."""


# ---------------------------------------------------------------------------------------------
# Encodings


def _b64decode(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 section 4), strictly: valid alphabet, padding, canonical form."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise VerificationError(f"{what}: not standard base64: {text!r}") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerificationError(f"{what}: not canonical base64: {text!r}")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise VerificationError(f"{what}: not valid JSON: {exc}") from exc


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------
# C2SP signed-note: verifier keys


@dataclass(frozen=True)
class VerifierKey:
    """A C2SP verifier key: ``<name>+<key id, 8 hex digits>+<base64(type || public key)>``."""

    name: str
    key_id: bytes
    sig_type: int
    public_key: bytes
    text: str

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """signed-note: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def _check_key_name(name: str, what: str) -> None:
    # signed-note: key names MUST be non-empty and MUST NOT contain Unicode spaces or plus.
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise VerificationError(f"{what}: invalid key name {name!r}")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise VerificationError(f"{what}: control character in key name {name!r}")


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse a verifier key and check that its key id is the one its name and key give."""
    parts = text.split("+", 2)  # the name and the hex id hold no '+'; base64 may
    if len(parts) != 3:
        raise VerificationError(f"verifier key {text!r}: not of the form name+keyid+key")
    name, hex_id, encoded = parts
    _check_key_name(name, f"verifier key {text!r}")
    if not _HEX8.fullmatch(hex_id):
        raise VerificationError(f"verifier key {text!r}: key id is not 8 lower-case hex digits")
    raw = _b64decode(encoded, f"verifier key {text!r}")
    if len(raw) < 2:
        raise VerificationError(f"verifier key {text!r}: no key material")
    sig_type, public_key = raw[0], raw[1:]
    if sig_type in (SIG_ED25519, SIG_COSIGNATURE_V1):
        if len(public_key) != 32:
            raise VerificationError(f"verifier key {text!r}: an Ed25519 public key is 32 bytes")
        try:
            Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError as exc:
            raise VerificationError(f"verifier key {text!r}: not an Ed25519 public key") from exc
    expected = key_id(name, sig_type, public_key)
    if expected.hex() != hex_id:
        raise VerificationError(
            f"verifier key {text!r}: key id {hex_id} is not SHA-256(name || 0x0A || type || key)[:4] "
            f"= {expected.hex()}"
        )
    return VerifierKey(name=name, key_id=expected, sig_type=sig_type, public_key=public_key, text=text)


# ---------------------------------------------------------------------------------------------
# C2SP signed-note: notes


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes  # what follows the 4-byte key id


@dataclass(frozen=True)
class Note:
    text: str  # the note text, final newline included
    signatures: tuple[NoteSignature, ...]


def parse_note(note: str, what: str = "note") -> Note:
    """Split a signed note into its text and signature lines (signed-note, Format)."""
    for ch in note:
        if ord(ch) < 0x20 and ch != "\n":
            raise VerificationError(f"{what}: control character U+{ord(ch):04X} in the note")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in note):
        raise VerificationError(f"{what}: the note is not valid UTF-8")
    # The text is separated from the signatures by the last empty line.
    cut = note.rfind("\n\n")
    if cut < 0:
        raise VerificationError(f"{what}: no empty line before the signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    if not block.endswith("\n"):
        raise VerificationError(f"{what}: the last signature line does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationError(f"{what}: more than {MAX_SIGNATURES} signatures")
    signatures = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise VerificationError(f"{what}: signature line does not start with an em dash: {line!r}")
        fields = line[len(SIGNATURE_PREFIX) :].split(" ")
        if len(fields) != 2:
            raise VerificationError(f"{what}: signature line is not '<name> <base64>': {line!r}")
        name, encoded = fields
        _check_key_name(name, what)
        raw = _b64decode(encoded, f"{what}: signature of {name}")
        if len(raw) < 5:
            raise VerificationError(f"{what}: signature of {name} is shorter than a key id and a byte")
        signatures.append(NoteSignature(name=name, key_id=raw[:4], signature=raw[4:]))
    return Note(text=text, signatures=tuple(signatures))


@dataclass(frozen=True)
class Cosignature:
    name: str
    key_id: bytes
    timestamp: int


def cosignature_message(timestamp: int, body: str) -> bytes:
    """tlog-cosignature: ``cosignature/v1\\ntime <T>\\n`` followed by the whole checkpoint body."""
    return b"cosignature/v1\ntime " + str(timestamp).encode("ascii") + b"\n" + body.encode("utf-8")


def _index_keys(keys: Iterable[VerifierKey]) -> dict[tuple[str, bytes], VerifierKey]:
    out: dict[tuple[str, bytes], VerifierKey] = {}
    for key in keys:
        other = out.get((key.name, key.key_id))
        if other is not None and (other.public_key, other.sig_type) != (key.public_key, key.sig_type):
            raise VerificationError(f"two different verifier keys share name and key id: {key.text}")
        out[(key.name, key.key_id)] = key
    return out


@dataclass(frozen=True)
class OpenedNote:
    text: str
    signers: tuple[VerifierKey, ...]  # log keys (type 0x01) whose signature verified
    cosignatures: tuple[Cosignature, ...]  # cosignature/v1 (type 0x04) that verified
    ignored: int  # signature lines from unknown keys


def open_note(
    note: str,
    log_keys: Sequence[VerifierKey],
    witness_keys: Sequence[VerifierKey] = (),
    what: str = "note",
) -> OpenedNote:
    """Verify a signed note's signatures.

    signed-note: signatures from unknown keys (name and id not both matching) are ignored; a
    signature from a known key MUST verify, and a failing one rejects the whole note; a note with
    no verifying signature of a known log key is rejected.
    """
    parsed = parse_note(note, what)
    logs = _index_keys(log_keys)
    witnesses = _index_keys(witness_keys)
    message = parsed.text.encode("utf-8")
    signers: list[VerifierKey] = []
    cosignatures: list[Cosignature] = []
    ignored = 0
    for sig in parsed.signatures:
        ident = (sig.name, sig.key_id)
        if ident in logs:
            key = logs[ident]
            if key.sig_type != SIG_ED25519:
                raise VerificationError(f"{what}: log key {key.text} is not of type 0x01 (Ed25519)")
            if len(sig.signature) != ED25519_SIGNATURE_SIZE or not key.verify(sig.signature, message):
                raise VerificationError(
                    f"{what}: the signature of {sig.name} ({sig.key_id.hex()}) is invalid"
                )
            signers.append(key)
        elif ident in witnesses:
            key = witnesses[ident]
            if key.sig_type != SIG_COSIGNATURE_V1:
                raise VerificationError(
                    f"{what}: witness key {key.text} is not of type 0x04 (cosignature/v1)"
                )
            # timestamped_signature: u64 timestamp (big-endian) || 64-byte Ed25519 signature.
            if len(sig.signature) != 8 + ED25519_SIGNATURE_SIZE:
                raise VerificationError(
                    f"{what}: the cosignature of {sig.name} is {len(sig.signature) + 4} bytes, not 76"
                )
            (timestamp,) = struct.unpack(">Q", sig.signature[:8])
            if timestamp > MAX_COSIGNATURE_TIME:
                raise VerificationError(f"{what}: the cosignature of {sig.name} has a timestamp over 2^63-1")
            if not key.verify(sig.signature[8:], cosignature_message(timestamp, parsed.text)):
                raise VerificationError(
                    f"{what}: the cosignature of {sig.name} ({sig.key_id.hex()}, time {timestamp}) is invalid"
                )
            cosignatures.append(Cosignature(name=sig.name, key_id=sig.key_id, timestamp=timestamp))
        else:
            ignored += 1
    if not signers:
        raise VerificationError(f"{what}: no signature of a log key (of keys/log.vkeys) verifies")
    return OpenedNote(
        text=parsed.text, signers=tuple(signers), cosignatures=tuple(cosignatures), ignored=ignored
    )


# ---------------------------------------------------------------------------------------------
# C2SP tlog-checkpoint


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    body: str


def parse_checkpoint(body: str, what: str = "checkpoint") -> Checkpoint:
    """The note text of a checkpoint: origin, decimal tree size, base64 root hash, each + newline.

    tlog-checkpoint allows extension lines after the third; docs/audit.md section 3 says the body
    is three lines, so any further line is refused here.
    """
    if not body.endswith("\n"):
        raise VerificationError(f"{what}: the body does not end in a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise VerificationError(f"{what}: the body has fewer than three lines")
    if len(lines) > 3:
        raise VerificationError(f"{what}: the body has extension lines; docs/audit.md allows three lines")
    origin, size_text, root_text = lines
    if not origin:
        raise VerificationError(f"{what}: empty origin")
    if not _DECIMAL.fullmatch(size_text):
        raise VerificationError(f"{what}: tree size {size_text!r} is not a decimal without leading zeros")
    root = _b64decode(root_text, f"{what}: root hash")
    if len(root) != HASH_SIZE:
        raise VerificationError(f"{what}: root hash is {len(root)} bytes, not 32")
    return Checkpoint(origin=origin, size=int(size_text), root=root, body=body)


# ---------------------------------------------------------------------------------------------
# RFC 6962 section 2.1: the Merkle tree hash, audit paths, consistency proofs


EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = SHA-256()


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def merkle_tree_hash(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 MTH over leaf hashes (already SHA-256(0x00 || entry)), by the recursive definition."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(merkle_tree_hash(leaves[:k]), merkle_tree_hash(leaves[k:]))


def inclusion_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]), from the leaf up (for tests; the verifier does not generate proofs)."""
    n = len(leaves)
    if not 0 <= m < n:
        raise ValueError("leaf index out of range")
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*inclusion_path(m, leaves[:k]), merkle_tree_hash(leaves[k:])]
    return [*inclusion_path(m - k, leaves[k:]), merkle_tree_hash(leaves[:k])]


def consistency_proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for 0 < m < n (for tests)."""

    def subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
        n = len(d)
        if m == n:
            return [] if b else [merkle_tree_hash(d)]
        k = _split(n)
        if m <= k:
            return [*subproof(m, d[:k], b), merkle_tree_hash(d[k:])]
        return [*subproof(m - k, d[k:], False), merkle_tree_hash(d[:k])]

    if not 0 < m < len(leaves):
        raise ValueError("PROOF(m, D[n]) is defined for 0 < m < n")
    return subproof(m, leaves, True)


def roots_at_sizes(leaves: Sequence[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """MTH(D[0:s]) for each wanted size s, in one pass over the leaves.

    The tree of n leaves is the perfect subtrees of the set bits of n, largest (leftmost) first,
    joined from the right (this follows from the split at the largest power of two below n); the
    self-test checks it against ``merkle_tree_hash``.
    """
    wanted = set(sizes)
    out: dict[int, bytes] = {}
    if 0 in wanted:
        out[0] = EMPTY_ROOT
    last = max(wanted, default=0)
    stack: list[tuple[int, bytes]] = []  # (leaves in the perfect subtree, its hash)
    for count, leaf in enumerate(leaves[:last], start=1):
        width, node = 1, leaf
        while stack and stack[-1][0] == width:
            _, left = stack.pop()
            width, node = width * 2, node_hash(left, node)
        stack.append((width, node))
        if count in wanted:
            root = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                root = node_hash(left, root)
            out[count] = root
    return out


# ---------------------------------------------------------------------------------------------
# RFC 9162 sections 2.1.3.2 and 2.1.4.2: verifying the proofs


def verify_inclusion(
    entry_hash: bytes, leaf_index: int, tree_size: int, path: Sequence[bytes], root_hash: bytes
) -> bool:
    """RFC 9162 2.1.3.2, step by step; entry_hash is the leaf hash SHA-256(0x00 || entry)."""
    if any(len(p) != HASH_SIZE for p in path) or len(path) > MAX_PROOF_LENGTH:
        return False
    # 1. If leaf_index is greater than or equal to tree_size, fail.
    if leaf_index < 0 or leaf_index >= tree_size:
        return False
    # 2. Set fn to leaf_index and sn to tree_size - 1.
    fn, sn = leaf_index, tree_size - 1
    # 3. Set r to hash.
    r = entry_hash
    # 4. For each value p in the inclusion_path array:
    for p in path:
        # a. If sn is 0, stop the iteration and fail.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set r to HASH(0x01 || p || r).
            r = node_hash(p, r)
            # ii. If LSB(fn) is not set, right-shift both fn and sn equally until either LSB(fn)
            #     is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # Otherwise: i. Set r to HASH(0x01 || r || p).
            r = node_hash(r, p)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. Compare sn to 0 and r to root_hash.
    return sn == 0 and r == root_hash


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2 for 0 < first < second.

    PROOF(m, D[n]) is defined for 0 < m < n only. Outside that range this function takes the
    obvious reading: a tree is consistent with itself (first == second, empty path, equal roots)
    and the empty tree (first == 0, root SHA-256()) with every tree, with an empty path.
    """
    if any(len(c) != HASH_SIZE for c in path) or len(path) > MAX_PROOF_LENGTH:
        return False
    if first < 0 or second < first:
        return False
    if first == 0:
        return not path and first_hash == EMPTY_ROOT
    if first == second:
        return not path and first_hash == second_hash
    nodes = list(path)
    # 1. If consistency_path is an empty array, stop and fail the proof verification.
    if not nodes:
        return False
    # 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
    if first & (first - 1) == 0:
        nodes.insert(0, first_hash)
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = first - 1, second - 1
    # 4. If LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = nodes[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in nodes[1:]:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # iii. If LSB(fn) is not set, right-shift both fn and sn equally until either LSB(fn)
            #      is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # Otherwise: i. Set sr to HASH(0x01 || sr || c).
            sr = node_hash(sr, c)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. fr must equal first_hash, sr must equal second_hash, and sn must be 0.
    return fr == first_hash and sr == second_hash and sn == 0


# ---------------------------------------------------------------------------------------------
# docs/audit.md section 1: record hashes


def canonical_json(body: object) -> bytes:
    """Keys sorted, no whitespace, non-ASCII as itself, UTF-8 (docs/audit.md section 1)."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(prev_hash_hex: str, body: object) -> str:
    """hash = SHA-256(prev_hash_hex || "\\n" || canonical_json(body)), as 64 lower-case hex digits."""
    return hashlib.sha256(prev_hash_hex.encode("ascii") + b"\n" + canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class Record:
    seq: int
    prev_hash: str
    hash: str
    body: dict[str, Any]


# ---------------------------------------------------------------------------------------------
# The export (docs/audit.md section 6)


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise VerificationError(f"{what}: missing") from exc
    except UnicodeDecodeError as exc:
        raise VerificationError(f"{what}: not valid UTF-8") from exc


def _jsonl(path: Path, what: str, required: bool) -> list[tuple[int, Any]]:
    if not path.exists():
        if required:
            raise VerificationError(f"{what}: missing")
        return []
    text = _read_text(path, what)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise VerificationError(f"{what} line {number}: empty line")
        out.append((number, _json(line, f"{what} line {number}")))
    return out


def _keys_file(path: Path, what: str, sig_type: int, required: bool) -> list[VerifierKey]:
    if not path.exists():
        if required:
            raise VerificationError(f"{what}: missing")
        return []
    keys = []
    for line in _read_text(path, what).split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key = parse_verifier_key(line)
        if key.sig_type != sig_type:
            raise VerificationError(
                f"{what}: key {line} is of type 0x{key.sig_type:02x}, not 0x{sig_type:02x}"
            )
        keys.append(key)
    return keys


def _exact_keys(obj: object, keys: frozenset[str], what: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise VerificationError(f"{what}: not a JSON object")
    missing, extra = keys - obj.keys(), obj.keys() - keys
    if missing:
        raise VerificationError(f"{what}: missing {', '.join(sorted(missing))}")
    if extra:
        raise VerificationError(f"{what}: unexpected {', '.join(sorted(extra))}")
    return obj


def _path(obj: object, what: str) -> list[bytes]:
    if not isinstance(obj, list) or not all(isinstance(p, str) for p in obj):
        raise VerificationError(f"{what}: path is not a list of base64 strings")
    hashes = [_b64decode(p, f"{what}: path") for p in obj]
    if any(len(h) != HASH_SIZE for h in hashes):
        raise VerificationError(f"{what}: a path hash is not 32 bytes")
    return hashes


def _open_checkpoint(
    text: str,
    origin: str,
    log_keys: Sequence[VerifierKey],
    witness_keys: Sequence[VerifierKey],
    what: str,
) -> tuple[Checkpoint, OpenedNote]:
    opened = open_note(text, log_keys, witness_keys, what)
    checkpoint = parse_checkpoint(opened.text, what)
    if checkpoint.origin != origin:
        raise VerificationError(f"{what}: origin {checkpoint.origin!r} is not the export's {origin!r}")
    # docs/audit.md section 3: the log's key name is the origin.
    if not any(key.name == checkpoint.origin for key in opened.signers):
        raise VerificationError(f"{what}: no log signature under a key named {checkpoint.origin!r}")
    return checkpoint, opened


def _check_body(body: object, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise VerificationError(f"{what}: body is not a JSON object")
    missing = BODY_KEYS - body.keys()
    extra = body.keys() - BODY_KEYS - BODY_OPTIONAL_KEYS
    if missing:
        raise VerificationError(f"{what}: body lacks {', '.join(sorted(missing))}")
    if extra:
        raise VerificationError(f"{what}: body has unexpected {', '.join(sorted(extra))}")
    return body


def _load_records(path: Path, scope: str) -> list[Record]:
    records: list[Record] = []
    previous: Record | None = None
    for number, obj in _jsonl(path, "records.jsonl", required=True):
        what = f"records.jsonl line {number}"
        obj = _exact_keys(obj, RECORD_KEYS, what)
        seq, prev_hash, hash_hex, body = obj["seq"], obj["prev_hash"], obj["hash"], obj["body"]
        if not _is_int(seq) or seq < 1:
            raise VerificationError(f"{what}: seq {seq!r} is not a positive integer")
        what = f"{what} (seq {seq})"
        for name, value in (("prev_hash", prev_hash), ("hash", hash_hex)):
            if not isinstance(value, str) or not _HEX64.fullmatch(value):
                raise VerificationError(f"{what}: {name} is not 64 lower-case hex digits")
        body = _check_body(body, what)
        if str(body["seq"]) != str(seq):
            raise VerificationError(f"{what}: the body's seq is {body['seq']!r}")
        try:
            computed = record_hash(prev_hash, body)
        except UnicodeEncodeError as exc:
            raise VerificationError(f"{what}: the body cannot be encoded in UTF-8") from exc
        if computed != hash_hex:
            raise VerificationError(
                f"{what}: hash {hash_hex} does not match its body and prev_hash ({computed})"
            )
        if seq == 1 and prev_hash != ZERO_HASH_HEX:
            raise VerificationError(f"{what}: the first record's prev_hash is not 64 zeros")
        if scope == "log":
            expected_seq = 1 if previous is None else previous.seq + 1
            if seq != expected_seq:
                raise VerificationError(
                    f"{what}: expected seq {expected_seq}: the sequence has a gap or is out of order"
                )
        elif previous is not None and seq <= previous.seq:
            raise VerificationError(f"{what}: seq is not after the previous record's {previous.seq}")
        if previous is not None and seq == previous.seq + 1 and prev_hash != previous.hash:
            raise VerificationError(f"{what}: prev_hash is not the hash of record {previous.seq}")
        previous = Record(seq=seq, prev_hash=prev_hash, hash=hash_hex, body=body)
        records.append(previous)
    return records


def verify_export(directory: Path, extra_checkpoints: Sequence[str] = ()) -> dict[str, int]:
    """Check an export directory as docs/audit.md section 6 describes; raise on the first failure.

    ``extra_checkpoints`` are signed-note texts of checkpoints held from elsewhere (a witness's,
    say): each must verify under the log keys, and the export's tree must have its root at its
    size; one of the same size as an export checkpoint but another root is a fork.
    """
    directory = Path(directory)

    # The manifest and the keys.
    manifest = _exact_keys(
        _json(_read_text(directory / "manifest.json", "manifest.json"), "manifest.json"),
        MANIFEST_KEYS,
        "manifest.json",
    )
    if manifest["format"] != EXPORT_FORMAT:
        raise VerificationError(f"manifest.json: format {manifest['format']!r} is not {EXPORT_FORMAT!r}")
    origin, scope = manifest["origin"], manifest["scope"]
    if not isinstance(origin, str) or not origin:
        raise VerificationError("manifest.json: origin is not a non-empty string")
    if scope not in ("log", "tenant"):
        raise VerificationError(f"manifest.json: scope {scope!r} is neither 'log' nor 'tenant'")
    if scope == "tenant" and (not isinstance(manifest["tenant"], str) or not manifest["tenant"]):
        raise VerificationError("manifest.json: a tenant export does not name its tenant")
    log_keys = _keys_file(directory / "keys" / "log.vkeys", "keys/log.vkeys", SIG_ED25519, required=True)
    if not log_keys:
        raise VerificationError("keys/log.vkeys: no key")
    witness_keys = _keys_file(
        directory / "keys" / "witnesses.vkeys", "keys/witnesses.vkeys", SIG_COSIGNATURE_V1, required=False
    )

    # 1. Every checkpoint's log signature and origin; every cosignature.
    checkpoints: dict[int, Checkpoint] = {}
    cosignatures = ignored = 0
    folder = directory / "checkpoints"
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        what = f"checkpoints/{path.name}"
        match = _CHECKPOINT_FILE.fullmatch(path.name)
        if match is None:
            raise VerificationError(f"{what}: not named <size, 12 digits>.note")
        checkpoint, opened = _open_checkpoint(_read_text(path, what), origin, log_keys, witness_keys, what)
        if checkpoint.size != int(match.group(1)):
            raise VerificationError(f"{what}: holds a checkpoint of size {checkpoint.size}")
        checkpoints[checkpoint.size] = checkpoint
        cosignatures += len(opened.cosignatures)
        ignored += opened.ignored
    sizes = sorted(checkpoints)
    latest = checkpoints[sizes[-1]] if sizes else None
    tree_size = manifest["tree_size"]
    if latest is None:
        if tree_size not in (None, 0):
            raise VerificationError(
                f"manifest.json: tree_size {tree_size!r} but the export has no checkpoint"
            )
    elif not _is_int(tree_size) or tree_size != latest.size:
        raise VerificationError(
            f"manifest.json: tree_size {tree_size!r} is not the latest checkpoint's {latest.size}"
        )

    # 2. Every record's hash from its body and prev_hash; in a log export, the chain.
    records = _load_records(directory / "records.jsonl", scope)
    if not _is_int(manifest["records"]) or manifest["records"] != len(records):
        raise VerificationError(
            f"manifest.json: records {manifest['records']!r}, records.jsonl holds {len(records)}"
        )
    by_seq = {record.seq: record for record in records}

    # 3. In a log export, the tree over the records has each checkpoint's root at its size.
    leaves = [leaf_hash(bytes.fromhex(record.hash)) for record in records]
    if scope == "log":
        for size in sizes:
            if size > len(records):
                raise VerificationError(
                    f"checkpoints/{size:012d}.note: the log was cut short: the checkpoint covers {size} "
                    f"records, the export holds {len(records)}"
                )
        roots = roots_at_sizes(leaves, sizes)
        for size in sizes:
            if roots[size] != checkpoints[size].root:
                raise VerificationError(
                    f"checkpoints/{size:012d}.note: the tree over the first {size} records has root "
                    f"{_b64(roots[size])}, the checkpoint signs {_b64(checkpoints[size].root)}: a record "
                    "was changed, deleted, inserted or moved"
                )

    # 4. Every inclusion proof against the latest checkpoint ...
    proved: set[int] = set()
    for number, obj in _jsonl(
        directory / "proofs" / "inclusion.jsonl", "proofs/inclusion.jsonl", required=False
    ):
        what = f"proofs/inclusion.jsonl line {number}"
        obj = _exact_keys(obj, INCLUSION_KEYS, what)
        seq, index, size = obj["seq"], obj["leaf_index"], obj["tree_size"]
        if not (_is_int(seq) and _is_int(index) and _is_int(size)):
            raise VerificationError(f"{what}: seq, leaf_index and tree_size must be integers")
        what = f"{what} (seq {seq})"
        if latest is None or size != latest.size:
            raise VerificationError(f"{what}: tree_size {size} is not the latest checkpoint's size")
        if index != seq - 1:
            raise VerificationError(f"{what}: leaf_index {index} is not seq - 1")
        if seq in proved:
            raise VerificationError(f"{what}: a second proof for this record")
        record = by_seq.get(seq)
        if record is None:
            raise VerificationError(f"{what}: no such record in records.jsonl")
        path = _path(obj["path"], what)
        if not verify_inclusion(leaf_hash(bytes.fromhex(record.hash)), index, size, path, latest.root):
            raise VerificationError(f"{what}: the inclusion proof does not verify against checkpoint {size}")
        proved.add(seq)
    if latest is not None:
        unproved = [
            record.seq for record in records if record.seq <= latest.size and record.seq not in proved
        ]
        if unproved:
            raise VerificationError(
                f"proofs/inclusion.jsonl: no inclusion proof for record {unproved[0]} "
                f"({len(unproved)} records up to the latest checkpoint lack one)"
            )

    # ... and every consistency proof between consecutive checkpoints.
    consecutive = set(itertools.pairwise(sizes))
    seen: set[tuple[int, int]] = set()
    for number, obj in _jsonl(
        directory / "proofs" / "consistency.jsonl", "proofs/consistency.jsonl", required=False
    ):
        what = f"proofs/consistency.jsonl line {number}"
        obj = _exact_keys(obj, CONSISTENCY_KEYS, what)
        first, second = obj["first"], obj["second"]
        if not (_is_int(first) and _is_int(second)):
            raise VerificationError(f"{what}: first and second must be integers")
        what = f"{what} ({first} -> {second})"
        if first not in checkpoints or second not in checkpoints:
            raise VerificationError(f"{what}: not between two checkpoints of the export")
        if (first, second) in seen:
            raise VerificationError(f"{what}: a second proof for this pair")
        path = _path(obj["path"], what)
        if not verify_consistency(first, second, checkpoints[first].root, checkpoints[second].root, path):
            raise VerificationError(
                f"{what}: the consistency proof does not verify: the log did not only grow"
            )
        seen.add((first, second))
    missing = sorted(consecutive - seen)
    if missing:
        raise VerificationError(
            f"proofs/consistency.jsonl: no consistency proof from {missing[0][0]} to {missing[0][1]}"
        )

    # 5. Every decision's signature.
    decisions = 0
    for number, obj in _jsonl(directory / "decisions.jsonl", "decisions.jsonl", required=False):
        what = f"decisions.jsonl line {number}"
        obj = _exact_keys(obj, DECISION_KEYS, what)
        note = obj["note"]
        if not isinstance(note, str):
            raise VerificationError(f"{what}: note is not a string")
        opened = open_note(note, log_keys, (), what)
        lines = opened.text[:-1].split("\n")
        if lines[0] != DECISION_HEADER:
            raise VerificationError(f"{what}: the note does not start with the line {DECISION_HEADER!r}")
        fields: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(" ")
            fields.setdefault(name, value)
        if "origin" in fields and fields["origin"] != origin:
            raise VerificationError(f"{what}: the note's origin {fields['origin']!r} is not {origin!r}")
        for name in ("request", "decision"):
            if isinstance(obj[name], str) and name in fields and fields[name] != obj[name]:
                raise VerificationError(
                    f"{what}: the note says {name} {fields[name]!r}, the entry {obj[name]!r}"
                )
        decisions += 1

    # 6. Each checkpoint held from elsewhere must verify, and the export's tree must have its root.
    extra = [
        _open_checkpoint(text, origin, log_keys, witness_keys, f"checkpoint held from elsewhere #{i + 1}")
        for i, text in enumerate(extra_checkpoints)
    ]
    for i, (checkpoint, opened) in enumerate(extra):
        what = f"checkpoint held from elsewhere #{i + 1} (size {checkpoint.size})"
        ours = checkpoints.get(checkpoint.size)
        if ours is not None and ours.root != checkpoint.root:
            raise VerificationError(
                f"{what}: fork: root {_b64(checkpoint.root)}, the export's checkpoint of that size has "
                f"{_b64(ours.root)}"
            )
        if scope == "log":
            if checkpoint.size > len(records):
                raise VerificationError(
                    f"{what}: the log was cut short: the checkpoint covers {checkpoint.size} records, the "
                    f"export holds {len(records)}"
                )
            root = roots_at_sizes(leaves, [checkpoint.size])[checkpoint.size]
            if root != checkpoint.root:
                raise VerificationError(
                    f"{what}: fork: the export's tree has root {_b64(root)} at that size, the checkpoint "
                    f"signs {_b64(checkpoint.root)}"
                )
        cosignatures += len(opened.cosignatures)
        ignored += opened.ignored

    return {
        "records": len(records),
        "checkpoints": len(checkpoints),
        "cosignatures": cosignatures,
        "inclusion_proofs": len(proved),
        "consistency_proofs": len(seen),
        "decisions": decisions,
        "extra_checkpoints": len(extra),
        "ignored_signatures": ignored,
    }


# ---------------------------------------------------------------------------------------------
# Self-test: the RFC 6962 section 2.1.3 example tree of 7 leaves, and notes signed here.


def _self_test() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    d = [bytes([i]) * 3 for i in range(7)]
    a, b, c, dd, e, f, j = (leaf_hash(x) for x in d)  # j is the lone leaf d6
    g, h, i = node_hash(a, b), node_hash(c, dd), node_hash(e, f)
    k, l_ = node_hash(g, h), node_hash(i, j)
    root = node_hash(k, l_)
    leaves = [a, b, c, dd, e, f, j]
    assert merkle_tree_hash(leaves) == root
    assert merkle_tree_hash(leaves[:3]) == node_hash(g, c)
    assert merkle_tree_hash(leaves[:4]) == k
    assert merkle_tree_hash(leaves[:6]) == node_hash(k, i)
    assert merkle_tree_hash([]) == EMPTY_ROOT
    # RFC 6962 2.1.3: the audit paths of d0, d3, d4 and d6.
    assert inclusion_path(0, leaves) == [b, h, l_]
    assert inclusion_path(3, leaves) == [c, g, l_]
    assert inclusion_path(4, leaves) == [f, j, k]
    assert inclusion_path(6, leaves) == [i, k]
    # RFC 6962 2.1.3: the consistency proofs from sizes 3, 4 and 6 to 7.
    assert consistency_proof(3, leaves) == [c, dd, g, l_]
    assert consistency_proof(4, leaves) == [l_]
    assert consistency_proof(6, leaves) == [i, j, k]
    for n in range(1, 70):
        tree = [leaf_hash(n.to_bytes(2, "big") + m.to_bytes(2, "big")) for m in range(n)]
        roots = roots_at_sizes(tree, range(n + 1))
        for size in range(n + 1):
            assert roots[size] == merkle_tree_hash(tree[:size]), (n, size)
        top = roots[n]
        for m in range(n):
            path = inclusion_path(m, tree)
            assert verify_inclusion(tree[m], m, n, path, top)
            assert not verify_inclusion(tree[(m + 1) % n], m, n, path, top) or n == 1
            if path:
                assert not verify_inclusion(tree[m], m, n, path[:-1], top)
                assert not verify_inclusion(tree[m], m, n, [*path[:-1], EMPTY_ROOT], top)
        for m in range(1, n):
            proof = consistency_proof(m, tree)
            assert verify_consistency(m, n, roots[m], top, proof), (m, n)
            assert not verify_consistency(m, n, roots[m], roots[m], proof) or roots[m] == top
            assert not verify_consistency(m, n, EMPTY_ROOT, top, proof)
            assert not verify_consistency(m, n, roots[m], top, proof[:-1])
        assert verify_consistency(n, n, top, top, [])
        assert verify_consistency(0, n, EMPTY_ROOT, top, [])

    # Notes: a log key (0x01) and a witness key (0x04), signed and verified here.
    origin, witness = "example.com/log", "example.com/witness"
    log_private, witness_private = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    log_raw = log_private.public_key().public_bytes_raw()
    witness_raw = witness_private.public_key().public_bytes_raw()
    log_id = key_id(origin, SIG_ED25519, log_raw)
    witness_id = key_id(witness, SIG_COSIGNATURE_V1, witness_raw)
    log_key = parse_verifier_key(f"{origin}+{log_id.hex()}+{_b64(bytes([SIG_ED25519]) + log_raw)}")
    witness_key = parse_verifier_key(
        f"{witness}+{witness_id.hex()}+{_b64(bytes([SIG_COSIGNATURE_V1]) + witness_raw)}"
    )
    body = f"{origin}\n7\n{_b64(root)}\n"
    timestamp = 1679315147
    cosig = struct.pack(">Q", timestamp) + witness_private.sign(cosignature_message(timestamp, body))
    note = (
        f"{body}\n{SIGNATURE_PREFIX}{origin} {_b64(log_id + log_private.sign(body.encode()))}\n"
        f"{SIGNATURE_PREFIX}{witness} {_b64(witness_id + cosig)}\n"
        f"{SIGNATURE_PREFIX}unknown.example/key {_b64(b'abcd' + bytes(64))}\n"
    )
    opened = open_note(note, [log_key], [witness_key])
    assert opened.signers == (log_key,) and len(opened.cosignatures) == 1 and opened.ignored == 1
    assert opened.cosignatures[0].timestamp == timestamp
    checkpoint = parse_checkpoint(opened.text)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (origin, 7, root)
    bad_cosignature = note.replace(_b64(witness_id + cosig), _b64(witness_id + cosig[::-1]))
    for bad in (note.replace("\n7\n", "\n8\n"), bad_cosignature):
        try:
            open_note(bad, [log_key], [witness_key])
        except VerificationError:
            pass
        else:
            raise AssertionError("a changed note verified")
    try:
        parse_verifier_key(f"{origin}+00000000+{_b64(bytes([SIG_ED25519]) + log_raw)}")
    except VerificationError:
        pass
    else:
        raise AssertionError("a wrong key id was accepted")
    print("spec_verifier self-test: ok")


if __name__ == "__main__":
    _self_test()
