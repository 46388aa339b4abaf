"""Property: over random histories of orders, quantity changes, suspensions, reactivations,
cancellations and price changes across several months, the invoices bill every seat-day exactly
once, each line is its exact amount rounded once, and rerunning a period changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hanse.billing.models import Invoice, InvoiceLine
from hanse.billing.rating import Period, round_money
from hanse.billing.services import billing_run
from hanse.catalog.models import OfferPrice
from hanse.errors import DomainError
from tests.billing.conftest import SYSTEM, month_ago

MONTHS = 3
OFFERS = ("WORKPLACE-BASIC", "WORKPLACE-STANDARD")

op = st.one_of(
    st.tuples(st.just("buy"), st.sampled_from(OFFERS), st.integers(1, 40)),
    st.tuples(st.just("quantity"), st.integers(0, 5), st.integers(1, 40)),
    st.tuples(st.just("status"), st.integers(0, 5), st.sampled_from(["active", "suspended", "deleted"])),
    st.tuples(st.just("price"), st.sampled_from(OFFERS), st.integers(100, 9999)),
)
history = st.lists(st.tuples(st.integers(0, MONTHS * 31 - 1), op), min_size=1, max_size=14)


def seats_of(sub: Any) -> int:
    return sub.quantity if sub.status == "active" and not sub.is_trial else 0


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=history)
def test_every_seat_day_is_billed_once_at_the_price_of_its_day(seller, events):
    first = month_ago(MONTHS)
    periods = [Period.of(month_ago(m)) for m in range(MONTHS, 0, -1)]
    end = periods[-1].end
    with transaction.atomic():
        subs: list[Any] = []
        states: dict[Any, list[tuple[date, int]]] = {}  # subscription -> (day, seats) as written
        prices = {
            o: [(date(2000, 1, 1), p)]
            for o, p in OfferPrice.objects.filter(offer_id__in=OFFERS, currency="EUR").values_list(
                "offer_id", "unit_price"
            )
        }
        for offset, (kind, a, b) in sorted(events, key=lambda e: e[0]):
            day = first + timedelta(days=offset)
            if day >= end:
                continue
            try:
                if kind == "buy":
                    sub = seller.buy(day, a, b)
                    subs.append(sub)
                elif kind == "price":
                    price = Decimal(b) / 100
                    OfferPrice.objects.update_or_create(
                        offer_id=a, currency="EUR", valid_from=day, defaults={"unit_price": price}
                    )
                    prices[a] = sorted({d: p for d, p in [*prices[a], (day, price)]}.items())
                    continue
                elif subs:
                    target = subs[a % len(subs)]
                    change = {"quantity": b} if kind == "quantity" else {"status": b}
                    sub = seller.change(day, target, **change)
                else:
                    continue
            except DomainError:
                continue  # refused (a cancelled or suspended subscription): nothing changed
            states.setdefault(sub.id, []).append((day, seats_of(sub)))
        offer_of = {s.id: s.offer_id for s in subs}

        def seats_on(sub_id: Any, day: date) -> int:
            known = [s for d, s in states.get(sub_id, []) if d <= day]
            return known[-1] if known else 0

        def price_on(offer: str, day: date) -> Decimal:
            return [p for d, p in prices[offer] if d <= day][-1]

        expected_seat_days = 0
        for period in periods:
            billing_run(actor=SYSTEM, period=period)
            lines = {
                line.subscription_id: line
                for line in InvoiceLine.objects.filter(invoice__period_start=period.start)
            }
            for sub_id, offer in offer_of.items():
                days = [period.start + timedelta(days=i) for i in range(period.days)]
                seat_days = sum(seats_on(sub_id, d) for d in days)
                exact = sum(
                    (Fraction(price_on(offer, d)) * seats_on(sub_id, d) / period.days for d in days),
                    Fraction(0),
                )
                expected_seat_days += seat_days
                if not seat_days:
                    assert sub_id not in lines
                    continue
                line = lines.pop(sub_id)
                assert line.seat_days == seat_days
                assert line.amount == round_money(exact, "EUR")
            assert not lines  # no line for a subscription that accrued nothing
            for invoice in Invoice.objects.filter(period_start=period.start):
                assert invoice.subtotal == sum(line.amount for line in invoice.lines.all())
                assert invoice.total == invoice.subtotal + invoice.tax_total

        billed = sum(InvoiceLine.objects.values_list("seat_days", flat=True))
        assert billed == expected_seat_days  # no seat-day billed twice, none left out

        issued = list(Invoice.objects.order_by("number").values_list("number", "total"))
        for period in periods:
            assert billing_run(actor=SYSTEM, period=period).issued == []
        assert list(Invoice.objects.order_by("number").values_list("number", "total")) == issued
        transaction.set_rollback(True)
