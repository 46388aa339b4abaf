"""A partner's own users: invite, roles, deactivation; never without an active Global admin."""

from __future__ import annotations

import json

import pytest

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.directory.models import User
from tests.api.test_conventions import assert_error


@pytest.fixture
def ga_client(admin, api_for):
    return api_for(admin)


def patch(client, user_id, body):
    return client.patch(
        f"/v1/partner/users/{user_id}", data=json.dumps(body), content_type="application/json"
    )


def invite(client, partner, local="neu", roles=("sales_agent",)):
    return client.post_json(
        "/v1/partner/users",
        {
            "userPrincipalName": f"{local}@{partner.domain}",
            "displayName": local.title(),
            "roles": list(roles),
        },
    )


def test_invite_list_and_change_roles(ga_client, partner):
    r = invite(ga_client, partner)
    assert r.status_code == 201, r.content
    uid = r.json()["user"]["id"]
    assert User.objects.get(id=uid).must_change_password and r.json()["password"]
    listed = {u["userPrincipalName"]: u for u in ga_client.get("/v1/partner/users").json()["items"]}
    assert listed[f"neu@{partner.domain}"]["roles"] == ["sales_agent"]
    changed = patch(ga_client, uid, {"roles": ["admin_agent", "billing_admin"]})
    assert changed.json()["roles"] == ["admin_agent", "billing_admin"]
    rec = AuditRecord.objects.get(action="user.set_roles", target_id=uid)
    assert rec.before["roles"] == ["sales_agent"] and rec.after["roles"] == ["admin_agent", "billing_admin"]
    assert patch(ga_client, uid, {"state": "inactive"}).json()["state"] == "inactive"
    assert patch(ga_client, uid, {"state": "active"}).json()["state"] == "active"


def test_never_lose_the_last_active_global_admin(ga_client, admin, partner, make_user, api_for):
    assert_error(patch(ga_client, admin.id, {"roles": ["admin_agent"]}), 409, 2023)
    assert_error(patch(ga_client, admin.id, {"state": "inactive"}), 409, 2023)
    second = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    assert patch(ga_client, second.id, {"state": "inactive"}).status_code == 200
    assert_error(patch(ga_client, admin.id, {"roles": ["admin_agent"]}), 409, 2023)  # the other is inactive
    patch(ga_client, second.id, {"state": "active"})
    assert patch(ga_client, admin.id, {"roles": ["admin_agent"]}).status_code == 200
    assert admin.role_assignments.get().role == "admin_agent"


def test_user_management_admin_cannot_make_global_admins(partner, make_user, api_for):
    uma = api_for(make_user(partner.tenant, Role.USER_MANAGEMENT_ADMIN))
    assert invite(uma, partner, "ok", ("sales_agent",)).status_code == 201
    assert_error(invite(uma, partner, "boss", ("global_admin",)), 403, 3001)
    target = make_user(partner.tenant, Role.SALES_AGENT)
    assert_error(patch(uma, target.id, {"roles": ["global_admin"]}), 403, 3001)


@pytest.mark.parametrize(
    "role", [Role.ADMIN_AGENT, Role.SALES_AGENT, Role.BILLING_ADMIN, Role.HELPDESK_AGENT]
)
def test_other_roles_cannot_manage_partner_users(role, partner, make_user, api_for):
    client = api_for(make_user(partner.tenant, role))
    assert_error(client.get("/v1/partner/users"), 403, 3001)
    assert_error(invite(client, partner), 403, 3001)


def test_bad_invites(ga_client, partner):
    assert_error(invite(ga_client, partner, roles=("operator",)), 400, 1001)
    assert_error(invite(ga_client, partner, roles=()), 400, 1001)
    r = ga_client.post_json(
        "/v1/partner/users",
        {"userPrincipalName": "x@elsewhere.example", "displayName": "X", "roles": ["sales_agent"]},
    )
    assert_error(r, 400, 2005)


def test_partner_users_are_isolated(ga_client, make_partner, make_user):
    stranger = make_user(make_partner().tenant, Role.SALES_AGENT)
    assert_error(patch(ga_client, stranger.id, {"state": "inactive"}), 404, 2019)
    assert User.objects.get(id=stranger.id).is_active


def test_admin_center_routing_refuses_partner_user_writes(ga_client, partner, swap_instance):
    swap_instance(
        task_routing={
            "partner_users": "admincenter",
            "customer_users": "admincenter",
            "password_reset": "admincenter",
            "licences": "admincenter",
        }
    )
    body = assert_error(invite(ga_client, partner), 403, 2024)
    assert body["data"][0]["endpoint"] == "/admin-center/api/v1.0/partner/users"
    assert ga_client.get("/v1/partner/users").status_code == 200
