"""A partner selling in the past: each act runs at its own day, through the real services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from hanse import clock
from hanse.access.principal import system_principal
from hanse.access.roles import Role
from hanse.commerce.services import LineItem, SubscriptionChange, order_create, subscription_update
from tests.conftest import principal_of

SYSTEM = system_principal("tests")


@contextmanager
def on(day: date, hour: int = 12) -> Iterator[None]:
    """Acts inside happen at ``hour`` o'clock UTC on ``day`` (a day in the past)."""
    when = datetime.combine(day, time(hour), tzinfo=UTC)
    with clock.earlier(timezone.now() - when):
        yield


def month_ago(months: int) -> date:
    """The first day of the month ``months`` before this one."""
    day = clock.today().replace(day=1)
    for _ in range(months):
        day = (day - timedelta(days=1)).replace(day=1)
    return day


class Seller:
    def __init__(self, actor: Any, customer: Any) -> None:
        self.actor, self.customer = actor, customer

    def buy(self, day: date, offer: str, quantity: int) -> Any:
        with on(day):
            order = order_create(
                actor=self.actor, customer_id=self.customer.id, lines=[LineItem(offer, quantity)]
            )
        return order.subscriptions.get()

    def change(self, day: date, sub: Any, **change: Any) -> Any:
        with on(day):
            return subscription_update(
                actor=self.actor,
                customer_id=self.customer.id,
                subscription_id=sub.id,
                change=SubscriptionChange(**change),
                if_match=None,
            )


@pytest.fixture
def seller(partner: Any, make_user: Any, make_customer: Any, offers: Any) -> Seller:
    return Seller(principal_of(make_user(partner.tenant, Role.ADMIN_AGENT)), make_customer(partner))
