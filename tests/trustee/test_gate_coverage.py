"""The gate's coverage (docs/trustee.md §2): every URL pattern of the web UI and every operation of
``/v1`` and of the admin center's API, called by an operator, with the ids of a customer it holds
no grant for. None answers with that customer's data, none changes it, none fails with a 500;
and an operator without any grant gets nothing of any customer. A positive control shows that
the same sweep, with the granted customer's ids, does find its data: the check can fail."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from hanse.access.roles import Role
from hanse.admincenter.api import api as admin_center_api
from hanse.api.api import api as v1_api
from hanse.audit.models import AuditRecord
from hanse.commerce.models import Order, Subscription
from hanse.commerce.services import LineItem, order_create
from hanse.customers.models import Customer
from hanse.directory.customer_users import NewUser, customer_user_create
from hanse.directory.models import User
from hanse.directory.services import token_issue
from hanse.licensing.models import LicenceAssignment
from hanse.licensing.services import licence_update
from hanse.trustee import services as trustee
from tests.conftest import ApiClient, principal_of
from tests.trustee.conftest import World

# Not customer data, or not pages at all: the protocol endpoints of OAuth, the language switch.
SKIP_PREFIXES = ("oauth/", "i18n/", "v1/", "admin-center/api/")


@dataclass
class Ids:
    customer: Customer
    user: User
    subscription: Subscription
    order: Order

    def params(self) -> dict[str, str]:
        return {
            "customer_id": str(self.customer.id),
            "user_id": str(self.user.id),
            "subscription_id": str(self.subscription.id),
            "order_id": str(self.order.id),
        }

    def marks(self) -> list[str]:
        """What would show that this customer's data leaked."""
        return [
            str(self.customer.id),
            self.customer.tenant.domain,
            self.customer.company_name,
            self.user.upn,
            str(self.subscription.id),
        ]

    def snapshot(self) -> Any:
        c = Customer.objects.get(pk=self.customer.pk)
        users = sorted(
            User.objects.filter(tenant=c.tenant).values_list(
                "upn", "display_name", "is_active", "deleted_at", "password", "usage_location"
            )
        )
        subs = sorted(
            Subscription.objects.filter(customer=c).values_list("id", "quantity", "status", "friendly_name")
        )
        licences = sorted(LicenceAssignment.objects.filter(customer=c).values_list("user_id", "sku_id"))
        profile = (c.company_name, c.email, c.city, c.address_line1, c.version)
        return profile, users, subs, licences


def _seed(customer: Customer, seller: Any, offers: list[Any]) -> Ids:
    offer = next(o for o in offers if not o.is_trial)
    order = order_create(
        actor=seller,
        customer_id=customer.id,
        lines=[LineItem(offer_id=offer.id, quantity=3, friendly_name="Seats", number=None)],
    )
    user = customer_user_create(
        actor=seller,
        customer_id=customer.id,
        new=NewUser(upn=f"anna@{customer.tenant.domain}", display_name="Anna", usage_location="DE"),
    ).user
    licence_update(actor=seller, customer_id=customer.id, user_id=user.id, add=[offer.id], remove=[])
    return Ids(customer, user, Subscription.objects.get(customer=customer), order)


def _api_operations() -> list[tuple[str, str]]:
    ops = []
    for api in (v1_api, admin_center_api):
        for path, methods in api.get_openapi_schema()["paths"].items():
            ops += [(method.upper(), path) for method in methods]
    return sorted(set(ops))


