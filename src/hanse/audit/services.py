"""Writing to the audit log: called by every service inside its own transaction."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction

from hanse import clock, context
from hanse.access.principal import Principal, system_principal
from hanse.audit import errors as audit_errors
from hanse.audit import keys, merkle, notes, tree
from hanse.audit.chain import GENESIS, record_hash
from hanse.audit.models import AuditHead, AuditRecord, Checkpoint, Cosignature
from hanse.audit.verify import record_fault
from hanse.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hanse.instance.current import instance

log = logging.getLogger("hanse.audit")


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@dataclass(frozen=True)
class Entry:
    """One record to append: what happened to which object, for whom."""

    action: str
    target_type: str
    target_id: Any
    partner_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    grant_id: uuid.UUID | None = None


def record(
    *,
    actor: Principal,
    action: str,
    target_type: str,
    target_id: Any,
    partner_id: uuid.UUID | None = None,
    tenant_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    grant_id: uuid.UUID | None = None,
) -> AuditRecord:
    """Append one record. Must run inside the caller's transaction, so that the change and its
    record commit together or not at all."""
    entry = Entry(action, target_type, target_id, partner_id, tenant_id, before, after, grant_id)
    return record_many(actor=actor, entries=[entry])[0]


def record_many(*, actor: Principal, entries: Sequence[Entry]) -> list[AuditRecord]:
    """Append ``entries`` in order, chained as ``record`` chains one, under one lock of the head
    and in one insert: a bulk import records each object it creates without a round trip each."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside the transaction of the change it records")
    if not entries:
        return []
    ctx = context.current()
    records: list[AuditRecord] = []
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        first, prev = head.seq, head.hash
        for n, e in enumerate(entries, start=first + 1):
            grant_id = e.grant_id
            if grant_id is None and actor.is_operator and e.tenant_id is not None:
                # An operator changes a customer's data only under a grant: its record names the grant.
                grant_id = next((g.id for g in actor.grants if g.tenant_id == e.tenant_id and g.write), None)
            fields: dict[str, Any] = {
                "id": uuid.uuid4(),
                "seq": n,
                "at": clock.now(),
                "actor_id": actor.user_id,
                "actor_upn": actor.upn,
                "actor_tenant_id": actor.tenant_id,
                "partner_id": e.partner_id,
                "tenant_id": e.tenant_id,
                "action": e.action,
                "target_type": e.target_type,
                "target_id": str(e.target_id),
                "before": _jsonable(e.before),
                "after": _jsonable(e.after),
                "request_id": ctx.request_id[:64],
                "correlation_id": ctx.correlation_id[:64],
                "client_address": ctx.client_address[:64],
                "grant_id": grant_id,
            }
            digest = record_hash(fields, prev)
            records.append(AuditRecord(**fields, prev_hash=prev, hash=digest))
            prev = digest
        AuditRecord.objects.bulk_create(records)
        AuditHead.objects.filter(id=1).update(seq=records[-1].seq, hash=prev)
    every = instance().audit.checkpoint_every
    if records[-1].seq // every > first // every:
        transaction.on_commit(enqueue_checkpoint)
    return records


def enqueue_checkpoint() -> None:
    from hanse.audit.tasks import write_checkpoint

    write_checkpoint.enqueue()


def _inconsistent(size: int, reason: str) -> Conflict:
    log.error("audit log: the database does not match checkpoint %s: %s", size, reason)
    return Conflict(audit_errors.LOG_INCONSISTENT, size=size, reason=reason)


