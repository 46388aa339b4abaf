"""``/v1/customers``: Partner Center's customer resource, list, get, create, billing profile."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import ConfigDict, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from hanse.api.filters import partner_center_filter
from hanse.api.paging import CONTINUATION, SEEK, SIZE, collection
from hanse.api.responses import json_body
from hanse.api.schemas import Attributes, Body, CollectionLinks, ErrorBody, ObjectTypeIn
from hanse.customers import services
from hanse.customers.models import Customer
from hanse.customers.selectors import customer_get, customer_values, customer_values_page
from hanse.validators import DOMAIN_PATTERN, EMAIL_PATTERN, NO_NUL, NOT_BLANK, PHONE_PATTERN, MarketCode

router = Router(tags=["Customers"])

# Partner Center's field names; "Indexed" searches both, as the UI's one search box does.
FILTER_FIELDS = {
    "CompanyName": ("companyName", "starts_with"),
    "Domain": ("domain", "starts_with"),
    "Indexed": ("both", "starts_with"),
}


# Partner Center's documented create body sends the ids and credentials that the service sets
# as null; they are taken when null and refused otherwise, never silently dropped.
Unset = Field(None, description="Set by Hanse: null or left out")

NAME = {"max_length": 100, "pattern": NO_NUL}
NAMED = {"firstName": {"type": "string"}, "lastName": {"type": "string"}}  # given, not null


class AddressIn(Body):
    country: MarketCode = Field(..., description="ISO 3166-1 alpha-2 code of an EU-27 or EFTA country")
    region: str | None = Field(None, **NAME)
    city: str = Field(..., min_length=1, max_length=100, pattern=NOT_BLANK)
    state: str | None = Field(None, description="State, province or Land", **NAME)
    addressLine1: str = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)
    addressLine2: str | None = Field(None, max_length=200, pattern=NO_NUL)
    addressLine3: str | None = Field(None, max_length=200, pattern=NO_NUL)
    postalCode: str = Field(..., min_length=1, max_length=20, pattern=NOT_BLANK)
    firstName: str | None = Field(None, min_length=1, max_length=100, pattern=NOT_BLANK)
    lastName: str | None = Field(None, min_length=1, max_length=100, pattern=NOT_BLANK)
    phoneNumber: str | None = Field(None, max_length=40, pattern=PHONE_PATTERN)
    attributes: ObjectTypeIn | None = None


class BillingProfileIn(Body):
    """Partner Center's CustomerBillingProfile. The contact's name is given here or, as its
    documented example does, in ``defaultAddress``: both parts in one of the two places."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["firstName", "lastName"], "properties": NAMED},
                {
                    "properties": {
                        "defaultAddress": {"required": ["firstName", "lastName"], "properties": NAMED}
                    }
                },
            ]
        }
    )

    id: None = Unset
    firstName: str | None = Field(None, min_length=1, max_length=100, pattern=NOT_BLANK)
    lastName: str | None = Field(None, min_length=1, max_length=100, pattern=NOT_BLANK)
    email: str = Field(..., max_length=254, pattern=EMAIL_PATTERN)
    culture: str = Field("en-US", max_length=10, pattern=r"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$")
    language: str = Field("en", max_length=5, pattern=r"^[a-zA-Z]{2}$")
    companyName: str = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)
    defaultAddress: AddressIn
    attributes: ObjectTypeIn | None = None

    @model_validator(mode="after")
    def _named(self) -> BillingProfileIn:
        a = self.defaultAddress
        if None in (self.firstName, self.lastName) and None in (a.firstName, a.lastName):
            raise PydanticCustomError("contact_name_missing", "firstName and lastName are missing")
        return self

    def _name(self) -> tuple[str, str]:
        if self.firstName is not None and self.lastName is not None:
            return self.firstName, self.lastName
        return self.defaultAddress.firstName or "", self.defaultAddress.lastName or ""

    def profile(self) -> services.BillingProfile:
        a = self.defaultAddress
        first_name, last_name = self._name()
        return services.BillingProfile(
            first_name=first_name,
            last_name=last_name,
            email=self.email,
            culture=self.culture,
            language=self.language,
            company_name=self.companyName,
            country=a.country,
            city=a.city,
            postal_code=a.postalCode,
            address_line1=a.addressLine1,
            address_line2=a.addressLine2 or "",
            address_line3=a.addressLine3 or "",
            region=a.region or "",
            state=a.state or "",
            phone_number=a.phoneNumber or "",
        )


