"""Customer users and licences through the partner API, in both task routings."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection

from hanse import clock
from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.catalog.models import Offer, sku_guid
from hanse.commerce.services import LineItem, order_create
from hanse.directory.customer_users import purge_deleted_users
from hanse.directory.models import User
from hanse.directory.selectors import user_for_bearer
from hanse.directory.services import token_issue
from hanse.licensing.models import LicenceAssignment
from tests.api.test_conventions import assert_error
from tests.conftest import SYSTEM

ADMIN_UPN = "admin@kunde.example"  # the customer's first Global admin, made with it


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


def new_user(client, customer, local="anna", location="DE"):
    body = {"userPrincipalName": f"{local}@kunde.example", "displayName": local.title()}
    if location:
        body["usageLocation"] = location
    return client.post_json(f"/v1/customers/{customer.id}/users", body)


def licences(client, customer, user_id, add=(), remove=()):
    body = {"licensesToAssign": [{"skuId": s} for s in add], "licensesToRemove": list(remove)}
    return client.post_json(f"/v1/customers/{customer.id}/users/{user_id}/licenseupdates", body)


def test_create_user_with_temporary_password(agent, customer):
    r = new_user(agent, customer)
    assert r.status_code == 201, r.content
    body = r.json()
    user = User.objects.get(id=body["id"])
    profile = body["passwordProfile"]
    assert (
        user.check_password(profile["password"])
        and user.must_change_password
        and profile["forceChangePassword"]
    )
    assert body["usageLocation"] == "DE" and body["state"] == "active"
    assert body["attributes"] == {"objectType": "CustomerUser", "etag": None}
    assert AuditRecord.objects.filter(action="user.create", target_id=str(user.id)).exists()


def test_create_takes_partner_centers_documented_body(agent, customer):
    """Partner Center's create-user request, PascalCase and all, answered with a flat CustomerUser."""
    body = {
        "UsageLocation": "DE",
        "UserPrincipalName": f"test.name@{customer.tenant.domain}",
        "FirstName": "Test",
        "LastName": "Name",
        "DisplayName": "Test Name",
        "PasswordProfile": {"ForceChangePassword": False, "Password": "Nice-Long-Passphrase-123"},
        "Attributes": {"ObjectType": "CustomerUser"},
    }
    r = agent.post_json(f"/v1/customers/{customer.id}/users", body)
    assert r.status_code == 201, r.content
    got = r.json()
    assert (got["firstName"], got["lastName"], got["displayName"]) == ("Test", "Name", "Test Name")
    # The caller's password is set, not replaced by a generated one, and never echoed.
    assert got["passwordProfile"] == {"forceChangePassword": False, "password": None}
    user = User.objects.get(id=got["id"])
    assert user.check_password("Nice-Long-Passphrase-123") and not user.must_change_password
    assert agent.get(f"/v1/customers/{customer.id}/users/{user.id}").json()["firstName"] == "Test"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"userPrincipalName": "bob@elsewhere.example", "displayName": "Bob"}, 2005),
        ({"userPrincipalName": "not an upn", "displayName": "Bob"}, 1001),
        ({"userPrincipalName": "bob@kunde.example", "displayName": "Bob", "usageLocation": "US"}, 6101),
        ({"userPrincipalName": "bob@kunde.example", "displayName": ""}, 1001),
        ({"userPrincipalName": "bob@kunde.example", "displayName": "\u0085\x1f"}, 1001),
    ],
)
def test_bad_users_are_refused_and_change_nothing(agent, customer, body, code):
    before = User.objects.count()
    assert_error(agent.post_json(f"/v1/customers/{customer.id}/users", body), 400, code)
    assert User.objects.count() == before


def test_duplicate_upn_is_409(agent, customer):
    assert new_user(agent, customer).status_code == 201
    assert_error(new_user(agent, customer), 409, 2003)


