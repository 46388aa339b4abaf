"""Partner Center's documented requests, sent unchanged; its documented responses, checked field by
field for names and types.

The bodies are re-typed from Microsoft's Partner Center REST reference (create a customer, create,
get, update, reset, delete and restore a user, subscribed SKUs, licence updates, orders,
subscriptions, offers, audit records), with this instance's markets, domains and offers in place
of the documentation's values. What Partner Center documents and Hanse does not serve is listed
per response (``absent``), asserted absent, and explained in docs/compatibility.md.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hanse.access.roles import Role
from hanse.catalog.models import Offer
from hanse.commerce.models import Subscription
from hanse.directory.models import User
from tests.api.test_conventions import assert_error

DOMAIN = "fabrikam-kunde.example"


def shape(
    documented: Any, ours: Any, *, absent: tuple[str, ...] = (), nullable: tuple[str, ...] = ()
) -> None:
    """Every field of ``documented`` is in ``ours`` with the same JSON type (a documented null
    allows any), except the ``absent`` paths, which must be missing, and the ``nullable`` ones,
    which Hanse may answer null. Paths are dotted; ``[]`` stands for each item of a list."""
    problems: list[str] = []

    def walk(doc: Any, got: Any, path: str) -> None:
        if isinstance(doc, dict):
            if not isinstance(got, dict):
                problems.append(f"{path or '.'}: an object was expected, not {got!r:.60}")
                return
            for key, value in doc.items():
                sub = f"{path}.{key}" if path else key
                if sub in absent:
                    if key in got:
                        problems.append(f"{sub}: listed as absent but served")
                elif key not in got:
                    problems.append(f"{sub}: missing")
                else:
                    walk(value, got[key], sub)
        elif isinstance(doc, list):
            if not isinstance(got, list):
                problems.append(f"{path}: a list was expected, not {got!r:.60}")
            elif doc:
                for item in got:
                    walk(doc[0], item, f"{path}[]")
        elif doc is None or (got is None and path in nullable):
            return
        elif isinstance(doc, bool):
            if not isinstance(got, bool):
                problems.append(f"{path}: a boolean was expected, not {got!r:.60}")
        elif isinstance(doc, int | float):
            if isinstance(got, bool) or not isinstance(got, int | float):
                problems.append(f"{path}: a number was expected, not {got!r:.60}")
        elif not isinstance(got, str):
            problems.append(f"{path}: a string was expected, not {got!r:.60}")

    walk(documented, ours, "")
    assert problems == []


def test_the_shape_check_finds_what_differs() -> None:
    """The checker itself: a missing field, a wrong type and a stale absent entry are each named."""
    with pytest.raises(AssertionError) as missing:
        shape({"a": 1, "b": {"c": "x"}}, {"a": 1, "b": {}})
    assert "b.c: missing" in str(missing.value)
    with pytest.raises(AssertionError) as typed:
        shape({"items": [{"n": 1}]}, {"items": [{"n": "1"}]})
    assert "items[].n: a number was expected" in str(typed.value)
    with pytest.raises(AssertionError) as stale:
        shape({"rank": 0}, {"rank": 0}, absent=("rank",))
    assert "rank: listed as absent but served" in str(stale.value)
    shape({"p": {"password": "x"}}, {"p": {"password": None}}, nullable=("p.password",))


# Create a customer: the documented request, PascalCase and nulls included.
CREATE_CUSTOMER = {
    "Id": None,
    "CommerceId": None,
    "CompanyProfile": {
        "TenantId": None,
        "Domain": DOMAIN,
        "CompanyName": None,
        "Address": None,
        "Email": None,
        "Attributes": {"ObjectType": "CustomerCompanyProfile"},
    },
    "BillingProfile": {
        "Id": None,
        "FirstName": None,
        "LastName": None,
        "Email": "tessa@fabrikam-kunde.example",
        "Culture": "DE-DE",
        "Language": "De",
        "CompanyName": "Fabrikam Kunde GmbH",
        "DefaultAddress": {
            "Country": "DE",
            "Region": None,
            "City": "München",
            "State": "BY",
            "AddressLine1": "Leopoldstraße 1",
            "AddressLine2": None,
            "AddressLine3": None,
            "PostalCode": "80802",
            "FirstName": "Tessa",
            "LastName": "Lee",
            "PhoneNumber": "089 5550101",
            "Attributes": {"ObjectType": "Address"},
        },
        "Attributes": {"ObjectType": "CustomerBillingProfile"},
    },
    "RelationshipToPartner": "none",
    "AllowDelegatedAccess": None,
    "UserCredentials": None,
    "CustomDomains": None,
    "Attributes": {"ObjectType": "Customer"},
}

CUSTOMER = {
    "id": "4ea49b5c-ab3a-4a5c-9c8d-3ce5f4b9e8b1",
    "commerceId": "64b4f3e5-4a3a-4b5d-a4c6-f7d8e9c8a2c1",
    "companyProfile": {
        "tenantId": "4ea49b5c-ab3a-4a5c-9c8d-3ce5f4b9e8b1",
        "domain": DOMAIN,
        "companyName": "Fabrikam Kunde GmbH",
        "attributes": {"objectType": "CustomerCompanyProfile"},
    },
    "billingProfile": {
        "id": "b9c4c4a3-5f2b-4a1e-8e4c-2d9a7c1f3e6b",
        "firstName": "Tessa",
        "lastName": "Lee",
        "email": "tessa@fabrikam-kunde.example",
        "culture": "DE-DE",
        "language": "De",
        "companyName": "Fabrikam Kunde GmbH",
        "defaultAddress": {
            "country": "DE",
            "city": "München",
            "state": "BY",
            "addressLine1": "Leopoldstraße 1",
            "postalCode": "80802",
            "firstName": "Tessa",
            "lastName": "Lee",
            "phoneNumber": "089 5550101",
        },
        "attributes": {"etag": 'W/"1"', "objectType": "CustomerBillingProfile"},
    },
    "relationshipToPartner": "reseller",
    "allowDelegatedAccess": True,
    "attributes": {"objectType": "Customer"},
}
CUSTOMER_ABSENT = ("commerceId",)  # Hanse has no separate commerce account per customer

CREATED_CUSTOMER = {
    **CUSTOMER,
    "userCredentials": {
        "userName": "admin",
        "password": "Wk6#xs9Pq2",
        "attributes": {"objectType": "UserCredentials"},
    },
}

CUSTOMERS = {
    "totalCount": 1,
    "items": [CUSTOMER],
    "links": {
        "next": {
            "uri": "/customers?size=1&seekOperation=next",
            "method": "GET",
            "headers": [{"key": "MS-ContinuationToken", "value": "AAAAAAAAAAAAAAAAAAAAAA=="}],
        }
    },
    "attributes": {"objectType": "Collection"},
}

CREATE_USER = {
    "usageLocation": "DE",
    "userPrincipalName": f"anna@{DOMAIN}",
    "firstName": "Anna",
    "lastName": "Berg",
    "displayName": "Anna Berg",
    "passwordProfile": {"forceChangePassword": False, "password": "Kunde-Passwort-2026!"},
    "attributes": {"objectType": "CustomerUser"},
}

CUSTOMER_USER = {
    "usageLocation": "DE",
    "id": "4f4fd6a6-4a5e-4c9f-8a1d-5a7c3e3c5d3e",
    "userPrincipalName": f"anna@{DOMAIN}",
    "firstName": "Anna",
    "lastName": "Berg",
    "displayName": "Anna Berg",
    "lastDirectorySyncTime": None,
    "userDomainType": "none",
    "state": "active",
    "attributes": {"objectType": "CustomerUser"},
}
WITH_PASSWORD = {**CUSTOMER_USER, "passwordProfile": {"forceChangePassword": False, "password": "Renew@1234"}}
# Hanse never echoes a password the caller chose; it answers one it generated, once.
CALLERS_PASSWORD = ("passwordProfile.password",)

USERS = {"totalCount": 1, "items": [CUSTOMER_USER], "attributes": {"objectType": "Collection"}}
DELETED_USERS = {
    "totalCount": 1,
    "items": [{**CUSTOMER_USER, "state": "inactive", "softDeletionTime": "2026-11-30T10:00:00Z"}],
    "attributes": {"objectType": "Collection"},
}

PRODUCT_SKU = {
    "id": "ffa3bf4e-7bd2-59f9-b667-54001bc627ca",
    "name": "Workplace Basic",
    "skuPartNumber": "WORKPLACE-BASIC",
    "targetType": "User",
    "licenseGroupId": "group1",
}
SKU_ABSENT = ("licenseGroupId",)  # no licence groups: every licence is assigned to a user
SERVICE_PLAN = {
    "displayName": "Exchange Online (Plan 1)",
    "serviceName": "EXCHANGE_S_STANDARD",
    "id": "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
    "capabilityStatus": "Enabled",
    "targetType": "User",
}
SUBSCRIBED_SKUS = {
    "totalCount": 1,
    "items": [
        {
            "availableUnits": 5,
            "activeUnits": 10,
            "consumedUnits": 5,
            "suspendedUnits": 0,
            "totalUnits": 10,
            "warningUnits": 0,
            "capabilityStatus": "Enabled",
            "productSku": PRODUCT_SKU,
            "servicePlans": [SERVICE_PLAN],
            "attributes": {"objectType": "SubscribedSku"},
        }
    ],
    "attributes": {"objectType": "Collection"},
}

LICENSE_UPDATE = {
    "licensesToAssign": [{"excludedPlans": None, "skuId": "ffa3bf4e-7bd2-59f9-b667-54001bc627ca"}],
    "licenseWarnings": [],
    "attributes": {"objectType": "LicenseUpdate"},
}
LICENSES = {
    "totalCount": 1,
    "items": [
        {"servicePlans": [SERVICE_PLAN], "productSku": PRODUCT_SKU, "attributes": {"objectType": "License"}}
    ],
    "attributes": {"objectType": "Collection"},
}

LINK = {"uri": "/customers/x/orders/y", "method": "GET", "headers": []}
ORDER = {
    "id": "ca7f4a23-ab9b-4e2b-ad8a-2c4b8ba6b1a9",
    "referenceCustomerId": "4ea49b5c-ab3a-4a5c-9c8d-3ce5f4b9e8b1",
    "billingCycle": "monthly",
    "lineItems": [
        {
            "lineItemNumber": 0,
            "offerId": "WORKPLACE-BASIC",
            "subscriptionId": "5f2d7d7f-5a0d-4b0c-9d88-6d3b1f9a2c7e",
            "friendlyName": "Workplace for the office",
            "quantity": 10,
            "links": {"subscription": LINK},
        }
    ],
    "creationDate": "2026-11-30T10:00:00Z",
    "status": "completed",
    "links": {"self": LINK},
    "attributes": {"objectType": "Order"},
}
# An order may mix offers of different billing cycles: each subscription names its own. Links to
# related resources are not served; their URIs follow from the ids.
ORDER_ABSENT = ("billingCycle", "links", "lineItems[].links")

SUBSCRIPTION = {
    "id": "5f2d7d7f-5a0d-4b0c-9d88-6d3b1f9a2c7e",
    "offerId": "WORKPLACE-BASIC",
    "offerName": "Workplace Basic",
    "friendlyName": "Workplace for the office",
    "quantity": 10,
    "unitType": "Licenses",
    "hasPurchasableAddons": False,
    "creationDate": "2026-11-30T10:00:00Z",
    "effectiveStartDate": "2026-11-30T00:00:00Z",
    "commitmentEndDate": "2026-12-30T00:00:00Z",
    "status": "active",
    "autoRenewEnabled": True,
    "isTrial": False,
    "billingType": "license",
    "billingCycle": "monthly",
    "termDuration": "P1M",
    "contractType": "subscription",
    "orderId": "ca7f4a23-ab9b-4e2b-ad8a-2c4b8ba6b1a9",
    "attributes": {"etag": 'W/"1"', "objectType": "Subscription"},
}
SUBSCRIPTION_ABSENT = ("commitmentEndDate",)  # terms are not rated yet: the billing issue adds them
SUBSCRIPTIONS = {"totalCount": 1, "items": [SUBSCRIPTION], "attributes": {"objectType": "Collection"}}

OFFERS = {
    "totalCount": 1,
    "items": [
        {
            "id": "WORKPLACE-BASIC",
            "name": "Workplace Basic",
            "description": "Mail, calendar and documents",
            "minimumQuantity": 1,
            "maximumQuantity": 10000,
            "rank": 0,
            "uri": "/offers/WORKPLACE-BASIC",
            "locale": "de-de",
            "country": "DE",
            "category": {"id": "Productivity", "name": "Productivity", "rank": 0, "locale": "de-de"},
            "prerequisiteOffers": [],
            "isAddOn": False,
            "hasAddOns": False,
            "isAvailableForPurchase": True,
            "billing": "license",
            "supportedBillingCycles": ["monthly"],
            "isAutoRenewable": True,
            "product": {
                "id": "WORKPLACE",
                "name": "Workplace",
                "unit": "Licenses",
                "attributes": {"objectType": "Product"},
            },
            "unitType": "Licenses",
            "links": {"learnMore": LINK},
            "isTrial": False,
            "attributes": {"objectType": "Offer"},
        }
    ],
    "attributes": {"objectType": "Collection"},
}
# One catalogue per instance, not ranked, categorised or localised per request; offers are read
# by id under /v1/offers/{id}.
OFFERS_ABSENT = ("items[].rank", "items[].uri", "items[].locale", "items[].category", "items[].links")

AUDIT_RECORDS = {
    "totalCount": 1,
    "items": [
        {
            "partnerId": "3b33e682-00c3-41ee-9dd2-a548adf56438",
            "customerId": "4ea49b5c-ab3a-4a5c-9c8d-3ce5f4b9e8b1",
            "customerName": "Fabrikam Kunde GmbH",
            "userPrincipalName": "agent@partner.example",
            "resourceType": "Order",
            "resourceNewValue": '{"Id":"ca7f4a23-ab9b-4e2b-ad8a-2c4b8ba6b1a9"}',
            "operationDate": "2026-11-30T10:00:00Z",
            "operationStatus": "succeeded",
            "operationType": "create_order",
            "customizedData": [{"key": "OrderId", "value": "ca7f4a23-ab9b-4e2b-ad8a-2c4b8ba6b1a9"}],
            "applicationId": "Partner Center",
            "attributes": {"objectType": "AuditRecord"},
        }
    ],
    "links": {"self": {"uri": "/auditrecords?size=500", "method": "GET", "headers": []}},
    "attributes": {"objectType": "Collection"},
}
AUDIT_ABSENT = ("items[].applicationId",)  # records name the user, not the OAuth application


@pytest.fixture
def agent(partner, make_user, api_for, offers):
    return api_for(make_user(partner.tenant, Role.ADMIN_AGENT))


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def customer(agent) -> dict[str, Any]:
    return ok(agent.post_json("/v1/customers", CREATE_CUSTOMER), 201)


def test_create_get_and_list_customers(agent, customer):
    shape(CREATED_CUSTOMER, customer, absent=CUSTOMER_ABSENT)
    assert customer["id"] == customer["companyProfile"]["tenantId"]
    assert customer["companyProfile"]["companyName"] == "Fabrikam Kunde GmbH"  # the billing one
    address = customer["billingProfile"]["defaultAddress"]
    assert (address["state"], address["phoneNumber"], address["firstName"]) == ("BY", "089 5550101", "Tessa")
    assert (customer["billingProfile"]["firstName"], customer["billingProfile"]["lastName"]) == (
        "Tessa",
        "Lee",
    )
    admin = User.objects.get(upn=customer["userCredentials"]["userName"])
    assert admin.upn == f"admin@{DOMAIN}" and admin.check_password(customer["userCredentials"]["password"])
    shape(CUSTOMER, ok(agent.get(f"/v1/customers/{customer['id']}")), absent=CUSTOMER_ABSENT)
    body = dict(
        CREATE_CUSTOMER, CompanyProfile={**CREATE_CUSTOMER["CompanyProfile"], "Domain": "zwei.example"}
    )
    other = ok(agent.post_json("/v1/customers", body), 201)
    first = ok(agent.get("/v1/customers?size=1"))
    shape(CUSTOMERS, first, absent=tuple(f"items[].{a}" for a in CUSTOMER_ABSENT))
    assert first["links"]["self"] == {"uri": "/v1/customers?size=1", "method": "GET", "headers": []}
    nxt = first["links"]["next"]
    assert nxt["uri"] == "/v1/customers?size=1&seekOperation=Next"
    headers = {h["key"]: h["value"] for h in nxt["headers"]}
    second = ok(agent.get(nxt["uri"], headers=headers))
    assert second["links"]["self"]["headers"] == nxt["headers"] and second["links"].get("next") is None
    assert sorted(c["id"] for c in first["items"] + second["items"]) == sorted([customer["id"], other["id"]])


def test_a_set_by_hanse_field_with_a_value_is_refused_and_creates_nothing(agent):
    body = dict(CREATE_CUSTOMER, Id="4ea49b5c-ab3a-4a5c-9c8d-3ce5f4b9e8b1")
    refused = assert_error(agent.post_json("/v1/customers", body), 400, 1001)
    assert refused["data"][0]["message"] == "is set by Hanse: send null or leave it out"
    nameless = json.loads(json.dumps(CREATE_CUSTOMER))
    nameless["BillingProfile"]["DefaultAddress"]["LastName"] = None
    refused = assert_error(agent.post_json("/v1/customers", nameless), 400, 1001)
    assert refused["data"][0]["message"] == "give firstName and lastName, here or both in defaultAddress"
    assert not User.objects.filter(upn__endswith=DOMAIN).exists()


def test_customer_users_create_get_update_reset_delete_restore(agent, customer):
    base = f"/v1/customers/{customer['id']}/users"
    created = ok(agent.post_json(base, CREATE_USER), 201)
    shape(WITH_PASSWORD, created, nullable=CALLERS_PASSWORD)
    user = User.objects.get(id=created["id"])
    assert user.check_password("Kunde-Passwort-2026!") and not user.must_change_password
    url = f"{base}/{created['id']}"
    shape(CUSTOMER_USER, ok(agent.get(url)))
    listed = ok(agent.get(base))
    # The tenant's first admin, made with the customer, has no first or last name.
    shape(USERS, listed, nullable=("items[].firstName", "items[].lastName"))
    assert {u["userPrincipalName"] for u in listed["items"]} == {f"admin@{DOMAIN}", f"anna@{DOMAIN}"}

    updated = ok(agent.patch_json(url, {"UsageLocation": "AT", "Attributes": {"ObjectType": "CustomerUser"}}))
    shape(CUSTOMER_USER, updated)
    assert updated["usageLocation"] == "AT"

    reset = {
        "passwordProfile": {"password": "Renew-Kunde-2026!", "forceChangePassword": True},
        "attributes": {"objectType": "CustomerUser"},
    }
    shape(WITH_PASSWORD, ok(agent.patch_json(url, reset)), nullable=CALLERS_PASSWORD)
    user.refresh_from_db()
    assert user.check_password("Renew-Kunde-2026!") and user.must_change_password

    assert agent.delete(url).status_code == 204
    inactive = json.dumps({"Field": "UserState", "Value": "Inactive", "Operator": "equals"})
    deleted = ok(agent.get(f"{base}?size=500&filter={inactive}"))
    shape(DELETED_USERS, deleted)
    assert [u["id"] for u in deleted["items"]] == [created["id"]]

    restored = ok(agent.patch_json(url, {"State": "active", "Attributes": {"ObjectType": "CustomerUser"}}))
    shape(CUSTOMER_USER, restored)
    assert restored["state"] == "active"


def test_subscribed_skus_licence_updates_and_licences(agent, customer):
    order = {"LineItems": [{"LineItemNumber": 0, "OfferId": "WORKPLACE-BASIC", "Quantity": 3}]}
    ok(agent.post_json(f"/v1/customers/{customer['id']}/orders", order), 201)
    base = f"/v1/customers/{customer['id']}"
    shape(
        SUBSCRIBED_SKUS,
        ok(agent.get(f"{base}/subscribedskus")),
        absent=("items[].productSku.licenseGroupId",),
    )
    uid = ok(agent.post_json(f"{base}/users", CREATE_USER), 201)["id"]
    guid = str(Offer.objects.get(id="WORKPLACE-BASIC").guid)
    update = {
        "LicensesToAssign": [{"ExcludedPlans": None, "SkuId": guid}],
        "LicensesToRemove": None,
        "LicenseWarnings": None,
        "Attributes": {"ObjectType": "LicenseUpdate"},
    }
    answered = ok(agent.post_json(f"{base}/users/{uid}/licenseupdates", update), 201)
    shape(LICENSE_UPDATE, answered)
    assert answered["licensesToAssign"][0]["skuId"] == guid
    licences = ok(agent.get(f"{base}/users/{uid}/licenses"))
    shape(LICENSES, licences, absent=("items[].productSku.licenseGroupId",))
    assert [x["productSku"]["id"] for x in licences["items"]] == [guid]
    skus = ok(agent.get(f"{base}/subscribedskus"))["items"]
    assert [(s["productSku"]["skuPartNumber"], s["totalUnits"], s["consumedUnits"]) for s in skus] == [
        ("WORKPLACE-BASIC", 3, 1)
    ]


def test_orders_and_subscriptions(agent, customer):
    base = f"/v1/customers/{customer['id']}"
    order_body = {
        "ReferenceCustomerId": customer["id"],
        "LineItems": [
            {
                "LineItemNumber": 0,
                "OfferId": "WORKPLACE-BASIC",
                "SubscriptionId": None,
                "ParentSubscriptionId": None,
                "FriendlyName": "Workplace for the office",
                "Quantity": 10,
                "PartnerIdOnRecord": None,
                "Links": None,
            }
        ],
        "CreationDate": None,
        "Attributes": {"ObjectType": "Order"},
    }
    order = ok(agent.post_json(f"{base}/orders", order_body), 201)
    shape(ORDER, order, absent=ORDER_ABSENT)
    shape(ORDER, ok(agent.get(f"{base}/orders/{order['id']}")), absent=ORDER_ABSENT)
    other = dict(order_body, ReferenceCustomerId="00000000-0000-4000-8000-000000000000")
    assert_error(agent.post_json(f"{base}/orders", other), 400, 7013)
    assert Subscription.objects.count() == 1

    subs = ok(agent.get(f"{base}/subscriptions"))
    shape(SUBSCRIPTIONS, subs, absent=tuple(f"items[].{a}" for a in SUBSCRIPTION_ABSENT))
    sub = subs["items"][0]
    url = f"{base}/subscriptions/{sub['id']}"
    shape(SUBSCRIPTION, ok(agent.get(url)), absent=SUBSCRIPTION_ABSENT)
    # Partner Center's clients send the subscription they read back, changed, with its etag.
    changed = ok(agent.patch_json(url, {**sub, "quantity": 12}))
    shape(SUBSCRIPTION, changed, absent=SUBSCRIPTION_ABSENT)
    assert changed["quantity"] == 12 and changed["attributes"]["etag"] != sub["attributes"]["etag"]
    assert_error(agent.patch_json(url, {**sub, "quantity": 14}), 412, 7006)  # the etag read is stale
    assert_error(agent.patch_json(url, {**changed, "offerId": "MAIL-PLAN-1", "quantity": 14}), 409, 7012)
    assert Subscription.objects.get(id=sub["id"]).quantity == 12


def test_offers(agent):
    offers = ok(agent.get("/v1/offers?country=DE"))
    shape(OFFERS, offers, absent=OFFERS_ABSENT)
    basic = next(o for o in offers["items"] if o["id"] == "WORKPLACE-BASIC")
    assert basic["billing"] == "license" and basic["supportedBillingCycles"] == ["monthly"]
    assert basic["sku"]["productId"] == basic["product"]["id"]


def test_audit_records(agent, customer):
    order = {"LineItems": [{"OfferId": "WORKPLACE-BASIC", "Quantity": 1}]}
    order_id = ok(agent.post_json(f"/v1/customers/{customer['id']}/orders", order), 201)["id"]
    by_name = json.dumps({"Field": "CustomerName", "Value": "fabrikam kunde", "Operator": "substring"})
    records = ok(agent.get(f"/v1/auditrecords?size=500&filter={by_name}"))
    shape(AUDIT_RECORDS, records, absent=AUDIT_ABSENT)
    kinds = [(r["operationType"], r["resourceType"]) for r in records["items"]]
    assert ("add_customer", "Customer") in kinds and ("create_customer_user", "CustomerUser") in kinds
    created = next(r for r in records["items"] if r["operationType"] == "create_order")
    assert created["resourceId"] == order_id and created["customerId"] == customer["id"]
    assert {r["customerName"] for r in records["items"]} == {"Fabrikam Kunde GmbH"}
    orders_only = json.dumps({"Field": "ResourceType", "Value": "order", "Operator": "equals"})
    only = ok(agent.get(f"/v1/auditrecords?filter={orders_only}"))["items"]
    assert [r["operationType"] for r in only] == ["create_order"]
    by_id = json.dumps({"Field": "CustomerId", "Value": customer["id"], "Operator": "equals"})
    assert ok(agent.get(f"/v1/auditrecords?size=500&filter={by_id}"))["totalCount"] == records["totalCount"]
    unknown = json.dumps({"Field": "ResourceType", "Value": "Spaceship", "Operator": "equals"})
    assert_error(agent.get(f"/v1/auditrecords?filter={unknown}"), 400, 1001)
