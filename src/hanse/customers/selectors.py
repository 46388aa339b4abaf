"""Reads of customers, always through the scope helper."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.api.filters import Match
from hanse.api.paging import Page, page
from hanse.customers import counts, errors
from hanse.customers.models import Customer
from hanse.errors import NotFound


def customer_get(
    *, principal: Principal, customer_id: uuid.UUID, action: Action = Action.CUSTOMER_VIEW
) -> Customer:
    customer = (
        scoped(Customer.objects.select_related("tenant"), principal, action).filter(id=customer_id).first()
    )
    if customer is None:
        raise NotFound(errors.CUSTOMER_NOT_FOUND)
    return customer


# Match fields (Partner Center's, "both" for the UI's one search box) to model fields.
CUSTOMER_MATCH_FIELDS = {
    "companyName": ("company_name",),
    "domain": ("tenant__domain",),
    "both": ("company_name", "tenant__domain"),
}


def customer_page(
    *,
    principal: Principal,
    size: int,
    token: str | None,
    match: Match | None = None,
    action: Action = Action.CUSTOMER_VIEW,
) -> Page[Customer]:
    return page(
        _customers(principal, match, action).select_related("tenant"),
        keys=("created_at", "id"),
        size=size,
        token=token,
        coerce=(datetime.fromisoformat, uuid.UUID),
        count=_count(principal, match),
    )


# A customer as the API sends it: these fields, by these names (customer_values).
CUSTOMER_VALUES = (
    *("id", "tenant_id", "tenant__domain", "company_name", "relationship", "created_at", "version"),
    *("first_name", "last_name", "email", "culture", "language", "billing_company_name", "country"),
    *("address_region", "city", "address_state", "address_line1", "address_line2", "address_line3"),
    *("postal_code", "phone_number"),
)


def customer_values_page(
    *, principal: Principal, size: int, token: str | None, match: Match | None = None
) -> Page[dict[str, Any]]:
    """``customer_page`` for the API: each customer as its ``CUSTOMER_VALUES``."""
    return page(
        _customers(principal, match, Action.CUSTOMER_VIEW),
        keys=("created_at", "id"),
        size=size,
        token=token,
        coerce=(datetime.fromisoformat, uuid.UUID),
        values=CUSTOMER_VALUES,
        count=_count(principal, match),
    )


def customer_values(c: Customer) -> dict[str, Any]:
    return {f: c.tenant.domain if f == "tenant__domain" else getattr(c, f) for f in CUSTOMER_VALUES}


def _count(principal: Principal, match: Match | None) -> Callable[[], int] | None:
    # A partner's whole list is its customers (scoped: partner_id), which CustomerCount counts;
    # a search, or anyone else's view, is counted.
    partner_id = principal.partner_id
    if match is None and principal.is_partner and partner_id is not None:
        return lambda: counts.of(principal, partner_id)
    return None


def _customers(principal: Principal, match: Match | None, action: Action) -> QuerySet[Customer]:
    qs = scoped(Customer.objects.all(), principal, action)
    return qs.filter(match.q(CUSTOMER_MATCH_FIELDS)) if match is not None else qs
