"""Reads of customers, always through the scope helper."""

from __future__ import annotations

import uuid
from datetime import datetime

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.api.filters import Match
from hanse.api.paging import Page, page
from hanse.customers import errors
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
    qs = scoped(Customer.objects.select_related("tenant"), principal, action)
    if match is not None:
        qs = qs.filter(match.q(CUSTOMER_MATCH_FIELDS))
    return page(
        qs, keys=("created_at", "id"), size=size, token=token, coerce=(datetime.fromisoformat, uuid.UUID)
    )
