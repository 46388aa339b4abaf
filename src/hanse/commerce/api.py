"""Orders and subscriptions of one customer, in Partner Center's shapes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Router, Schema, Status
from pydantic import StrictBool, WithJsonSchema

from hanse.api.paging import unpaged
from hanse.api.responses import json_body
from hanse.api.schemas import Attributes, Body, ErrorBody, ObjectTypeIn
from hanse.commerce import errors, services
from hanse.commerce.models import Order, Subscription
from hanse.commerce.selectors import (
    order_get,
    orders_for_customer,
    subscription_get,
    subscription_values,
    subscription_values_for_customer,
)
from hanse.errors import InvalidInput
from hanse.validators import AS_JSON_INT, EMPTY_OR_NOT_BLANK, NO_NUL, NOT_BLANK, SkuId

router = Router(tags=["Orders and subscriptions"])


Quantity = Annotated[int, Field(ge=1, le=100000), AS_JSON_INT]

# Partner Center's documented order body sends what the service sets as null.
Unset = Field(None, description="Set by Hanse: null or left out")


class LineItemIn(Body):
    lineItemNumber: Annotated[int, Field(ge=0, le=999), AS_JSON_INT] | None = None
    offerId: SkuId
    subscriptionId: None = Unset
    parentSubscriptionId: None = Unset
    quantity: Quantity
    friendlyName: str = Field("", max_length=200, pattern=EMPTY_OR_NOT_BLANK)
    partnerIdOnRecord: None = Unset
    links: None = Unset


class OrderIn(Body):
    referenceCustomerId: uuid.UUID | None = Field(
        None, strict=False, description="If given, the customer of the path"
    )
    lineItems: list[LineItemIn] = Field(..., min_length=1, max_length=services.MAX_LINES)
    creationDate: None = Unset
    attributes: ObjectTypeIn | None = None


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
    hasPurchasableAddons: bool = False  # Hanse's catalogue has no add-ons
    billingType: Literal["license", "usage"] = "license"
    billingCycle: str
    contractType: Literal["subscription"] = "subscription"
    termDuration: str
    unitPrice: Decimal
    currencyCode: str
    creationDate: datetime
    effectiveStartDate: datetime
    orderId: uuid.UUID
    attributes: Attributes


def subscription_json(s: Mapping[str, Any]) -> dict[str, Any]:
    """``s``: a subscription's ``SUBSCRIPTION_VALUES`` (selectors.subscription_values), in
    ``SubscriptionOut``'s shape, built once (see customers.api.customer_json)."""
    return {
        "id": s["id"],
        "offerId": s["offer_id"],
        "offerName": s["offer__name"],
        "friendlyName": s["friendly_name"],
        "quantity": s["quantity"],
        "unitType": "Licenses",
        "status": s["status"],
        "autoRenewEnabled": s["auto_renew"],
        "isTrial": s["is_trial"],
        "hasPurchasableAddons": False,
        "billingType": "license",
        "billingCycle": s["billing_cycle"],
        "contractType": "subscription",
        "termDuration": s["term"],
        "unitPrice": s["unit_price"],
        "currencyCode": s["currency"],
        "creationDate": s["created_at"],
        "effectiveStartDate": s["created_at"],
        "orderId": s["order_id"],
        "attributes": {"objectType": "Subscription", "etag": Subscription.etag_of(s["version"])},
    }


# As the output writes it: a decimal in a string ("5.60").
PriceIn = Annotated[Decimal, WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,4})?$"})]


class SubscriptionAttributesIn(Body):
    objectType: str | None = Field(None, max_length=64, pattern=NO_NUL)
    etag: str | None = Field(None, max_length=64, pattern=NO_NUL, description="As If-Match")


