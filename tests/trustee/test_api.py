"""``/v1/accessrequests``: the whole path through the API, and access transparency: the customer's
admin sees, per grant, every object the operator read and changed (docs/trustee.md)."""

from __future__ import annotations

from typing import Any

import pytest

from hanse.audit.models import AuditRecord
from hanse.commerce.services import LineItem, order_create
from hanse.directory.models import User
from hanse.directory.services import token_issue
from hanse.instance.config import TrusteePolicy
from tests.api.test_conventions import assert_error
from tests.conftest import ApiClient, principal_of
from tests.trustee.conftest import World

BODY = {
    "customerId": "",
    "scope": ["users"],
    "access": "read",
    "reasonCode": "customer_support",
    "justification": "Ticket 4711: the customer's users cannot sign in.",
    "supportCaseRef": "CASE-4711",
    "durationHours": 4,
}


def client_of(user: User) -> ApiClient:
    """A token the user mints for itself (the operator's CLI mints none for a customer's user on
    a trustee instance)."""
    return ApiClient(token_issue(actor=principal_of(user), user=user, ttl_seconds=3600).token)


@pytest.fixture
def clients(world: World) -> dict[str, Any]:
    return {
        "operator": client_of(world.operator),
        "officer": client_of(world.officer),
        "admin_a": client_of(world.admin_a),
        "admin_b": client_of(world.admin_b),
    }


def test_request_approve_read_see_the_reads_revoke(world, clients, swap_instance, admin, offers):
    w, c = world, clients
    offer = next(o for o in offers if not o.is_trial)
    line = LineItem(offer_id=offer.id, quantity=1, friendly_name="Seats", number=None)
    order_create(actor=principal_of(admin), customer_id=w.a.id, lines=[line])
    swap_instance(trustee=TrusteePolicy(approval="trustee+customer"))
    users_a = f"/v1/customers/{w.a.id}/users"
    assert_error(c["operator"].get(users_a), 403, 3001)  # no grant: refused outright
    r = c["operator"].post_json("/v1/accessrequests", {**BODY, "customerId": str(w.a.id)})
    assert r.status_code == 201, r.content
    req = r.json()
    assert (req["state"], req["scope"], req["access"], req["requester"]) == (
        "pending",
        ["users"],
        "read",
        w.operator.upn,
    )
    rid = req["id"]
    # The customer's admin sees the request about its data; the other customer's admin does not.
    assert [x["id"] for x in c["admin_a"].get("/v1/accessrequests").json()["items"]] == [rid]
    assert c["admin_b"].get("/v1/accessrequests").json()["items"] == []
    assert_error(c["admin_b"].get(f"/v1/accessrequests/{rid}"), 404, 9001)
    assert_error(c["admin_a"].post_json(f"/v1/accessrequests/{rid}/approve", {}), 403, 9006)  # not its turn
    assert (
        c["officer"].post_json(f"/v1/accessrequests/{rid}/approve", {"note": "ok"}).json()["state"]
        == "pending"
    )
    assert_error(c["operator"].get(users_a), 403, 3001)  # still pending
    approved = c["admin_a"].post_json(f"/v1/accessrequests/{rid}/approve", {"note": "yes"}).json()
    assert approved["state"] == "approved" and [d["party"] for d in approved["decisions"]] == [
        "trustee",
        "customer",
    ]

    listed = c["operator"].get(users_a)
    assert listed.status_code == 200, listed.content
    upns = {u["userPrincipalName"] for u in listed.json()["items"]}
    assert w.admin_a.upn in upns
    assert_error(c["operator"].get(f"/v1/customers/{w.b.id}/users"), 404)  # the grant opens A only
    # And users only: A's subscriptions stay closed (its profile row, which all hangs from, is read).
    assert c["operator"].get(f"/v1/customers/{w.a.id}/subscriptions").json()["items"] == []
    # A read grant changes nothing: a typed refusal, and the user is as it was.
    refused = c["operator"].patch_json(f"{users_a}/{w.admin_a.id}", {"displayName": "Changed"})
    assert_error(refused, 403, 3001)
    assert User.objects.get(pk=w.admin_a.pk).display_name != "Changed"

    accesses = c["admin_a"].get(f"/v1/accessrequests/{rid}/accesses")
    assert accesses.status_code == 200, accesses.content
    reads = [a for a in accesses.json()["items"] if a["action"] == "access.read"]
    read_ids = {o["id"] for a in reads for o in a["objects"] if o["type"] == "User"}
    tenant_users = {str(u) for u in User.objects.filter(tenant=w.a.tenant).values_list("id", flat=True)}
    assert read_ids == tenant_users  # exactly the users returned, each named
    assert all(a["actor"] == w.operator.upn for a in reads)
    assert {a["action"] for a in accesses.json()["items"]} >= {
        "access.request",
        "access.approve",
        "access.read",
    }
    assert_error(c["admin_b"].get(f"/v1/accessrequests/{rid}/accesses"), 404)
    assert (
        AuditRecord.objects.filter(grant_id=rid, action="access.read", tenant_id=w.b.tenant_id).count() == 0
    )

    revoked = c["officer"].post_json(f"/v1/accessrequests/{rid}/revoke", {"note": "done"})
    assert revoked.json()["state"] == "revoked"
    assert_error(c["operator"].get(users_a), 403, 3001)
    assert_error(c["officer"].post_json(f"/v1/accessrequests/{rid}/revoke", {}), 409, 9003)


def test_writes_under_a_read_write_grant_name_the_grant(world, clients):
    w, c = world, clients
    body = {**BODY, "customerId": w.a.tenant.domain, "access": "readwrite"}
    rid = c["operator"].post_json("/v1/accessrequests", body).json()["id"]
    c["officer"].post_json(f"/v1/accessrequests/{rid}/approve", {"note": "ok"})
    changed = c["operator"].patch_json(
        f"/v1/customers/{w.a.id}/users/{w.admin_a.id}", {"displayName": "Fixed"}
    )
    assert changed.status_code == 200, changed.content
    rec = AuditRecord.objects.get(action="user.update", target_id=str(w.admin_a.id))
    assert str(rec.grant_id) == rid and rec.actor_upn == w.operator.upn
    actions = [a["action"] for a in c["admin_a"].get(f"/v1/accessrequests/{rid}/accesses").json()["items"]]
    assert "user.update" in actions
    done = c["operator"].post_json(f"/v1/accessrequests/{rid}/complete", {}).json()
    assert done["state"] == "completed"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"durationHours": 9}, 400, 9008),
        ({"scope": []}, 400, 9009),
        ({"reasonCode": "curiosity"}, 400, 9010),
        ({"customerId": "nobody.example"}, 404, 9013),
        ({"durationHours": "4"}, 400, None),
        ({"approver": "me"}, 400, None),
    ],
)
def test_bad_requests_get_a_clear_error_and_change_nothing(world, clients, change, status, code):
    before = AuditRecord.objects.count()
    r = clients["operator"].post_json("/v1/accessrequests", {**BODY, "customerId": str(world.a.id), **change})
    assert_error(r, status, code)
    assert AuditRecord.objects.count() == before


def test_partners_neither_file_nor_list(admin, api_for, world):
    client = api_for(admin)
    assert_error(client.get("/v1/accessrequests"), 403, 3001)
    assert_error(client.post_json("/v1/accessrequests", {**BODY, "customerId": str(world.a.id)}), 403, 3001)