def test_list_get_update(agent, customer):
    ids = [new_user(agent, customer, f"u{i}").json()["id"] for i in range(5)]
    seen, url, headers = [], f"/v1/customers/{customer.id}/users?size=2", {}
    while url:
        page = agent.get(url, headers=headers).json()
        seen += [u["id"] for u in page["items"]]
        nxt = page["links"].get("next")
        url, headers = (nxt["uri"], {h["key"]: h["value"] for h in nxt["headers"]}) if nxt else (None, {})
    assert seen == [str(User.objects.get(upn=ADMIN_UPN).id), *ids]
    r = agent.patch(
        f"/v1/customers/{customer.id}/users/{ids[0]}",
        data=json.dumps({"displayName": "Anna B", "usageLocation": "AT"}),
        content_type="application/json",
    )
    assert r.json()["displayName"] == "Anna B" and r.json()["usageLocation"] == "AT"
    assert agent.get(f"/v1/customers/{customer.id}/users/{ids[0]}").json()["usageLocation"] == "AT"


def test_list_filters_by_display_name_or_upn_across_pages(agent, customer):
    for local in ("anna", "anton", "bert", "andrea"):
        new_user(agent, customer, local)
    by_name = json.dumps({"Field": "DisplayName", "Value": "AN", "Operator": "starts_with"})
    seen, url, headers = [], f"/v1/customers/{customer.id}/users?size=2&filter={by_name}", {}
    while url:
        page = agent.get(url, headers=headers).json()
        assert page["totalCount"] == 3
        seen += [u["displayName"] for u in page["items"]]
        nxt = page["links"].get("next")
        url, headers = (nxt["uri"], {h["key"]: h["value"] for h in nxt["headers"]}) if nxt else (None, {})
    assert seen == ["Anna", "Anton", "Andrea"]
    by_upn = json.dumps({"Field": "UserPrincipalName", "Value": "bert@", "Operator": "starts_with"})
    page = agent.get(f"/v1/customers/{customer.id}/users", {"filter": by_upn}).json()
    assert [u["userPrincipalName"] for u in page["items"]] == ["bert@kunde.example"]
    bad = json.dumps({"Field": "UsageLocation", "Value": "DE", "Operator": "starts_with"})
    body = assert_error(agent.get(f"/v1/customers/{customer.id}/users", {"filter": bad}), 400, 1001)
    assert body["data"][0]["field"] == "query.filter"


NUL_USER = {"userPrincipalName": "nul@kunde.example", "displayName": "Nu\x00l"}


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "where"),
    [
        ("post", "/users", NUL_USER, {}, "displayName"),
        ("get", "/users?filter=%00", None, {}, "query"),
        (
            "post",
            "/users",
            {**NUL_USER, "displayName": "N"},
            {"MS-RequestId": "a\x00b"},
            "header.MS-RequestId",
        ),
        ("post", "/users/u/licenseupdates", {"licensesToRemove": ["A\x00"]}, {}, "licensesToRemove"),
    ],
)
def test_nul_characters_are_refused_on_every_database(agent, customer, method, path, body, headers, where):
    """PostgreSQL cannot store U+0000 in text; SQLite can. Both refuse it the same way, up front."""
    if "/u/" in path:
        path = path.replace("/u/", f"/{new_user(agent, customer, 'lic').json()['id']}/")
    url = f"/v1/customers/{customer.id}{path}"
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    if method == "get":
        r = agent.get(url, **extra)
    else:
        r = agent.post(url, data=json.dumps(body), content_type="application/json", **extra)
    error = assert_error(r, 400, 1001)
    assert where in error["data"][0]["field"], error
    assert not User.objects.filter(upn="nul@kunde.example").exists()


def test_a_property_the_operation_does_not_take_is_refused_even_a_nul(agent, customer):
    for extra in ({"\x00": "\x00"}, {"jobTitle": "Boss"}):
        body = {"userPrincipalName": "extra@kunde.example", "displayName": "Extra", **extra}
        r = agent.post_json(f"/v1/customers/{customer.id}/users", body)
        assert r.status_code == 400 and r.json()["code"] == 1001, r.content
        assert r.json()["data"][0]["type"] == "extra_forbidden"
    assert not User.objects.filter(upn="extra@kunde.example").exists()


