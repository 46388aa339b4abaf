"""Reads of access requests and grants, each scoped to its caller (docs/trustee.md)."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from hanse import clock
from hanse.access.principal import DataKind, GrantView, Principal, system_principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.audit.models import AuditRecord
from hanse.errors import NotFound
from hanse.trustee import errors
from hanse.trustee.models import AccessRequest, State

# The gate reads grants to build an operator's principal, before that principal exists.
GATE = system_principal("trustee-gate")


def active_grants(user_id: uuid.UUID) -> tuple[GrantView, ...]:
    """The grants an operator holds at this instant: approved, and not yet at their end."""
    now = clock.now()
    rows = (
        scoped(AccessRequest.objects.all(), GATE, Action.OPERATOR_ACCESS_REQUEST)
        .filter(requester_id=user_id, state=State.APPROVED, approved_at__lte=now, expires_at__gt=now)
        .select_related("customer")
        .order_by("approved_at", "id")
    )
    return tuple(
        GrantView(
            id=r.id,
            customer_id=r.customer_id,
            tenant_id=r.customer.tenant_id,
            kinds=frozenset(DataKind(k) for k in r.kinds),
            write=r.write,
            expires_at=r.expires_at,
        )
        for r in rows
    )


def _action(principal: Principal) -> Action:
    return Action.OPERATOR_ACCESS_REQUEST if principal.is_operator else Action.OPERATOR_ACCESS_DECIDE


def access_requests(principal: Principal) -> QuerySet[AccessRequest]:
    """An operator's own requests, and the break-glass requests waiting for a second operator;
    everything for the trustee; the requests about its own data for a customer's admin."""
    qs = scoped(AccessRequest.objects.all(), principal, _action(principal)).select_related(
        "customer", "requester", "customer__tenant"
    )
    if principal.is_operator:
        qs = qs.filter(Q(requester_id=principal.user_id) | Q(break_glass=True, state=State.PENDING))
    return qs.prefetch_related("decisions__approver")


# What a migration records of customer data leaving the boundary (docs/migration.md).
BOUNDARY_ACTIONS = (
    "migration.consent",
    "migration.consent_withdraw",
    "migration.export",
    "migration.cutover",
    "migration.rollback",
    "migration.purge",
)


def boundary_records(principal: Principal, limit: int = 200) -> list[AuditRecord]:
    """Consents, withdrawals and every export of customer data to another instance, newest first:
    the trustee watches them; a customer's admin sees its own."""
    return list(
        scoped(
            AuditRecord.objects.all(),
            principal,
            Action.AUDIT_VIEW if principal.is_trustee else Action.OWN_TENANT_ADMIN,
        )
        .filter(action__in=BOUNDARY_ACTIONS)
        .order_by("-seq")[:limit]
    )


def access_request_get(principal: Principal, request_id: uuid.UUID) -> AccessRequest:
    req = access_requests(principal).filter(id=request_id).first()
    if req is None:
        raise NotFound(errors.REQUEST_NOT_FOUND)
    return req


def grant_accesses(principal: Principal, request_id: uuid.UUID) -> QuerySet[AuditRecord]:
    """What the operator read and changed under one grant, as the audit log holds it."""
    req = access_request_get(principal, request_id)
    action = Action.AUDIT_VIEW if principal.is_trustee else _action(principal)
    return scoped(AuditRecord.objects.all(), principal, action).filter(grant_id=req.id).order_by("seq")
