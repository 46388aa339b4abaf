"""A sovereign source for the migration's in-process tests: a partner linked to a peer, and
customers with users, subscriptions and licences (docs/migration.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from hanse.access.principal import Principal
from hanse.access.roles import Role
from hanse.commerce.services import LineItem, order_create
from hanse.customers.models import Customer
from hanse.directory.customer_users import NewUser, customer_user_create
from hanse.directory.models import User
from hanse.instance.config import MigrationPolicy, Peer
from hanse.licensing.services import licence_update
from hanse.links.services import tenant_link_create
from tests.conftest import CATALOG_DIR, Partner, principal_of
from tests.links.test_link import CLAIMS, TOKENS


@dataclass
class Source:
    partner: Partner
    admin: User
    actor: Principal
    customer: Customer
    user: User
    subscriptions: list[Any]


@pytest.fixture
def sovereign(swap_instance: Any, tmp_path: Any) -> Any:
    secret = tmp_path / "peer-secret"
    secret.write_text("not-a-real-secret")
    # Port 9 (discard): nothing listens, so the peer is unreachable unless a test stands in for it.
    peer = Peer(id="eu", url="http://127.0.0.1:9", client_id="hanse-test", client_secret_file=secret)

    def policy(consent: str = "customer", retention_days: int = 30) -> None:
        swap_instance(
            accepts_new_customers=False,
            peers=(peer,),
            migration=MigrationPolicy(consent=consent, retention_days=retention_days),
        )

    return policy


@pytest.fixture
def source(sovereign: Any, partner: Partner, admin: User, make_customer: Any) -> Source:
    """A linked partner's customer with two subscriptions of sovereign offers, a user and a licence."""
    sovereign_catalogue()
    actor = principal_of(admin)
    customer = make_customer(partner, name="Umzugskunde GmbH", domain="umzugskunde.example")
    sovereign()  # closed to new business from now on, as the sovereign instance is
    tenant_link_create(actor=actor, peer="eu", claims=CLAIMS, tokens=TOKENS)
    order = order_create(
        actor=actor,
        customer_id=customer.id,
        lines=[
            LineItem(offer_id="ENTERPRISE-E3_DE", quantity=5),
            LineItem(offer_id="MAIL-PLAN-1_DE", quantity=2),
        ],
    )
    user = customer_user_create(
        actor=actor,
        customer_id=customer.id,
        new=NewUser(upn="eva@umzugskunde.example", display_name="Eva", usage_location="DE"),
    ).user
    licence_update(actor=actor, customer_id=customer.id, user_id=user.id, add=["ENTERPRISE-E3_DE"], remove=[])
    return Source(partner, admin, actor, customer, user, list(order.subscriptions.order_by("created_at")))


def sovereign_catalogue() -> None:
    """The sovereign catalogue: ``X_DE`` offers, which the mapping sends to ``X``."""
    from hanse.access.principal import system_principal
    from hanse.catalog.services import catalog_load

    catalog_load(actor=system_principal("test"), path=CATALOG_DIR / "offers-sovereign.json")


def customer_admin(customer: Customer, make_user: Any) -> User:
    return make_user(customer.tenant, Role.CUSTOMER_GLOBAL_ADMIN)


def arriving(src: Source, **fields: Any) -> Any:
    """The source's customer as a target holds it while it arrives: an import from ``de``."""
    from hanse import clock
    from hanse.migration.models import Import

    return Import.objects.create(
        peer="de",
        source_customer_id=src.customer.id,
        partner=src.partner.account,
        customer=src.customer,
        attempt=1,
        source_instance="de",
        created_at=clock.now(),
        **fields,
    )
