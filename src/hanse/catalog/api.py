"""``/v1/offers?country=XX``: what is sellable in one market, at that market's price."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema

from hanse.access.roles import Action
from hanse.access.scope import require
from hanse.api.paging import unpaged
from hanse.api.schemas import Attributes, ErrorBody
from hanse.catalog.selectors import MarketOffer, market_offer, offers_for_market
from hanse.validators import NO_NUL, MarketCode

router = Router(tags=["Offers"])


class ProductOut(Schema):
    id: str
    name: str
    unit: Literal["Licenses"] = "Licenses"
    attributes: Attributes


class SkuOut(Schema):
    """The offer's SKU: Partner Center's ``id``, ``productId`` and ``title``; ``guid`` is the id
    that Graph and licence updates use, ``name`` Hanse's own name for ``title``."""

    id: str
    productId: str
    title: str
    name: str
    guid: uuid.UUID
    attributes: Attributes


class OfferOut(Schema):
    """Partner Center's Offer. ``billing`` is how it is charged (per licence: every Hanse offer
    is seat-based), ``supportedBillingCycles`` how often; the price in the market's currency and
    ``isSovereign`` are Hanse's."""

    id: str
    name: str
    description: str
    minimumQuantity: int
    maximumQuantity: int
    country: str
    isAddOn: bool = False
    hasAddOns: bool = False
    prerequisiteOffers: list[str] = []
    isAvailableForPurchase: bool
    isAutoRenewable: bool
    isTrial: bool
    billing: Literal["license", "usage"] = "license"
    supportedBillingCycles: list[str]
    termDuration: str
    unitType: Literal["Licenses"] = "Licenses"
    isSovereign: bool
    currencyCode: str
    unitPrice: Decimal
    product: ProductOut
    sku: SkuOut
    attributes: Attributes

    @staticmethod
    def of(m: MarketOffer) -> OfferOut:
        o = m.offer
        return OfferOut(
            id=o.id,
            name=o.name,
            description=o.description,
            minimumQuantity=o.min_quantity,
            maximumQuantity=o.max_quantity,
            country=m.country,
            isAvailableForPurchase=o.is_available,
            isAutoRenewable=not o.is_trial,  # a trial ends, or is converted by an order
            isTrial=o.is_trial,
            supportedBillingCycles=[o.billing_cycle],
            termDuration=o.term,
            isSovereign=o.is_sovereign,
            currencyCode=m.currency,
            unitPrice=m.unit_price,
            product=ProductOut(
                id=o.product_id, name=o.product_name, attributes=Attributes(objectType="Product")
            ),
            sku=SkuOut(
                id=o.sku_id,
                productId=o.product_id,
                title=o.sku_name,
                name=o.sku_name,
                guid=o.guid,
                attributes=Attributes(objectType="Sku"),
            ),
            attributes=Attributes(objectType="Offer"),
        )


class OfferCollectionOut(Schema):
    totalCount: int
    items: list[OfferOut]
    attributes: Attributes


COUNTRY = Query(..., description="The market: an EU-27 or EFTA country code")


@router.get("/offers", response={200: OfferCollectionOut, 400: ErrorBody}, summary="List offers for a market")
def list_offers(request: HttpRequest, country: MarketCode = COUNTRY) -> dict[str, Any]:
    items = [OfferOut.of(m) for m in offers_for_market(principal=request.principal, country=country)]
    return unpaged(items)


@router.get(
    "/offers/{offer_id}", response={200: OfferOut, 400: ErrorBody, 404: ErrorBody}, summary="Get an offer"
)
def get_offer(
    request: HttpRequest,
    offer_id: str = Path(..., max_length=64, pattern=NO_NUL),
    country: MarketCode = COUNTRY,
) -> OfferOut:
    require(request.principal, Action.PRICING_VIEW)
    return OfferOut.of(market_offer(offer_id=offer_id, country=country))
