"""Reads of customers, always through the scope helper."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import Q

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
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


def customer_page(
    *,
    principal: Principal,
    size: int,
    token: str | None,
    prefix: str | None = None,
    field: str = "companyName",
    action: Action = Action.CUSTOMER_VIEW,
) -> Page[Customer]:
    qs = scoped(Customer.objects.select_related("tenant"), principal, action)
    if prefix:
        if field == "domain":
            qs = qs.filter(tenant__domain__istartswith=prefix)
        elif field == "companyName":
            qs = qs.filter(company_name__istartswith=prefix)
        else:  # both, for the UI's one search box
            qs = qs.filter(Q(company_name__istartswith=prefix) | Q(tenant__domain__istartswith=prefix))
    return page(
        qs, keys=("created_at", "id"), size=size, token=token, coerce=(datetime.fromisoformat, uuid.UUID)
    )
