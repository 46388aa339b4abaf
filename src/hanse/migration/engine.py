"""The migration's engine (docs/migration.md): a job moves one customer through its states,

    planned → frozen → copying → verifying → ready → cutting over → cut over

with failed (a reason, and a retry) and rolling back → rolled back beside them.

Every step is idempotent and every transition is a compare-and-set on the persisted state, in the
transaction that writes its event and audit record. Calls to the target happen between
transactions and are idempotent there too (a batch has an id; cutover and removal may be sent
again). So a process killed at any moment leaves a state from which the next job, on any worker,
goes on; two jobs of one customer at once do each step once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction

from hanse import clock
from hanse.access.principal import system_principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.audit import services as audit
from hanse.audit.models import AuditHead
from hanse.billing.services import customer_seats_record
from hanse.errors import DomainError
from hanse.faults import crash_point
from hanse.instance.current import instance
from hanse.links.models import TenantLink
from hanse.migration import errors, peer_api
from hanse.migration.canonical import Summary
from hanse.migration.export import export_items
from hanse.migration.models import ACTIVE_STATES, CustomerMigration, State
from hanse.migration.selectors import migration_plan
from hanse.migration.services import enqueue, event

log = logging.getLogger(__name__)

WORKER = system_principal("migration")
MANAGE = Action.MIGRATION_MANAGE
MAX_UNAVAILABLE = 30  # tries in a row before a move waits for a person's retry
MAX_DELAY = 10.0  # seconds between two tries at an unavailable peer
MISMATCHES_KEPT = 50


def _load(migration_id: uuid.UUID) -> CustomerMigration:
    return scoped(CustomerMigration.objects.select_related("customer__tenant"), WORKER, MANAGE).get(
        id=migration_id
    )


def _link(move: CustomerMigration) -> TenantLink:
    return scoped(TenantLink.objects.all(), WORKER, Action.TENANT_LINK_MANAGE).get(partner_id=move.partner_id)


def _step(
    move: CustomerMigration,
    to: str,
    *,
    audit_action: str = "",
    detail: dict[str, Any] | None = None,
    also: Callable[[], None] | None = None,
    **fields: Any,
) -> bool:
    """Move from the state read to ``to``, if nobody moved it meanwhile: one transaction with the
    event and, for the steps a customer would want in its history, the audit record."""
    with transaction.atomic():
        now = clock.now()
        changed = (
            scoped(CustomerMigration.objects.all(), WORKER, MANAGE)
            .filter(id=move.id, state=move.state, attempt=move.attempt, batches_done=move.batches_done)
            .update(state=to, updated_at=now, transient_errors=0, **fields)
        )
        if not changed:
            return False
        event(move, to, attempt=move.attempt, **(detail or {}))
        if also is not None:
            also()
        if audit_action:
            customer = move.customer
            audit.record(
                actor=WORKER,
                action=audit_action,
                target_type="Customer",
                target_id=customer.id,
                partner_id=customer.partner_id,
                tenant_id=customer.tenant_id,
                after={"peer": move.peer, "attempt": move.attempt, **(detail or {})},
            )
    # Committed: the job goes on from what the row now holds, without reading it again.
    move.state, move.updated_at, move.transient_errors = to, now, 0
    for name, value in fields.items():
        setattr(move, name, value)
    return True


def _fail(move: CustomerMigration, e: DomainError) -> None:
    params = {k: str(v)[:300] for k, v in e.params.items()}
    _step(
        move,
        State.FAILED,
        audit_action="migration.fail",
        detail={"code": e.code, **params},
        error_code=e.code,
        error_params=params,
    )


def advance(migration_id: uuid.UUID) -> str:
    """Move one customer as far as it goes now; returns the state it reached."""
    try:
        return _advance(migration_id)
    finally:
        _export.clear()


def _advance(migration_id: uuid.UUID) -> str:
    move = _load(migration_id)
    while True:
        if move.state not in ACTIVE_STATES:
            return move.state
        was = move.state
        try:
            _advance_once(move)
        except peer_api.PeerUnavailable as e:
            return _unavailable(move, e)
        except DomainError as e:
            if move.state == State.ROLLING_BACK:
                # A rollback the target refuses (it holds the customer already): kept for a person.
                log.warning("rollback of %s refused: %s", move.id, e)
                return move.state
            _fail(move, e)
        if move.state == was:  # its step found the move changed by another: read what it is now
            move = _load(migration_id)


def _unavailable(move: CustomerMigration, e: peer_api.PeerUnavailable) -> str:
    """Wait and try again, with a growing delay, unless the peer stayed away too long."""
    with transaction.atomic():
        fresh = (
            scoped(CustomerMigration.objects.select_for_update(), WORKER, MANAGE)
            .select_related("customer")
            .get(id=move.id)
        )
        if fresh.state != move.state or fresh.attempt != move.attempt:
            return fresh.state  # moved on meanwhile
        fresh.transient_errors += 1
        if fresh.transient_errors >= MAX_UNAVAILABLE and fresh.state != State.ROLLING_BACK:
            err = DomainError(errors.PEER_UNAVAILABLE, peer=move.peer, times=fresh.transient_errors)
            fresh.save(update_fields=["transient_errors"])
        else:
            fresh.error_params = {"unavailable": e.detail}
            fresh.save(update_fields=["transient_errors", "error_params"])
            enqueue(fresh, delay=min(MAX_DELAY, 0.25 * 2 ** min(fresh.transient_errors, 6)))
            return fresh.state
    _fail(_load(move.id), err)
    return State.FAILED


def _advance_once(move: CustomerMigration) -> None:
    match move.state:
        case State.PLANNED:
            _freeze(move)
        case State.FROZEN:
            total = _batches(move)
            _step(move, State.COPYING, batches_total=len(total), counts=Summary.of(_items(move)).counts)
        case State.COPYING:
            _copy(move)
        case State.VERIFYING:
            _verify(move)
        case State.READY:
            _step(move, State.CUTTING_OVER)
        case State.CUTTING_OVER:
            _cutover(move)
        case State.ROLLING_BACK:
            _rollback(move)


def _freeze(move: CustomerMigration) -> None:
    """Check again what may have changed since the run began, then freeze: from this commit on,
    every service refuses a change to the customer, and its history up to now moves with it."""
    plan = migration_plan(principal=WORKER, partner_id=move.partner_id, customer_id=move.customer_id)
    own = (errors.ALREADY_MIGRATING, errors.ALREADY_MIGRATED)  # its own move is no blocker
    blockers = [b for b in plan.customers[0].blockers if b.spec not in own]
    if blockers:
        raise DomainError(blockers[0].spec, **blockers[0].params)
    head = AuditHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0
    _step(move, State.FROZEN, audit_action="migration.freeze", frozen_at=clock.now(), audit_until=head)
    crash_point("source.frozen")


# The export of the move a job is working on: the same frozen customer exports the same items, so
# one read serves the job's steps (the job's own memory; nothing of the progress lives here).
_export: dict[tuple[uuid.UUID, int, int], list[dict[str, Any]]] = {}


def _items(move: CustomerMigration) -> list[dict[str, Any]]:
    key = (move.id, move.attempt, move.audit_until)
    if key not in _export:
        _export.clear()
        _export[key] = export_items(WORKER, move.customer, audit_until=move.audit_until)
    return _export[key]


def _batches(move: CustomerMigration) -> list[list[dict[str, Any]]]:
    items = _items(move)
    size = instance().migration.batch_size
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def batch_id(move: CustomerMigration, index: int) -> uuid.UUID:
    return uuid.uuid5(move.id, f"{move.attempt}:{index}")


def _copy(move: CustomerMigration) -> None:
    """Send the batches from the first not acknowledged; each acknowledgement is recorded, with
    the export's audit record, in one transaction. A batch sent again changes nothing there."""
    batches = _batches(move)
    link = _link(move)
    if move.batches_done >= len(batches):
        _step(move, State.VERIFYING)
        return
    for index in range(move.batches_done, len(batches)):
        items = batches[index]
        crash_point("source.batch.before_send")
        peer_api.send_batch(
            WORKER,
            link,
            move.customer_id,
            {
                "batch": str(batch_id(move, index)),
                "attempt": move.attempt,
                "index": index,
                "total": len(batches),
                "source": instance().id,
                "items": items,
            },
        )
        crash_point("source.batch.acked")
        with transaction.atomic():
            done = (
                scoped(CustomerMigration.objects.all(), WORKER, MANAGE)
                .filter(id=move.id, state=State.COPYING, attempt=move.attempt, batches_done=index)
                .update(batches_done=index + 1, updated_at=clock.now(), transient_errors=0)
            )
            if not done:
                return  # another job sent it, or the move was rolled back: re-read
            kinds: dict[str, int] = {}
            for item in items:
                kinds[item["kind"]] = kinds.get(item["kind"], 0) + 1
            customer = move.customer
            audit.record(
                actor=WORKER,
                action="migration.export",
                target_type="Customer",
                target_id=customer.id,
                partner_id=customer.partner_id,
                tenant_id=customer.tenant_id,
                after={
                    "peer": move.peer,
                    "attempt": move.attempt,
                    "batch": index + 1,
                    "of": len(batches),
                    "objects": kinds,
                },
            )
        move.batches_done = index + 1
    _step(move, State.VERIFYING)


