"""Helpers shared by the web tests of customers, catalogue and commerce (Django test client)."""

from __future__ import annotations

import html
from typing import Any

from django.test import Client

from hanse.access.principal import Principal
from hanse.access.roles import Role
from hanse.commerce.models import Order
from hanse.commerce.services import LineItem, order_create
from hanse.customers.models import Customer
from hanse.customers.services import customer_create
from hanse.directory.models import User
from tests.conftest import Partner, billing, principal_of

BACKEND = "hanse.directory.auth.UpnBackend"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def seller(partner: Partner, make_user: Any) -> Principal:
    return principal_of(make_user(partner.tenant, Role.ADMIN_AGENT))


def customers(actor: Principal, n: int, *, prefix: str = "Firma", country: str = "DE") -> list[Customer]:
    return [
        customer_create(
            actor=actor,
            company_name=f"{prefix} {i:02d}",
            domain=f"{prefix.lower()}-{i:02d}.example",
            billing=billing(country),
        ).customer
        for i in range(n)
    ]


def order(actor: Principal, customer: Customer, *lines: tuple[str, int]) -> Order:
    return order_create(
        actor=actor, customer_id=customer.id, lines=[LineItem(offer, qty) for offer, qty in lines]
    )


def text(response: Any) -> str:
    """The page as a reader sees it: entities decoded, so messages compare as written."""
    return html.unescape(response.content.decode())


def followed_messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
