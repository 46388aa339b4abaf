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


def test_roles_and_state_in_one_patch_commit_together_or_not_at_all(ga_client, admin, partner, make_user):
    """New roles that pass with a state that is refused: the roles stay as they were (one service,
    one transaction), and the audit log holds neither change."""
    other = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    patch(ga_client, other.id, {"state": "inactive"})
    before = AuditRecord.objects.count()
    # Adding a role to the last active Global admin passes alone; deactivating them does not.
    assert_error(
        patch(ga_client, admin.id, {"roles": ["global_admin", "billing_admin"], "state": "inactive"}),
        409,
        2023,
    )
    assert sorted(admin.role_assignments.values_list("role", flat=True)) == ["global_admin"]
    assert User.objects.get(pk=admin.pk).is_active
    assert AuditRecord.objects.count() == before
    changed = patch(ga_client, other.id, {"roles": ["billing_admin"], "state": "active"})
    assert changed.status_code == 200 and changed.json()["roles"] == ["billing_admin"]
    assert changed.json()["state"] == "active"


def test_user_management_admin_grants_only_the_roles_it_holds(partner, make_user, api_for):
    uma = api_for(make_user(partner.tenant, Role.USER_MANAGEMENT_ADMIN))
    assert invite(uma, partner, "ok", ("user_management_admin",)).status_code == 201
    for roles in (("global_admin",), ("admin_agent",), ("user_management_admin", "sales_agent")):
        # An Admin agent it invited would come with a password it saw: it could act as one.
        refused = assert_error(invite(uma, partner, "boss", roles), 403, 2028)
        assert "you do not hold" in refused["description"]
    assert not User.objects.filter(upn=f"boss@{partner.domain}").exists()
    target = make_user(partner.tenant, Role.SALES_AGENT)
    assert_error(patch(uma, target.id, {"roles": ["global_admin"]}), 403, 2028)
    assert_error(patch(uma, target.id, {"roles": ["sales_agent", "admin_agent"]}), 403, 2028)
    assert_error(patch(uma, target.id, {"roles": ["user_management_admin"]}), 403, 2028)  # takes sales away
    assert [r.role for r in target.role_assignments.all()] == ["sales_agent"]


def test_nobody_raises_their_own_roles(partner, make_user, api_for, admin):
    me = make_user(partner.tenant, Role.USER_MANAGEMENT_ADMIN, Role.SALES_AGENT)
    client = api_for(me)
    assert_error(patch(client, me.id, {"roles": ["user_management_admin", "admin_agent"]}), 403, 2029)
    assert sorted(r.role for r in me.role_assignments.all()) == ["sales_agent", "user_management_admin"]
    # Giving up a role is no raise; nor is anything a Global admin does to itself, who may do all.
    assert patch(client, me.id, {"roles": ["user_management_admin"]}).status_code == 200
    assert patch(api_for(admin), admin.id, {"roles": ["global_admin", "billing_admin"]}).status_code == 200


def test_only_a_global_admin_changes_or_deactivates_a_global_admin(partner, make_user, api_for, admin):
    make_user(partner.tenant, Role.GLOBAL_ADMIN)  # not the last one: that rule is not what is tested
    uma = api_for(make_user(partner.tenant, Role.USER_MANAGEMENT_ADMIN, Role.SALES_AGENT))
    assert_error(patch(uma, admin.id, {"state": "inactive"}), 403, 2030)
    assert_error(patch(uma, admin.id, {"roles": ["global_admin", "sales_agent"]}), 403, 2030)
    admin.refresh_from_db()
    assert admin.is_active and [r.role for r in admin.role_assignments.all()] == ["global_admin"]
    other_ga = api_for(make_user(partner.tenant, Role.GLOBAL_ADMIN))
    assert patch(other_ga, admin.id, {"state": "inactive"}).status_code == 200


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
