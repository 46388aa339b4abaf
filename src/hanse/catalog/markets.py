"""Market checks shared by customers, catalogue and orders."""

from __future__ import annotations

from hanse.catalog import errors
from hanse.errors import InvalidInput
from hanse.instance.current import instance
from hanse.instance.markets import market_list


def market_currency(country: str) -> str:
    """The currency of a market, or a 400 naming the markets this instance sells to."""
    code = (country or "").strip().upper()
    markets = instance().markets
    if code not in markets:
        raise InvalidInput(
            errors.COUNTRY_NOT_A_MARKET, country=country[:10] or "''", markets=market_list(markets)
        )
    return markets[code][1]
