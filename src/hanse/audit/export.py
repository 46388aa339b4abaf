"""Exports of the log (docs/audit.md §6), read from the database; offline.py verifies them."""

from __future__ import annotations

import base64
import io
import itertools
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hanse import clock
from hanse.audit import keys, tree
from hanse.audit.chain import HASHED_FIELDS, OPTIONAL_FIELDS, hashed_body
from hanse.audit.models import AuditRecord, Checkpoint
from hanse.audit.offline import FORMAT
from hanse.instance.current import instance


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def record_line(rec: AuditRecord) -> dict[str, Any]:
    body = hashed_body({k: getattr(rec, k) for k in (*HASHED_FIELDS, *OPTIONAL_FIELDS)})
    return {"seq": rec.seq, "prev_hash": rec.prev_hash, "hash": rec.hash, "body": body}


def checkpoint_file(size: int) -> str:
    return f"checkpoints/{size:012d}.note"


@dataclass
class Export:
    """An export's files, by path, as text."""

    files: dict[str, str] = field(default_factory=dict)

    def write(self, directory: Path) -> None:
        for name, text in self.files.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def zip(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in self.files.items():
                z.writestr(name, text)
        return out.getvalue()


def _lines(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)


def build_export(
    *,
    records: Iterable[AuditRecord],
    checkpoints: Sequence[Checkpoint],
    scope: str = "log",
    tenant: str | None = None,
    decisions: Iterable[dict[str, str]] = (),
    cosigned: dict[int, str] | None = None,
) -> Export:
    """The files of an export: ``records`` in order, proofs against the last of ``checkpoints``."""
    cfg = instance()
    recs = list(records)
    latest = checkpoints[-1] if checkpoints else None
    try:
        whole = tree.tree(latest.size) if latest is not None else None
    except tree.Gap:  # a damaged log: its records go out as they are, without proofs
        whole = None
    inclusion = [
        {
            "seq": r.seq,
            "leaf_index": r.seq - 1,
            "tree_size": latest.size,
            "path": [b64(h) for h in whole.inclusion(r.seq - 1)],
        }
        for r in recs
        if latest is not None and whole is not None and r.seq <= latest.size
    ]
    consistency = [
        {"first": a.size, "second": b.size, "path": [b64(h) for h in whole.consistency(a.size, b.size)]}
        for a, b in itertools.pairwise(checkpoints)
        if whole is not None and scope == "log"
    ]
    return assemble(
        origin=cfg.audit.origin,
        scope=scope,
        tenant=tenant,
        log_keys=[v.vkey for v in keys.verifiers(cfg)],
        witness_keys=[v.vkey for v in keys.witnesses(cfg)],
        records=[record_line(r) for r in recs],
        checkpoints={c.size: (cosigned or {}).get(c.size, c.note) for c in checkpoints},
        inclusion=inclusion,
        consistency=consistency,
        decisions=decisions,
    )


def assemble(
    *,
    origin: str,
    scope: str,
    tenant: str | None,
    log_keys: Sequence[str],
    witness_keys: Sequence[str],
    records: Sequence[dict[str, Any]],
    checkpoints: dict[int, str],
    inclusion: Iterable[dict[str, Any]],
    consistency: Iterable[dict[str, Any]] = (),
    decisions: Iterable[dict[str, str]] = (),
) -> Export:
    """The files of an export in the layout of docs/audit.md §6: of this log, or of the history a
    moved customer brought from another (its origin, keys and checkpoint)."""
    manifest = {
        "format": FORMAT,
        "origin": origin,
        "scope": scope,
        "tenant": tenant,
        "records": len(records),
        "tree_size": max(checkpoints, default=0),
        "exported_at": clock.now().isoformat(),
    }
    files = {
        "manifest.json": json.dumps(manifest, indent=2) + "\n",
        "keys/log.vkeys": "".join(k + "\n" for k in log_keys),
        "keys/witnesses.vkeys": "".join(k + "\n" for k in witness_keys),
        "records.jsonl": _lines(records),
        "proofs/inclusion.jsonl": _lines(inclusion),
        "proofs/consistency.jsonl": _lines(consistency),
        "decisions.jsonl": _lines(decisions),
    }
    for size, note in checkpoints.items():
        files[checkpoint_file(size)] = note
    return Export(files)


def signed_decisions(tenant_id: object | None = None) -> list[dict[str, str]]:
    """Every signed decision on an access request (of one tenant's), oldest first."""
    from hanse.access.roles import Action
    from hanse.access.scope import scoped
    from hanse.trustee.models import AccessRequest, Decision

    decisions = scoped(Decision.objects.all(), tree.LOG, Action.OPERATOR_ACCESS_DECIDE).exclude(signature="")
    revoked = scoped(AccessRequest.objects.all(), tree.LOG, Action.OPERATOR_ACCESS_DECIDE).exclude(
        end_signature=""
    )
    if tenant_id is not None:
        decisions = decisions.filter(request__customer__tenant_id=tenant_id)
        revoked = revoked.filter(customer__tenant_id=tenant_id)
    rows = [
        (
            d.at,
            {
                "request": str(d.request_id),
                "decision": "approve" if d.approved else "deny",
                "note": d.signature,
            },
        )
        for d in decisions
    ]
    rows += [
        (r.ended_at, {"request": str(r.id), "decision": "revoke", "note": r.end_signature}) for r in revoked
    ]
    return [row for _, row in sorted(rows, key=lambda pair: pair[0])]


def cosigned_notes() -> dict[int, str]:
    from hanse.audit.selectors import cosigned_note

    return {c.size: cosigned_note(c) for c in Checkpoint.objects.prefetch_related("cosignatures")}


def export_log() -> Export:
    """The whole log, every checkpoint and every signed decision."""
    checkpoints = list(Checkpoint.objects.order_by("size"))
    return build_export(
        records=tree.stored(strict=False),
        checkpoints=checkpoints,
        decisions=signed_decisions(),
        cosigned=cosigned_notes(),
    )


def export_tenant(records: list[AuditRecord], tenant_id: object) -> Export:
    """A tenant's own records (already read in its scope), proved against the latest checkpoint."""
    latest = Checkpoint.objects.order_by("-size").first()
    return build_export(
        records=records,
        checkpoints=[latest] if latest is not None else [],
        scope="tenant",
        tenant=str(tenant_id),
        decisions=signed_decisions(tenant_id),
        cosigned=cosigned_notes(),
    )