def test_property_names_match_in_any_case_as_in_partner_center(agent, customer):
    """Partner Center's documented bodies are PascalCase; the same body in camelCase is the same."""
    r = agent.post_json(
        f"/v1/customers/{customer.id}/users",
        {"UserPrincipalName": "pascal@kunde.example", "DisplayName": "Pascal", "UsageLocation": "DE"},
    )
    assert r.status_code == 201, r.content
    uid = User.objects.get(upn="pascal@kunde.example").id
    r = agent.post_json(
        f"/v1/customers/{customer.id}/users/{uid}/licenseupdates",
        {"LicensesToAssign": [{"SkuId": "WORKPLACE-BASIC"}]},
    )
    assert r.status_code == 201, r.content
    assert list(LicenceAssignment.objects.filter(user_id=uid).values_list("sku_id", flat=True)) == [
        "WORKPLACE-BASIC"
    ]  # not the silent no-op it was
    twice = agent.post_json(
        f"/v1/customers/{customer.id}/users/{uid}/licenseupdates",
        {"licensesToAssign": [], "LicensesToAssign": [{"skuId": "MAIL-PLAN-1"}]},
    )
    assert twice.status_code == 400 and twice.json()["code"] == 1001
    assert (
        twice.json()["data"][0]["message"]
        == "the property licensesToAssign is given twice, in different cases"
    )
    assert LicenceAssignment.objects.filter(user_id=uid).count() == 1


def test_delete_restore_and_purge(agent, customer):
    uid = new_user(agent, customer).json()["id"]
    assert licences(agent, customer, uid, add=["WORKPLACE-BASIC"]).status_code == 201
    assert agent.delete(f"/v1/customers/{customer.id}/users/{uid}").status_code == 204
    assert not LicenceAssignment.objects.exists()  # the seat is freed at once
    listed = agent.get(f"/v1/customers/{customer.id}/users").json()
    assert listed["totalCount"] == 1 and [u["userPrincipalName"] for u in listed["items"]] == [ADMIN_UPN]
    deleted = agent.get(f"/v1/customers/{customer.id}/users?deleted=true").json()
    assert [u["id"] for u in deleted["items"]] == [uid] and deleted["items"][0]["state"] == "inactive"
    assert agent.post_json(f"/v1/customers/{customer.id}/users/{uid}/restore", {}).json()["state"] == "active"
    assert_error(agent.post_json(f"/v1/customers/{customer.id}/users/{uid}/restore", {}), 404, 2019)
    # Deleted 31 days ago: too late to restore, and the purge job removes it.
    agent.delete(f"/v1/customers/{customer.id}/users/{uid}")
    User.objects.filter(id=uid).update(deleted_at=clock.now() - timedelta(days=31))
    assert_error(agent.post_json(f"/v1/customers/{customer.id}/users/{uid}/restore", {}), 409, 2021)
    assert purge_deleted_users() == 1
    assert not User.objects.filter(id=uid).exists()
    assert AuditRecord.objects.filter(action="user.purge", target_id=uid).exists()


def test_password_reset_revokes_everything(agent, customer):
    created = new_user(agent, customer).json()
    user = User.objects.get(id=created["id"])
    token = token_issue(actor=SYSTEM, user=user, ttl_seconds=600).token
    assert user_for_bearer(token) == user
    r = agent.post_json(f"/v1/customers/{customer.id}/users/{user.id}/resetpassword", {})
    assert r.status_code == 200
    user.refresh_from_db()
    assert user.check_password(r.json()["password"]) and not user.check_password(
        created["passwordProfile"]["password"]
    )
    assert user.must_change_password and user_for_bearer(token) is None


def test_csv_import_reports_each_row(agent, customer):
    csv_text = (
        "userPrincipalName,displayName,usageLocation\n"
        "ok1@kunde.example,Ok One,DE\n"
        "bad@other.example,Bad Domain,DE\n"
        "ok2@kunde.example,Ok Two,\n"
        "ok1@kunde.example,Duplicate,DE\n"
        "ok3@kunde.example,Bad Location,US\n"
    )
    r = agent.post(f"/v1/customers/{customer.id}/users/import", data=csv_text, content_type="text/csv")
    assert r.status_code == 200, r.content
    body = r.json()
    assert [row["userPrincipalName"] for row in body["created"]] == ["ok1@kunde.example", "ok2@kunde.example"]
    refused = {row["line"]: row["reason"] for row in body["refused"]}
    assert set(refused) == {3, 5, 6}
    assert "@kunde.example" in refused[3] and "taken" in refused[5] and "US" in refused[6]
    assert User.objects.filter(tenant=customer.tenant).exclude(upn=ADMIN_UPN).count() == 2


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"x" * 1_000_001, "1 MB"),
        (b"foo,bar\n1,2\n", "header"),
        (b"\xff\xfe\x00", "UTF-8"),
        (b"userPrincipalName,displayName\nnul@kunde.example,Nu\x00l\n", "NUL"),
    ],
)
def test_bad_csv_files_change_nothing(agent, customer, data, words):
    before = User.objects.count()
    body = assert_error(
        agent.post(f"/v1/customers/{customer.id}/users/import", data=data, content_type="text/csv"), 400, 2022
    )
    assert words in body["description"] and User.objects.count() == before


