"""The matrix as enforced at the entry points: API endpoints and web views declare one action."""

from __future__ import annotations

import pytest

from hanse.access.roles import MATRIX, Action, Role
from tests.access.test_matrix import EXPECTED

PARTNER_ROLES = [
    Role.GLOBAL_ADMIN,
    Role.USER_MANAGEMENT_ADMIN,
    Role.ADMIN_AGENT,
    Role.SALES_AGENT,
    Role.BILLING_ADMIN,
    Role.HELPDESK_AGENT,
]


@pytest.mark.parametrize("role", PARTNER_ROLES, ids=lambda r: r.value)
def test_audit_records_api_follows_matrix(role, partner, make_user, api_for):
    user = make_user(partner.tenant, role)
    r = api_for(user).get("/v1/auditrecords")
    if role in EXPECTED[Action.AUDIT_VIEW]:
        assert r.status_code == 200, r.content
        assert r.json()["attributes"]["objectType"] == "Collection"
    else:
        assert r.status_code == 403
        assert r.json()["code"] == 3001


@pytest.mark.parametrize("role", PARTNER_ROLES, ids=lambda r: r.value)
def test_partner_profile_api_for_every_partner_role(role, partner, make_user, api_for):
    r = api_for(make_user(partner.tenant, role)).get("/v1/profiles/partner")
    assert r.status_code == 200
    assert r.json()["id"] == str(partner.account.id)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.TRUSTEE_OFFICER, Role.CUSTOMER_GLOBAL_ADMIN])
def test_non_partner_principals_have_no_partner_profile(role, make_tenant, make_user, api_for):
    kind = {
        Role.OPERATOR: "provider",
        Role.TRUSTEE_OFFICER: "trustee",
        Role.CUSTOMER_GLOBAL_ADMIN: "customer",
    }[role]
    user = make_user(make_tenant(kind), role)
    assert api_for(user).get("/v1/profiles/partner").status_code == 403


@pytest.mark.parametrize("role", PARTNER_ROLES, ids=lambda r: r.value)
def test_web_navigation_and_views_follow_matrix(role, partner, make_user, client, swap_instance):
    swap_instance(mfa_required_roles=())
    user = make_user(partner.tenant, role)
    client.force_login(user, backend="hanse.directory.auth.UpnBackend")
    page = client.get("/csp/")
    assert page.status_code == 200
    audit_allowed = Action.AUDIT_VIEW in MATRIX[role]
    assert (b'href="/audit/"' in page.content) is audit_allowed
    assert client.get("/audit/").status_code == (200 if audit_allowed else 403)


# The transparency log's own endpoints (docs/audit.md §5): a checkpoint and a proof hold no data,
# and the witness that calls them holds no token of the instance; a cosignature is its own proof.
PUBLIC_OPERATIONS = {
    "GET /v1/auditlog/checkpoint",
    "POST /v1/auditlog/checkpoint",
    "GET /v1/auditlog/consistency",
    "POST /v1/auditlog/checkpoints/{size}/cosignatures",
}


def test_every_api_operation_requires_auth_or_is_public():
    from hanse.api.api import api

    schema = api.get_openapi_schema()
    public = set()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if not op.get("security"):
                public.add(f"{method.upper()} {path}")
    assert public == PUBLIC_OPERATIONS
