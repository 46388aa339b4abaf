"""Walk the chain and report the first record that does not fit."""

from __future__ import annotations

from dataclasses import dataclass

from hanse.access.principal import system_principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.audit.chain import GENESIS, HASHED_FIELDS, OPTIONAL_FIELDS, record_hash
from hanse.audit.models import AuditHead, AuditRecord


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    bad_seq: int | None = None
    bad_id: str | None = None
    reason: str = ""


def record_fault(rec: AuditRecord, prev_hash: str) -> str | None:
    """Why ``rec`` does not follow a record whose hash is ``prev_hash``; None if it does."""
    if rec.prev_hash != prev_hash:
        return "does not follow the previous record"
    fields = {f: getattr(rec, f) for f in HASHED_FIELDS + OPTIONAL_FIELDS}
    if record_hash(fields, rec.prev_hash) != rec.hash:
        return "content does not match its hash"
    return None


def verify_chain(batch: int = 2000) -> VerifyResult:
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    qs = scoped(AuditRecord.objects.all(), system_principal("verify"), Action.AUDIT_VIEW).order_by("seq")
    # Keyset iteration: constant memory however long the log is.
    while True:
        rows = list(qs.filter(seq__gt=last_seq)[:batch])
        if not rows:
            break
        for rec in rows:
            if rec.seq != expected_seq:
                reason = "missing record(s) before it" if rec.seq > expected_seq else "out of sequence"
                return VerifyResult(False, checked, rec.seq, str(rec.id), reason)
            fault = record_fault(rec, prev_hash)
            if fault is not None:
                return VerifyResult(False, checked, rec.seq, str(rec.id), fault)
            prev_hash = rec.hash
            expected_seq += 1
            checked += 1
            last_seq = rec.seq
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        return VerifyResult(
            False, checked, last_seq + 1, None, f"the log ends at #{last_seq} but the head says #{head.seq}"
        )
    return VerifyResult(True, checked)
