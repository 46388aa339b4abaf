"""The arithmetic of billing, without the database: seat-days, the price in force each day, and
rounding once per line (docs/billing.md §1).

A subscription accrues, for each day, its seats that day times the monthly price in force that
day divided by the days of that month. Amounts stay exact fractions until a line is rounded,
half-up to the currency's minor unit, once.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

# ISO 4217 minor units of the currencies the markets use; every other one has two.
MINOR_UNITS: dict[str, int] = {"ISK": 0}

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency, 2)


CENT = Decimal("0.01")


def round_money(value: Fraction, currency: str) -> Decimal:
    """Half-up (away from zero at the half), to the currency's minor unit. In integers: a run
    rounds two amounts per line, and Fraction's operators cost ten times as much."""
    places = minor_units(currency)
    units, rest = divmod(abs(value.numerator) * 10**places, value.denominator)
    if 2 * rest >= value.denominator:
        units += 1
    signed = units if value.numerator >= 0 else -units
    return Decimal(signed).scaleb(-places).quantize(CENT)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, the billing period."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        m = PERIOD.match(text.strip())
        if not m or not 2000 <= int(m[1]) <= 2999:
            raise ValueError(text)
        return cls(int(m[1]), int(m[2]))

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def end(self) -> date:
        """The first day after the period."""
        return self.start + timedelta(days=self.days)

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def next(self) -> Period:
        return Period.of(self.end)

    def previous(self) -> Period:
        return Period.of(self.start - timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Accrual:
    seat_days: int
    days: int  # days with at least one seat
    last_seats: int  # on the last day with seats
    unit_price: Decimal  # the monthly price on the last day with seats
    amount: Fraction  # exact, not yet rounded
    first_day: date | None
    last_day: date | None


def state_at(changes: Sequence[tuple[date, int]], day: date) -> int:
    """``changes``: (day, seats) in the order they happened. The last change on or before ``day``."""
    i = bisect_right(changes, day, key=lambda c: c[0])
    return changes[i - 1][1] if i else 0


def price_at(prices: Sequence[tuple[date, Decimal]], day: date) -> Decimal:
    """``prices``: (valid from, monthly price), ascending. Before the first, the first."""
    i = bisect_right(prices, day, key=lambda p: p[0])
    return prices[max(i - 1, 0)][1]


def accrue(
    changes: Sequence[tuple[date, int]],
    prices: Sequence[tuple[date, Decimal]],
    start: date,
    end: date,
    month_days: int,
) -> Accrual:
    """What one subscription accrued on the days ``start`` ≤ day < ``end``, all in one month of
    ``month_days`` days. Constant runs between changes are summed at once, not day by day."""
    cuts = {start, end}
    cuts.update(d for d, _ in changes if start < d < end)
    cuts.update(d for d, _ in prices if start < d < end)
    points = sorted(cuts)
    seat_days = days = 0
    total = Decimal(0)  # a price has two decimals: its products with whole numbers are exact
    last_seats, unit_price = 0, Decimal(0)
    first_day = last_day = None
    for a, b in pairwise(points):
        seats = state_at(changes, a)
        if not seats:
            continue
        span = (b - a).days
        price = price_at(prices, a)
        seat_days += seats * span
        days += span
        total += price * (seats * span)
        last_seats, unit_price = seats, price
        first_day = first_day or a
        last_day = b - timedelta(days=1)
    return Accrual(seat_days, days, last_seats, unit_price, Fraction(total) / month_days, first_day, last_day)
