"""The admin center's Graph-shaped API: a customer's users and licences, the partner's own users,
Graph's error body, delegated and customer-admin scope, and every task routing."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.catalog.models import Offer, sku_guid
from hanse.commerce.services import LineItem, order_create
from hanse.directory.models import User
from hanse.directory.selectors import user_for_bearer
from hanse.directory.services import token_issue
from hanse.licensing.models import LicenceAssignment
from tests.conftest import SYSTEM

BASE = "/admin-center/api/v1.0"
ADMIN_UPN = "admin@kunde.example"  # the customer's first Global admin, made with it
TASKS = ("partner_users", "customer_users", "password_reset", "licences")
USER_KEYS = {
    "@odata.type",
    "id",
    "userPrincipalName",
    "displayName",
    "usageLocation",
    "accountEnabled",
    "assignedLicenses",
    "deletedDateTime",
}


def assert_graph_error(response, status: int, code: str, hanse_code: int | None = None) -> dict:
    assert response.status_code == status, response.content
    # A view's error body is measured by an inner middleware and then re-rendered in Graph's shape:
    # the length sent must be the new body's (answers made by the API middleware itself have none).
    if response.has_header("Content-Length"):
        assert int(response["Content-Length"]) == len(response.content)
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code and error["message"]
    inner = error["innerError"]
    assert {"hanseCode", "request-id", "client-request-id", "date"} <= set(inner)
    assert isinstance(inner["hanseCode"], int)
    if hanse_code is not None:
        assert inner["hanseCode"] == hanse_code
    return error


@pytest.fixture
def customer(partner, make_customer, offers):
    c = make_customer(partner, domain="kunde.example")
    order_create(
        actor=SYSTEM, customer_id=c.id, lines=[LineItem("WORKPLACE-BASIC", 2), LineItem("MAIL-PLAN-1", 5)]
    )
    return c


@pytest.fixture
def agent(partner, make_user, api_for):
    return api_for(make_user(partner.tenant, Role.ADMIN_AGENT))


def users_url(customer, rest=""):
    return f"{BASE}/customers/{customer.id}/users{rest}"


def new_user(client, customer, local="anna", location="DE", headers=None, **extra):
    body = {"accountEnabled": True, "userPrincipalName": f"{local}@{customer.tenant.domain}"}
    body["displayName"] = local.title()
    if location:
        body["usageLocation"] = location
    return client.post_json(users_url(customer), {**body, **extra}, headers=headers or {})


def patch(client, url, body):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def assign(client, customer, user_id, add=(), remove=()):
    body = {"addLicenses": [{"skuId": s, "disabledPlans": []} for s in add], "removeLicenses": list(remove)}
    return client.post_json(users_url(customer, f"/{user_id}/assignLicense"), body)


# -- happy paths and shapes ---------------------------------------------------------------------


def test_create_get_update_a_user(agent, customer):
    r = new_user(agent, customer, passwordProfile={"forceChangePasswordNextSignIn": True})
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == USER_KEYS | {"passwordProfile"}
    assert body["userPrincipalName"] == "anna@kunde.example" and body["accountEnabled"] is True
    assert (
        body["usageLocation"] == "DE" and body["assignedLicenses"] == [] and body["deletedDateTime"] is None
    )
    user = User.objects.get(id=body["id"])
    assert body["passwordProfile"]["forceChangePasswordNextSignIn"] is True
    assert user.check_password(body["passwordProfile"]["password"]) and user.must_change_password
    assert r["request-id"] and r["client-request-id"]

    got = agent.get(users_url(customer, f"/{user.id}"))
    assert got.status_code == 200 and set(got.json()) == USER_KEYS
    assert got.json()["id"] == str(user.id)

    r = patch(agent, users_url(customer, f"/{user.id}"), {"displayName": "Anna B", "usageLocation": "AT"})
    assert r.status_code == 204, r.content
    got = agent.get(users_url(customer, f"/{user.id}")).json()
    assert got["displayName"] == "Anna B" and got["usageLocation"] == "AT"
    assert AuditRecord.objects.filter(action="user.update", target_id=str(user.id)).exists()


def test_list_pages_with_skiptoken_visiting_each_user_once(agent, customer):
    ids = [new_user(agent, customer, f"u{i}").json()["id"] for i in range(5)]
    seen, url, pages = [], f"{users_url(customer)}?$top=2", 0
    while url:
        r = agent.get(url)
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["@odata.context"].endswith(f"$metadata#customers('{customer.id}')/users")
        assert all(set(u) == USER_KEYS for u in body["value"])
        seen += [u["id"] for u in body["value"]]
        url = body.get("@odata.nextLink")
        if url:
            query = parse_qs(urlparse(url).query)
            assert query["$top"] == ["2"] and query["$skiptoken"][0]
        pages += 1
    admin_id = str(User.objects.get(upn=ADMIN_UPN).id)
    assert seen == [admin_id, *ids] and pages == 3
    assert "@odata.nextLink" not in agent.get(users_url(customer)).json()


def test_filter_startswith_and_eq_and_the_next_link_keeps_it(agent, customer):
    for local in ("anna", "anton", "bert", "andrea", "carl"):
        new_user(agent, customer, local)
    url, names = f"{users_url(customer)}?$top=2&$filter=startswith(displayName,'an')", []
    while url:
        body = agent.get(url).json()
        names += [u["displayName"] for u in body["value"]]
        url = body.get("@odata.nextLink")
        if url:
            assert parse_qs(urlparse(url).query)["$filter"] == ["startswith(displayName,'an')"]
    assert names == ["Anna", "Anton", "Andrea"]
    exact = agent.get(users_url(customer), {"$filter": "userPrincipalName eq 'BERT@kunde.example'"}).json()
    assert [u["displayName"] for u in exact["value"]] == ["Bert"]
    # Deleted users filter the same way.
    carl = User.objects.get(upn="carl@kunde.example")
    assert agent.delete(users_url(customer, f"/{carl.id}")).status_code == 204
    deleted = agent.get(
        f"{BASE}/customers/{customer.id}/directory/deletedItems/microsoft.graph.user",
        {"$filter": "startswith(userPrincipalName,'c')"},
    ).json()
    assert [u["id"] for u in deleted["value"]] == [str(carl.id)]


@pytest.mark.parametrize(
    "raw", ["contains(displayName,'a')", "startswith(mail,'a')", "startswith(displayName,'')", "x" * 1001]
)
def test_a_filter_that_cannot_be_applied_is_400(agent, customer, raw):
    new_user(agent, customer)
    error = assert_graph_error(
        agent.get(users_url(customer), {"$filter": raw}), 400, "Request_BadRequest", 1001
    )
    assert "$filter" in json.dumps(error)


def test_delete_lists_in_deleted_items_and_restores(agent, customer):
    uid = new_user(agent, customer).json()["id"]
    assert assign(agent, customer, uid, add=["WORKPLACE-BASIC"]).status_code == 200
    assert agent.delete(users_url(customer, f"/{uid}")).status_code == 204
    assert not LicenceAssignment.objects.exists()  # the seat is freed at once
    assert [u["userPrincipalName"] for u in agent.get(users_url(customer)).json()["value"]] == [ADMIN_UPN]
    assert_graph_error(agent.get(users_url(customer, f"/{uid}")), 404, "Request_ResourceNotFound", 2019)
    deleted = agent.get(f"{BASE}/customers/{customer.id}/directory/deletedItems/microsoft.graph.user").json()
    assert deleted["@odata.context"].endswith("$metadata#directoryObjects/microsoft.graph.user")
    [item] = deleted["value"]
    assert item["id"] == uid and item["deletedDateTime"] and item["accountEnabled"] is False
    restore = f"{BASE}/customers/{customer.id}/directory/deletedItems/{uid}/restore"
    r = agent.post_json(restore, {})
    assert r.status_code == 200 and r.json()["deletedDateTime"] is None and r.json()["accountEnabled"]
    assert_graph_error(agent.post_json(restore, {}), 404, "Request_ResourceNotFound", 2019)


def test_reset_password_revokes_every_token(agent, customer):
    created = new_user(agent, customer).json()
    user = User.objects.get(id=created["id"])
    token = token_issue(actor=SYSTEM, user=user, ttl_seconds=600).token
    r = agent.post_json(users_url(customer, f"/{user.id}/resetPassword"), {})
    assert r.status_code == 200 and set(r.json()) == {"newPassword"}
    user.refresh_from_db()
    assert user.check_password(r.json()["newPassword"]) and user.must_change_password
    assert user_for_bearer(token) is None


def test_assign_license_and_subscribed_skus(agent, customer):
    """Graph names a SKU by its GUID; the readable part number is accepted too, for people."""
    guid = {o.id: str(o.guid) for o in Offer.objects.all()}
    assert guid["WORKPLACE-BASIC"] == str(sku_guid("WORKPLACE-BASIC"))
    uid = new_user(agent, customer).json()["id"]
    r = assign(agent, customer, uid, add=[guid["WORKPLACE-BASIC"], "MAIL-PLAN-1"])
    assert r.status_code == 200, r.content
    assert set(r.json()) == USER_KEYS
    assigned = r.json()["assignedLicenses"]
    assert sorted(x["skuId"] for x in assigned) == sorted([guid["MAIL-PLAN-1"], guid["WORKPLACE-BASIC"]])
    assert all(x["disabledPlans"] == [] for x in assigned)
    r = assign(agent, customer, uid, remove=[guid["MAIL-PLAN-1"]])
    assert [x["skuId"] for x in r.json()["assignedLicenses"]] == [guid["WORKPLACE-BASIC"]]
    listed = agent.get(users_url(customer)).json()["value"]
    assert [(u["userPrincipalName"], u["assignedLicenses"]) for u in listed] == [
        (ADMIN_UPN, []),
        ("anna@kunde.example", [{"skuId": guid["WORKPLACE-BASIC"], "disabledPlans": []}]),
    ]
    unknown = assert_graph_error(
        assign(agent, customer, uid, add=["00000000-0000-4000-8000-000000000000"]), 400, "Request_BadRequest"
    )
    assert "00000000-0000-4000-8000-000000000000" in unknown["message"]

    skus = agent.get(f"{BASE}/customers/{customer.id}/subscribedSkus").json()
    by_id = {s["skuId"]: s for s in skus["value"]}
    assert by_id[guid["WORKPLACE-BASIC"]] == {
        "id": f"{customer.tenant_id}_{guid['WORKPLACE-BASIC']}",
        "accountId": str(customer.tenant_id),
        "accountName": customer.company_name,
        "appliesTo": "User",
        "skuId": guid["WORKPLACE-BASIC"],
        "skuPartNumber": "WORKPLACE-BASIC",
        "capabilityStatus": "Enabled",
        "consumedUnits": 1,
        "prepaidUnits": {"enabled": 2, "suspended": 0, "warning": 0, "lockedOut": 0},
        "servicePlans": [],
    }
    mail = by_id[guid["MAIL-PLAN-1"]]
    assert mail["consumedUnits"] == 0 and mail["prepaidUnits"]["enabled"] == 5


def test_out_of_seats_is_400_naming_the_sku(agent, customer):
    ids = [new_user(agent, customer, f"s{i}").json()["id"] for i in range(3)]
    for uid in ids[:2]:
        assert assign(agent, customer, uid, add=["WORKPLACE-BASIC"]).status_code == 200
    error = assert_graph_error(
        assign(agent, customer, ids[2], add=["WORKPLACE-BASIC"]), 400, "Request_BadRequest", 60012
    )
    assert "WORKPLACE-BASIC" in error["message"]
    assert error["innerError"]["data"] == [{"skuId": "WORKPLACE-BASIC", "prepaid": 2}]
    assert LicenceAssignment.objects.count() == 2


def test_csv_import_reports_each_row(agent, customer):
    csv_text = (
        "userPrincipalName,displayName,usageLocation\n"
        "ok1@kunde.example,Ok One,DE\n"
        "bad@other.example,Bad Domain,DE\n"
        "ok1@kunde.example,Duplicate,DE\n"
    )
    r = agent.post(users_url(customer, "/import"), data=csv_text, content_type="text/csv")
    assert r.status_code == 200, r.content
    body = r.json()
    assert [row["userPrincipalName"] for row in body["created"]] == ["ok1@kunde.example"]
    assert body["created"][0]["password"]
    assert {row["line"] for row in body["refused"]} == {3, 4}
    error = assert_graph_error(
        agent.post(users_url(customer, "/import"), data=b"", content_type="text/csv"),
        400,
        "Request_BadRequest",
    )
    assert error["innerError"]["hanseCode"] == 2022


def test_partner_users(admin, partner, api_for):
    client = api_for(admin)
    body = {
        "accountEnabled": True,
        "userPrincipalName": f"neu@{partner.domain}",
        "displayName": "Neu",
        "roles": ["sales_agent"],
    }
    r = client.post_json(f"{BASE}/partner/users", body)
    assert r.status_code == 201, r.content
    created = r.json()
    assert set(created) == {
        "id",
        "userPrincipalName",
        "displayName",
        "accountEnabled",
        "roles",
        "passwordProfile",
    }
    assert created["roles"] == ["sales_agent"] and created["passwordProfile"]["password"]
    uid = created["id"]
    listed = client.get(f"{BASE}/partner/users").json()
    assert listed["@odata.context"].endswith("$metadata#partner/users")
    by_upn = {u["userPrincipalName"]: u for u in listed["value"]}
    assert by_upn[f"neu@{partner.domain}"]["accountEnabled"] is True
    url = f"{BASE}/partner/users/{uid}"
    assert (
        patch(client, url, {"roles": ["admin_agent", "billing_admin"], "accountEnabled": False}).status_code
        == 204
    )
    user = User.objects.get(id=uid)
    assert not user.is_active and sorted(user.role_assignments.values_list("role", flat=True)) == [
        "admin_agent",
        "billing_admin",
    ]
    assert_graph_error(patch(client, f"{BASE}/partner/users/{admin.id}", {"accountEnabled": False}), 409,
                       "Request_Conflict", 2023)  # fmt: skip


def test_partner_user_patch_is_all_or_nothing(admin, partner, api_for):
    # Demoting the last Global admin fails after nothing else was applied.
    client = api_for(admin)
    r = patch(client, f"{BASE}/partner/users/{admin.id}", {"roles": ["admin_agent"], "accountEnabled": True})
    assert_graph_error(r, 409, "Request_Conflict", 2023)
    assert admin.role_assignments.get().role == "global_admin"


# -- errors in Graph's shape --------------------------------------------------------------------


def test_another_partners_customer_is_404(customer, make_partner, make_user, api_for):
    stranger = api_for(make_user(make_partner().tenant, Role.ADMIN_AGENT))
    assert_graph_error(stranger.get(users_url(customer)), 404, "Request_ResourceNotFound")
    assert_graph_error(new_user(stranger, customer), 404, "Request_ResourceNotFound")
    assert_graph_error(
        stranger.get(f"{BASE}/customers/{customer.id}/subscribedSkus"), 404, "Request_ResourceNotFound"
    )
    assert list(User.objects.filter(tenant=customer.tenant).values_list("upn", flat=True)) == [ADMIN_UPN]


def test_sales_agent_is_403(customer, partner, make_user, api_for):
    sales = api_for(make_user(partner.tenant, Role.SALES_AGENT))
    error = assert_graph_error(new_user(sales, customer), 403, "Authorization_RequestDenied", 3001)
    assert error["message"]
    assert_graph_error(sales.get(f"{BASE}/partner/users"), 403, "Authorization_RequestDenied", 3001)


@pytest.mark.parametrize(
    ("body", "hanse_code"),
    [
        ({"userPrincipalName": "bob@elsewhere.example", "displayName": "Bob"}, 2005),
        ({"userPrincipalName": "not an upn", "displayName": "Bob"}, 1001),
        ({"userPrincipalName": "bob@kunde.example", "displayName": "Bob", "accountEnabled": False}, 1001),
        (
            {
                "userPrincipalName": "bob@kunde.example",
                "displayName": "Bob",
                "passwordProfile": {"password": "x"},  # taken, and too weak
            },
            2007,
        ),
        ({"userPrincipalName": "bob@kunde.example", "displayName": "Bob", "jobTitle": "Boss"}, 1001),
    ],
)
def test_bad_input_is_400_and_changes_nothing(agent, customer, body, hanse_code):
    before = User.objects.count()
    error = assert_graph_error(
        agent.post_json(users_url(customer), body), 400, "Request_BadRequest", hanse_code
    )
    if hanse_code == 1001:
        assert error["details"][0]["target"]
    assert User.objects.count() == before


def test_transport_errors_are_graph_shaped(agent, customer, db):
    from tests.conftest import ApiClient

    r = ApiClient().get(users_url(customer))
    assert_graph_error(r, 401, "InvalidAuthenticationToken", 1401)
    assert r["WWW-Authenticate"].startswith("Bearer")
    assert_graph_error(agent.get(f"{users_url(customer)}?size=2"), 400, "Request_BadRequest", 1001)
    assert_graph_error(agent.get(f"{users_url(customer)}?$top=0"), 400, "Request_BadRequest", 1001)
    assert_graph_error(agent.get(f"{users_url(customer)}?$skiptoken=forged"), 400, "Request_BadRequest", 1010)
    assert_graph_error(agent.get(f"{BASE}/nothing-here"), 404, "Request_ResourceNotFound", 1004)
    assert_graph_error(agent.put(users_url(customer)), 405, "Request_MethodNotAllowed", 1005)
    r = agent.post(users_url(customer), data=b"{nope", content_type="application/json")
    assert_graph_error(r, 400, "Request_BadRequest", 1002)


def test_locale_and_request_ids(agent, customer, make_partner, make_user, api_for):
    stranger = api_for(make_user(make_partner().tenant, Role.ADMIN_AGENT), **{"X-Locale": "de"})
    r = stranger.get(users_url(customer), headers={"client-request-id": "abc-123"})
    error = assert_graph_error(r, 404, "Request_ResourceNotFound")
    assert error["innerError"]["client-request-id"] == "abc-123" == r["client-request-id"]
    assert error["innerError"]["request-id"] == r["request-id"]
    english = assert_graph_error(
        agent.get(users_url(customer, f"/{customer.id}")), 404, "Request_ResourceNotFound"
    )
    assert error["message"] != english["message"]  # translated
    assert r["Content-Language"] == "de"


def test_rate_limit_is_request_throttled(agent, customer, swap_instance):
    swap_instance(rate_limit_per_minute=1)
    assert agent.get(users_url(customer)).status_code == 200
    r = agent.get(users_url(customer))
    assert_graph_error(r, 429, "Request_Throttled", 1029)
    assert int(r["Retry-After"]) > 0


def test_idempotent_post_retry(agent, customer):
    headers = {"MS-RequestId": "retry-1"}
    first = new_user(agent, customer, headers=headers)
    again = new_user(agent, customer, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again["MS-Idempotent-Replay"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["passwordProfile"] is None  # the secret is shown once
    assert User.objects.filter(tenant=customer.tenant).exclude(upn=ADMIN_UPN).count() == 1
    # A different request with the same id is refused, in Graph's shape.
    clash = agent.post_json(users_url(customer, f"/{first.json()['id']}/resetPassword"), {}, headers=headers)
    assert_graph_error(clash, 422, "Request_UnprocessableEntity", 1031)


# -- who may: a customer's Global admin, and every task routing ---------------------------------


def test_customer_global_admin_manages_only_its_own_tenant(
    customer, partner, make_customer, make_user, api_for
):
    own = api_for(make_user(customer.tenant, Role.CUSTOMER_GLOBAL_ADMIN))
    r = new_user(own, customer)
    assert r.status_code == 201, r.content
    uid = r.json()["id"]
    assert uid in [u["id"] for u in own.get(users_url(customer)).json()["value"]]
    assert patch(own, users_url(customer, f"/{uid}"), {"displayName": "Anna C"}).status_code == 204
    assert assign(own, customer, uid, add=["MAIL-PLAN-1"]).status_code == 200
    assert own.get(f"{BASE}/customers/{customer.id}/subscribedSkus").status_code == 200
    assert own.post_json(users_url(customer, f"/{uid}/resetPassword"), {}).status_code == 200
    assert own.delete(users_url(customer, f"/{uid}")).status_code == 204

    other = make_customer(partner, domain="andere.example")
    assert_graph_error(own.get(users_url(other)), 404, "Request_ResourceNotFound")
    assert_graph_error(new_user(own, other), 404, "Request_ResourceNotFound")
    assert_graph_error(
        own.get(f"{BASE}/customers/{other.id}/subscribedSkus"), 404, "Request_ResourceNotFound"
    )
    assert_graph_error(own.get(f"{BASE}/partner/users"), 403, "Authorization_RequestDenied")


@pytest.mark.parametrize("place", ["partnercenter", "admincenter"])
def test_every_task_routing_allows_the_admin_center(
    place, agent, admin, partner, customer, api_for, swap_instance
):
    swap_instance(task_routing=dict.fromkeys(TASKS, place))
    uid = new_user(agent, customer).json()["id"]
    assert patch(agent, users_url(customer, f"/{uid}"), {"usageLocation": "AT"}).status_code == 204
    assert agent.post_json(users_url(customer, f"/{uid}/resetPassword"), {}).status_code == 200
    assert assign(agent, customer, uid, add=["MAIL-PLAN-1"]).status_code == 200
    assert agent.delete(users_url(customer, f"/{uid}")).status_code == 204
    restore = f"{BASE}/customers/{customer.id}/directory/deletedItems/{uid}/restore"
    assert agent.post_json(restore, {}).status_code == 200
    body = {"userPrincipalName": f"n@{partner.domain}", "displayName": "N", "roles": ["sales_agent"]}
    ga = api_for(admin)
    invited = ga.post_json(f"{BASE}/partner/users", body)
    assert invited.status_code == 201, invited.content
    assert (
        patch(ga, f"{BASE}/partner/users/{invited.json()['id']}", {"roles": ["helpdesk_agent"]}).status_code
        == 204
    )


def test_v1_refusals_name_working_admin_center_endpoints(agent, customer, swap_instance):
    """Where the partner center refuses a write, the endpoint it names does it in the admin center."""
    uid = new_user(agent, customer).json()["id"]
    assert agent.delete(users_url(customer, f"/{uid}")).status_code == 204
    swap_instance(task_routing=dict.fromkeys(TASKS, "admincenter"))
    refused = agent.post_json(f"/v1/customers/{customer.id}/users/{uid}/restore", {})
    assert refused.status_code == 403 and refused.json()["code"] == 2024
    endpoint = refused.json()["data"][0]["endpoint"]
    assert agent.post_json(endpoint, {}).status_code == 200
    refused = agent.post_json(f"/v1/customers/{customer.id}/users/{uid}/resetpassword", {})
    assert agent.post_json(refused.json()["data"][0]["endpoint"], {}).status_code == 200
    body = {"licensesToAssign": [{"skuId": "MAIL-PLAN-1"}], "licensesToRemove": []}
    refused = agent.post_json(f"/v1/customers/{customer.id}/users/{uid}/licenseupdates", body)
    graph_body = {"addLicenses": [{"skuId": "MAIL-PLAN-1"}], "removeLicenses": []}
    assert agent.post_json(refused.json()["data"][0]["endpoint"], graph_body).status_code == 200


def test_a_customer_id_is_its_tenant_id(customer):
    assert customer.id == customer.tenant_id


def test_create_takes_graphs_sample_body_with_its_password(agent, customer):
    """Graph's documented create-user body, @odata.type and passwordProfile.password included."""
    upn = f"adelev@{customer.tenant.domain}"
    body = {
        "@odata.type": "#microsoft.graph.user",
        "accountEnabled": True,
        "displayName": "Adele Vance",
        "mailNickname": "AdeleV",
        "userPrincipalName": upn,
        "passwordProfile": {"forceChangePasswordNextSignIn": False, "password": "xWwvJ]6NMw+bWH-d-77"},
    }
    r = agent.post_json(users_url(customer), body)
    assert r.status_code == 201, r.content
    assert r.json()["@odata.type"] == "#microsoft.graph.user"
    # The caller's own password is set, and never echoed back.
    assert r.json()["passwordProfile"] == {"password": None, "forceChangePasswordNextSignIn": False}
    user = User.objects.get(upn=upn)
    assert user.check_password("xWwvJ]6NMw+bWH-d-77") and not user.must_change_password


