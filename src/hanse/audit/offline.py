"""Offline verification of an export (docs/audit.md §6): it reads only the directory, with the keys
in it and any checkpoints the caller holds from elsewhere. It imports nothing that needs Django or
a database, so that ``hanse audit verify --export`` runs anywhere."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hanse.audit import merkle, notes
from hanse.audit.chain import GENESIS

FORMAT = "hanse-audit-export/1"


class VerifyError(Exception):
    pass


@dataclass
class Verified:
    scope: str = "log"
    records: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    inclusion: int = 0
    consistency: int = 0
    decisions: int = 0
    unsigned_tail: int = 0  # records after the latest checkpoint: chained, not yet signed
    witnesses: set[str] = field(default_factory=set)


def _read_lines(directory: Path, name: str) -> Iterator[dict[str, Any]]:
    path = directory / name
    if not path.exists():
        return
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                raise VerifyError(f"{name} line {n} is not JSON") from None


def _vkeys(directory: Path, name: str) -> list[notes.Verifier]:
    path = directory / name
    if not path.exists():
        return []
    try:
        return [
            notes.parse_vkey(x) for x in path.read_text().splitlines() if x.strip() and not x.startswith("#")
        ]
    except notes.NoteError as e:
        raise VerifyError(f"{name}: {e}") from None


def _hashes(values: Sequence[str], where: str) -> list[bytes]:
    try:
        out = [base64.b64decode(v, validate=True) for v in values]
    except (binascii.Error, TypeError):
        raise VerifyError(f"{where}: a proof hash is not base64") from None
    if any(len(h) != 32 for h in out):
        raise VerifyError(f"{where}: a proof hash is not 32 bytes")
    return out


def open_checkpoint(
    note: str,
    log_keys: list[notes.Verifier],
    witness_keys: list[notes.Verifier],
    where: str,
    result: Verified,
) -> notes.Checkpoint:
    try:
        body, _ = notes.open_note(note, log_keys)
        checkpoint = notes.parse_checkpoint(body)
    except notes.NoteError as e:
        raise VerifyError(f"{where}: {e}") from None
    for sig in notes.split(note)[1]:
        for w in witness_keys:
            if sig.name == w.name and sig.id == w.id:
                try:
                    notes.check_cosignature(body, sig, w)
                except notes.NoteError as e:
                    raise VerifyError(f"{where}: {e}") from None
                result.cosignatures += 1
                result.witnesses.add(w.name)
    return checkpoint


def line_hash(line: dict[str, Any]) -> str:
    """A record's hash from its exported body and previous hash (docs/audit.md §1)."""
    canonical = json.dumps(line.get("body"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((str(line.get("prev_hash")) + "\n" + canonical).encode()).hexdigest()


def check_history(note: str, log_keys: Sequence[str], records: Sequence[dict[str, Any]]) -> notes.Checkpoint:
    """A moved customer's records against the source's checkpoint (docs/audit.md §9): the note
    verifies under ``log_keys``, and each record (``seq``, ``prev_hash``, ``hash``, ``body``,
    ``path``) has its hash and is in the checkpoint's tree."""
    try:
        verifiers = [notes.parse_vkey(k) for k in log_keys]
        checkpoint = notes.parse_checkpoint(notes.open_note(note, verifiers)[0])
    except notes.NoteError as e:
        raise VerifyError(f"the source's checkpoint: {e}") from None
    for line in records:
        seq = line.get("seq")
        if not isinstance(seq, int) or line_hash(line) != line.get("hash"):
            raise VerifyError(f"record #{seq}: its content does not match its hash")
        try:
            leaf = merkle.leaf_hash(bytes.fromhex(str(line["hash"])))
            path = _hashes(line.get("path") or [], f"#{seq}")
            merkle.verify_inclusion(seq - 1, checkpoint.size, leaf, path, checkpoint.root)
        except (ValueError, merkle.ProofError) as e:
            raise VerifyError(f"record #{seq} is not in the source's checkpoint: {e}") from None
    return checkpoint


def verify_export(directory: Path, held: Sequence[str] = ()) -> Verified:
    """Check an export with nothing but its files (docs/audit.md §6); VerifyError names the first
    thing that fails. ``held``: signed checkpoints the caller holds from elsewhere."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError):
        raise VerifyError("manifest.json is missing or not JSON") from None
    if manifest.get("format") != FORMAT:
        raise VerifyError(f"not a {FORMAT} export")
    result = Verified(scope=manifest.get("scope", "log"))
    log_keys = _vkeys(directory, "keys/log.vkeys")
    witness_keys = _vkeys(directory, "keys/witnesses.vkeys")
    if not log_keys:
        raise VerifyError("keys/log.vkeys holds no key")

    checkpoints: dict[int, notes.Checkpoint] = {}
    for path in sorted((directory / "checkpoints").glob("*.note")):
        c = open_checkpoint(path.read_text(encoding="utf-8"), log_keys, witness_keys, path.name, result)
        if c.origin != manifest.get("origin"):
            raise VerifyError(f"{path.name}: origin {c.origin!r} is not the log's {manifest.get('origin')!r}")
        if c.size in checkpoints and checkpoints[c.size].root != c.root:
            raise VerifyError(f"fork: two checkpoints of {c.size} records with different roots")
        checkpoints[c.size] = c
        result.checkpoints += 1
    for n, note in enumerate(held, start=1):
        c = open_checkpoint(note, log_keys, witness_keys, f"held checkpoint {n}", result)
        if c.size in checkpoints and checkpoints[c.size].root != c.root:
            raise VerifyError(
                f"fork: the held checkpoint of {c.size} records has another root than the export's"
            )
        checkpoints.setdefault(c.size, c)
    tree_size = int(manifest.get("tree_size") or 0)
    latest = checkpoints.get(tree_size)
    if tree_size and latest is None:
        raise VerifyError(f"the manifest names a checkpoint of {tree_size} records that is not in the export")

    frontier = merkle.Frontier()
    leaves: dict[int, bytes] = {}
    prev, expected = GENESIS, 1
    for line in _read_lines(directory, "records.jsonl"):
        seq, body = line.get("seq"), line.get("body")
        if not isinstance(seq, int) or not isinstance(body, dict) or body.get("seq") != seq:
            raise VerifyError(f"record line {result.records + 1} is malformed")
        digest = line_hash(line)
        if digest != line.get("hash"):
            raise VerifyError(f"record #{seq}: its content does not match its hash")
        if result.scope == "log":
            if seq != expected:
                raise VerifyError(f"record #{expected} is missing (found #{seq} in its place)")
            if line.get("prev_hash") != prev:
                raise VerifyError(f"record #{seq} does not follow record #{seq - 1}")
            frontier.add(merkle.leaf_hash(bytes.fromhex(digest)))
            c = checkpoints.get(seq)
            if c is not None and frontier.root() != c.root:
                raise VerifyError(f"the records do not have the root of checkpoint {seq}")
            prev, expected = digest, expected + 1
        leaves[seq] = merkle.leaf_hash(bytes.fromhex(digest))
        result.records += 1
    if result.scope == "log":
        last = expected - 1
        beyond = [s for s in checkpoints if s > last]
        if beyond:
            raise VerifyError(
                f"the log ends at #{last}, but checkpoint {max(beyond)} was signed: records were cut"
            )
        result.unsigned_tail = last - max(checkpoints, default=0)

    proved: set[int] = set()
    for line in _read_lines(directory, "proofs/inclusion.jsonl"):
        seq, size = line.get("seq"), line.get("tree_size")
        c = checkpoints.get(size) if isinstance(size, int) else None
        if not isinstance(seq, int) or seq not in leaves or c is None:
            raise VerifyError(f"inclusion proof of #{seq}: no such record or checkpoint in the export")
        try:
            merkle.verify_inclusion(
                seq - 1, c.size, leaves[seq], _hashes(line.get("path", []), f"#{seq}"), c.root
            )
        except merkle.ProofError as e:
            raise VerifyError(f"record #{seq} is not in checkpoint {c.size}: {e}") from None
        result.inclusion += 1
        proved.add(seq)
    unproved = sorted(s for s in leaves if s <= tree_size and s not in proved)
    if result.scope != "log" and unproved:
        raise VerifyError(f"record #{unproved[0]} has no inclusion proof in checkpoint {tree_size}")
    for line in _read_lines(directory, "proofs/consistency.jsonl"):
        first, second = checkpoints.get(line.get("first")), checkpoints.get(line.get("second"))
        if first is None or second is None:
            raise VerifyError("a consistency proof names a checkpoint not in the export")
        try:
            merkle.verify_consistency(
                first.size, second.size, first.root, second.root, _hashes(line.get("path", []), "consistency")
            )
        except merkle.ProofError as e:
            raise VerifyError(
                f"checkpoint {second.size} does not extend checkpoint {first.size}: {e}"
            ) from None
        result.consistency += 1
    for line in _read_lines(directory, "decisions.jsonl"):
        try:
            text, _ = notes.open_note(str(line.get("note", "")), log_keys)
        except notes.NoteError as e:
            raise VerifyError(f"decision on request {line.get('request')}: {e}") from None
        if not text.startswith("hanse/decision/v1\n"):
            raise VerifyError(f"decision on request {line.get('request')}: not a decision note")
        result.decisions += 1
    return result