def _web_patterns() -> list[str]:
    out = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if not route.startswith(SKIP_PREFIXES):
                    out.append(route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


def _fill(route: str, params: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        return params.get(m.group("name"), str(uuid.uuid4()))

    route = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", one, route)
    return re.sub(r"\{(?P<name>\w+)\}", one, route)


def _sweep(api: ApiClient, web: Client, ids: Ids) -> list[tuple[str, str, int, bytes]]:
    """Every operation and page, once with each method it takes, for ``ids``'s customer."""
    params = ids.params()
    seen = []
    for method, path in _api_operations():
        url = _fill(path, params)
        if method == "GET":
            r = api.get(url)
        else:
            r = getattr(api, method.lower())(url, data=json.dumps({}), content_type="application/json")
        seen.append((method, url, r.status_code, r.content))
    for route in _web_patterns():
        url = "/" + _fill(route, params)
        for method in ("GET", "POST"):
            r = web.get(url) if method == "GET" else web.post(url, {})
            # A download (the audit log's CSV) streams: its body is read, and checked, the same.
            body = b"".join(r.streaming_content) if r.streaming else r.content
            seen.append((method, url, r.status_code, body))
    return seen


@pytest.fixture
def sweep_world(world: World, admin: Any, offers: list[Any], swap_instance: Any) -> dict[str, Any]:
    swap_instance(mfa_required_roles=())
    seller = principal_of(admin)
    a, b = _seed(world.a, seller, offers), _seed(world.b, seller, offers)
    req = trustee.access_request_file(
        actor=principal_of(world.operator),
        new=trustee.NewRequest(
            customer=str(world.a.id),
            kinds=["profile", "users", "subscriptions", "licences", "audit"],
            write=True,
            reason="customer_support",
            justification="Ticket 4711 needs everything of customer A.",
            hours=8,
        ),
    )
    trustee.access_request_decide(
        actor=principal_of(world.officer), request_id=req.id, approve=True, note="ok"
    )
    return {"a": a, "b": b, "world": world}


def _clients(user: User) -> tuple[ApiClient, Client]:
    web = Client()
    web.force_login(user)
    return ApiClient(token_issue(actor=principal_of(user), user=user, ttl_seconds=3600).token), web


def _leaks(seen: list[tuple[str, str, int, bytes]], marks: list[str]) -> list[str]:
    return [
        f"{method} {url} {status}: {mark}"
        for method, url, status, body in seen
        for mark in marks
        if mark.encode() in body and mark not in url  # a page may echo the path it was asked
    ]


def test_a_grant_for_one_customer_opens_nothing_of_another(sweep_world):
    a, b, w = sweep_world["a"], sweep_world["b"], sweep_world["world"]
    before = b.snapshot()
    api, web = _clients(w.operator)
    seen = _sweep(api, web, b)
    assert len(seen) > 100  # every operation and page was called
    assert [f"{m} {u} {s}" for m, u, s, _ in seen if s >= 500] == []
    assert _leaks(seen, b.marks()) == []
    # And the writes that would pass for A, each with a valid body, on B: not found, nothing changed.
    base = f"/v1/customers/{b.customer.id}"
    offer = b.subscription.offer_id
    writes = [
        api.patch_json(f"{base}/users/{b.user.id}", {"displayName": "Changed"}),
        api.post_json(
            f"{base}/users", {"userPrincipalName": f"x@{b.customer.tenant.domain}", "displayName": "X"}
        ),
        api.delete(f"{base}/users/{b.user.id}"),
        api.post_json(f"{base}/users/{b.user.id}/licenseupdates", {"licensesToRemove": [offer]}),
        api.patch_json(f"{base}/subscriptions/{b.subscription.id}", {"quantity": 1}),
        api.post_json(f"{base}/orders", {"lineItems": [{"offerId": offer, "quantity": 1}]}),
        api.patch_json(
            f"{base}/profiles/billing",
            {
                "firstName": "Max",
                "lastName": "Muster",
                "email": "max@example.com",
                "companyName": "Changed",
                "defaultAddress": {
                    "country": "DE",
                    "city": "Berlin",
                    "addressLine1": "Weg 1",
                    "postalCode": "10115",
                },
            },
        ),
    ]
    assert [r.status_code for r in writes] == [404] * len(writes), [r.content for r in writes][-1]
    assert b.snapshot() == before
    assert not AuditRecord.objects.filter(tenant_id=b.customer.tenant_id, actor_upn=w.operator.upn).exists()
    # The control: the same sweep with the granted customer's ids reads its data.
    granted = _sweep(api, web, a)
    assert len({u for m, u, s, body in granted if m == "GET" and a.user.upn.encode() in body}) >= 3


def test_an_operator_without_a_grant_gets_nothing_of_any_customer(sweep_world, make_user):
    a, b, w = sweep_world["a"], sweep_world["b"], sweep_world["world"]
    before = (a.snapshot(), b.snapshot())
    api, web = _clients(w.colleague)
    for ids in (a, b):
        seen = _sweep(api, web, ids)
        assert [f"{m} {u} {s}" for m, u, s, _ in seen if s >= 500] == []
        assert _leaks(seen, a.marks() + b.marks()) == []
    assert (a.snapshot(), b.snapshot()) == before
    assert (
        not AuditRecord.objects.filter(actor_upn=w.colleague.upn)
        .exclude(action__startswith="token.")
        .exists()
    )
    assert Role.OPERATOR in {Role(r) for r in w.colleague.role_assignments.values_list("role", flat=True)}
