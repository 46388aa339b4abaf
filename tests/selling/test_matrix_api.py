"""The role matrix through the selling API: every partner role against every selling endpoint.

Allowed or refused is read from access.MATRIX (itself checked against docs/roles.md in
tests/access/test_matrix.py), so the API and the matrix cannot drift apart.
"""

from __future__ import annotations

import json

import pytest

from hanse.access.roles import MATRIX, Action, Role
from hanse.commerce.services import LineItem, order_create
from tests.conftest import SYSTEM
from tests.selling.conftest import customer_body

PARTNER_ROLES = [
    Role.GLOBAL_ADMIN,
    Role.USER_MANAGEMENT_ADMIN,
    Role.ADMIN_AGENT,
    Role.SALES_AGENT,
    Role.BILLING_ADMIN,
    Role.HELPDESK_AGENT,
]


def calls(customer, subscription_id):
    billing = customer_body()["billingProfile"]
    return [
        (Action.CUSTOMER_VIEW, "get", "/v1/customers", None),
        (Action.CUSTOMER_VIEW, "get", f"/v1/customers/{customer.id}", None),
        (Action.CUSTOMER_VIEW, "get", f"/v1/customers/{customer.id}/subscriptions", None),
        (Action.CUSTOMER_CREATE, "post", "/v1/customers", customer_body()),
        (Action.CUSTOMER_EDIT, "patch", f"/v1/customers/{customer.id}/profiles/billing", billing),
        (Action.PRICING_VIEW, "get", "/v1/offers?country=DE", None),
        (
            Action.SUBSCRIPTION_MANAGE,
            "post",
            f"/v1/customers/{customer.id}/orders",
            {"lineItems": [{"offerId": "MAIL-PLAN-1", "quantity": 1}]},
        ),
        (
            Action.SUBSCRIPTION_MANAGE,
            "patch",
            f"/v1/customers/{customer.id}/subscriptions/{subscription_id}",
            {"friendlyName": "Renamed"},
        ),
        (Action.AUDIT_VIEW, "get", "/v1/auditrecords", None),
        (
            Action.AGREEMENT_MANAGE,
            "post",
            "/v1/agreement/signatures",
            {"name": "Ann Admin", "email": "ann@p.example"},
        ),
        (Action.INSTANCE_OPERATE, "get", "/v1/partners", None),
    ]


@pytest.mark.parametrize("role", PARTNER_ROLES, ids=lambda r: r.value)
def test_every_selling_endpoint_follows_the_matrix(role, partner, make_user, api_for, make_customer, offers):
    customer = make_customer(partner)
    order = order_create(actor=SYSTEM, customer_id=customer.id, lines=[LineItem("WORKPLACE-BASIC", 5)])
    client = api_for(make_user(partner.tenant, role))
    for action, method, path, body in calls(customer, order.subscriptions.get().id):
        kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
        r = getattr(client, method)(path, **kwargs)
        if action in MATRIX[role]:
            assert r.status_code < 400, (role, action, path, r.content)
        else:
            assert r.status_code == 403, (role, action, path, r.status_code)
            assert r.json()["code"] == 3001
