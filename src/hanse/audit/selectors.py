"""Reads of the audit log, through the scope helper."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.api import errors as api_errors
from hanse.api.filters import Match
from hanse.api.paging import Page, page
from hanse.audit.models import AuditRecord
from hanse.audit.partner_center import RESOURCE_TYPES, resource_condition
from hanse.customers.models import Customer
from hanse.errors import InvalidInput


def with_customer(qs: QuerySet[AuditRecord], principal: Principal) -> QuerySet[AuditRecord]:
    """Each record with the customer whose tenant it is about (``customer_ref``, ``customer_name``:
    null for none), as Partner Center's records carry ``customerId`` and ``customerName``."""
    customers = scoped(Customer.objects.all(), principal, Action.AUDIT_VIEW)
    of_tenant = customers.filter(tenant_id=OuterRef("tenant_id"))
    return qs.annotate(
        customer_ref=Subquery(of_tenant.values("id")[:1]),
        customer_name=Subquery(of_tenant.values("company_name")[:1]),
    )


def _bad_filter(message: str) -> InvalidInput:
    return InvalidInput(api_errors.INVALID_REQUEST, data=[{"field": "query.filter", "message": message}])


def audit_page(
    *,
    principal: Principal,
    size: int,
    token: str | None,
    start: datetime | None = None,
    end: datetime | None = None,
    action_prefix: str | None = None,
    match: Match | None = None,
) -> Page[AuditRecord]:
    """``match``: Partner Center's filter on ``customerId`` (equals), ``customerName`` (contains)
    or ``resourceType`` (equals)."""
    qs = with_customer(scoped(AuditRecord.objects.all(), principal, Action.AUDIT_VIEW), principal)
    if start:
        qs = qs.filter(at__gte=start)
    if end:
        qs = qs.filter(at__lt=end)
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    if match is not None and match.field == "customerId":
        try:
            qs = qs.filter(customer_ref=uuid.UUID(match.value))
        except ValueError:
            raise _bad_filter(_("CustomerId must be a customer id (a GUID)")) from None
    elif match is not None and match.field == "customerName":
        qs = qs.filter(customer_name__icontains=match.value)
    elif match is not None and match.field == "resourceType":
        condition = resource_condition(match.value, customer_field="customer_ref")
        if condition is None:
            types = ", ".join(RESOURCE_TYPES)
            raise _bad_filter(_("ResourceType must be one of %(types)s") % {"types": types})
        qs = qs.filter(condition)
    return page(qs, keys=("seq",), size=size, token=token, coerce=(int,))