class CompanyProfileIn(Body):
    tenantId: None = Unset
    domain: str = Field(..., max_length=services.MAX_DOMAIN, pattern=DOMAIN_PATTERN)
    companyName: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        pattern=NOT_BLANK,
        description="Left out: the billing profile's companyName",
    )
    address: None = Unset
    email: None = Unset
    attributes: ObjectTypeIn | None = None


class CustomerIn(Body):
    """Partner Center's Customer, as its documentation sends it to create one."""

    id: None = Unset
    commerceId: None = Unset
    companyProfile: CompanyProfileIn
    billingProfile: BillingProfileIn
    relationshipToPartner: Literal["none", "reseller"] | None = None  # Hanse's customers: reseller
    allowDelegatedAccess: StrictBool | None = None
    userCredentials: None = Unset
    customDomains: None = Unset
    attributes: ObjectTypeIn | None = None


class AddressOut(Schema):
    country: str
    region: str | None
    city: str
    state: str | None
    addressLine1: str
    addressLine2: str | None
    addressLine3: str | None
    postalCode: str
    firstName: str
    lastName: str
    phoneNumber: str | None
    attributes: Attributes


class BillingProfileOut(Schema):
    id: uuid.UUID  # the customer's: one billing profile each
    firstName: str
    lastName: str
    email: str
    culture: str
    language: str
    companyName: str
    defaultAddress: AddressOut
    attributes: Attributes


class CompanyProfileOut(Schema):
    tenantId: uuid.UUID
    domain: str
    companyName: str
    attributes: Attributes


class UserCredentialsOut(Schema):
    """The customer's first Global admin, in the response that created the customer only."""

    userName: str
    password: str  # generated, to change at first sign-in
    attributes: Attributes


class CustomerOut(Schema):
    id: uuid.UUID
    companyProfile: CompanyProfileOut
    billingProfile: BillingProfileOut
    relationshipToPartner: str
    allowDelegatedAccess: bool = True  # the partner administers its customers' tenants
    userCredentials: UserCredentialsOut | None = None  # null on an idempotent replay, and on reads
    creationDate: datetime
    attributes: Attributes


# The shapes above are the contract (the OpenAPI document, checked by the tests and schemathesis);
# responses are built once, as plain values, which django-ninja validates for one object and
# which a collection sends as they are (hanse.api.responses.json_body): validating a page of 100
# customers through the schemas cost 110 ms of a 140 ms request.
def customer_json(c: Mapping[str, Any], credentials: dict[str, Any] | None = None) -> dict[str, Any]:
    """``c``: a customer's ``CUSTOMER_VALUES`` (selectors.customer_values)."""
    return {
        "id": c["id"],
        "companyProfile": {
            "tenantId": c["tenant_id"],
            "domain": c["tenant__domain"],
            "companyName": c["company_name"],
            "attributes": {"objectType": "CustomerCompanyProfile", "etag": None},
        },
        "billingProfile": billing_json(c),
        "relationshipToPartner": c["relationship"],
        "allowDelegatedAccess": True,
        "userCredentials": credentials,
        "creationDate": c["created_at"],
        "attributes": {"objectType": "Customer", "etag": Customer.etag_of(c["version"])},
    }