def test_a_wrong_odata_type_is_refused(agent, customer):
    r = new_user(agent, customer, **{"@odata.type": "#microsoft.graph.group"})
    assert_graph_error(r, 400, "Request_BadRequest", 1001)
    assert list(User.objects.filter(tenant=customer.tenant).values_list("upn", flat=True)) == [ADMIN_UPN]
    uid = new_user(agent, customer).json()["id"]
    r = patch(
        agent, users_url(customer, f"/{uid}"), {"@odata.type": "#microsoft.graph.user", "displayName": "B"}
    )
    assert r.status_code == 204 and User.objects.get(pk=uid).display_name == "B"


def test_a_user_is_addressed_by_id_or_upn(agent, customer):
    created = new_user(agent, customer, "carla").json()
    upn = created["userPrincipalName"]
    for key in (created["id"], upn, upn.upper()):
        r = agent.get(users_url(customer, f"/{key}"))
        assert r.status_code == 200 and r.json()["id"] == created["id"], key
    assert patch(agent, users_url(customer, f"/{upn}"), {"displayName": "Carla K."}).status_code == 204
    assert User.objects.get(pk=created["id"]).display_name == "Carla K."
    assert assign(agent, customer, upn, add=["WORKPLACE-BASIC"]).status_code == 200
    assert agent.delete(users_url(customer, f"/{upn}")).status_code == 204
    assert_graph_error(agent.get(users_url(customer, f"/{upn}")), 404, "Request_ResourceNotFound")
    assert_graph_error(
        agent.get(users_url(customer, "/nobody@kunde.example")), 404, "Request_ResourceNotFound"
    )


