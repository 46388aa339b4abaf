"""Reads of orders and subscriptions, through the scope helper."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.db.models import QuerySet, Sum

from hanse.access.principal import Kind, Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped, scoped_values
from hanse.commerce import errors
from hanse.commerce.models import Order, Subscription
from hanse.customers import errors as customer_errors
from hanse.customers.models import Customer
from hanse.customers.selectors import customer_get
from hanse.errors import NotFound


def subscriptions_for_customer(*, principal: Principal, customer_id: uuid.UUID) -> list[Subscription]:
    customer = customer_get(principal=principal, customer_id=customer_id)
    return list(
        scoped(Subscription.objects.select_related("offer"), principal, Action.CUSTOMER_VIEW)
        .filter(customer=customer)
        .order_by("created_at", "id")
    )


# A subscription as the API sends it: these fields (subscription_values), offer__name its offer's.
SUBSCRIPTION_VALUES = (
    *("id", "offer_id", "offer__name", "friendly_name", "quantity", "status", "auto_renew", "is_trial"),
    *("billing_cycle", "term", "unit_price", "currency", "created_at", "order_id", "version"),
)


def subscription_values(s: Subscription) -> dict[str, Any]:
    return {f: s.offer.name if f == "offer__name" else getattr(s, f) for f in SUBSCRIPTION_VALUES}


def _customer_subscriptions(qs: QuerySet[Subscription], customer_id: uuid.UUID) -> QuerySet[Subscription]:
    return qs.filter(customer_id=customer_id).order_by("created_at", "id").values(*SUBSCRIPTION_VALUES)  # type: ignore[return-value]


def subscription_values_for_customer(*, principal: Principal, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """``subscriptions_for_customer`` for the API: each as its ``SUBSCRIPTION_VALUES``. The customer
    is looked up by its id alone (the 404), not read whole: two model objects and a join per
    request were most of a list's time. A partner's subscription is of its own customer (both
    carry the partner, and neither changes it), so for a partner's staff subscriptions found are
    that check passed: only an empty list asks whether the customer is theirs. Any other reader
    (an operator under grants of one kind of data, a customer's admin) is checked every time."""
    rows = scoped_values(Subscription, principal, Action.CUSTOMER_VIEW, _customer_subscriptions, customer_id)
    if rows and principal.kind == Kind.USER and principal.is_partner:
        return rows
    found = scoped(Customer.objects.all(), principal, Action.CUSTOMER_VIEW).filter(id=customer_id)
    if not found.values_list("id", flat=True):
        raise NotFound(customer_errors.CUSTOMER_NOT_FOUND)
    return rows


def subscription_get(
    *, principal: Principal, customer_id: uuid.UUID, subscription_id: uuid.UUID
) -> Subscription:
    sub = (
        scoped(Subscription.objects.select_related("offer", "customer"), principal, Action.CUSTOMER_VIEW)
        .filter(id=subscription_id, customer_id=customer_id)
        .first()
    )
    if sub is None:
        raise NotFound(errors.SUBSCRIPTION_NOT_FOUND)
    return sub


def orders_for_customer(*, principal: Principal, customer_id: uuid.UUID) -> list[Order]:
    customer = customer_get(principal=principal, customer_id=customer_id)
    return list(
        scoped(Order.objects.prefetch_related("line_items"), principal, Action.CUSTOMER_VIEW)
        .filter(customer=customer)
        .order_by("created_at", "id")
    )


def order_get(*, principal: Principal, customer_id: uuid.UUID, order_id: uuid.UUID) -> Order:
    order = (
        scoped(Order.objects.prefetch_related("line_items"), principal, Action.CUSTOMER_VIEW)
        .filter(id=order_id, customer_id=customer_id)
        .first()
    )
    if order is None:
        raise NotFound(errors.ORDER_NOT_FOUND)
    return order


def seats_by_offer(*, principal: Principal) -> list[tuple[str, int]]:
    """Active seats per offer across the caller's customers, for the overview chart."""
    rows = (
        scoped(Subscription.objects.all(), principal, Action.CUSTOMER_VIEW)
        .filter(status=Subscription.Status.ACTIVE)
        .values("offer__name")
        .annotate(seats=Sum("quantity"))
        .order_by("-seats", "offer__name")
    )
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        totals[r["offer__name"]] += r["seats"]
    return list(totals.items())
