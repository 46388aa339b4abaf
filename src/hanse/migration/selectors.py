"""Reads of the migration: the plan (a dry run), each customer's migration and timeline, the
dashboard's figures, and a migrated customer's whereabouts. Every read passes ``scoped``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet

from hanse import clock
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.audit import notes
from hanse.audit.export import Export, assemble
from hanse.audit.offline import VerifyError, check_history
from hanse.commerce.models import Subscription
from hanse.customers.models import Customer
from hanse.directory.models import User
from hanse.errors import REGISTRY, DomainError, ErrorSpec, NotFound
from hanse.instance.current import instance
from hanse.licensing.models import LicenceAssignment
from hanse.links.models import TenantLink
from hanse.links.selectors import tenant_link_get
from hanse.migration import errors, peer_api
from hanse.migration.mapping import target_offer
from hanse.migration.models import (
    ACTIVE_STATES,
    Consent,
    CustomerMigration,
    Import,
    ImportedAuditRecord,
    MigrationEvent,
    State,
)
from hanse.trustee.models import AccessRequest
from hanse.trustee.models import State as GrantState

MANAGE = Action.MIGRATION_MANAGE
CHECK_CHUNK = 200  # customers per check request at the target


@dataclass(frozen=True)
class Blocker:
    spec: ErrorSpec
    params: dict[str, Any]

    @property
    def code(self) -> int:
        return self.spec.code

    @property
    def description(self) -> str:
        return DomainError(self.spec, **self.params).description


@dataclass
class CustomerPlan:
    customer: Customer
    migration: CustomerMigration | None
    consent: Consent | None
    counts: dict[str, int]
    offers: dict[str, str | None]
    upns: list[str]
    blockers: list[Blocker] = field(default_factory=list)

    @property
    def movable(self) -> bool:
        return not self.blockers


@dataclass
class Plan:
    link: TenantLink
    customers: list[CustomerPlan]
    mapping: dict[str, str | None]
    target_checked: bool = False
    target_error: str = ""

    @property
    def movable(self) -> list[CustomerPlan]:
        return [c for c in self.customers if c.movable]


def migration_for(principal: Principal, customer_id: uuid.UUID) -> CustomerMigration:
    found = (
        scoped(CustomerMigration.objects.select_related("customer__tenant"), principal, MANAGE)
        .filter(customer_id=customer_id)
        .first()
    )
    if found is None:
        raise NotFound(errors.NOT_MIGRATING, customer=str(customer_id))
    return found


def error_description(m: CustomerMigration) -> str | None:
    """Why a move failed, in the reader's language."""
    spec = REGISTRY.get(m.error_code or 0)
    if spec is None:
        return None
    try:
        return DomainError(spec, **(m.error_params or {})).description
    except (KeyError, ValueError, TypeError):  # parameters of an older message
        return str(spec.message)


def migrations(principal: Principal, partner_id: uuid.UUID | None = None) -> QuerySet[CustomerMigration]:
    qs = scoped(CustomerMigration.objects.select_related("customer__tenant"), principal, MANAGE)
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    return qs.order_by("customer__company_name", "id")


def timeline(principal: Principal, migration: CustomerMigration) -> list[MigrationEvent]:
    return list(
        scoped(MigrationEvent.objects.all(), principal, MANAGE)
        .filter(migration=migration)
        .order_by("at", "id")
    )


