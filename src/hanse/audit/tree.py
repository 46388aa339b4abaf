"""The log's Merkle tree read from the database (docs/audit.md): leaf ``seq - 1`` is record ``seq``'s
hash. Everything here reads the records' stored hashes; ``verify`` checks them against content."""

from __future__ import annotations

import threading
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


def leaves(size: int, *, after: int = 0) -> list[bytes]:
    """The leaves of records ``after + 1``..``size``."""
    qs = scoped(AuditRecord.objects.all(), LOG, Action.AUDIT_VIEW).filter(seq__lte=size).order_by("seq")
    out: list[bytes] = []
    last = after
    while last < size:
        batch = list(qs.filter(seq__gt=last).values_list("seq", "hash")[:BATCH])
        if not batch:
            break
        for seq, rec_hash in batch:
            if seq != last + 1:
                raise Gap(last + 1)
            out.append(leaf(rec_hash))
            last = seq
    if last < size:
        raise Gap(last + 1)
    return out


def tree(size: int) -> merkle.Tree:
    return merkle.Tree(leaves(size))


_signed: merkle.Tree | None = None
_signed_lock = threading.Lock()


def signed_proofs(size: int, root: str, indices: list[int]) -> list[list[bytes]]:
    """The inclusion proofs of leaves ``indices`` against the checkpoint of ``size`` leaves under
    ``root``. The tree is kept in the process and read on from where it ends: the leaves a
    checkpoint signed never change, so each proof need not read the whole log again. The kept tree
    serves only if its first ``size`` leaves hash to ``root``; else it is read whole. (The checks of
    the stored log, ``checkpoint_write`` and the consistency proofs, read it whole every time.)
    It costs about 150 bytes of the process's memory a record."""
    global _signed
    with _signed_lock:  # extending it rewrites the nodes at its right edge
        held = _signed
        if held is not None and held.size < size:
            held.extend(leaves(size, after=held.size))
        if held is None or held.size < size or held.root(size).hex() != root:
            held = tree(size)
        _signed = held
        return [held.inclusion(i, size) for i in indices]
