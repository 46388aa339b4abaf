"""Reads of the catalogue: what is sellable in one market, at that market's price."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from hanse import clock
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import require
from hanse.catalog import errors
from hanse.catalog.markets import market_currency
from hanse.catalog.models import Offer, OfferPrice
from hanse.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class MarketOffer:
    offer: Offer
    country: str
    currency: str
    unit_price: Decimal


def offers_for_market(*, principal: Principal, country: str) -> list[MarketOffer]:
    """The catalogue is the instance's, not a tenant's: no scope to narrow, only the action."""
    require(principal, Action.PRICING_VIEW)
    currency = market_currency(country)
    prices = (
        OfferPrice.objects.select_related("offer")
        .filter(currency=currency, offer__is_available=True, valid_from__lte=clock.today())
        .order_by("offer__product_name", "offer__name", "offer_id", "valid_from")
    )
    current = {p.offer_id: p for p in prices}  # the last one in force today, per offer
    return [MarketOffer(p.offer, country.upper(), currency, p.unit_price) for p in current.values()]


def market_offer(*, offer_id: str, country: str) -> MarketOffer:
    """One offer at the price of a customer's market; used when ordering."""
    currency = market_currency(country)
    price = (
        OfferPrice.objects.select_related("offer")
        .filter(offer_id=offer_id, currency=currency, valid_from__lte=clock.today())
        .order_by("-valid_from")
        .first()
    )
    if price is None:
        if not Offer.objects.filter(id=offer_id).exists():
            raise NotFound(errors.OFFER_NOT_FOUND, offer=str(offer_id)[:64])
        raise InvalidInput(
            errors.OFFER_NOT_SOLD_IN_MARKET, offer=offer_id, currency=currency, country=country
        )
    if not price.offer.is_available:
        raise NotFound(errors.OFFER_NOT_FOUND, offer=offer_id)
    return MarketOffer(price.offer, country.upper(), currency, price.unit_price)


def offer_ids(sku_ids: list[str]) -> list[str]:
    """SKU ids as a client sends them, as offer ids: Graph's and Partner Center's GUID, or the
    offer's readable id (``skuPartNumber``). An unknown GUID stays as it came, for the caller to
    refuse by the name the client used."""
    guids: dict[str, uuid.UUID] = {}
    for value in sku_ids:
        try:
            guids[value] = uuid.UUID(value)
        except ValueError:
            continue
    known = (
        dict(Offer.objects.filter(guid__in=set(guids.values())).values_list("guid", "id")) if guids else {}
    )
    return [known.get(guids[v], v) if v in guids else v for v in sku_ids]


def offers_by_id(offer_ids: list[str]) -> list[Offer]:
    """The offers of these ids, in the order given (unknown ones left out)."""
    found = {o.id: o for o in Offer.objects.filter(id__in=set(offer_ids))}
    return [found[i] for i in offer_ids if i in found]
