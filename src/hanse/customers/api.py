"""``/v1/customers``: Partner Center's customer resource, list, get, create, billing profile."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema, Status

from hanse.api.filters import partner_center_filter
from hanse.api.paging import CONTINUATION, SEEK, SIZE, collection
from hanse.api.schemas import Attributes, Body, CollectionLinks, ErrorBody
from hanse.customers import services
from hanse.customers.models import Customer
from hanse.customers.selectors import customer_get, customer_page
from hanse.validators import DOMAIN_PATTERN, EMAIL_PATTERN, NO_NUL, NOT_BLANK, MarketCode

router = Router(tags=["Customers"])

# Partner Center's field names; "Indexed" searches both, as the UI's one search box does.
FILTER_FIELDS = {
    "CompanyName": ("companyName", "starts_with"),
    "Domain": ("domain", "starts_with"),
    "Indexed": ("both", "starts_with"),
}


class AddressIn(Body):
    country: MarketCode = Field(..., description="ISO 3166-1 alpha-2 code of an EU-27 or EFTA country")
    city: str = Field(..., min_length=1, max_length=100, pattern=NOT_BLANK)
    postalCode: str = Field(..., min_length=1, max_length=20, pattern=NOT_BLANK)
    addressLine1: str = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)


class BillingProfileIn(Body):
    firstName: str = Field(..., min_length=1, max_length=100, pattern=NOT_BLANK)
    lastName: str = Field(..., min_length=1, max_length=100, pattern=NOT_BLANK)
    email: str = Field(..., max_length=254, pattern=EMAIL_PATTERN)
    culture: str = Field("en-US", max_length=10, pattern=r"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$")
    language: str = Field("en", max_length=5, pattern=r"^[a-zA-Z]{2}$")
    companyName: str = Field("", max_length=200, pattern=NO_NUL)
    defaultAddress: AddressIn

    def profile(self) -> services.BillingProfile:
        a = self.defaultAddress
        return services.BillingProfile(
            first_name=self.firstName,
            last_name=self.lastName,
            email=self.email,
            culture=self.culture,
            language=self.language,
            company_name=self.companyName,
            country=a.country,
            city=a.city,
            postal_code=a.postalCode,
            address_line1=a.addressLine1,
        )


class CompanyProfileIn(Body):
    domain: str = Field(..., max_length=253, pattern=DOMAIN_PATTERN)
    companyName: str = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)


class CustomerIn(Body):
    companyProfile: CompanyProfileIn
    billingProfile: BillingProfileIn


class AddressOut(Schema):
    country: str
    city: str
    postalCode: str
    addressLine1: str


class BillingProfileOut(Schema):
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


class CustomerOut(Schema):
    id: uuid.UUID
    companyProfile: CompanyProfileOut
    billingProfile: BillingProfileOut
    relationshipToPartner: str
    creationDate: datetime
    attributes: Attributes

    @staticmethod
    def of(c: Customer) -> CustomerOut:
        return CustomerOut(
            id=c.id,
            companyProfile=CompanyProfileOut(
                tenantId=c.tenant_id,
                domain=c.tenant.domain,
                companyName=c.company_name,
                attributes=Attributes(objectType="CustomerCompanyProfile"),
            ),
            billingProfile=billing_out(c),
            relationshipToPartner=c.relationship,
            creationDate=c.created_at,
            attributes=Attributes(objectType="Customer", etag=c.etag),
        )


def billing_out(c: Customer) -> BillingProfileOut:
    return BillingProfileOut(
        firstName=c.first_name,
        lastName=c.last_name,
        email=c.email,
        culture=c.culture,
        language=c.language,
        companyName=c.billing_company_name,
        defaultAddress=AddressOut(
            country=c.country, city=c.city, postalCode=c.postal_code, addressLine1=c.address_line1
        ),
        attributes=Attributes(objectType="CustomerBillingProfile", etag=c.etag),
    )


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
) -> dict[str, Any]:
    del seekOperation  # see paging.SEEK
    match = partner_center_filter(filter, FILTER_FIELDS)
    p = customer_page(principal=request.principal, size=size, token=token, match=match)
    extra = {"filter": filter} if filter else {}
    items = [CustomerOut.of(c) for c in p.items]
    return collection(p, items, path="/v1/customers", size=size, extra=extra, token=token)


@router.post(
    "/customers",
    response={201: CustomerOut, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody},
    summary="Create a customer",
)
def create_customer(request: HttpRequest, body: CustomerIn, response: HttpResponse) -> Status[CustomerOut]:
    c = services.customer_create(
        actor=request.principal,
        company_name=body.companyProfile.companyName,
        domain=body.companyProfile.domain,
        billing=body.billingProfile.profile(),
    )
    _etag(response, c)
    return Status(201, CustomerOut.of(c))


@router.get("/customers/{customer_id}", response={200: CustomerOut, 404: ErrorBody}, summary="Get a customer")
def get_customer(request: HttpRequest, customer_id: uuid.UUID, response: HttpResponse) -> CustomerOut:
    c = customer_get(principal=request.principal, customer_id=customer_id)
    _etag(response, c)
    return CustomerOut.of(c)


@router.get(
    "/customers/{customer_id}/profiles/billing",
    response={200: BillingProfileOut, 404: ErrorBody},
    summary="Get a customer's billing profile",
)
def get_billing_profile(
    request: HttpRequest, customer_id: uuid.UUID, response: HttpResponse
) -> BillingProfileOut:
    c = customer_get(principal=request.principal, customer_id=customer_id)
    _etag(response, c)
    return billing_out(c)


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
) -> BillingProfileOut:
    c = services.customer_update_billing(
        actor=request.principal, customer_id=customer_id, billing=body.profile(), if_match=if_match
    )
    _etag(response, c)
    return billing_out(c)