def test_subscribed_skus_and_atomic_licence_updates(agent, customer):
    uid = new_user(agent, customer).json()["id"]
    r = licences(agent, customer, uid, add=["WORKPLACE-BASIC", "MAIL-PLAN-1"])
    assert r.status_code == 201 and r.json()["licensesAssigned"] == ["MAIL-PLAN-1", "WORKPLACE-BASIC"]
    assert r.json()["licensesToAssign"] == [
        {"skuId": str(sku_guid("WORKPLACE-BASIC")), "excludedPlans": None},
        {"skuId": str(sku_guid("MAIL-PLAN-1")), "excludedPlans": None},
    ]
    assert r.json()["licenseWarnings"] == [] and r.json()["attributes"]["objectType"] == "LicenseUpdate"
    listed = agent.get(f"/v1/customers/{customer.id}/subscribedskus").json()["items"]
    skus = {s["productSku"]["skuPartNumber"]: s for s in listed}
    assert skus["WORKPLACE-BASIC"]["productSku"] == {
        "id": str(sku_guid("WORKPLACE-BASIC")),
        "name": Offer.objects.get(id="WORKPLACE-BASIC").sku_name,
        "skuPartNumber": "WORKPLACE-BASIC",
        "targetType": "User",
        "productId": Offer.objects.get(id="WORKPLACE-BASIC").product_id,
    }
    assert {k: skus["WORKPLACE-BASIC"][k] for k in ("totalUnits", "activeUnits", "suspendedUnits")} == {
        "totalUnits": 2,
        "activeUnits": 2,
        "suspendedUnits": 0,
    }
    assert (
        skus["WORKPLACE-BASIC"]["consumedUnits"],
        skus["WORKPLACE-BASIC"]["availableUnits"],
        skus["WORKPLACE-BASIC"]["warningUnits"],
    ) == (1, 1, 0)
    held = agent.get(f"/v1/customers/{customer.id}/users/{uid}/licenses").json()
    assert held["totalCount"] == 2 and held["attributes"]["objectType"] == "Collection"
    assert [x["productSku"]["skuPartNumber"] for x in held["items"]] == ["MAIL-PLAN-1", "WORKPLACE-BASIC"]
    assert all(x["attributes"]["objectType"] == "License" for x in held["items"])
    # One bad SKU and nothing changes: the removal of MAIL-PLAN-1 is undone too.
    bad = licences(agent, customer, uid, add=["ENTERPRISE-E5"], remove=["MAIL-PLAN-1"])
    assert_error(bad, 400, 8003)
    assert sorted(LicenceAssignment.objects.values_list("sku_id", flat=True)) == [
        "MAIL-PLAN-1",
        "WORKPLACE-BASIC",
    ]
    assert licences(agent, customer, uid, remove=["MAIL-PLAN-1"]).json()["licensesAssigned"] == [
        "WORKPLACE-BASIC"
    ]


def test_out_of_seats_names_the_sku_and_changes_nothing(agent, customer):
    ids = [new_user(agent, customer, f"s{i}").json()["id"] for i in range(3)]
    assert licences(agent, customer, ids[0], add=["WORKPLACE-BASIC"]).status_code == 201
    assert licences(agent, customer, ids[1], add=["WORKPLACE-BASIC"]).status_code == 201
    # Partner Center's answer to too few licences: 400 with its code 60012.
    body = assert_error(licences(agent, customer, ids[2], add=["MAIL-PLAN-1", "WORKPLACE-BASIC"]), 400, 60012)
    assert "WORKPLACE-BASIC" in body["description"] and body["data"][0]["skuId"] == "WORKPLACE-BASIC"
    assert not LicenceAssignment.objects.filter(user_id=ids[2]).exists()


