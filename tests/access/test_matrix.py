"""The permission matrix, walked whole: every role x every action, allowed and denied.

``EXPECTED`` restates DESIGN §5 independently of the code's MATRIX, so a change to either one
without the other fails here.
"""

from __future__ import annotations

import uuid

import pytest

from hanse.access.principal import Principal
from hanse.access.roles import MATRIX, Action, Role
from hanse.access.scope import require
from hanse.errors import NotPermitted

A = Action
R = Role
PARTNER_ALL = {
    R.GLOBAL_ADMIN,
    R.USER_MANAGEMENT_ADMIN,
    R.ADMIN_AGENT,
    R.SALES_AGENT,
    R.BILLING_ADMIN,
    R.HELPDESK_AGENT,
}

# action -> the roles that may perform it (DESIGN §5 table, plus the non-partner principals).
EXPECTED: dict[Action, set[Role]] = {
    A.PARTNER_VIEW: PARTNER_ALL,
    A.CUSTOMER_VIEW: {R.GLOBAL_ADMIN, R.ADMIN_AGENT, R.SALES_AGENT, R.HELPDESK_AGENT},
    A.CUSTOMER_CREATE: {R.GLOBAL_ADMIN, R.ADMIN_AGENT, R.SALES_AGENT},
    A.CUSTOMER_EDIT: {R.GLOBAL_ADMIN, R.ADMIN_AGENT, R.SALES_AGENT, R.HELPDESK_AGENT},
    A.SUBSCRIPTION_MANAGE: {R.GLOBAL_ADMIN, R.ADMIN_AGENT, R.SALES_AGENT},
    A.CUSTOMER_USER_MANAGE: {R.GLOBAL_ADMIN, R.USER_MANAGEMENT_ADMIN, R.ADMIN_AGENT, R.CUSTOMER_GLOBAL_ADMIN},
    A.PARTNER_USER_MANAGE: {R.GLOBAL_ADMIN, R.USER_MANAGEMENT_ADMIN},
    A.BILLING_MANAGE: {R.GLOBAL_ADMIN, R.BILLING_ADMIN},
    A.PRICING_VIEW: {R.GLOBAL_ADMIN, R.ADMIN_AGENT, R.SALES_AGENT, R.BILLING_ADMIN},
    A.AGREEMENT_MANAGE: {R.GLOBAL_ADMIN},
    A.TENANT_LINK_MANAGE: {R.GLOBAL_ADMIN},
    A.MIGRATION_MANAGE: {R.GLOBAL_ADMIN},
    A.AUDIT_VIEW: {R.GLOBAL_ADMIN, R.ADMIN_AGENT, R.TRUSTEE_OFFICER},
    A.OWN_TENANT_ADMIN: {R.CUSTOMER_GLOBAL_ADMIN},
    A.OPERATOR_ACCESS_DECIDE: {R.CUSTOMER_GLOBAL_ADMIN, R.TRUSTEE_OFFICER},
    A.OPERATOR_ACCESS_REQUEST: {R.OPERATOR},
    A.INSTANCE_OPERATE: {R.OPERATOR},
}

CASES = [(role, action) for role in Role for action in Action]


def test_expected_covers_every_action_and_role():
    assert set(EXPECTED) == set(Action)
    assert set(MATRIX) == set(Role)


@pytest.mark.parametrize(("role", "action"), CASES, ids=[f"{r.value}-{a.value}" for r, a in CASES])
def test_role_action(role, action):
    principal = Principal(
        user_id=uuid.uuid4(),
        upn="x@y.example",
        tenant_id=None,
        tenant_kind="partner",
        roles=frozenset({role}),
    )
    if role in EXPECTED[action]:
        require(principal, action)
        assert principal.can(action)
    else:
        with pytest.raises(NotPermitted) as e:
            require(principal, action)
        assert e.value.code == 3001 and e.value.status == 403
        assert not principal.can(action)


def test_no_roles_may_do_nothing():
    nobody = Principal(user_id=uuid.uuid4(), upn="n@y.example", tenant_id=None, tenant_kind="partner")
    assert not any(nobody.can(a) for a in Action)