def checkpoint_write() -> Checkpoint | None:
    """Sign a checkpoint of the log as it stands (docs/audit.md); None while the log is empty.

    Before it signs, it recomputes the whole tree from the stored hashes and checks it against the
    latest checkpoint, and checks every newer record's content against its hash and the chain: an
    instance never signs history that differs from what it signed before. The records up to the
    head are immutable, so no lock is held while it reads them."""
    size = AuditHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0
    latest = Checkpoint.objects.order_by("-size").first()
    if size == 0 and latest is None:
        return None
    if latest is not None and size < latest.size:
        raise _inconsistent(latest.size, f"the log has {size} records")
    frontier = merkle.Frontier()
    try:
        for leaf in tree.leaves(size):
            frontier.add(leaf)
            if latest is not None and frontier.size == latest.size and frontier.root().hex() != latest.root:
                raise _inconsistent(latest.size, "its tree root differs")
        prev = GENESIS
        start = latest.size + 1 if latest is not None else 1
        if start > 1:
            prev = next(tree.stored(start - 1, start - 1)).hash
        for rec in tree.stored(start, size):
            fault = record_fault(rec, prev)
            if fault is not None:
                raise _inconsistent(latest.size if latest else 0, f"record #{rec.seq} {fault}")
            prev = rec.hash
    except tree.Gap as gap:
        raise _inconsistent(latest.size if latest else 0, f"record #{gap.seq} is missing") from None
    if latest is not None and latest.size == size:
        return latest
    cfg = instance()
    key = keys.signer(cfg)
    body = notes.Checkpoint(cfg.audit.origin, size, frontier.root()).body
    try:
        with transaction.atomic():
            return Checkpoint.objects.create(
                size=size,
                root=frontier.root().hex(),
                note=notes.sign(body, key),
                key_id=key.verifier.id.hex(),
                at=clock.now(),
            )
    except IntegrityError:  # another worker signed the same size first
        return Checkpoint.objects.get(size=size)


def checkpoint_covering(seq: int) -> Checkpoint:
    """The first checkpoint that holds record ``seq``, signed now if none does yet. Always the same
    one for the same record, so that a history exported twice is the same export."""
    checkpoint = Checkpoint.objects.filter(size__gte=seq).order_by("size").first()
    if checkpoint is None:
        checkpoint_write()
        checkpoint = Checkpoint.objects.filter(size__gte=seq).order_by("size").first()
    if checkpoint is None:
        raise NotFound(audit_errors.NO_CHECKPOINT)
    return checkpoint


@transaction.atomic
def cosignature_add(*, size: int, lines: str) -> list[Cosignature]:
    """Keep a witness's cosignatures of checkpoint ``size``: each line must verify under a witness
    key of ``[audit] witnesses``. A newer cosignature by the same witness replaces its older one."""
    checkpoint = Checkpoint.objects.select_for_update().filter(size=size).first()
    if checkpoint is None:
        raise NotFound(audit_errors.CHECKPOINT_NOT_FOUND, size=size)
    body = checkpoint.note[: checkpoint.note.rfind("\n\n") + 1]
    known = {(w.name, w.id): w for w in keys.witnesses()}
    kept = []
    for line in [x for x in lines.splitlines() if x.strip()]:
        try:
            (sig,) = notes.split(body + "\n" + line + "\n")[1]
        except (notes.NoteError, ValueError) as e:
            raise InvalidInput(audit_errors.BAD_COSIGNATURE, size=size, reason=str(e)) from None
        witness = known.get((sig.name, sig.id))
        if witness is None:
            raise NotPermitted(audit_errors.UNKNOWN_WITNESS)
        try:
            signed = notes.check_cosignature(body, sig, witness)
        except notes.NoteError as e:
            raise InvalidInput(audit_errors.BAD_COSIGNATURE, size=size, reason=str(e)) from None
        signed_at = datetime.fromtimestamp(signed, tz=UTC)
        cosig, created = Cosignature.objects.get_or_create(
            checkpoint=checkpoint,
            key_id=sig.id.hex(),
            defaults={
                "witness": sig.name,
                "line": sig.line.rstrip("\n"),
                "signed_at": signed_at,
                "received_at": clock.now(),
            },
        )
        if not created and signed_at > cosig.signed_at:
            Cosignature.objects.filter(pk=cosig.pk).update(
                line=sig.line.rstrip("\n"), signed_at=signed_at, received_at=clock.now()
            )
        record(
            actor=system_principal(f"witness:{sig.name}"),
            action="audit.cosigned",
            target_type="checkpoint",
            target_id=size,
            after={"witness": sig.name, "size": size, "root": checkpoint.root, "time": signed},
        )
        kept.append(cosig)
    if not kept:
        raise InvalidInput(audit_errors.BAD_COSIGNATURE, size=size, reason="no signature line")
    return kept