def test_a_customer_admin_has_tenant_rooted_paths(customer, make_user, api_for, make_partner, make_customer):
    own = api_for(make_user(customer.tenant, Role.CUSTOMER_GLOBAL_ADMIN, upn=f"it@{customer.tenant.domain}"))
    me = own.get(f"{BASE}/me")
    assert me.status_code == 200 and me.json()["userPrincipalName"] == f"it@{customer.tenant.domain}"
    created = own.post_json(
        f"{BASE}/users", {"userPrincipalName": f"dora@{customer.tenant.domain}", "displayName": "Dora"}
    )
    assert created.status_code == 201, created.content
    listed = own.get(f"{BASE}/users").json()["value"]
    assert {u["userPrincipalName"] for u in listed} == {
        ADMIN_UPN,
        f"it@{customer.tenant.domain}",
        f"dora@{customer.tenant.domain}",
    }
    assert own.get(f"{BASE}/users/dora@{customer.tenant.domain}").json()["id"] == created.json()["id"]
    skus = own.get(f"{BASE}/subscribedSkus").json()["value"]
    assert {s["skuPartNumber"] for s in skus} == {"WORKPLACE-BASIC", "MAIL-PLAN-1"}
    assert own.delete(f"{BASE}/users/{created.json()['id']}").status_code == 204
    deleted = own.get(f"{BASE}/directory/deletedItems/graph.user").json()["value"]
    assert [u["id"] for u in deleted] == [created.json()["id"]]
    # Another customer stays out of reach, rooted or not.
    other = make_customer(make_partner(), domain="andere.example")
    assert_graph_error(own.get(f"{BASE}/customers/{other.id}/users"), 404, "Request_ResourceNotFound")
