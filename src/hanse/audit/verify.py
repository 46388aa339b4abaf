"""Walk the chain and report the first record that does not fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    fields = {f: getattr(rec, f) for f in HASHED_FIELDS + OPTIONAL_FIELDS}
    return fields_fault(fields, rec.prev_hash, rec.hash, prev_hash)


def fields_fault(fields: dict[str, Any], stored_prev: str, stored_hash: str, prev_hash: str) -> str | None:
    if stored_prev != prev_hash:
        return "does not follow the previous record"
    if record_hash(fields, stored_prev) != stored_hash:
        return "content does not match its hash"
    return None


# What the walk reads of each record: values, not model objects (half of its time went to them).
WALKED = ("seq", "prev_hash", "hash", *HASHED_FIELDS, *OPTIONAL_FIELDS)


def verify_chain(batch: int = 2000) -> VerifyResult:
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    qs = scoped(AuditRecord.objects.all(), system_principal("verify"), Action.AUDIT_VIEW).order_by("seq")
    # Keyset iteration: constant memory however long the log is.
    names = WALKED[3:]
    while True:
        rows = list(qs.filter(seq__gt=last_seq).values_list(*WALKED)[:batch])
        if not rows:
            break
        for seq, stored_prev, stored_hash, *values in rows:
            fields = dict(zip(names, values, strict=True))
            if seq != expected_seq:
                reason = "missing record(s) before it" if seq > expected_seq else "out of sequence"
                return VerifyResult(False, checked, seq, str(fields["id"]), reason)
            fault = fields_fault(fields, stored_prev, stored_hash, prev_hash)
            if fault is not None:
                return VerifyResult(False, checked, seq, str(fields["id"]), fault)
            prev_hash = stored_hash
            expected_seq += 1
            checked += 1
            last_seq = seq
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        return VerifyResult(
            False, checked, last_seq + 1, None, f"the log ends at #{last_seq} but the head says #{head.seq}"
        )
    return VerifyResult(True, checked)