def _verify(move: CustomerMigration) -> None:
    """Both sides digest the same canonical form: the move is ready only if they match. This side
    reads the customer afresh, so that a change that slipped past the freeze is found."""
    mine = Summary.of(export_items(WORKER, move.customer, audit_until=move.audit_until))
    theirs = peer_api.summary(WORKER, _link(move), move.customer_id)
    crash_point("source.verify.fetched")
    if theirs.get("attempt") != move.attempt or theirs.get("checksum") != mine.checksum:
        differ = mine.differences(theirs.get("digests") or {})
        _step(
            move,
            State.FAILED,
            audit_action="migration.fail",
            detail={"code": errors.CHECKSUM_MISMATCH.code, "differ": len(differ)},
            error_code=errors.CHECKSUM_MISMATCH.code,
            error_params={
                "peer": move.peer,
                "count": str(len(differ)),
                "first": differ[0] if differ else "-",
            },
            mismatches=differ[:MISMATCHES_KEPT],
            checksum=mine.checksum,
            target_checksum=str(theirs.get("checksum", ""))[:64],
            target_counts=theirs.get("counts") or {},
        )
        return
    _step(
        move,
        State.READY,
        audit_action="migration.verify",
        detail={"checksum": mine.checksum},
        counts=mine.counts,
        checksum=mine.checksum,
        target_counts=theirs.get("counts") or {},
        target_checksum=mine.checksum,
        mismatches=[],
    )


