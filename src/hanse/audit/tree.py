"""The log's Merkle tree read from the database (docs/audit.md): leaf ``seq - 1`` is record ``seq``'s
hash. Everything here reads the records' stored hashes; ``verify`` checks them against content."""

from __future__ import annotations

from collections.abc import Iterator

from hanse.access.principal import system_principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.audit import merkle
from hanse.audit.models import AuditRecord

LOG = system_principal("audit-log")
BATCH = 5000


class Gap(Exception):
    def __init__(self, seq: int) -> None:
        self.seq = seq
        super().__init__(f"record #{seq} is missing")


def stored(start: int = 1, end: int | None = None, *, strict: bool = True) -> Iterator[AuditRecord]:
    """Records ``start``..``end`` in order, keyset-paged, constant memory. A missing sequence
    number raises Gap, unless ``strict`` is off (an export of a damaged log shows what is there)."""
    qs = scoped(AuditRecord.objects.all(), LOG, Action.AUDIT_VIEW).order_by("seq")
    expected = start
    while end is None or expected <= end:
        rows = qs.filter(seq__gte=expected)
        if end is not None:
            rows = rows.filter(seq__lte=end)
        batch = list(rows[:BATCH])
        if not batch:
            break
        for rec in batch:
            if rec.seq != expected and strict:
                raise Gap(expected)
            yield rec
            expected = rec.seq + 1
    if end is not None and expected <= end and strict:
        raise Gap(expected)


def leaf(rec_hash: str) -> bytes:
    return merkle.leaf_hash(bytes.fromhex(rec_hash))


def leaves(size: int) -> list[bytes]:
    qs = scoped(AuditRecord.objects.all(), LOG, Action.AUDIT_VIEW).filter(seq__lte=size).order_by("seq")
    out: list[bytes] = []
    last = 0
    while len(out) < size:
        batch = list(qs.filter(seq__gt=last).values_list("seq", "hash")[:BATCH])
        if not batch:
            break
        for seq, rec_hash in batch:
            if seq != len(out) + 1:
                raise Gap(len(out) + 1)
            out.append(leaf(rec_hash))
            last = seq
    if len(out) < size:
        raise Gap(len(out) + 1)
    return out


def tree(size: int) -> merkle.Tree:
    return merkle.Tree(leaves(size))
