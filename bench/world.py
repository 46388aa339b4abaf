"""A throw-away instance for a benchmark: its config file, its database, and its data, seeded
through the services (customers in bulk through ``customers_seed``, as ``hanse seed`` does)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-123456"


@dataclass
class Instance:
    dir: Path
    config: Path
    database_url: str


def make_instance(database_url: str = "") -> Instance:
    """Write the config and start Django in this process against the instance's database."""
    tmp = Path(tempfile.mkdtemp(prefix="hanse-bench-"))
    url = database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    cfg = tmp / "bench.toml"
    cfg.write_text(
        '[instance]\nid = "bench"\nname = "Bench"\nkind = "public"\ndata_boundary = ["NL"]\n'
        'secret_key = "bench-only"\nmarkets = "EU+EFTA"\n'
        # The limiter runs on every request, as in production; the load stays under its limit.
        "[api]\nrate_limit_per_minute = 100000000\n"
        '[[regions]]\nid = "eu-west"\nname = "Amsterdam"\ncountry = "NL"\n'
        f'[database]\nurl = "{url}"\n[paths]\ndata_dir = "{tmp}"\n'
    )
    os.environ["HANSE_CONFIG"] = str(cfg)
    os.environ["DJANGO_SETTINGS_MODULE"] = "hanse.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return Instance(dir=tmp, config=cfg, database_url=url)


@dataclass
class Seeded:
    partner_id: str
    token: str
    upn: str
    customer_id: str  # the customer with subscriptions
    customers: int


def billing(key: object) -> Any:
    """The billing profile of the customer ``c{key}.example``."""
    from hanse.customers.services import BillingProfile

    return BillingProfile(
        first_name="Ada",
        last_name="Bench",
        email=f"ada@c{key}.example",
        country="NL",
        city="Utrecht",
        postal_code="3511",
        address_line1="Oudegracht 1",
    )


def seed(customers: int, *, subscriptions: int = 10) -> Seeded:
    """A partner with a Sales agent and its API token, ``customers`` customers, and one of them
    with ``subscriptions`` subscriptions."""
    from django.db import connection

    from hanse.access.principal import system_principal
    from hanse.access.roles import Role
    from hanse.catalog.models import Offer
    from hanse.catalog.services import catalog_load
    from hanse.commerce.services import LineItem, order_create
    from hanse.customers.models import Customer
    from hanse.customers.services import customers_seed
    from hanse.directory import services as directory
    from hanse.partners.services import partner_account_create

    actor = system_principal("bench")
    catalog_load(actor=actor, path=ROOT / "src" / "hanse" / "catalog" / "data" / "offers-public.json")
    tenant = directory.tenant_create(
        actor=actor, domain="bench-partner.example", name="Bench", kind="partner", region="eu-west"
    )
    account = partner_account_create(actor=actor, tenant=tenant, company_name="Bench", state="active")
    upn = "agent@bench-partner.example"
    user = directory.user_create(
        actor=actor, tenant=tenant, upn=upn, display_name="Agent", roles=[Role.SALES_AGENT], password=PASSWORD
    ).user
    token = directory.token_issue(actor=actor, user=user, ttl_seconds=86400).token
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 20000 == 0 or done == total:
            print(f"  seeded {done} customers ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    customers_seed(actor=actor, partner_domain=tenant.domain, count=customers, progress=progress)
    first = Customer.objects.filter(partner=account).order_by("created_at", "id").first()
    assert first is not None
    offers = list(Offer.objects.filter(is_trial=False).order_by("id").values_list("id", flat=True))
    lines = [LineItem(offer_id=offers[k % len(offers)], quantity=1 + k) for k in range(subscriptions)]
    order_create(actor=actor, customer_id=first.id, lines=lines)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Seeded(
        partner_id=str(account.id), token=token, upn=upn, customer_id=str(first.id), customers=customers
    )
