"""Every write of the migration at the source (docs/migration.md): the customer's consent, the
start of a run, a retry, a rollback, and the purge after the retention period. Each is one
transaction with its audit record; a job it starts is queued in that same transaction (the
queue is a table of this database), so that it starts if and only if the change commits."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import transaction

from hanse import clock
from hanse.access.principal import Principal, system_principal
from hanse.access.roles import Action
from hanse.access.scope import relock, require, scoped
from hanse.audit import services as audit
from hanse.commerce.models import Order, OrderLineItem, Subscription
from hanse.customers.models import Customer
from hanse.customers.selectors import customer_get
from hanse.directory.models import ApiToken, User
from hanse.errors import Conflict, InvalidInput, NotPermitted
from hanse.faults import crash_point
from hanse.instance.current import instance
from hanse.licensing.models import LicenceAssignment
from hanse.migration import errors
from hanse.migration.models import Consent, CustomerMigration, MigrationEvent, State
from hanse.migration.selectors import migration_for, migration_plan

MANAGE = Action.MIGRATION_MANAGE
_INSTANCE = system_principal("migration")
# Before these, a move may still be undone; from them on, the customer is the target's.
ROLLBACK_FROM = frozenset(
    {State.PLANNED, State.FROZEN, State.COPYING, State.VERIFYING, State.READY, State.FAILED}
)


def _audit_customer(actor: Principal, action: str, customer: Customer, **change: object) -> None:
    audit.record(
        actor=actor,
        action=action,
        target_type="Customer",
        target_id=customer.id,
        partner_id=customer.partner_id,
        tenant_id=customer.tenant_id,
        **change,  # type: ignore[arg-type]
    )


def event(migration: CustomerMigration, state: str, **detail: object) -> None:
    MigrationEvent.objects.create(migration=migration, at=clock.now(), state=state, detail=detail)


def enqueue(migration: CustomerMigration, *, delay: float = 0.0) -> None:
    """Queue the job that moves this customer on; in the caller's transaction."""
    from hanse.migration.tasks import advance_migration

    task = (
        advance_migration.using(run_after=clock.now() + timedelta(seconds=delay))
        if delay
        else advance_migration
    )
    result = task.enqueue(str(migration.id))
    scoped(CustomerMigration.objects.all(), _INSTANCE, MANAGE).filter(id=migration.id).update(
        job_id=str(result.id)
    )


# --- consent -------------------------------------------------------------------------------------


def _give(actor: Principal, customer: Customer, kind: str, reference: str) -> Consent:
    consent = (
        scoped(Consent.objects.select_for_update(), system_principal("consent"), MANAGE)
        .filter(customer=customer)
        .first()
    )
    now = clock.now()
    if consent is None:
        consent = Consent(customer=customer, given_at=now)
    consent.kind, consent.reference, consent.given_at, consent.withdrawn_at = kind, reference, now, None
    consent.given_by_id, consent.given_by_upn = actor.user_id, actor.upn
    consent.save()
    _audit_customer(
        actor,
        "migration.consent",
        customer,
        after={"kind": kind, "reference": reference, "givenBy": actor.upn},
    )
    return consent


@transaction.atomic
def consent_give(*, actor: Principal) -> Consent:
    """The customer's Global admin consents, for its own tenant, to leave the data boundary."""
    require(actor, Action.OWN_TENANT_ADMIN)
    customer = relock(
        customer_get(principal=actor, customer_id=actor.tenant_id, action=Action.OWN_TENANT_ADMIN)
    )
    return _give(actor, customer, Consent.Kind.CUSTOMER, "")


@transaction.atomic
def consent_attest(*, actor: Principal, customer_id: uuid.UUID, reference: str) -> Consent:
    """The partner records the customer's written consent, where the instance allows it."""
    require(actor, MANAGE)
    if instance().migration.consent != "partner-attested":
        raise NotPermitted(errors.CONSENT_NOT_ALLOWED)
    reference = (reference or "").strip()
    if not 1 <= len(reference) <= 200:
        raise InvalidInput(errors.CONSENT_REFERENCE_REQUIRED)
    customer = relock(customer_get(principal=actor, customer_id=customer_id, action=MANAGE))
    return _give(actor, customer, Consent.Kind.PARTNER_ATTESTED, reference)


