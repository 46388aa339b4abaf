"""/v1/customers: create, list with paging and filter, get, billing profile with If-Match."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.customers.models import Customer
from hanse.directory.models import Tenant
from hanse.partners.models import PartnerAccount
from tests.api.test_conventions import assert_error
from tests.selling.conftest import customer_body


def test_create_customer_returns_partner_center_shape(seller, partner):
    r = seller.post_json("/v1/customers", customer_body())
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["attributes"]["objectType"] == "Customer"
    assert body["companyProfile"]["domain"] == "neu-kunde.example"
    assert body["billingProfile"]["defaultAddress"]["country"] == "DE"
    assert body["relationshipToPartner"] == "reseller"
    assert r["ETag"] == body["attributes"]["etag"]
    customer = Customer.objects.get(id=body["id"])
    assert customer.partner_id == partner.account.id and customer.tenant.kind == "customer"
    assert AuditRecord.objects.filter(action="customer.create", target_id=body["id"]).exists()


@pytest.mark.parametrize("country", ["US", "GB", "TR", "XX", "de1"])
def test_country_outside_eu_efta_is_400_and_changes_nothing(seller, country):
    before = (Customer.objects.count(), Tenant.objects.count())
    r = seller.post_json("/v1/customers", customer_body(country=country))
    assert r.status_code == 400
    assert (Customer.objects.count(), Tenant.objects.count()) == before


def test_country_error_is_clear(seller):
    body = assert_error(seller.post_json("/v1/customers", customer_body(country="US")), 400, 6101)
    assert "US" in body["description"] and "CH" in body["description"]


@pytest.mark.parametrize("country", ["CH", "NO", "IS", "LI", "PL", "SE"])
def test_efta_and_non_euro_markets_are_accepted(seller, country):
    assert (
        seller.post_json(
            "/v1/customers", customer_body(domain=f"k-{country.lower()}.example", country=country)
        ).status_code
        == 201
    )


def test_domain_is_unique_in_the_instance(seller, make_partner, make_user, api_for):
    assert seller.post_json("/v1/customers", customer_body()).status_code == 201
    other = api_for(make_user(make_partner().tenant, Role.SALES_AGENT))
    assert_error(other.post_json("/v1/customers", customer_body(domain="NEU-KUNDE.example")), 409, 6003)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b["companyProfile"].update(companyName="x" * 201),
        lambda b: b["companyProfile"].update(domain="not a domain"),
        # A valid domain, but admin@ it would be longer than a user name may be.
        lambda b: b["companyProfile"].update(domain=("a" * 60 + ".") * 4 + "example"),
        lambda b: b["billingProfile"].update(email="nope"),
        lambda b: b["billingProfile"].update(firstName=""),
        lambda b: b["billingProfile"]["defaultAddress"].pop("city"),
        lambda b: b["billingProfile"].update(culture=12),
        lambda b: b.pop("billingProfile"),
    ],
)
def test_bad_bodies_are_400_and_change_nothing(seller, mutate):
    body = customer_body()
    mutate(body)
    before = Customer.objects.count()
    r = seller.post_json("/v1/customers", body)
    assert_error(r, 400)
    assert Customer.objects.count() == before


def test_sovereign_instance_refuses_new_customers_naming_the_peer(
    seller, swap_instance, partner, make_customer
):
    existing = make_customer(partner)
    swap_instance(accepts_new_customers=False)
    body = assert_error(seller.post_json("/v1/customers", customer_body()), 403, 6002)
    assert "http://127.0.0.1:9" in body["description"]  # the test instance's peer
    assert not Customer.objects.filter(tenant__domain="neu-kunde.example").exists()
    # Existing customers carry on.
    assert seller.get(f"/v1/customers/{existing.id}").status_code == 200


def test_pending_or_suspended_partner_cannot_create(seller, partner):
    for state in (PartnerAccount.State.PENDING, PartnerAccount.State.SUSPENDED):
        PartnerAccount.objects.filter(pk=partner.account.pk).update(state=state)
        assert_error(seller.post_json("/v1/customers", customer_body()), 403, 5002)
    assert not Customer.objects.exists()


def test_get_and_isolation(seller, partner, make_partner, make_user, api_for, make_customer):
    mine = make_customer(partner)
    other_partner = make_partner()
    theirs = make_customer(other_partner)
    assert seller.get(f"/v1/customers/{mine.id}").json()["id"] == str(mine.id)
    assert_error(seller.get(f"/v1/customers/{theirs.id}"), 404, 6001)
    assert_error(seller.get(f"/v1/customers/{theirs.id}/profiles/billing"), 404, 6001)
    patch = seller.patch(
        f"/v1/customers/{theirs.id}/profiles/billing",
        data=json.dumps(customer_body()["billingProfile"]),
        content_type="application/json",
    )
    assert_error(patch, 404, 6001)
    listed = {c["id"] for c in seller.get("/v1/customers").json()["items"]}
    assert listed == {str(mine.id)}


def test_paging_visits_every_customer_once_while_customers_are_added(seller, partner, make_customer):
    for i in range(7):
        make_customer(partner, name=f"Firma {i}")
    seen: list[str] = []
    counts: list[int] = []
    url, headers = "/v1/customers?size=3", {}
    added = False
    while True:
        page = seller.get(url, headers=headers).json()
        seen += [c["id"] for c in page["items"]]
        counts.append(page["totalCount"])
        if not added:
            make_customer(partner, name="Spät GmbH")  # a row added mid-walk
            added = True
        nxt = page["links"].get("next")
        if not nxt:
            break
        assert nxt["method"] == "GET" and nxt["headers"][0]["key"] == "MS-ContinuationToken"
        url, headers = nxt["uri"], {h["key"]: h["value"] for h in nxt["headers"]}
    assert len(seen) == len(set(seen)) == Customer.objects.filter(partner=partner.account).count() == 8
    # Counted once, when the walk began, and carried in the token; a new walk counts afresh.
    assert counts == [7, 7, 7]
    assert seller.get("/v1/customers?size=3").json()["totalCount"] == 8


def test_starts_with_filter_on_name_and_domain(seller, partner, make_customer):
    make_customer(partner, name="Contoso Bau", domain="contoso-bau.example")
    make_customer(partner, name="Fabrikam", domain="fabrikam.example")
    make_customer(partner, name="Bau Contoso", domain="c-bau.example")
    by_name = json.dumps({"Field": "CompanyName", "Value": "cont", "Operator": "starts_with"})
    names = [
        c["companyProfile"]["companyName"]
        for c in seller.get("/v1/customers", {"filter": by_name}).json()["items"]
    ]
    assert names == ["Contoso Bau"]
    by_domain = json.dumps({"Field": "Domain", "Value": "c", "Operator": "starts_with"})
    domains = {
        c["companyProfile"]["domain"]
        for c in seller.get("/v1/customers", {"filter": by_domain}).json()["items"]
    }
    assert domains == {"contoso-bau.example", "c-bau.example"}


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        '{"Field": "Nope", "Value": "a"}',
        '{"Field": "Domain"}',
        '{"Field": "Domain", "Value": "a", "Operator": "contains"}',
        "[]",
    ],
)
def test_bad_filter_is_400(seller, raw):
    assert_error(seller.get("/v1/customers", {"filter": raw}), 400, 1001)


def test_billing_update_with_etag(seller, partner, make_customer):
    c = make_customer(partner)
    read = seller.get(f"/v1/customers/{c.id}/profiles/billing")
    etag = read["ETag"]
    new = customer_body()["billingProfile"]
    new["defaultAddress"]["city"] = "Hamburg"
    ok = seller.patch(
        f"/v1/customers/{c.id}/profiles/billing",
        data=json.dumps(new),
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert ok.status_code == 200 and ok.json()["defaultAddress"]["city"] == "Hamburg"
    assert ok["ETag"] != etag
    stale = seller.patch(
        f"/v1/customers/{c.id}/profiles/billing",
        data=json.dumps(new),
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert_error(stale, 412, 6004)
    rec = AuditRecord.objects.get(action="customer.update_billing", target_id=str(c.id))
    assert (
        rec.before["billingProfile"]["city"] == "Berlin" and rec.after["billingProfile"]["city"] == "Hamburg"
    )


def test_billing_update_to_non_market_is_refused(seller, partner, make_customer):
    c = make_customer(partner)
    new = customer_body(country="US")["billingProfile"]
    r = seller.patch(
        f"/v1/customers/{c.id}/profiles/billing", data=json.dumps(new), content_type="application/json"
    )
    assert_error(r, 400, 6101)
    c.refresh_from_db()
    assert c.country == "DE" and c.version == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_billing_updates_with_the_same_etag_one_wins(partner, make_user, api_for, make_customer):
    c = make_customer(partner)
    user = make_user(partner.tenant, Role.ADMIN_AGENT)
    clients = [api_for(user) for _ in range(4)]
    results: list[int] = []

    def update(client, city):
        body = customer_body()["billingProfile"]
        body["defaultAddress"]["city"] = city
        try:
            r = client.patch(
                f"/v1/customers/{c.id}/profiles/billing",
                data=json.dumps(body),
                content_type="application/json",
                headers={"If-Match": c.etag},
            )
            results.append(r.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=update, args=(cl, f"City{i}")) for i, cl in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 412, 412, 412]
