"""Shared fixtures: the instance, tenants, users with roles, API clients, and required-or-skip."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from hanse.access.principal import Principal, system_principal
from hanse.access.roles import Role
from hanse.directory import services as directory
from hanse.directory.models import Tenant, User
from hanse.directory.selectors import principal_for
from hanse.partners.models import PartnerAccount
from hanse.partners.services import partner_account_create

SYSTEM = system_principal("test")
PASSWORD = "correct-horse-battery-staple-42"


def required(what: str) -> bool:
    """In CI (HANSE_REQUIRE_ALL=1) a missing PostgreSQL or Chromium fails instead of skipping."""
    return os.environ.get("HANSE_REQUIRE_ALL") == "1"


# In CI every run draws the same examples, so that a property-based failure there is reproducible
# rather than luck; locally they are random, and more of them find more (HANSE_FUZZ_EXAMPLES).
hypothesis_settings.register_profile("ci", derandomize=True)
if required("hypothesis"):
    hypothesis_settings.load_profile("ci")


def skip_or_fail(reason: str) -> None:
    if required(reason):
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture
def swap_instance(settings: Any) -> Any:
    """Call with field overrides: ``swap_instance(kind="sovereign", accepts_new_customers=False)``."""

    def swap(**changes: Any) -> Any:
        settings.HANSE_INSTANCE = dataclasses.replace(settings.HANSE_INSTANCE, **changes)
        return settings.HANSE_INSTANCE

    return swap


@dataclasses.dataclass
class Partner:
    tenant: Tenant
    account: PartnerAccount

    @property
    def domain(self) -> str:
        return self.tenant.domain


_counter = {"n": 0}


def _next(prefix: str) -> str:
    _counter["n"] += 1
    return f"{prefix}{_counter['n']}"


@pytest.fixture
def make_partner(db: None) -> Any:
    def make(
        domain: str | None = None, state: str = PartnerAccount.State.ACTIVE, region: str = "eu-west"
    ) -> Partner:
        tenant = directory.tenant_create(
            actor=SYSTEM,
            domain=domain or f"{_next('partner')}.example",
            name="Partner Ltd",
            kind=Tenant.Kind.PARTNER,
            region=region,
        )
        account = partner_account_create(actor=SYSTEM, tenant=tenant, company_name=tenant.name, state=state)
        return Partner(tenant=tenant, account=account)

    return make


@pytest.fixture
def make_tenant(db: None) -> Any:
    def make(kind: str, domain: str | None = None) -> Tenant:
        return directory.tenant_create(
            actor=SYSTEM,
            domain=domain or f"{_next(kind)}.example",
            name=kind.title(),
            kind=kind,
            region="eu-west",
        )

    return make


@pytest.fixture
def make_user(db: None) -> Any:
    def make(
        tenant: Tenant,
        *roles: Role,
        upn: str | None = None,
        must_change_password: bool = False,
        password: str = PASSWORD,
    ) -> User:
        created = directory.user_create(
            actor=SYSTEM,
            tenant=tenant,
            upn=upn or f"{_next('user')}@{tenant.domain}",
            display_name="Test User",
            roles=list(roles),
            password=password,
            must_change_password=must_change_password,
        )
        return created.user

    return make


def person(tenant: Tenant, name: str, *roles: Role, upn: str | None = None) -> User:
    """A user with a person's name (the pages show it), its first name in its UPN by default."""
    return directory.user_create(
        actor=SYSTEM,
        tenant=tenant,
        upn=upn or f"{name.split()[0].lower()}@{tenant.domain}",
        display_name=name,
        roles=list(roles),
        password=PASSWORD,
        must_change_password=False,
    ).user


@pytest.fixture
def partner(make_partner: Any) -> Partner:
    return make_partner()


@pytest.fixture
def admin(partner: Partner, make_user: Any) -> User:
    return make_user(partner.tenant, Role.GLOBAL_ADMIN)


def principal_of(user: User) -> Principal:
    return principal_for(User.objects.select_related("tenant").get(pk=user.pk))


class ApiClient(Client):
    """A test client that sends a bearer token and JSON."""

    def __init__(self, token: str | None = None, **headers: str) -> None:
        defaults = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        for k, v in headers.items():
            # REMOTE_ADDR is the client's address, not a header.
            defaults[k if k == "REMOTE_ADDR" else f"HTTP_{k.upper().replace('-', '_')}"] = v
        super().__init__(**defaults)

    def post_json(self, path: str, body: Any, **extra: Any) -> Any:
        import json

        return self.post(path, data=json.dumps(body), content_type="application/json", **extra)

    def patch_json(self, path: str, body: Any, **extra: Any) -> Any:
        import json

        return self.patch(path, data=json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def api_for() -> Any:
    def make(user: User, **headers: str) -> ApiClient:
        issued = directory.token_issue(actor=SYSTEM, user=user, ttl_seconds=3600)
        return ApiClient(issued.token, **headers)

    return make


@pytest.fixture
def chromium_path() -> Iterator[str]:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if not path:
        skip_or_fail("Chromium is not installed (/usr/bin/chromium); install Debian's chromium package")
    yield path  # type: ignore[misc]


CATALOG_DIR = Path(__file__).resolve().parents[1] / "src" / "hanse" / "catalog" / "data"


@pytest.fixture
def offers(db: None) -> list[Any]:
    """The public demo catalogue (13 offers, prices in every market currency)."""
    from hanse.catalog.services import catalog_load

    return catalog_load(actor=SYSTEM, path=CATALOG_DIR / "offers-public.json")


def billing(country: str = "DE", **over: str) -> Any:
    from hanse.customers.services import BillingProfile

    data = {
        "first_name": "Erika",
        "last_name": "Mustermann",
        "email": "erika@kunde.example",
        "country": country,
        "city": "Berlin",
        "postal_code": "10115",
        "address_line1": "Unter den Linden 1",
    }
    data.update(over)
    return BillingProfile(**data)


@pytest.fixture
def make_customer(db: None) -> Any:
    def make(
        partner: Partner, *, name: str | None = None, domain: str | None = None, country: str = "DE"
    ) -> Any:
        from hanse.customers.services import customer_create

        actor = principal_of(
            directory.user_create(
                actor=SYSTEM,
                tenant=partner.tenant,
                upn=f"{_next('seller')}@{partner.domain}",
                display_name="Seller",
                roles=[Role.ADMIN_AGENT],
                password=PASSWORD,
                must_change_password=False,
            ).user
        )
        return customer_create(
            actor=actor,
            company_name=name or "Kunde GmbH",
            domain=domain or f"{_next('kunde')}.example",
            billing=billing(country),
        ).customer

    return make


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> None:
    """Rate counts live outside the database, so no test's transaction rolls them back."""
    from hanse.api import ratelimit

    ratelimit.reset()


@pytest.fixture(autouse=True)
def _fresh_bearers() -> None:
    """Verified tokens are kept in the process, beside an epoch that each test's rollback resets."""
    from hanse.directory import bearer

    bearer.forget()


@pytest.fixture(scope="session", autouse=True)
def _no_stray_postgres_sessions(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Live-server threads may still hold a connection when the session ends; PostgreSQL then
    refuses to drop the test database. End those sessions before the teardown does."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
