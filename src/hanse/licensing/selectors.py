"""Reads of licences: Partner Center's subscribedSkus, and who holds what."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from django.db.models import Sum

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.catalog.models import Offer
from hanse.commerce.models import Subscription
from hanse.customers.selectors import customer_get
from hanse.licensing.models import LicenceAssignment


@dataclass(frozen=True)
class SubscribedSku:
    sku: Offer
    prepaid: int  # seats on active subscriptions
    consumed: int
    suspended: int = 0  # seats on suspended subscriptions

    @property
    def available(self) -> int:
        return self.prepaid - self.consumed


def seats(
    principal: Principal,
    action: Action,
    customer_id: uuid.UUID,
    sku_id: str,
    *,
    excluding: uuid.UUID | None = None,
) -> int:
    qs = scoped(Subscription.objects.all(), principal, action).filter(
        customer_id=customer_id, offer_id=sku_id, status=Subscription.Status.ACTIVE
    )
    if excluding is not None:
        qs = qs.exclude(id=excluding)
    return qs.aggregate(n=Sum("quantity"))["n"] or 0


def consumed(principal: Principal, action: Action, customer_id: uuid.UUID, sku_id: str) -> int:
    return (
        scoped(LicenceAssignment.objects.all(), principal, action)
        .filter(customer_id=customer_id, sku_id=sku_id)
        .count()
    )


def subscribed_skus(*, principal: Principal, customer_id: uuid.UUID) -> list[SubscribedSku]:
    customer = customer_get(principal=principal, customer_id=customer_id, action=Action.CUSTOMER_USER_MANAGE)
    subs = (
        scoped(Subscription.objects.all(), principal, Action.CUSTOMER_USER_MANAGE)
        .filter(customer=customer)
        .exclude(status=Subscription.Status.DELETED)
    )
    prepaid, suspended = Counter[str](), Counter[str]()
    for row in subs.values("offer_id", "status").annotate(n=Sum("quantity")):
        prepaid[row["offer_id"]] += row["n"] if row["status"] == Subscription.Status.ACTIVE else 0
        suspended[row["offer_id"]] += row["n"] if row["status"] == Subscription.Status.SUSPENDED else 0
    used = Counter[str](
        scoped(LicenceAssignment.objects.all(), principal, Action.CUSTOMER_USER_MANAGE)
        .filter(customer=customer)
        .values_list("sku_id", flat=True)
    )
    offers = {o.id: o for o in Offer.objects.filter(id__in=set(prepaid) | set(used))}
    return [SubscribedSku(offers[k], prepaid[k], used[k], suspended[k]) for k in sorted(offers)]


def licences_of(*, principal: Principal, customer_id: uuid.UUID, user_id: uuid.UUID) -> list[str]:
    customer = customer_get(principal=principal, customer_id=customer_id, action=Action.CUSTOMER_USER_MANAGE)
    return sorted(
        scoped(LicenceAssignment.objects.all(), principal, Action.CUSTOMER_USER_MANAGE)
        .filter(customer=customer, user_id=user_id)
        .values_list("sku_id", flat=True)
    )


def licences_by_user(
    *, principal: Principal, customer_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The SKUs each of several users holds (one query for a page of users)."""
    customer = customer_get(principal=principal, customer_id=customer_id, action=Action.CUSTOMER_USER_MANAGE)
    out: dict[uuid.UUID, list[str]] = {uid: [] for uid in user_ids}
    rows = (
        scoped(LicenceAssignment.objects.all(), principal, Action.CUSTOMER_USER_MANAGE)
        .filter(customer=customer, user_id__in=user_ids)
        .order_by("sku_id")
        .values_list("user_id", "sku_id")
    )
    for user_id, sku in rows:
        out.setdefault(user_id, []).append(sku)
    return out
