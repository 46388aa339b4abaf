"""What an attacker with write access does, written from docs/audit.md §1, not from the code: change
records, then recompute every hash after them so that the chain looks intact."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def chain_hash(prev_hash: str, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + "\n" + canonical).encode()).hexdigest()


def rechain(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Renumber from 1 and recompute every prev_hash and hash."""
    prev = GENESIS
    out = []
    for seq, line in enumerate(lines, start=1):
        body = {**line["body"], "seq": seq}
        digest = chain_hash(prev, body)
        out.append({"seq": seq, "prev_hash": prev, "hash": digest, "body": body})
        prev = digest
    return out


def read_records(export: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (export / "records.jsonl").read_text().splitlines() if x.strip()]


def write_records(export: Path, lines: list[dict[str, Any]]) -> None:
    (export / "records.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    # The attacker drops the proofs, which would give the change away at once: the tree must still.
    (export / "proofs" / "inclusion.jsonl").write_text("")
    (export / "proofs" / "consistency.jsonl").write_text("")