def test_usage_location_is_required_for_a_licence(agent, customer):
    uid = new_user(agent, customer, location=None).json()["id"]
    assert_error(licences(agent, customer, uid, add=["WORKPLACE-BASIC"]), 400, 8002)


def test_subscription_cannot_drop_below_assigned_seats(agent, customer, partner, make_user, api_for):
    from hanse.commerce.models import Subscription

    uid1 = new_user(agent, customer, "a").json()["id"]
    uid2 = new_user(agent, customer, "b").json()["id"]
    licences(agent, customer, uid1, add=["WORKPLACE-BASIC"])
    licences(agent, customer, uid2, add=["WORKPLACE-BASIC"])
    sub = Subscription.objects.get(offer_id="WORKPLACE-BASIC")
    path = f"/v1/customers/{customer.id}/subscriptions/{sub.id}"
    body = assert_error(
        agent.patch(path, data=json.dumps({"quantity": 1}), content_type="application/json"), 409, 8006
    )
    assert "Remove licences" in body["description"]
    assert_error(
        agent.patch(path, data=json.dumps({"status": "suspended"}), content_type="application/json"),
        409,
        8006,
    )
    licences(agent, customer, uid2, remove=["WORKPLACE-BASIC"])
    assert (
        agent.patch(path, data=json.dumps({"quantity": 1}), content_type="application/json").status_code
        == 200
    )


def test_isolation_between_partners_and_customers(
    agent, customer, make_partner, make_user, api_for, make_customer
):
    uid = new_user(agent, customer).json()["id"]
    stranger = api_for(make_user(make_partner().tenant, Role.GLOBAL_ADMIN))
    assert_error(stranger.get(f"/v1/customers/{customer.id}/users"), 404, 6001)
    assert_error(stranger.post_json(f"/v1/customers/{customer.id}/users/{uid}/resetpassword", {}), 404, 6001)
    # Another customer of the same partner: its path does not reach this user.
    other = make_customer(customer.partner and customer.partner and make_partner_of(customer))
    assert_error(agent.get(f"/v1/customers/{other.id}/users/{uid}"), 404, 2019)


def make_partner_of(customer):
    from tests.conftest import Partner

    return Partner(tenant=customer.partner.tenant, account=customer.partner)


def test_customer_admin_manages_only_its_own_tenant(
    agent, customer, make_customer, partner, make_user, api_for
):
    own = api_for(make_user(customer.tenant, Role.CUSTOMER_GLOBAL_ADMIN, upn="boss@kunde.example"))
    assert new_user(own, customer, "staff").status_code == 201
    other = make_customer(partner, domain="andere.example")
    assert_error(own.get(f"/v1/customers/{other.id}/users"), 404, 6001)


@pytest.mark.parametrize(
    "role", [Role.SALES_AGENT, Role.HELPDESK_AGENT, Role.BILLING_ADMIN, Role.USER_MANAGEMENT_ADMIN]
)
def test_roles_without_user_management(role, partner, customer, make_user, api_for):
    # The User management admin manages the partner's own users, not its customers', which it
    # may not even view.
    client = api_for(make_user(partner.tenant, role))
    assert_error(new_user(client, customer), 403, 3001)
    assert_error(client.get(f"/v1/customers/{customer.id}/users"), 403, 3001)
    assert_error(
        client.post(f"/v1/customers/{customer.id}/users/import", b"", content_type="text/csv"), 403, 3001
    )


def test_admin_center_routing_refuses_partner_writes_and_keeps_reads(agent, customer, swap_instance):
    uid = new_user(agent, customer).json()["id"]
    swap_instance(
        task_routing={
            t: "admincenter" for t in ("partner_users", "customer_users", "password_reset", "licences")
        }
    )
    body = assert_error(new_user(agent, customer, "late"), 403, 2024)
    assert body["data"][0]["endpoint"] == f"/admin-center/api/v1.0/customers/{customer.id}/users"
    assert "admin center" in body["description"]
    assert_error(agent.post_json(f"/v1/customers/{customer.id}/users/{uid}/resetpassword", {}), 403, 2024)
    assert_error(licences(agent, customer, uid, add=["WORKPLACE-BASIC"]), 403, 2024)
    assert_error(agent.delete(f"/v1/customers/{customer.id}/users/{uid}"), 403, 2024)
    assert agent.get(f"/v1/customers/{customer.id}/users").json()["totalCount"] == 2  # and the admin
    assert agent.get(f"/v1/customers/{customer.id}/subscribedskus").status_code == 200
    assert User.objects.filter(tenant=customer.tenant, deleted_at__isnull=True).count() == 2