def local_blockers(
    cp: CustomerPlan, *, consent_kind: str, subs: list[Subscription], grant_until: datetime | None, peer: str
) -> list[Blocker]:
    """What stops one customer from moving, known here: consent, its migration's state, its
    subscriptions and their offers, an operator's grant."""
    name = cp.customer.company_name
    found: list[Blocker] = []
    m = cp.migration
    if m is not None and m.state == State.CUT_OVER:
        found.append(Blocker(errors.ALREADY_MIGRATED, {"customer": name, "peer": m.peer}))
    elif m is not None and m.state != State.ROLLED_BACK:
        found.append(Blocker(errors.ALREADY_MIGRATING, {"customer": name, "state": m.get_state_display()}))
    if cp.consent is None or not cp.consent.is_given:
        spec = errors.NO_CONSENT_ATTESTED if consent_kind == "partner-attested" else errors.NO_CONSENT
        found.append(Blocker(spec, {"customer": name}))
    for s in subs:
        if s.status == Subscription.Status.DELETED:
            continue
        if s.is_trial:
            found.append(Blocker(errors.TRIAL_SUBSCRIPTION, {"subscription": s.friendly_name}))
        elif s.status == Subscription.Status.SUSPENDED:
            found.append(Blocker(errors.SUSPENDED_SUBSCRIPTION, {"subscription": s.friendly_name}))
    for offer, target in cp.offers.items():
        if target is None:
            found.append(Blocker(errors.UNMAPPED_OFFER, {"offer": offer, "peer": peer}))
    if grant_until is not None:
        found.append(
            Blocker(
                errors.OPERATOR_GRANT, {"customer": name, "until": grant_until.isoformat(timespec="minutes")}
            )
        )
    return found