@transaction.atomic
def consent_withdraw(*, actor: Principal, customer_id: uuid.UUID | None = None) -> Consent:
    """The customer's Global admin (or the partner, for a consent it attested) withdraws it.
    Before cutover, a move under way is rolled back; after it, the customer has moved."""
    if actor.is_customer_admin:
        customer = customer_get(principal=actor, customer_id=actor.tenant_id, action=Action.OWN_TENANT_ADMIN)
    else:
        require(actor, MANAGE)
        customer = customer_get(principal=actor, customer_id=customer_id, action=MANAGE)  # type: ignore[arg-type]
    customer = relock(customer)
    instance_reader = system_principal("consent")
    consent = (
        scoped(Consent.objects.select_for_update(), instance_reader, MANAGE).filter(customer=customer).first()
    )
    if consent is None or not consent.is_given:
        raise Conflict(errors.NO_CONSENT, customer=customer.company_name)
    if not actor.is_customer_admin and consent.kind != Consent.Kind.PARTNER_ATTESTED:
        raise NotPermitted(errors.CONSENT_NOT_ALLOWED)
    move = (
        scoped(CustomerMigration.objects.select_for_update(), instance_reader, MANAGE)
        .filter(customer=customer)
        .first()
    )
    if move is not None and move.state in (State.CUTTING_OVER, State.CUT_OVER):
        raise Conflict(errors.CONSENT_LOCKED, customer=customer.company_name)
    consent.withdrawn_at = clock.now()
    consent.save(update_fields=["withdrawn_at"])
    _audit_customer(actor, "migration.consent_withdraw", customer, before={"kind": consent.kind})
    if move is not None and move.state in ROLLBACK_FROM:
        _roll_back(actor, move, reason="consent withdrawn")
    return consent


# --- running -------------------------------------------------------------------------------------


def migration_run(
    *, actor: Principal, partner_id: uuid.UUID | None = None, customer_ids: list[uuid.UUID] | None = None
) -> list[CustomerMigration]:
    """Start moving every movable customer of the partner (or those named): each gets its
    migration, planned, and the job that moves it. A customer with a blocker stays, and so does
    one the target says it cannot take (asked first, over HTTP, outside the transaction; a target
    that does not answer then leaves its checks to the move itself)."""
    require(actor, MANAGE)
    checked = migration_plan(principal=actor, partner_id=partner_id, check_target=True)
    refused = {cp.customer.id for cp in checked.customers if not cp.movable}
    return _start(actor, partner_id, refused, customer_ids)


@transaction.atomic
def _start(
    actor: Principal,
    partner_id: uuid.UUID | None,
    refused: set[uuid.UUID],
    customer_ids: list[uuid.UUID] | None,
) -> list[CustomerMigration]:
    plan = migration_plan(principal=actor, partner_id=partner_id)  # again, under the transaction
    wanted = set(customer_ids) if customer_ids is not None else None
    chosen = [
        cp
        for cp in plan.movable
        if (wanted is None or cp.customer.id in wanted) and cp.customer.id not in refused
    ]
    if not chosen:
        raise Conflict(errors.NOTHING_TO_MOVE)
    peer_url = next((p.url for p in instance().peers if p.id == plan.link.peer), "")
    now = clock.now()
    started = []
    for cp in chosen:
        move = cp.migration
        if move is None:
            move = CustomerMigration(customer=cp.customer, attempt=1)
        else:  # rolled back before: a fresh attempt, which the target imports anew
            move = relock(move)
            if move.state != State.ROLLED_BACK:
                continue  # started meanwhile by another request
            move.attempt += 1
        move.partner_id = plan.link.partner_id
        move.peer, move.target_url = plan.link.peer, peer_url
        move.state, move.started_by, move.started_at, move.updated_at = State.PLANNED, actor.upn, now, now
        move.batches_total = move.batches_done = move.transient_errors = 0
        move.counts, move.target_counts, move.mismatches, move.error_params = {}, {}, [], {}
        move.checksum = move.target_checksum = ""
        move.error_code = move.frozen_at = move.cutover_at = move.purge_after = None
        move.save()
        event(move, State.PLANNED, attempt=move.attempt, by=actor.upn)
        _audit_customer(
            actor,
            "migration.start",
            cp.customer,
            after={"peer": move.peer, "target": plan.link.target_domain, "attempt": move.attempt},
        )
        enqueue(move)
        started.append(move)
        crash_point("source.run.started_one")  # one customer planned, the run not committed
    return started