@pytest.mark.django_db(transaction=True)
def test_last_seat_race_has_exactly_one_winner(partner, make_user, api_for, make_customer, offers):
    customer = make_customer(partner, domain="race.example")
    order_create(actor=SYSTEM, customer_id=customer.id, lines=[LineItem("WORKPLACE-BASIC", 1)])
    agent = api_for(make_user(partner.tenant, Role.ADMIN_AGENT))
    ids = [
        agent.post_json(
            f"/v1/customers/{customer.id}/users",
            {"userPrincipalName": f"r{i}@race.example", "displayName": f"R{i}", "usageLocation": "DE"},
        ).json()["id"]
        for i in range(6)
    ]
    results: list[int] = []
    barrier = threading.Barrier(len(ids))

    def claim(uid):
        try:
            barrier.wait()
            results.append(licences(agent, customer, uid, add=["WORKPLACE-BASIC"]).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(uid,)) for uid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201] + [400] * 5
    assert LicenceAssignment.objects.filter(sku_id="WORKPLACE-BASIC").count() == 1


def test_deletion_schedules_the_purge_job(agent, customer, django_capture_on_commit_callbacks):
    """A deletion leaves a job in the database queue that runs once the 30 days are over."""
    from django_tasks_db.models import DBTaskResult

    uid = new_user(agent, customer).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        agent.delete(f"/v1/customers/{customer.id}/users/{uid}")
    job = DBTaskResult.objects.get()
    deleted_at = User.objects.get(id=uid).deleted_at
    assert job.task_path.endswith("purge_deleted_customer_users")
    assert job.run_after >= deleted_at + timedelta(days=30)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            {
                "userPrincipalName": ["must look like name@domain", "is required"],
                "displayName": ["must have at most 200 characters", "must be a string"],
            },
        ),
        (
            "de",
            {
                "userPrincipalName": ["muss die Form name@domäne haben", "ist erforderlich"],
                "displayName": ["darf höchstens 200 Zeichen haben", "muss eine Zeichenkette sein"],
            },
        ),
        (
            "fr",
            {
                "userPrincipalName": ["doit avoir la forme nom@domaine", "est obligatoire"],
                "displayName": ["doit contenir au plus 200 caractères", "doit être une chaîne de caractères"],
            },
        ),
    ],
)
def test_schema_errors_name_each_field_in_the_callers_language(agent, customer, lang, expected):
    bodies = [{"userPrincipalName": "not-a-upn", "displayName": "x" * 201}, {"displayName": 5}]
    for i, body in enumerate(bodies):
        r = agent.post(
            f"/v1/customers/{customer.id}/users",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_X_LOCALE=lang,
        )
        error = assert_error(r, 400, 1001)
        assert {d["field"]: d["message"] for d in error["data"]} == {k: v[i] for k, v in expected.items()}
    assert list(User.objects.filter(tenant=customer.tenant).values_list("upn", flat=True)) == [ADMIN_UPN]


