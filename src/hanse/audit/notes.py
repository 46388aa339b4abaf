"""C2SP signed notes, checkpoints and cosignatures, with Ed25519 keys (docs/audit.md).

- ``signed-note``: the text, a blank line, then lines ``— <name> base64(key id || signature)``;
  the key id is ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``.
- Verifier keys: ``<name>+<hex key id>+base64(0x01 || public key)``.
- ``tlog-checkpoint``: the origin, the tree size in decimal and the base64 root, one per line.
- ``tlog-cosignature`` (cosignature/v1): the witness signs ``cosignature/v1``, ``time <t>`` and
  the checkpoint's body; its signature is ``key id || u64 time || signature``, type 0x04.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014 "
MAX_NOTE = 1 << 20


class NoteError(ValueError):
    pass


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


@dataclass(frozen=True)
class Verifier:
    """A public key under its name: a log's (type 0x01) or a witness's (type 0x04)."""

    name: str
    kind: int
    public: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.kind, self.public)

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([self.kind]) + self.public).decode()
        return f"{self.name}+{self.id.hex()}+{encoded}"

    def check(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def parse_vkey(text: str) -> Verifier:
    parts = text.strip().split("+", 2)  # the base64 key may hold "+" itself
    if len(parts) != 3 or not valid_name(parts[0]):
        raise NoteError(f"not a verifier key (name+keyid+key): {text[:80]!r}")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
        wanted = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError):
        raise NoteError(f"verifier key {name!r} is not valid base64 and hex") from None
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise NoteError(f"verifier key {name!r} is not an Ed25519 key")
    verifier = Verifier(name, raw[0], raw[1:])
    if verifier.id != wanted:
        raise NoteError(f"verifier key {name!r}: its key id does not match its key")
    return verifier


@dataclass(frozen=True)
class Signer:
    name: str
    key: Ed25519PrivateKey
    kind: int = ED25519

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.kind, raw_public(self.key.public_key()))


@dataclass(frozen=True)
class Signature:
    name: str
    id: bytes
    blob: bytes  # what follows the key id

    @property
    def line(self) -> str:
        return f"{DASH}{self.name} {base64.b64encode(self.id + self.blob).decode()}\n"


def sign(text: str, signer: Signer) -> str:
    """The signed note: ``text`` (newline-terminated) with its signature line."""
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("a note's text ends with a newline and has no blank line")
    blob = signer.key.sign(text.encode())
    return text + "\n" + Signature(signer.name, signer.verifier.id, blob).line


def split(note: str) -> tuple[str, list[Signature]]:
    if len(note.encode()) > MAX_NOTE:
        raise NoteError("the note is larger than 1 MiB")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("a signed note is text, a blank line and signature lines")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    signatures = []
    for line in lines:
        if not line.startswith(DASH):
            raise NoteError("a signature line starts with an em dash and a space")
        name, _, encoded = line[len(DASH) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError(f"the signature of {name!r} is not base64") from None
        if not valid_name(name) or len(raw) < 5:
            raise NoteError("malformed signature line")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    if not signatures:
        raise NoteError("the note has no signature")
    return text, signatures


def open_note(note: str, verifiers: list[Verifier]) -> tuple[str, list[Verifier]]:
    """The note's text and the known log keys whose signatures hold. A known key whose signature
    fails refuses the whole note; a note no known log key signed is refused."""
    text, signatures = split(note)
    good = []
    for sig in signatures:
        for v in verifiers:
            if v.kind == ED25519 and sig.name == v.name and sig.id == v.id:
                if not v.check(text.encode(), sig.blob):
                    raise NoteError(f"the signature of {v.name} does not verify")
                good.append(v)
    if not good:
        raise NoteError("no signature by a known key")
    return text, good


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    @property
    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has an origin, a size and a root hash, one per line")
    origin, size, encoded = lines[0], lines[1], lines[2]
    if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError("a checkpoint's size is a decimal number without leading zeroes")
    try:
        root_hash = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise NoteError("a checkpoint's root hash is base64") from None
    if len(root_hash) != 32:
        raise NoteError("a checkpoint's root hash has 32 bytes")
    return Checkpoint(origin, int(size), root_hash)


def cosignature_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, signer: Signer, timestamp: int) -> Signature:
    if signer.kind != COSIGNATURE_V1:
        raise NoteError("a cosigner's key is of type 0x04")
    blob = struct.pack(">Q", timestamp) + signer.key.sign(cosignature_message(body, timestamp))
    return Signature(signer.name, signer.verifier.id, blob)


def check_cosignature(body: str, sig: Signature, witness: Verifier) -> int:
    """The cosignature's time, if ``witness`` made it over ``body``; else NoteError."""
    if witness.kind != COSIGNATURE_V1 or sig.name != witness.name or sig.id != witness.id:
        raise NoteError(f"not a cosignature of {witness.name}")
    if len(sig.blob) != 8 + 64:
        raise NoteError("a cosignature is a time and an Ed25519 signature")
    (timestamp,) = struct.unpack(">Q", sig.blob[:8])
    if timestamp >= 1 << 63 or not witness.check(cosignature_message(body, timestamp), sig.blob[8:]):
        raise NoteError(f"the cosignature of {witness.name} does not verify")
    return timestamp
