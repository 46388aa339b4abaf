"""Keyset paging stays flat with depth; OFFSET paging (the baseline, same data, same run) does not.

Run: .venv/bin/python bench/bench_paging.py [--customers 20000] [--database-url URL]
Prints the time to fetch one page of 100 at the first page and at the last page for both methods,
and the ratio deep/first for each. Uses a throw-away SQLite file (or the given database).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.world import make_instance

    url = make_instance(args.database_url).database_url
    from hanse import clock
    from hanse.access.principal import system_principal
    from hanse.access.roles import Role
    from hanse.customers.models import Customer
    from hanse.customers.selectors import customer_page
    from hanse.directory import services as directory
    from hanse.directory.models import Tenant
    from hanse.directory.selectors import principal_for
    from hanse.partners.services import partner_account_create

    actor = system_principal("bench")
    tenant = directory.tenant_create(
        actor=actor, domain="bench-partner.example", name="Bench", kind="partner", region="eu-west"
    )
    account = partner_account_create(actor=actor, tenant=tenant, company_name="Bench", state="active")
    user = directory.user_create(
        actor=actor,
        tenant=tenant,
        upn="a@bench-partner.example",
        display_name="A",
        roles=[Role.SALES_AGENT],
        password="bench-password-123456",
    ).user
    principal = principal_for(user)
    now = clock.now()
    tenants = [
        Tenant(
            domain=f"c{i}.example",
            name=f"C{i}",
            kind="customer",
            home_region="eu-west",
            country="NL",
            created_at=now,
        )
        for i in range(args.customers)
    ]
    Tenant.objects.bulk_create(tenants, batch_size=2000)
    Customer.objects.bulk_create(
        [
            Customer(
                id=uuid.uuid4(),
                partner=account,
                tenant=t,
                company_name=t.name,
                country="NL",
                created_at=now - timedelta(seconds=i),
            )
            for i, t in enumerate(tenants)
        ],
        batch_size=2000,
    )

    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as c:  # as autovacuum would after a bulk load
            c.execute("ANALYZE")

    def keyset(depth_token: str | None) -> float:
        start = time.perf_counter()
        customer_page(principal=principal, size=100, token=depth_token)
        return time.perf_counter() - start

    def offset(skip: int) -> float:
        start = time.perf_counter()
        list(Customer.objects.filter(partner=account).order_by("created_at", "id")[skip : skip + 100])
        return time.perf_counter() - start

    # The token of the last page: walk once.
    token = None
    last_token = None
    while True:
        page = customer_page(principal=principal, size=100, token=token)
        if not page.next_token:
            break
        last_token, token = page.next_token, page.next_token

    def median(f, arg) -> float:
        return statistics.median(f(arg) for _ in range(args.repeat))

    k_first, k_deep = median(keyset, None), median(keyset, last_token)
    o_first, o_deep = median(offset, 0), median(offset, args.customers - 100)
    engine = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"customers={args.customers} page=100 engine={engine} repeat={args.repeat}")
    print(
        f"keyset  first={k_first * 1000:.2f} ms  deepest={k_deep * 1000:.2f} ms  ratio={k_deep / k_first:.2f}"
    )
    print(
        f"offset  first={o_first * 1000:.2f} ms  deepest={o_deep * 1000:.2f} ms  ratio={o_deep / o_first:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