def _cutover(move: CustomerMigration) -> None:
    """The target serves the customer from its answer on; the source, from this commit on, is a
    read-only copy kept ``retention_days``, then purged."""
    answer = peer_api.cutover(WORKER, _link(move), move.customer_id, move.attempt, move.checksum)
    crash_point("source.cutover.acked")
    now = clock.now()
    # The target bills from the day of its cutover, the source up to the day before: each
    # seat-day once, whichever side of midnight this step runs (docs/billing.md §5).
    since = answer.get("cutoverAt")
    day = datetime.fromisoformat(since).astimezone(UTC).date() if isinstance(since, str) else now.date()
    purge_after = now + timedelta(days=instance().migration.retention_days)
    if _step(
        move,
        State.CUT_OVER,
        audit_action="migration.cutover",
        detail={"checksum": move.checksum},
        cutover_at=now,
        purge_after=purge_after,
        also=lambda: customer_seats_record(
            actor=WORKER,
            action=MANAGE,
            customer_id=move.customer_id,
            reason="migration.cutover",
            day=day,
            seats=0,
        ),
    ):
        # Lost with a crash right here, it is queued again at the next worker start (resume).
        schedule_purge(purge_after)


def schedule_purge(when: datetime) -> None:
    from hanse.migration.tasks import purge_migrated

    purge_migrated.using(run_after=when + timedelta(minutes=1)).enqueue()


def _rollback(move: CustomerMigration) -> None:
    peer_api.remove(WORKER, _link(move), move.customer_id, move.attempt)
    _step(move, State.ROLLED_BACK, audit_action="migration.rolled_back", frozen_at=None)


def resume() -> int:
    """Queue a job for every move under way whose queued job is not waiting to run (the worker
    that held it died): at worker start. Returns how many."""
    from django_tasks_db.models import DBTaskResult

    under_way = list(scoped(CustomerMigration.objects.all(), WORKER, MANAGE).filter(state__in=ACTIVE_STATES))
    waiting = set(
        DBTaskResult.objects.filter(
            id__in=[m.job_id for m in under_way if m.job_id], status="READY"
        ).values_list("id", flat=True)
    )
    schedule_purge(clock.now())  # whatever became due while no worker ran
    queued = 0
    for move in under_way:
        if move.job_id and uuid.UUID(move.job_id) in waiting:
            continue
        with transaction.atomic():
            enqueue(move)
        queued += 1
    return queued
