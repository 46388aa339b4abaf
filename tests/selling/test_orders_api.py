"""/v1/offers, orders and subscriptions: market rules, atomic orders, idempotent retries, ETags."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from hanse.access.principal import system_principal
from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.catalog.models import Offer
from hanse.catalog.services import catalog_load, offer_add
from hanse.commerce.models import Order, Subscription
from hanse.errors import NotPermitted
from hanse.partners.models import PartnerAccount
from tests.api.test_conventions import assert_error
from tests.conftest import CATALOG_DIR

SPEC = {"id": "NEW-SERVICE", "name": "New Service", "prices": {"EUR": "1.00"}}


def order(client, customer, *lines, **headers):
    body = {"lineItems": [{"offerId": o, "quantity": q} for o, q in lines]}
    return client.post(
        f"/v1/customers/{customer.id}/orders",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def customer(partner, make_customer, offers):
    return make_customer(partner)


def test_offers_for_a_market_in_its_currency(seller, offers):
    de = seller.get("/v1/offers?country=DE").json()
    ch = seller.get("/v1/offers?country=CH").json()
    assert de["totalCount"] == ch["totalCount"] == 13
    basic_de = next(o for o in de["items"] if o["id"] == "WORKPLACE-BASIC")
    basic_ch = next(o for o in ch["items"] if o["id"] == "WORKPLACE-BASIC")
    assert (basic_de["currencyCode"], basic_de["unitPrice"]) == ("EUR", "5.60")
    assert basic_ch["currencyCode"] == "CHF" and basic_ch["country"] == "CH"
    assert seller.get("/v1/offers?country=NO").json()["items"][0]["currencyCode"] == "NOK"
    one = seller.get("/v1/offers/WORKPLACE-BASIC?country=PL").json()
    assert one["currencyCode"] == "PLN" and one["attributes"]["objectType"] == "Offer"


@pytest.mark.parametrize("query", ["country=US", "country=XX", "country=", "", "country=DEU", "country=de"])
def test_unknown_or_non_market_country_is_400(seller, offers, query):
    assert_error(seller.get(f"/v1/offers?{query}"), 400)


def test_helpdesk_cannot_see_prices(partner, make_user, api_for, offers):
    assert_error(
        api_for(make_user(partner.tenant, Role.HELPDESK_AGENT)).get("/v1/offers?country=DE"), 403, 3001
    )


def test_order_creates_all_subscriptions(seller, customer):
    r = order(seller, customer, ("WORKPLACE-BASIC", 5), ("MAIL-PLAN-1", 20))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["attributes"]["objectType"] == "Order" and len(body["lineItems"]) == 2
    subs = seller.get(f"/v1/customers/{customer.id}/subscriptions").json()
    assert subs["totalCount"] == 2
    assert {s["id"] for s in subs["items"]} == {li["subscriptionId"] for li in body["lineItems"]}
    assert all(s["currencyCode"] == "EUR" and s["status"] == "active" for s in subs["items"])
    assert seller.get(f"/v1/customers/{customer.id}/orders").json()["totalCount"] == 1
    assert seller.get(f"/v1/customers/{customer.id}/orders/{body['id']}").json()["id"] == body["id"]
    assert AuditRecord.objects.filter(action="subscription.create").count() == 2


def test_order_is_all_or_nothing(seller, customer):
    r = order(seller, customer, ("WORKPLACE-BASIC", 5), ("WORKPLACE-PREMIUM", 301))
    body = assert_error(r, 400, 7002)
    assert "WORKPLACE-PREMIUM" in body["description"] and "300" in body["description"]
    assert not Subscription.objects.exists() and not Order.objects.exists()
    assert_error(order(seller, customer, ("WORKPLACE-BASIC", 5), ("NO-SUCH-OFFER", 1)), 404, 6102)
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "line",
    [
        {"offerId": "WORKPLACE-BASIC", "quantity": 0},
        {"offerId": "WORKPLACE-BASIC", "quantity": -3},
        {"offerId": "WORKPLACE-BASIC", "quantity": "ten"},
        {"offerId": "", "quantity": 1},
        {"offerId": "WORKPLACE-BASIC"},
        {"offerId": "x" * 100, "quantity": 1},
    ],
)
def test_bad_line_items_are_400(seller, customer, line):
    r = seller.post_json(f"/v1/customers/{customer.id}/orders", {"lineItems": [line]})
    assert_error(r, 400)
    assert not Subscription.objects.exists()


def test_empty_order_is_400(seller, customer):
    assert_error(seller.post_json(f"/v1/customers/{customer.id}/orders", {"lineItems": []}), 400)


def test_trial_once_per_customer(seller, customer):
    assert order(seller, customer, ("WORKPLACE-PREMIUM-TRIAL", 10)).status_code == 201
    assert_error(order(seller, customer, ("WORKPLACE-PREMIUM-TRIAL", 5)), 409, 7010)
    sub = Subscription.objects.get()
    assert sub.is_trial and not sub.auto_renew


def test_retried_order_creates_nothing_twice(seller, customer):
    first = order(seller, customer, ("WORKPLACE-BASIC", 5), **{"MS-RequestId": "order-1"})
    retry = order(seller, customer, ("WORKPLACE-BASIC", 5), **{"MS-RequestId": "order-1"})
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry["MS-Idempotent-Replay"] == "true"
    assert Order.objects.count() == 1 and Subscription.objects.count() == 1


def test_a_partners_list_of_subscriptions_is_one_read_and_another_partner_still_finds_nothing(
    seller, customer, partner, make_partner, make_user, api_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hanse.commerce.selectors import subscription_values_for_customer
    from hanse.directory.selectors import principal_for
    from hanse.errors import NotFound

    mine = principal_for(make_user(partner.tenant, Role.ADMIN_AGENT))
    with CaptureQueriesContext(connection) as empty:
        assert subscription_values_for_customer(principal=mine, customer_id=customer.id) == []
    assert len(empty.captured_queries) == 2  # none found: is the customer theirs at all?
    assert order(seller, customer, ("WORKPLACE-BASIC", 5)).status_code == 201
    with CaptureQueriesContext(connection) as found:
        (sub,) = subscription_values_for_customer(principal=mine, customer_id=customer.id)
    assert len(found.captured_queries) == 1 and sub["quantity"] == 5
    theirs = principal_for(make_user(make_partner().tenant, Role.GLOBAL_ADMIN))
    with pytest.raises(NotFound):
        subscription_values_for_customer(principal=theirs, customer_id=customer.id)
    stranger = api_for(make_user(make_partner().tenant, Role.GLOBAL_ADMIN))
    assert_error(stranger.get(f"/v1/customers/{customer.id}/subscriptions"), 404, 6001)


def test_inactive_partner_cannot_order(seller, customer, partner):
    PartnerAccount.objects.filter(pk=partner.account.pk).update(state=PartnerAccount.State.SUSPENDED)
    assert_error(order(seller, customer, ("WORKPLACE-BASIC", 5)), 403, 5002)
    assert not Order.objects.exists()


def test_orders_are_isolated(customer, make_partner, make_user, api_for):
    stranger = api_for(make_user(make_partner().tenant, Role.GLOBAL_ADMIN))
    assert_error(order(stranger, customer, ("WORKPLACE-BASIC", 5)), 404, 6001)
    assert_error(stranger.get(f"/v1/customers/{customer.id}/subscriptions"), 404, 6001)
    assert not Order.objects.exists()


def patch(client, customer, sub_id, body, etag=None):
    headers = {"If-Match": etag} if etag else {}
    return client.patch(
        f"/v1/customers/{customer.id}/subscriptions/{sub_id}",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def test_subscription_changes_with_etag(seller, customer):
    sub_id = order(seller, customer, ("WORKPLACE-BASIC", 5)).json()["lineItems"][0]["subscriptionId"]
    read = seller.get(f"/v1/customers/{customer.id}/subscriptions/{sub_id}")
    etag = read["ETag"]
    r = patch(
        seller,
        customer,
        sub_id,
        {"quantity": 8, "friendlyName": "Sales team", "autoRenewEnabled": False},
        etag,
    )
    assert r.status_code == 200, r.content
    assert (r.json()["quantity"], r.json()["friendlyName"], r.json()["autoRenewEnabled"]) == (
        8,
        "Sales team",
        False,
    )
    assert_error(patch(seller, customer, sub_id, {"quantity": 9}, etag), 412, 7006)
    assert Subscription.objects.get().quantity == 8
    rec = AuditRecord.objects.get(action="subscription.update")
    assert rec.before["quantity"] == 5 and rec.after["quantity"] == 8


def test_suspend_refuses_quantity_change_then_reactivate(seller, customer):
    sub_id = order(seller, customer, ("WORKPLACE-BASIC", 5)).json()["lineItems"][0]["subscriptionId"]
    assert patch(seller, customer, sub_id, {"status": "suspended"}).json()["status"] == "suspended"
    body = assert_error(patch(seller, customer, sub_id, {"quantity": 6}), 409, 7004)
    assert "reactivate" in body["description"]
    assert Subscription.objects.get().quantity == 5
    again = patch(seller, customer, sub_id, {"status": "active", "quantity": 6})
    assert again.status_code == 200 and again.json()["quantity"] == 6
    actions = list(AuditRecord.objects.filter(target_type="Subscription").values_list("action", flat=True))
    assert actions == ["subscription.create", "subscription.suspend", "subscription.reactivate"]


def test_cancel_is_final(seller, customer):
    sub_id = order(seller, customer, ("WORKPLACE-BASIC", 5)).json()["lineItems"][0]["subscriptionId"]
    assert patch(seller, customer, sub_id, {"status": "deleted"}).json()["status"] == "deleted"
    assert_error(patch(seller, customer, sub_id, {"status": "active"}), 409, 7005)
    assert_error(patch(seller, customer, sub_id, {"quantity": 7}), 409, 7005)


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": 0},
        {"quantity": 301},
        {"status": "paused"},
        {"friendlyName": ""},
        # Blank in one regex dialect or another (Python, Rust, ECMAScript): blank for Hanse.
        {"friendlyName": "\u0085"},
        {"friendlyName": "\x1c "},
        {"friendlyName": "\ufeff"},
        {"autoRenewEnabled": "maybe"},
    ],
)
def test_bad_patches_change_nothing(seller, customer, body):
    sub_id = order(seller, customer, ("WORKPLACE-BASIC", 5)).json()["lineItems"][0]["subscriptionId"]
    r = patch(seller, customer, sub_id, body)
    assert 400 <= r.status_code < 500
    sub = Subscription.objects.get()
    assert (sub.quantity, sub.status, sub.version) == (5, "active", 1)


def test_roles_on_orders_follow_the_matrix(partner, customer, make_user, api_for):
    for role, allowed in [
        (Role.GLOBAL_ADMIN, True),
        (Role.ADMIN_AGENT, True),
        (Role.SALES_AGENT, True),
        (Role.HELPDESK_AGENT, False),
        (Role.BILLING_ADMIN, False),
        (Role.USER_MANAGEMENT_ADMIN, False),
    ]:
        client = api_for(make_user(partner.tenant, role))
        r = order(client, customer, ("MAIL-PLAN-1", 1))
        assert (r.status_code == 201) is allowed, (role, r.content)
        if not allowed:
            assert r.status_code in (403, 404)


def test_sovereign_instance_refuses_new_offers_but_keeps_existing_orderable(seller, customer, swap_instance):
    swap_instance(accepts_new_services=False)
    with pytest.raises(NotPermitted) as e:
        offer_add(actor=system_principal(), spec=SPEC)
    assert e.value.code == 6103
    assert not Offer.objects.filter(id="NEW-SERVICE").exists()
    assert (
        order(seller, customer, ("WORKPLACE-BASIC", 5)).status_code == 201
    )  # existing offers stay orderable
    swap_instance(accepts_new_services=True)
    assert offer_add(actor=system_principal(), spec=SPEC).id == "NEW-SERVICE"


def test_catalog_file_loads_once_then_adds_are_new_services(db, swap_instance):
    swap_instance(accepts_new_services=False)
    loaded = catalog_load(actor=system_principal(), path=CATALOG_DIR / "offers-sovereign.json")
    assert len(loaded) == 11 and all(o.is_sovereign and o.id.endswith("_DE") for o in loaded)
    assert Offer.objects.get(id="WORKPLACE-BASIC_DE").prices.get(currency="CHF").unit_price > Decimal("0")
    with pytest.raises(NotPermitted):
        catalog_load(actor=system_principal(), path=CATALOG_DIR / "offers-public.json")
    assert Offer.objects.count() == 11


@pytest.mark.parametrize("quantity", ["1", True, 1.5, None])
def test_a_quantity_is_a_json_integer(seller, customer, quantity):
    body = {"lineItems": [{"offerId": "MAIL-PLAN-1", "quantity": quantity}]}
    refused = assert_error(seller.post_json(f"/v1/customers/{customer.id}/orders", body), 400, 1001)
    assert refused["data"][0]["field"].endswith("quantity")
    assert not Subscription.objects.filter(customer=customer).exists()


def test_an_order_and_its_recorded_outcome_commit_together(seller, customer, monkeypatch):
    """If recording the outcome fails, the order is undone with it: the client's retry creates
    it once, instead of an order that exists while every retry is refused for 24 hours."""
    from hanse.api import middleware
    from hanse.api.models import IdempotentRequest

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away while recording the outcome")

    monkeypatch.setattr(middleware, "_record", broken)
    failed = order(seller, customer, ("WORKPLACE-BASIC", 5), **{"MS-RequestId": "order-7"})
    assert_error(failed, 500, 1500)
    assert not Order.objects.exists() and not IdempotentRequest.objects.exists()
    assert not AuditRecord.objects.filter(action="order.create").exists()
    monkeypatch.undo()
    retried = order(seller, customer, ("WORKPLACE-BASIC", 5), **{"MS-RequestId": "order-7"})
    assert retried.status_code == 201 and "MS-Idempotent-Replay" not in retried
    again = order(seller, customer, ("WORKPLACE-BASIC", 5), **{"MS-RequestId": "order-7"})
    assert again.json() == retried.json() and again["MS-Idempotent-Replay"] == "true"
    assert Order.objects.count() == 1 and AuditRecord.objects.filter(action="order.create").count() == 1


def test_a_request_id_reused_with_another_body_is_refused(seller, customer):
    assert order(seller, customer, ("WORKPLACE-BASIC", 5), **{"MS-RequestId": "order-8"}).status_code == 201
    other = order(seller, customer, ("WORKPLACE-BASIC", 6), **{"MS-RequestId": "order-8"})
    assert_error(other, 422, 1031)
    assert [s.quantity for s in Subscription.objects.all()] == [5]


@pytest.mark.parametrize("request_id", ["x" * 65, "has space", "ümlaut"])
def test_a_request_id_too_long_or_odd_is_refused(seller, customer, request_id):
    refused = assert_error(
        order(seller, customer, ("WORKPLACE-BASIC", 5), **{"MS-RequestId": request_id}), 400, 1001
    )
    assert refused["data"][0]["field"] == "header.MS-RequestId"
    assert not Order.objects.exists()
    ok = order(seller, customer, ("WORKPLACE-BASIC", 5), **{"MS-RequestId": "x" * 64})
    assert ok.status_code == 201 and ok["MS-RequestId"] == "x" * 64


def test_a_stale_claim_of_a_dead_import_is_taken_over(partner, make_user, make_customer, api_for):
    """An import commits row by row, so its claim is taken before it runs; one left in progress
    by a process that died no longer blocks its retry once it is older than any request runs."""
    from datetime import timedelta

    from hanse import clock
    from hanse.api.middleware import STALE_CLAIM
    from hanse.api.models import IdempotentRequest

    agent = make_user(partner.tenant, Role.ADMIN_AGENT)
    client = api_for(agent, **{"MS-RequestId": "import-1"})
    customer = make_customer(partner, domain="import.example")
    IdempotentRequest.objects.create(
        tenant_id=partner.tenant.id,
        user_id=agent.id,
        request_id="import-1",
        method="POST",
        path=f"/v1/customers/{customer.id}/users/import",
        created_at=clock.now(),
    )
    url = f"/v1/customers/{customer.id}/users/import"
    csv = b"userPrincipalName,displayName\nrow@import.example,Row\n"
    assert_error(client.post(url, data=csv, content_type="text/csv"), 409, 1030)  # still running
    IdempotentRequest.objects.update(created_at=clock.now() - STALE_CLAIM - timedelta(seconds=1))
    taken = client.post(url, data=csv, content_type="text/csv")
    assert taken.status_code == 200, taken.content
    assert [r["userPrincipalName"] for r in taken.json()["created"]] == ["row@import.example"]
    assert IdempotentRequest.objects.get().status == 200


def test_unnumbered_lines_take_the_numbers_no_line_was_given(seller, customer):
    body = {
        "lineItems": [
            {"offerId": "WORKPLACE-BASIC", "quantity": 1},
            {"offerId": "MAIL-PLAN-1", "quantity": 1, "lineItemNumber": 0},
            {"offerId": "WORKPLACE-BASIC", "quantity": 2},
        ]
    }
    r = seller.post_json(f"/v1/customers/{customer.id}/orders", body)
    assert r.status_code == 201, r.content
    assert [(li["offerId"], li["lineItemNumber"]) for li in r.json()["lineItems"]] == [
        ("MAIL-PLAN-1", 0),
        ("WORKPLACE-BASIC", 1),
        ("WORKPLACE-BASIC", 2),
    ]
    twice = {"lineItems": [{"offerId": "MAIL-PLAN-1", "quantity": 1, "lineItemNumber": 3}] * 2}
    assert_error(seller.post_json(f"/v1/customers/{customer.id}/orders", twice), 400, 7009)


def as_ninja_sends(schema: Any, content: bytes) -> Any:
    """The body validated through its schema and encoded as django-ninja encodes a response."""
    from ninja.responses import NinjaJSONEncoder

    return json.loads(json.dumps(schema.model_validate_json(content).model_dump(), cls=NinjaJSONEncoder))


def test_collections_send_each_item_as_its_schema_does(seller, customer, make_customer, partner):
    """Collections are sent without validating their items through the schemas again: each item
    is the same JSON as the one object read alone (which django-ninja validates), and the whole
    body validates against the collection's schema, the OpenAPI contract."""
    from hanse.commerce.api import SubscriptionCollectionOut
    from hanse.customers.api import CustomerCollectionOut

    assert order(seller, customer, ("WORKPLACE-BASIC", 5), ("MAIL-PLAN-1", 20)).status_code == 201
    make_customer(partner, name="Zweite GmbH")
    subs = seller.get(f"/v1/customers/{customer.id}/subscriptions")
    assert subs.json() == as_ninja_sends(SubscriptionCollectionOut, subs.content)
    for item in subs.json()["items"]:
        assert item == seller.get(f"/v1/customers/{customer.id}/subscriptions/{item['id']}").json()
    assert {s["unitPrice"] for s in subs.json()["items"]} == {
        "5.60",
        "3.70",
    }  # as the catalogue prices them in EUR
    customers = seller.get("/v1/customers?size=1")
    assert customers.json() == as_ninja_sends(CustomerCollectionOut, customers.content)
    walk = [*customers.json()["items"]]
    nxt = customers.json()["links"]["next"]
    walk += seller.get(nxt["uri"], headers={h["key"]: h["value"] for h in nxt["headers"]}).json()["items"]
    assert len(walk) == 2
    for item in walk:
        assert item == seller.get(f"/v1/customers/{item['id']}").json()


