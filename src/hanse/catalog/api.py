"""``/v1/offers?country=XX``: what is sellable in one market, at that market's price."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema

from hanse.access.roles import Action
from hanse.access.scope import require
from hanse.api.schemas import Attributes, ErrorBody
from hanse.catalog.selectors import MarketOffer, market_offer, offers_for_market
from hanse.validators import NO_NUL, MarketCode

router = Router(tags=["Offers"])


class ProductOut(Schema):
    id: str
    name: str


class SkuOut(Schema):
    id: str
    name: str


class OfferOut(Schema):
    id: str
    name: str
    description: str
    minimumQuantity: int
    maximumQuantity: int
    isTrial: bool
    billing: str
    termDuration: str
    isSovereign: bool
    country: str
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
            isTrial=o.is_trial,
            billing=o.billing_cycle,
            termDuration=o.term,
            isSovereign=o.is_sovereign,
            country=m.country,
            currencyCode=m.currency,
            unitPrice=m.unit_price,
            product=ProductOut(id=o.product_id, name=o.product_name),
            sku=SkuOut(id=o.sku_id, name=o.sku_name),
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
    return {"totalCount": len(items), "items": items, "attributes": {"objectType": "Collection"}}


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