@transaction.atomic
def migration_retry(*, actor: Principal, customer_id: uuid.UUID) -> CustomerMigration:
    """A failed move starts again as a new attempt: the target drops the old one's rows when the
    new one's first batch arrives, and the customer stays frozen meanwhile."""
    require(actor, MANAGE)
    move = relock(migration_for(actor, customer_id), "customer")
    if move.state != State.FAILED:
        raise Conflict(
            errors.NOT_RETRYABLE, customer=move.customer.company_name, state=move.get_state_display()
        )
    move.attempt += 1
    move.state = State.FROZEN if move.frozen_at is not None else State.PLANNED
    move.batches_total = move.batches_done = move.transient_errors = 0
    move.error_code, move.error_params, move.mismatches = None, {}, []
    move.updated_at = clock.now()
    move.save()
    event(move, move.state, attempt=move.attempt, retry=True, by=actor.upn)
    _audit_customer(actor, "migration.retry", move.customer, after={"attempt": move.attempt})
    enqueue(move)
    return move


@transaction.atomic
def migration_rollback(*, actor: Principal, customer_id: uuid.UUID) -> CustomerMigration:
    require(actor, MANAGE)
    move = relock(migration_for(actor, customer_id), "customer")
    if move.state not in ROLLBACK_FROM:
        raise Conflict(
            errors.NOT_ROLLBACKABLE, customer=move.customer.company_name, state=move.get_state_display()
        )
    _roll_back(actor, move, reason="asked")
    return move


def _roll_back(actor: Principal, move: CustomerMigration, *, reason: str) -> None:
    """The job removes what the target imported, then unfreezes the customer."""
    before = move.state
    move.state, move.updated_at = State.ROLLING_BACK, clock.now()
    move.save(update_fields=["state", "updated_at"])
    event(move, State.ROLLING_BACK, reason=reason, by=actor.upn, was=before)
    _audit_customer(
        actor, "migration.rollback", move.customer, before={"state": before}, after={"reason": reason}
    )
    enqueue(move)


# --- retention -----------------------------------------------------------------------------------


def migration_purge_due() -> int:
    """Delete at the source what moved, once ``[migration] retention_days`` have passed since a
    verified cutover (the worker's job). The customer's row stays, read-only and pointing to the
    target, with the audit log that records what went; each customer commits on its own."""
    worker = system_principal("migration-purge")
    due = (
        scoped(CustomerMigration.objects.select_related("customer"), worker, MANAGE)
        .filter(state=State.CUT_OVER, purged_at__isnull=True, purge_after__lte=clock.now())
        .values_list("id", flat=True)
    )
    purged = 0
    for move_id in list(due):
        with transaction.atomic(durable=True):
            move = (
                scoped(CustomerMigration.objects.select_for_update(), worker, MANAGE)
                .select_related("customer")
                .get(id=move_id)
            )
            if move.purged_at is not None:
                continue
            customer = move.customer
            users = scoped(User.objects.all(), worker, MANAGE).filter(tenant_id=customer.tenant_id)
            gone = {
                "licences": scoped(LicenceAssignment.objects.all(), worker, MANAGE)
                .filter(customer=customer)
                .delete()[0],
                "subscriptions": 0,
                "orders": 0,
                "users": 0,
            }
            lines = scoped(OrderLineItem.objects.all(), worker, MANAGE).filter(order__customer=customer)
            lines.delete()
            # Their seat changes go with them (the invoices issued keep what they billed).
            _, deleted = scoped(Subscription.objects.all(), worker, MANAGE).filter(customer=customer).delete()
            gone["subscriptions"] = deleted.get("commerce.Subscription", 0)
            gone["orders"] = scoped(Order.objects.all(), worker, MANAGE).filter(customer=customer).delete()[0]
            ApiToken.objects.filter(user__in=users).delete()
            gone["users"] = users.count()
            users.delete()
            move.purged_at = clock.now()
            move.save(update_fields=["purged_at"])
            event(move, State.CUT_OVER, purged=gone)
            _audit_customer(worker, "migration.purge", customer, before=gone)
            purged += 1
    return purged