def test_a_compiled_list_answers_each_partner_with_its_own_rows_as_the_orm_does(
    seller, customer, partner, make_partner, make_user, make_customer, api_for, monkeypatch
):
    """The subscriptions list's SQL is compiled once per process (hanse.db.compiled_values) and
    run with each partner's id and customer: the same rows, of the same types, as the ORM's."""
    import uuid

    from django.db.models.sql.compiler import SQLCompiler

    from hanse import db
    from hanse.access.roles import Action
    from hanse.access.scope import scoped
    from hanse.commerce.selectors import SUBSCRIPTION_VALUES, subscription_values_for_customer
    from hanse.directory.selectors import principal_for
    from hanse.errors import NotFound

    monkeypatch.setattr(db, "_statements", {})  # compiled afresh in this test
    other = make_partner()
    theirs_customer = make_customer(other)
    assert order(seller, customer, ("WORKPLACE-BASIC", 5), ("WORKPLACE-PREMIUM", 2)).status_code == 201
    other_seller = api_for(make_user(other.tenant, Role.ADMIN_AGENT))
    assert order(other_seller, theirs_customer, ("WORKPLACE-BASIC", 7)).status_code == 201
    mine = principal_for(make_user(partner.tenant, Role.ADMIN_AGENT))
    theirs = principal_for(make_user(other.tenant, Role.ADMIN_AGENT))

    def orm(principal: Any, customer_id: uuid.UUID) -> list[dict[str, Any]]:
        qs = scoped(Subscription.objects.all(), principal, Action.CUSTOMER_VIEW)
        return list(
            qs.filter(customer_id=customer_id).order_by("created_at", "id").values(*SUBSCRIPTION_VALUES)
        )

    compiled: list[bool] = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(True) or as_sql(self, *a, **k)
    )
    first = subscription_values_for_customer(principal=mine, customer_id=customer.id)
    after_first = len(compiled)
    again = subscription_values_for_customer(principal=mine, customer_id=customer.id)
    other_rows = subscription_values_for_customer(principal=theirs, customer_id=theirs_customer.id)
    assert after_first > 0 and len(compiled) == after_first  # neither read compiled again

    assert first == again == orm(mine, customer.id)
    assert sorted(r["quantity"] for r in first) == [2, 5]
    assert other_rows == orm(theirs, theirs_customer.id) and [r["quantity"] for r in other_rows] == [7]
    row = first[0]
    assert isinstance(row["id"], uuid.UUID) and isinstance(row["unit_price"], Decimal)
    assert row["created_at"].tzinfo is not None and isinstance(row["auto_renew"], bool)
    with pytest.raises(NotFound):  # the compiled read with another partner's id finds nothing of it
        subscription_values_for_customer(principal=theirs, customer_id=customer.id)


def test_a_shape_is_named_by_its_function(partner, make_user):
    from hanse.access.roles import Action
    from hanse.access.scope import scoped_values
    from hanse.directory.selectors import principal_for

    mine = principal_for(make_user(partner.tenant, Role.ADMIN_AGENT))
    with pytest.raises(TypeError):
        scoped_values(Subscription, mine, Action.CUSTOMER_VIEW, lambda qs: qs.values("id"))