def migration_plan(
    *,
    principal: Principal,
    partner_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    check_target: bool = False,
) -> Plan:
    """The dry run: per customer, what moves and what blocks it. ``check_target`` also asks the
    target, over HTTP, whether it sells every mapped offer and whether a user name or the domain
    is taken there."""
    link = tenant_link_get(principal, partner_id)
    customers = scoped(Customer.objects.select_related("tenant"), principal, MANAGE).filter(
        partner_id=link.partner_id
    )
    if customer_id is not None:
        customers = customers.filter(id=customer_id)
        if not customers.exists():
            raise NotFound(errors.NOT_MIGRATING, customer=str(customer_id))
    customers = list(customers.order_by("company_name", "id"))
    ids = [c.id for c in customers]
    tenants = [c.tenant_id for c in customers]
    by_customer: dict[uuid.UUID, list[Subscription]] = {}
    for s in (
        scoped(Subscription.objects.all(), principal, MANAGE)
        .filter(customer_id__in=ids)
        .order_by("created_at")
    ):
        by_customer.setdefault(s.customer_id, []).append(s)
    upns: dict[uuid.UUID, list[str]] = {}
    for tenant_id, upn in (
        scoped(User.objects.all(), principal, MANAGE)
        .filter(tenant_id__in=tenants)
        .values_list("tenant_id", "upn")
    ):
        upns.setdefault(tenant_id, []).append(upn)
    licences = dict(
        scoped(LicenceAssignment.objects.all(), principal, MANAGE)
        .filter(customer_id__in=ids)
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    consents = {
        c.customer_id: c for c in scoped(Consent.objects.all(), principal, MANAGE).filter(customer_id__in=ids)
    }
    moves = {
        m.customer_id: m
        for m in scoped(CustomerMigration.objects.all(), principal, MANAGE).filter(customer_id__in=ids)
    }
    now = clock.now()
    grants: dict[uuid.UUID, datetime] = {}
    for cid, until in (
        scoped(AccessRequest.objects.all(), principal, MANAGE)
        .filter(customer_id__in=ids, state=GrantState.APPROVED, approved_at__lte=now, expires_at__gt=now)
        .values_list("customer_id", "expires_at")
    ):
        grants[cid] = max(until, grants.get(cid, until))
    consent_kind = instance().migration.consent
    plans: list[CustomerPlan] = []
    mapping: dict[str, str | None] = {}
    for c in customers:
        subs = by_customer.get(c.id, [])
        offers = {s.offer_id: target_offer(s.offer_id) for s in subs}
        mapping.update(offers)
        cp = CustomerPlan(
            customer=c,
            migration=moves.get(c.id),
            consent=consents.get(c.id),
            counts={
                "users": len(upns.get(c.tenant_id, [])),
                "subscriptions": len(subs),
                "licences": licences.get(c.id, 0),
            },
            offers=offers,
            upns=sorted(upns.get(c.tenant_id, [])),
        )
        cp.blockers = local_blockers(
            cp, consent_kind=consent_kind, subs=subs, grant_until=grants.get(c.id), peer=link.peer
        )
        plans.append(cp)
    plan = Plan(link=link, customers=plans, mapping=dict(sorted(mapping.items())))
    if check_target:
        _check_at_target(principal, plan)
    return plan


def _check_at_target(principal: Principal, plan: Plan) -> None:
    offers = sorted({t for t in plan.mapping.values() if t})
    peer = plan.link.peer
    try:
        for start in range(0, max(len(plan.customers), 1), CHECK_CHUNK):
            chunk = plan.customers[start : start + CHECK_CHUNK]
            answer = peer_api.check(
                principal,
                plan.link,
                {
                    "offers": offers,
                    "customers": [
                        {"id": str(cp.customer.id), "domain": cp.customer.tenant.domain, "users": cp.upns}
                        for cp in chunk
                    ],
                },
            )
            unknown = set(answer.get("unknownOffers") or [])
            taken = answer.get("customers") or {}
            for cp in chunk:
                for offer, target in cp.offers.items():
                    if target in unknown:
                        cp.blockers.append(
                            Blocker(
                                errors.MAPPING_TARGET_MISSING,
                                {"offer": offer, "target": target, "peer": peer},
                            )
                        )
                found = taken.get(str(cp.customer.id)) or {}
                if found.get("domainTaken"):
                    cp.blockers.append(
                        Blocker(errors.DOMAIN_TAKEN, {"domain": cp.customer.tenant.domain, "peer": peer})
                    )
                for upn in found.get("takenUsers") or []:
                    cp.blockers.append(Blocker(errors.UPN_TAKEN, {"upn": str(upn)[:254], "peer": peer}))
        plan.target_checked = True
    except peer_api.PeerUnavailable:
        plan.target_error = str(DomainError(errors.PEER_UNAVAILABLE, peer=peer, times=1).description)
    except DomainError as e:
        plan.target_error = e.description


@dataclass(frozen=True)
class Progress:
    """The dashboard's figures for one partner's migration."""

    by_state: dict[str, int]
    total: int
    done: int
    failed: int
    objects_moved: int
    objects_verified: int
    per_minute: float  # customers cut over per minute, over the last ten minutes
    eta: timedelta | None
    series: list[tuple[datetime, int]]  # (time, customers cut over by then)


def progress(principal: Principal, partner_id: uuid.UUID) -> Progress:
    qs = migrations(principal, partner_id).order_by()  # no ordering: it would split the groups
    by_state = dict(qs.values("state").annotate(n=Count("id")).values_list("state", "n"))
    total = sum(by_state.values())
    done = by_state.get(State.CUT_OVER, 0)
    moved = verified = 0
    for counts, target, state in qs.values_list("counts", "target_counts", "state"):
        moved += (
            sum((counts or {}).values())
            if state in (State.VERIFYING, State.READY, State.CUTTING_OVER, State.CUT_OVER)
            else 0
        )
        verified += (
            sum((target or {}).values()) if state in (State.READY, State.CUTTING_OVER, State.CUT_OVER) else 0
        )
    cut = list(
        scoped(MigrationEvent.objects.all(), principal, MANAGE)
        .filter(migration__partner_id=partner_id, state=State.CUT_OVER)
        .order_by("at")
        .values_list("at", flat=True)
    )
    series = [(at, i + 1) for i, at in enumerate(cut)]
    now = clock.now()
    recent = [at for at in cut if at > now - timedelta(minutes=10)]
    per_minute = 0.0
    if len(recent) >= 2:
        span = max((recent[-1] - recent[0]).total_seconds(), 1.0)
        per_minute = (len(recent) - 1) * 60 / span
    remaining = sum(by_state.get(s, 0) for s in ACTIVE_STATES)
    eta = timedelta(minutes=remaining / per_minute) if per_minute and remaining else None
    return Progress(
        by_state=by_state,
        total=total,
        done=done,
        failed=by_state.get(State.FAILED, 0),
        objects_moved=moved,
        objects_verified=verified,
        per_minute=per_minute,
        eta=eta,
        series=series,
    )


@dataclass(frozen=True)
class ConsentState:
    consent: Consent | None
    migration: CustomerMigration | None

    @property
    def given(self) -> bool:
        return self.consent is not None and self.consent.is_given

    @property
    def locked(self) -> bool:
        return self.migration is not None and self.migration.state in (State.CUTTING_OVER, State.CUT_OVER)


def consent_state(principal: Principal, customer: Customer) -> ConsentState:
    """The customer's own view of its consent and of its move, if one began."""
    action = Action.OWN_TENANT_ADMIN if principal.is_customer_admin else MANAGE
    consent = scoped(Consent.objects.all(), principal, action).filter(customer=customer).first()
    move = scoped(CustomerMigration.objects.all(), principal, action).filter(customer=customer).first()
    return ConsentState(consent, move)


def imported_history(principal: Principal, limit: int = 1000) -> list[ImportedAuditRecord]:
    """At the target: the own tenant's history from its source instance, newest first."""
    return list(
        scoped(
            ImportedAuditRecord.objects.select_related("imported"), principal, Action.OWN_TENANT_ADMIN
        ).order_by("-seq")[:limit]
    )


def has_imported_history(principal: Principal) -> bool:
    if not principal.can(Action.OWN_TENANT_ADMIN):
        return False
    return scoped(ImportedAuditRecord.objects.all(), principal, Action.OWN_TENANT_ADMIN).exists()


def migrated_tenant_for_upn(upn: str) -> CustomerMigration | None:
    """Where a migrated customer's tenant now lives, by a user name of it (the sign-in page's
    pointer, before anyone is signed in): the domain after the @ names the tenant."""
    from hanse.access.principal import system_principal

    domain = upn.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    return (
        scoped(CustomerMigration.objects.select_related("customer"), system_principal("sign-in"), MANAGE)
        .filter(Q(customer__tenant__domain__ieq=domain), state=State.CUT_OVER)
        .first()
    )


@dataclass(frozen=True)
class BroughtHistory:
    """A moved customer's history as evidence: the source's checkpoint and whether it all holds."""

    origin: str
    size: int
    verified: bool
    problem: str
    export: Export


def brought_history(principal: Principal) -> BroughtHistory | None:
    """At the target: the own tenant's history with the source's checkpoint and proofs, checked
    again now, and as an export in the layout of docs/audit.md §6."""
    if not principal.can(Action.OWN_TENANT_ADMIN):
        return None
    imp = (
        scoped(Import.objects.all(), principal, Action.OWN_TENANT_ADMIN)
        .filter(customer__tenant_id=principal.tenant_id)
        .exclude(source_checkpoint="")
        .first()
    )
    if imp is None:
        return None
    rows = scoped(ImportedAuditRecord.objects.all(), principal, Action.OWN_TENANT_ADMIN).filter(imported=imp)
    lines = [r.as_line() for r in rows.order_by("seq")]
    checkpoint = notes.parse_checkpoint(notes.split(imp.source_checkpoint)[0])
    try:
        check_history(imp.source_checkpoint, imp.source_log_keys, lines)
        verified, problem = True, ""
    except VerifyError as e:
        verified, problem = False, str(e)
    export = assemble(
        origin=checkpoint.origin,
        scope="tenant",
        tenant=str(principal.tenant_id),
        log_keys=imp.source_log_keys,
        witness_keys=[],
        records=[{k: v for k, v in line.items() if k != "path"} for line in lines],
        checkpoints={checkpoint.size: imp.source_checkpoint},
        inclusion=[
            {"seq": x["seq"], "leaf_index": x["seq"] - 1, "tree_size": checkpoint.size, "path": x["path"]}
            for x in lines
        ],
    )
    return BroughtHistory(checkpoint.origin, checkpoint.size, verified, problem, export)
