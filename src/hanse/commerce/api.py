"""Orders and subscriptions of one customer, in Partner Center's shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Router, Schema, Status

from hanse.api.schemas import Attributes, Body, ErrorBody
from hanse.commerce import services
from hanse.commerce.models import Order, Subscription
from hanse.commerce.selectors import (
    order_get,
    orders_for_customer,
    subscription_get,
    subscriptions_for_customer,
)
from hanse.validators import NOT_BLANK, SkuId

router = Router(tags=["Orders and subscriptions"])


class LineItemIn(Body):
    lineItemNumber: int | None = Field(None, ge=0, le=999)
    offerId: SkuId
    quantity: int = Field(..., ge=1, le=100000)
    friendlyName: str = Field("", max_length=200, pattern=NOT_BLANK)


class OrderIn(Body):
    lineItems: list[LineItemIn] = Field(..., min_length=1, max_length=services.MAX_LINES)


class LineItemOut(Schema):
    lineItemNumber: int
    offerId: str
    subscriptionId: uuid.UUID
    friendlyName: str
    quantity: int


class OrderOut(Schema):
    id: uuid.UUID
    referenceCustomerId: uuid.UUID
    lineItems: list[LineItemOut]
    creationDate: datetime
    currencyCode: str
    status: str
    attributes: Attributes

    @staticmethod
    def of(o: Order) -> OrderOut:
        return OrderOut(
            id=o.id,
            referenceCustomerId=o.customer_id,
            creationDate=o.created_at,
            currencyCode=o.currency,
            status="completed",
            attributes=Attributes(objectType="Order"),
            lineItems=[
                LineItemOut(
                    lineItemNumber=li.number,
                    offerId=li.offer_id,
                    subscriptionId=li.subscription_id,
                    friendlyName=li.friendly_name,
                    quantity=li.quantity,
                )
                for li in o.line_items.all()
            ],
        )


class SubscriptionOut(Schema):
    id: uuid.UUID
    offerId: str
    offerName: str
    friendlyName: str
    quantity: int
    unitType: str = "Licenses"
    status: str
    autoRenewEnabled: bool
    isTrial: bool
    billingCycle: str
    termDuration: str
    unitPrice: Decimal
    currencyCode: str
    creationDate: datetime
    orderId: uuid.UUID
    attributes: Attributes

    @staticmethod
    def of(s: Subscription) -> SubscriptionOut:
        return SubscriptionOut(
            id=s.id,
            offerId=s.offer_id,
            offerName=s.offer.name,
            friendlyName=s.friendly_name,
            quantity=s.quantity,
            status=s.status,
            autoRenewEnabled=s.auto_renew,
            isTrial=s.is_trial,
            billingCycle=s.billing_cycle,
            termDuration=s.term,
            unitPrice=s.unit_price,
            currencyCode=s.currency,
            creationDate=s.created_at,
            orderId=s.order_id,
            attributes=Attributes(objectType="Subscription", etag=s.etag),
        )


class SubscriptionPatch(Body):
    quantity: int | None = Field(None, ge=1, le=100000)
    friendlyName: str | None = Field(None, min_length=1, max_length=200, pattern=NOT_BLANK)
    status: Literal["active", "suspended", "deleted"] | None = None
    autoRenewEnabled: bool | None = None


class OrderCollectionOut(Schema):
    totalCount: int
    items: list[OrderOut]
    attributes: Attributes


class SubscriptionCollectionOut(Schema):
    totalCount: int
    items: list[SubscriptionOut]
    attributes: Attributes


def _collection(items: list[Any]) -> dict[str, Any]:
    return {"totalCount": len(items), "items": items, "attributes": {"objectType": "Collection"}}


@router.post(
    "/customers/{customer_id}/orders",
    response={201: OrderOut, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody},
    summary="Place an order: all of its subscriptions are created, or none",
)
def create_order(request: HttpRequest, customer_id: uuid.UUID, body: OrderIn) -> Status[OrderOut]:
    lines = [
        services.LineItem(
            offer_id=li.offerId, quantity=li.quantity, friendly_name=li.friendlyName, number=li.lineItemNumber
        )
        for li in body.lineItems
    ]
    order = services.order_create(actor=request.principal, customer_id=customer_id, lines=lines)
    return Status(201, OrderOut.of(order))


@router.get(
    "/customers/{customer_id}/orders",
    response={200: OrderCollectionOut, 404: ErrorBody},
    summary="List a customer's orders",
)
def list_orders(request: HttpRequest, customer_id: uuid.UUID) -> dict[str, Any]:
    return _collection(
        [OrderOut.of(o) for o in orders_for_customer(principal=request.principal, customer_id=customer_id)]
    )


@router.get(
    "/customers/{customer_id}/orders/{order_id}",
    response={200: OrderOut, 404: ErrorBody},
    summary="Get an order",
)
def get_order(request: HttpRequest, customer_id: uuid.UUID, order_id: uuid.UUID) -> OrderOut:
    return OrderOut.of(order_get(principal=request.principal, customer_id=customer_id, order_id=order_id))


@router.get(
    "/customers/{customer_id}/subscriptions",
    response={200: SubscriptionCollectionOut, 404: ErrorBody},
    summary="List a customer's subscriptions",
)
def list_subscriptions(request: HttpRequest, customer_id: uuid.UUID) -> dict[str, Any]:
    subs = subscriptions_for_customer(principal=request.principal, customer_id=customer_id)
    return _collection([SubscriptionOut.of(s) for s in subs])


@router.get(
    "/customers/{customer_id}/subscriptions/{subscription_id}",
    response={200: SubscriptionOut, 404: ErrorBody},
    summary="Get a subscription",
)
def get_subscription(
    request: HttpRequest, customer_id: uuid.UUID, subscription_id: uuid.UUID, response: HttpResponse
) -> SubscriptionOut:
    sub = subscription_get(
        principal=request.principal, customer_id=customer_id, subscription_id=subscription_id
    )
    response["ETag"] = sub.etag
    return SubscriptionOut.of(sub)


@router.patch(
    "/customers/{customer_id}/subscriptions/{subscription_id}",
    response={
        200: SubscriptionOut,
        400: ErrorBody,
        403: ErrorBody,
        404: ErrorBody,
        409: ErrorBody,
        412: ErrorBody,
    },
    summary="Change quantity, friendly name, status (active, suspended, deleted = cancel) or auto-renew",
)
def update_subscription(
    request: HttpRequest,
    customer_id: uuid.UUID,
    subscription_id: uuid.UUID,
    body: SubscriptionPatch,
    response: HttpResponse,
    if_match: str | None = Header(None, alias="If-Match"),
) -> SubscriptionOut:
    change = services.SubscriptionChange(
        quantity=body.quantity,
        friendly_name=body.friendlyName,
        status=body.status,
        auto_renew=body.autoRenewEnabled,
    )
    sub = services.subscription_update(
        actor=request.principal,
        customer_id=customer_id,
        subscription_id=subscription_id,
        change=change,
        if_match=if_match,
    )
    response["ETag"] = sub.etag
    return SubscriptionOut.of(sub)
