"""The world of the trustee's tests: two customers, two operators, a trustee officer."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from hanse.access.roles import Role
from hanse.customers.models import Customer
from hanse.directory.models import Tenant, User
from hanse.instance.config import TrusteePolicy


@dataclasses.dataclass
class World:
    a: Customer
    b: Customer
    operator: User
    colleague: User  # a second operator
    officer: User
    admin_a: User
    admin_b: User


@pytest.fixture
def world(partner: Any, make_customer: Any, make_tenant: Any, make_user: Any, swap_instance: Any) -> World:
    swap_instance(trustee_required=True, trustee=TrusteePolicy(approval="trustee"))
    a, b = make_customer(partner, name="Alpha GmbH"), make_customer(partner, name="Beta GmbH")
    provider, trustee = make_tenant(Tenant.Kind.PROVIDER), make_tenant(Tenant.Kind.TRUSTEE)

    def admin_of(c: Customer) -> User:
        # The customer's first admin, as if it had chosen its own password at first sign-in.
        User.objects.filter(upn=f"admin@{c.tenant.domain}").update(must_change_password=False)
        return User.objects.get(upn=f"admin@{c.tenant.domain}")

    return World(
        a=a,
        b=b,
        operator=make_user(provider, Role.OPERATOR),
        colleague=make_user(provider, Role.OPERATOR),
        officer=make_user(trustee, Role.TRUSTEE_OFFICER),
        admin_a=admin_of(a),
        admin_b=admin_of(b),
    )
