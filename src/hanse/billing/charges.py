"""What a partner's subscriptions accrued over some days, as invoice lines not yet issued: read
by the billing run (for the instance) and by the unbilled view (for the partner's Billing admin),
through the same scope gate."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.billing.models import SeatChange
from hanse.billing.rating import Period, accrue, round_money
from hanse.billing.tax import Tax
from hanse.catalog.models import OfferPrice
from hanse.commerce.models import Subscription

_SUBSCRIPTION_FIELDS = (
    "id",
    "customer_id",
    "customer__company_name",
    "customer__tenant__domain",
    "customer__country",
    "friendly_name",
    "order_id",
    "offer_id",
    "offer__name",
    "offer__guid",
    "billing_cycle",
    "currency",
    "unit_price",
)
CHARGE_CYCLE = "cycleCharge"
CHARGE_CREDIT = "credit"


@dataclass(frozen=True)
class Draft:
    """One line: one subscription and charge type over the days rated."""

    customer_id: uuid.UUID
    customer_name: str
    customer_domain: str
    customer_country: str
    subscription_id: uuid.UUID
    subscription_name: str
    order_id: uuid.UUID
    offer_id: str
    offer_name: str
    sku_guid: uuid.UUID
    billing_cycle: str
    currency: str
    charge_type: str
    charge_start: date
    charge_end: date
    quantity: int
    days: int
    seat_days: int
    unit_price: Decimal
    exact: Fraction
    amount: Decimal
    tax_category: str
    tax_rate: Decimal
    tax: Decimal


def prices_for(
    offer_ids: set[str], currencies: set[str]
) -> dict[tuple[str, str], list[tuple[date, Decimal]]]:
    """The price lists of these offers, oldest first (the catalogue is the instance's: no scope)."""
    table: dict[tuple[str, str], list[tuple[date, Decimal]]] = defaultdict(list)
    rows = (
        OfferPrice.objects.filter(offer_id__in=offer_ids, currency__in=currencies)
        .order_by("offer_id", "currency", "valid_from")
        .values_list("offer_id", "currency", "valid_from", "unit_price")
    )
    for offer_id, currency, valid_from, price in rows:
        table[offer_id, currency].append((valid_from, price))
    return table


def partner_charges(
    principal: Principal,
    action: Action,
    *,
    partner_id: uuid.UUID,
    period: Period,
    end: date,
    tax: Tax,
) -> list[Draft]:
    """Lines for the days ``period.start`` ≤ day < ``end`` (``end`` at most the period's end),
    one per subscription with a seat-day in them, in the order of customer and subscription."""
    changes: dict[uuid.UUID, list[tuple[date, int]]] = defaultdict(list)
    rows = (
        scoped(SeatChange.objects.all(), principal, action)
        .filter(partner_id=partner_id, day__lt=end)
        .order_by("subscription_id", "day", "id")
        .values_list("subscription_id", "day", "seats")
    )
    for sub_id, day, seats in rows:
        changes[sub_id].append((day, seats))
    if not changes:
        return []
    # Plain values, not model objects: a run rates tens of thousands of subscriptions at once.
    subs = list(
        scoped(Subscription.objects.all(), principal, action)
        .filter(id__in=list(changes))
        .order_by("customer__company_name", "customer_id", "created_at", "id")
        .values_list(*_SUBSCRIPTION_FIELDS, named=True)
    )
    prices = prices_for({s.offer_id for s in subs}, {s.currency for s in subs})
    drafts = []
    for s in subs:
        price_list = prices.get((s.offer_id, s.currency)) or [(period.start, s.unit_price)]
        a = accrue(changes[s.id], price_list, period.start, end, period.days)
        if not a.seat_days or a.first_day is None or a.last_day is None:
            continue
        amount = round_money(a.amount, s.currency)
        drafts.append(
            Draft(
                customer_id=s.customer_id,
                customer_name=s.customer__company_name,
                customer_domain=s.customer__tenant__domain,
                customer_country=s.customer__country,
                subscription_id=s.id,
                subscription_name=s.friendly_name,
                order_id=s.order_id,
                offer_id=s.offer_id,
                offer_name=s.offer__name,
                sku_guid=s.offer__guid,
                billing_cycle=s.billing_cycle,
                currency=s.currency,
                charge_type=CHARGE_CYCLE,
                charge_start=a.first_day,
                charge_end=a.last_day,
                quantity=a.last_seats,
                days=a.days,
                seat_days=a.seat_days,
                unit_price=a.unit_price,
                exact=a.amount,
                amount=amount,
                tax_category=tax.category,
                tax_rate=tax.rate,
                tax=round_money(Fraction(amount * tax.rate) / 100, s.currency),
            )
        )
    return drafts