class SubscriptionPatch(Body):
    """What may change, and, as Partner Center's clients send the subscription they read back
    whole, the fields that may not: each must be the value read, or is refused (7012, 409:
    it conflicts with the subscription as it is)."""

    quantity: Quantity | None = None
    friendlyName: str | None = Field(None, min_length=1, max_length=200, pattern=NOT_BLANK)
    status: Literal["active", "suspended", "deleted"] | None = None
    autoRenewEnabled: bool | None = None
    attributes: SubscriptionAttributesIn | None = None
    id: uuid.UUID | None = Field(None, strict=False)
    offerId: str | None = Field(None, max_length=64, pattern=NO_NUL)
    offerName: str | None = Field(None, max_length=200, pattern=NO_NUL)
    unitType: Literal["Licenses"] | None = None
    isTrial: StrictBool | None = None
    hasPurchasableAddons: Literal[False] | None = None
    billingType: Literal["license"] | None = None
    contractType: Literal["subscription"] | None = None
    billingCycle: str | None = Field(None, max_length=16, pattern=NO_NUL)
    termDuration: str | None = Field(None, max_length=8, pattern=NO_NUL)
    unitPrice: PriceIn | None = Field(None, strict=False)
    currencyCode: str | None = Field(None, max_length=3, pattern=NO_NUL)
    creationDate: datetime | None = Field(None, strict=False)
    effectiveStartDate: datetime | None = Field(None, strict=False)
    orderId: uuid.UUID | None = Field(None, strict=False)

    # Their model attributes: the service compares what was read with what is stored.
    READ_ONLY: ClassVar[dict[str, str]] = {
        "id": "id",
        "offerId": "offer_id",
        "offerName": "offer.name",
        "isTrial": "is_trial",
        "billingCycle": "billing_cycle",
        "termDuration": "term",
        "unitPrice": "unit_price",
        "currencyCode": "currency",
        "creationDate": "created_at",
        "effectiveStartDate": "created_at",
        "orderId": "order_id",
    }

    def unchanged(self) -> dict[str, tuple[str, object]]:
        return {
            name: (path, getattr(self, name))
            for name, path in self.READ_ONLY.items()
            if getattr(self, name) is not None
        }


class OrderCollectionOut(Schema):
    totalCount: int
    items: list[OrderOut]
    attributes: Attributes


class SubscriptionCollectionOut(Schema):
    totalCount: int
    items: list[SubscriptionOut]
    attributes: Attributes


@router.post(
    "/customers/{customer_id}/orders",
    response={201: OrderOut, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody},
    summary="Place an order: all of its subscriptions are created, or none",
)
def create_order(request: HttpRequest, customer_id: uuid.UUID, body: OrderIn) -> Status[OrderOut]:
    if body.referenceCustomerId not in (None, customer_id):
        raise InvalidInput(errors.CUSTOMER_MISMATCH)
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
    return unpaged(
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
def list_subscriptions(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    subs = subscription_values_for_customer(principal=request.principal, customer_id=customer_id)
    return json_body(unpaged([subscription_json(s) for s in subs]))


@router.get(
    "/customers/{customer_id}/subscriptions/{subscription_id}",
    response={200: SubscriptionOut, 404: ErrorBody},
    summary="Get a subscription",
)
def get_subscription(
    request: HttpRequest, customer_id: uuid.UUID, subscription_id: uuid.UUID, response: HttpResponse
) -> dict[str, Any]:
    sub = subscription_get(
        principal=request.principal, customer_id=customer_id, subscription_id=subscription_id
    )
    response["ETag"] = sub.etag
    return subscription_json(subscription_values(sub))


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
) -> dict[str, Any]:
    change = services.SubscriptionChange(
        quantity=body.quantity,
        friendly_name=body.friendlyName,
        status=body.status,
        auto_renew=body.autoRenewEnabled,
        unchanged=body.unchanged(),
    )

    sub = services.subscription_update(
        actor=request.principal,
        customer_id=customer_id,
        subscription_id=subscription_id,
        change=change,
        if_match=if_match,
        etag=body.attributes.etag if body.attributes else None,
    )
    response["ETag"] = sub.etag
    return subscription_json(subscription_values(sub))
