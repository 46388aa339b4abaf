"""The arithmetic: seat-days between changes, the price in force each day, one rounding per line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from hanse.billing.rating import Period, accrue, round_money

NOV = Period(2026, 11)
PRICE = [(date(2000, 1, 1), Decimal("30.00"))]


def test_a_month_of_a_constant_subscription_is_its_monthly_price():
    a = accrue([(date(2026, 10, 3), 4)], PRICE, NOV.start, NOV.end, NOV.days)
    assert (a.seat_days, a.days, a.amount) == (120, 30, Fraction(120))


def test_a_change_counts_from_its_own_day_and_the_last_change_of_a_day_wins():
    changes = [
        (date(2026, 11, 1), 2),
        (date(2026, 11, 11), 9),
        (date(2026, 11, 11), 5),
        (date(2026, 11, 21), 0),
    ]
    a = accrue(changes, PRICE, NOV.start, NOV.end, NOV.days)
    # 10 days at 2, 10 days at 5, 10 days at none.
    assert (a.seat_days, a.days, a.last_seats) == (70, 20, 5)
    assert a.amount == Fraction(70)
    assert (a.first_day, a.last_day) == (date(2026, 11, 1), date(2026, 11, 20))


def test_the_price_in_force_each_day():
    prices = [(date(2000, 1, 1), Decimal("30.00")), (date(2026, 11, 16), Decimal("60.00"))]
    a = accrue([(date(2026, 1, 1), 1)], prices, NOV.start, NOV.end, NOV.days)
    assert a.amount == Fraction(15 * 1 + 15 * 2)  # 15 days at 1 a day, 15 at 2
    assert a.unit_price == Decimal("60.00")


def test_days_before_the_first_change_and_after_the_end_accrue_nothing():
    a = accrue([(date(2026, 12, 1), 3)], PRICE, NOV.start, NOV.end, NOV.days)
    assert (a.seat_days, a.amount, a.first_day) == (0, 0, None)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Fraction(1, 200), "EUR", "0.01"),  # half a cent goes up
        (Fraction(1, 201), "EUR", "0.00"),
        (Fraction(-1, 200), "EUR", "-0.01"),  # half-up is away from zero
        (Fraction(1, 2), "ISK", "1.00"),  # no minor unit
        (Fraction(149, 100), "ISK", "1.00"),
        (Fraction(112, 30), "EUR", "3.73"),
    ],
)
def test_rounding_is_half_up_to_the_minor_unit(value, currency, expected):
    assert round_money(value, currency) == Decimal(expected)


def test_periods():
    assert Period.parse("2026-02").days == 28
    assert str(Period.parse("2026-12").next()) == "2027-01"
    assert str(Period.parse("2026-01").previous()) == "2025-12"
    for bad in ("2026-13", "2026-1", "26-01", "x", "1999-12"):
        with pytest.raises(ValueError):
            Period.parse(bad)