def billing_json(c: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "firstName": c["first_name"],
        "lastName": c["last_name"],
        "email": c["email"],
        "culture": c["culture"],
        "language": c["language"],
        "companyName": c["billing_company_name"],
        "defaultAddress": {
            "country": c["country"],
            "region": c["address_region"] or None,
            "city": c["city"],
            "state": c["address_state"] or None,
            "addressLine1": c["address_line1"],
            "addressLine2": c["address_line2"] or None,
            "addressLine3": c["address_line3"] or None,
            "postalCode": c["postal_code"],
            "firstName": c["first_name"],
            "lastName": c["last_name"],
            "phoneNumber": c["phone_number"] or None,
            "attributes": {"objectType": "Address", "etag": None},
        },
        "attributes": {"objectType": "CustomerBillingProfile", "etag": Customer.etag_of(c["version"])},
    }


class CustomerCollectionOut(Schema):
    totalCount: int
    items: list[CustomerOut]
    links: CollectionLinks
    attributes: Attributes


def _etag(response: HttpResponse, c: Customer) -> None:
    response["ETag"] = c.etag


@router.get("/customers", response={200: CustomerCollectionOut, 400: ErrorBody}, summary="List customers")
def list_customers(
    request: HttpRequest,
    size: int = SIZE,
    filter: str | None = Query(None, max_length=1000),
    seekOperation: str | None = SEEK,
    token: str | None = CONTINUATION,
) -> HttpResponse:
    del seekOperation  # see paging.SEEK
    match = partner_center_filter(filter, FILTER_FIELDS)
    p = customer_values_page(principal=request.principal, size=size, token=token, match=match)
    extra = {"filter": filter} if filter else {}
    items = [customer_json(c) for c in p.items]
    return json_body(collection(p, items, path="/v1/customers", size=size, extra=extra, token=token))


@router.post(
    "/customers",
    response={201: CustomerOut, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody},
    summary="Create a customer",
)
def create_customer(request: HttpRequest, body: CustomerIn, response: HttpResponse) -> Status[dict[str, Any]]:
    request.idempotency_redact = ("userCredentials",)  # type: ignore[attr-defined]
    created = services.customer_create(
        actor=request.principal,
        company_name=body.companyProfile.companyName or body.billingProfile.companyName,
        domain=body.companyProfile.domain,
        billing=body.billingProfile.profile(),
    )
    _etag(response, created.customer)
    credentials = {
        "userName": created.admin_upn,
        "password": created.admin_password,
        "attributes": {"objectType": "UserCredentials", "etag": None},
    }
    return Status(201, customer_json(customer_values(created.customer), credentials))


@router.get("/customers/{customer_id}", response={200: CustomerOut, 404: ErrorBody}, summary="Get a customer")
def get_customer(request: HttpRequest, customer_id: uuid.UUID, response: HttpResponse) -> dict[str, Any]:
    c = customer_get(principal=request.principal, customer_id=customer_id)
    _etag(response, c)
    return customer_json(customer_values(c))


@router.get(
    "/customers/{customer_id}/profiles/billing",
    response={200: BillingProfileOut, 404: ErrorBody},
    summary="Get a customer's billing profile",
)
def get_billing_profile(
    request: HttpRequest, customer_id: uuid.UUID, response: HttpResponse
) -> dict[str, Any]:
    c = customer_get(principal=request.principal, customer_id=customer_id)
    _etag(response, c)
    return billing_json(customer_values(c))


@router.patch(
    "/customers/{customer_id}/profiles/billing",
    response={200: BillingProfileOut, 400: ErrorBody, 404: ErrorBody, 412: ErrorBody},
    summary="Update a customer's billing profile (If-Match: the ETag you read)",
)
def update_billing_profile(
    request: HttpRequest,
    customer_id: uuid.UUID,
    body: BillingProfileIn,
    response: HttpResponse,
    if_match: str | None = Header(None, alias="If-Match"),
) -> dict[str, Any]:
    c = services.customer_update_billing(
        actor=request.principal, customer_id=customer_id, billing=body.profile(), if_match=if_match
    )
    _etag(response, c)
    return billing_json(customer_values(c))