def test_patch_with_state_active_restores_and_the_user_state_filter_lists_the_deleted(agent, customer):
    uid = new_user(agent, customer).json()["id"]
    agent.delete(f"/v1/customers/{customer.id}/users/{uid}")
    inactive = json.dumps({"Field": "UserState", "Value": "Inactive", "Operator": "equals"})
    listed = agent.get(f"/v1/customers/{customer.id}/users", {"filter": inactive}).json()
    assert [(u["id"], u["state"]) for u in listed["items"]] == [(uid, "inactive")]
    assert listed["items"][0]["softDeletionTime"] is not None
    active = json.dumps({"Field": "UserState", "Value": "Active", "Operator": "equals"})
    still = agent.get(f"/v1/customers/{customer.id}/users", {"filter": active}).json()
    assert still["totalCount"] == 1 and [u["userPrincipalName"] for u in still["items"]] == [ADMIN_UPN]
    bad = json.dumps({"Field": "UserState", "Value": "deleted", "Operator": "equals"})
    assert_error(agent.get(f"/v1/customers/{customer.id}/users", {"filter": bad}), 400, 2026)
    # A deleted user cannot be changed without being restored, and a failed restore restores nothing.
    url = f"/v1/customers/{customer.id}/users/{uid}"
    assert_error(agent.patch_json(url, {"displayName": "Renamed"}), 409, 2027)
    assert_error(agent.patch_json(url, {"State": "active", "usageLocation": "US"}), 400, 6101)
    assert_error(agent.patch_json(url, {"state": "active", "passwordProfile": {"password": "x"}}), 400, 2007)
    assert User.objects.get(id=uid).deleted_at is not None
    restored = agent.patch_json(url, {"State": "active", "Attributes": {"ObjectType": "CustomerUser"}})
    assert restored.status_code == 200, restored.content
    assert restored.json()["state"] == "active" and restored.json()["passwordProfile"] is None
    assert User.objects.get(id=uid).deleted_at is None
    assert AuditRecord.objects.filter(action="user.restore", target_id=uid).count() == 1
    assert_error(agent.patch_json(url, {"state": "inactive"}), 400, 1001)  # deleting is DELETE


def test_patch_with_password_profile_resets_the_password(agent, customer):
    created = new_user(agent, customer).json()
    user = User.objects.get(id=created["id"])
    token = token_issue(actor=SYSTEM, user=user, ttl_seconds=600).token
    url = f"/v1/customers/{customer.id}/users/{user.id}"
    given = {"passwordProfile": {"password": "Renew-2026-Kunde!", "forceChangePassword": False}}
    r = agent.patch_json(url, {**given, "attributes": {"objectType": "CustomerUser"}})
    assert r.status_code == 200, r.content
    assert r.json()["passwordProfile"] == {"forceChangePassword": False, "password": None}
    user.refresh_from_db()
    assert user.check_password("Renew-2026-Kunde!") and not user.must_change_password
    assert user_for_bearer(token) is None  # every token of the user stops working
    generated = agent.patch_json(url, {"passwordProfile": {"forceChangePassword": True}}).json()
    user.refresh_from_db()
    assert user.check_password(generated["passwordProfile"]["password"]) and user.must_change_password
    # A weak password changes nothing, not even the rest of the request.
    weak = agent.patch_json(url, {"displayName": "Weak", "passwordProfile": {"password": "short"}})
    assert_error(weak, 400, 2007)
    user.refresh_from_db()
    assert user.display_name == "Anna" and user.check_password(generated["passwordProfile"]["password"])
    assert AuditRecord.objects.filter(action="user.reset_password", target_id=str(user.id)).count() == 2


def test_patch_changes_names_and_the_partner_sees_every_user_and_licence_record(agent, customer):
    uid = new_user(agent, customer).json()["id"]
    url = f"/v1/customers/{customer.id}/users/{uid}"
    r = agent.patch_json(url, {"FirstName": "Anna", "LastName": "Berg", "UsageLocation": "AT"})
    assert r.status_code == 200, r.content
    assert (r.json()["firstName"], r.json()["lastName"], r.json()["usageLocation"]) == ("Anna", "Berg", "AT")
    assert licences(agent, customer, uid, add=["WORKPLACE-BASIC"]).status_code == 201
    records = agent.get("/v1/auditrecords", {"size": 500}).json()["items"]
    mine = [(x["operationType"], x["resourceType"]) for x in records if x["resourceId"] == uid]
    assert mine == [
        ("create_customer_user", "CustomerUser"),
        ("update_customer_user", "CustomerUser"),
        ("update_customer_user_licenses", "License"),
    ]
    assert {x["customerId"] for x in records if x["resourceId"] == uid} == {str(customer.id)}
    update = next(x for x in records if x["operationType"] == "update_customer_user")
    assert json.loads(update["resourceNewValue"])["lastName"] == "Berg"
    assert json.loads(update["resourceOldValue"])["lastName"] == ""
