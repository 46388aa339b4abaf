"""Value-added tax on the partner's invoice: the category of a supply and its rate, from a data
file as the catalogue's prices are (docs/billing.md §2)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path

from hanse.instance.current import instance

BUNDLED = Path(__file__).parent / "data" / "vat-rates.json"


class TaxCategory(StrEnum):
    STANDARD = "standard"  # seller and buyer in the same country: that country's rate
    REVERSE_CHARGE = "reverse-charge"  # businesses in two EU states: the buyer accounts for it
    OUTSIDE_EU = "outside-eu"  # one side outside the EU: not taxed by the seller


@dataclass(frozen=True)
class Rates:
    eu: frozenset[str]
    standard: dict[str, Decimal]


@dataclass(frozen=True)
class Tax:
    category: TaxCategory
    rate: Decimal  # percent


@cache
def _load(path: Path) -> Rates:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Rates(eu=frozenset(data["eu"]), standard={c: Decimal(str(r)) for c, r in data["standard"].items()})


def rates() -> Rates:
    return _load(instance().billing.vat_rates_file or BUNDLED)


def tax_for(seller_country: str, buyer_country: str) -> Tax:
    table = rates()
    if seller_country == buyer_country:
        return Tax(TaxCategory.STANDARD, table.standard.get(seller_country, Decimal(0)))
    if seller_country in table.eu and buyer_country in table.eu:
        return Tax(TaxCategory.REVERSE_CHARGE, Decimal(0))
    return Tax(TaxCategory.OUTSIDE_EU, Decimal(0))
