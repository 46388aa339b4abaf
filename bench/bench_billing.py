"""A month's billing run against the same arithmetic in a plain Python loop over the same rows.

Run: .venv/bin/python bench/bench_billing.py [--subscriptions 10000] [--database-url URL]

Seeds partners whose customers bought every non-trial offer of the public catalogue before last
month, through the real services (order_create, and subscription_update for a tenth of them, whose
quantity changes mid-month), so that the seat-change rows are the ones Hanse writes. Then, in the
same run and alternating (A B B A, three rounds), it times:

- the run: ``billing_run`` for last month, which rates every subscription, issues one invoice per
  partner and currency with a line per subscription and audits each invoice (rolled back after each
  timing, so that every round bills the same month afresh);
- its dry run (the rating alone, nothing written);
- the baseline: one query for the seat-change rows and one for the prices, then a plain loop that
  sums seat-days times the daily price per subscription, rounds each half-up to the cent and adds
  them up per partner and currency.

It checks that the run's invoice totals equal the baseline's sums, then prints the medians and the
ratios. Uses a throw-away SQLite file, or the given database (which it fills and then drops).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=10000)
    parser.add_argument("--partners", type=int, default=5)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--profile", choices=("run", "dry"), help="print where one billing run (or dry run) spends its time"
    )
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.world import ROOT, billing, make_instance

    make_instance(args.database_url)
    root = ROOT
    from django.db import connection, transaction

    from hanse import clock
    from hanse.access.principal import system_principal
    from hanse.billing.models import Invoice, SeatChange
    from hanse.billing.rating import Period
    from hanse.billing.services import billing_run
    from hanse.catalog.models import Offer, OfferPrice
    from hanse.catalog.services import catalog_load
    from hanse.commerce.models import Subscription
    from hanse.commerce.services import LineItem, SubscriptionChange, order_create, subscription_update
    from hanse.customers.services import customer_import
    from hanse.directory import services as directory
    from hanse.partners.services import partner_account_create

    actor = system_principal("bench")
    catalog_load(actor=actor, path=root / "src" / "hanse" / "catalog" / "data" / "offers-public.json")
    offers = list(Offer.objects.filter(is_trial=False).order_by("id").values_list("id", flat=True))
    period = Period.of(clock.today().replace(day=1) - timedelta(days=1))
    bought = datetime.combine(period.start - timedelta(days=3), datetime.min.time(), tzinfo=UTC)
    mid_month = datetime.combine(
        period.start + timedelta(days=period.days // 2), datetime.min.time(), tzinfo=UTC
    )
    customers = max(1, args.subscriptions // len(offers))
    per_partner = -(-customers // args.partners)

    started = time.perf_counter()
    made = 0
    changed: list[tuple[Any, Any]] = []
    for p in range(args.partners):
        tenant = directory.tenant_create(
            actor=actor, domain=f"partner{p}.example", name=f"Partner {p}", kind="partner", region="eu-west"
        )
        account = partner_account_create(
            actor=actor, tenant=tenant, company_name=f"Partner {p}", state="active"
        )
        for c in range(min(per_partner, customers - p * per_partner)):
            with clock.earlier(clock.now() - bought):
                customer = customer_import(
                    actor=actor,
                    partner=account,
                    company_name=f"Customer {p}-{c}",
                    domain=f"c{p}-{c}.example",
                    billing=billing(f"{p}-{c}"),
                )
                order = order_create(
                    actor=actor,
                    customer_id=customer.id,
                    lines=[LineItem(offer_id=o, quantity=1 + (c + i) % 40) for i, o in enumerate(offers)],
                )
            made += len(offers)
            if c % 10 == 0:
                changed.append((customer, order.subscriptions.order_by("id").first()))
            if made % 1000 < len(offers):
                print(
                    f"  seeded {made} subscriptions ({time.perf_counter() - started:.0f} s)", file=sys.stderr
                )
    with clock.earlier(clock.now() - mid_month):
        for customer, sub in changed:
            subscription_update(
                actor=actor,
                customer_id=customer.id,
                subscription_id=sub.id,
                change=SubscriptionChange(quantity=sub.quantity + 7),
                if_match=None,
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as autovacuum would after a bulk load
            cursor.execute("ANALYZE")
    subscriptions = Subscription.objects.count()
    seat_rows = SeatChange.objects.count()
    print(
        f"seeded {subscriptions} subscriptions, {seat_rows} seat changes"
        f" in {time.perf_counter() - started:.0f} s"
    )

    def run(*, dry_run: bool) -> dict[tuple[str, str], Decimal]:
        with transaction.atomic():
            result = billing_run(actor=actor, period=period, dry_run=dry_run)
            if dry_run:
                totals = {k: sum((d.amount for d in v), Decimal(0)) for k, v in result.drafts.items()}
            else:
                totals = {
                    (i.partner.tenant.domain, i.currency): i.subtotal
                    for i in Invoice.objects.select_related("partner__tenant")
                }
                assert len(result.issued) == len(totals) and Invoice.objects.count() == len(totals)
            transaction.set_rollback(True)
        return totals

    def baseline() -> dict[tuple[str, str], Decimal]:
        """The same arithmetic, written directly: for each subscription, the runs of days between
        its seat changes (and price changes), seats times days times the price in force, over the
        month's days; each subscription rounded once, half-up to the cent, then summed."""
        prices: dict[tuple[str, str], list[tuple[date, Decimal]]] = defaultdict(list)
        for offer_id, currency, valid_from, price in OfferPrice.objects.order_by("valid_from").values_list(
            "offer_id", "currency", "valid_from", "unit_price"
        ):
            prices[offer_id, currency].append((valid_from, price))
        subs = {
            sid: (domain, offer_id, currency)
            for sid, domain, offer_id, currency in Subscription.objects.values_list(
                "id", "partner__tenant__domain", "offer_id", "currency"
            )
        }
        history: dict[Any, list[tuple[date, int]]] = defaultdict(list)
        for sid, day, seats in (
            SeatChange.objects.filter(day__lt=period.end)
            .order_by("subscription_id", "day", "id")
            .values_list("subscription_id", "day", "seats")
        ):
            history[sid].append((day, seats))
        cent, days = Decimal("0.01"), Decimal(period.days)
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for sid, changes in history.items():
            domain, offer_id, currency = subs[sid]
            plist = prices[offer_id, currency]
            cuts = sorted(
                {period.start, period.end}
                | {d for d, _ in changes if period.start < d < period.end}
                | {d for d, _ in plist if period.start < d < period.end}
            )
            exact = Decimal(0)
            for a, b in itertools.pairwise(cuts):
                seats = 0
                for d, n in changes:  # the last change on or before a, the day's state
                    if d > a:
                        break
                    seats = n
                price = plist[0][1]
                for valid_from, p in plist:
                    if valid_from > a:
                        break
                    price = p
                exact += seats * (b - a).days * price
            if exact:
                totals[domain, currency] += (exact / days).quantize(cent, rounding=ROUND_HALF_UP)
        return dict(totals)

    def timed(
        fn: Callable[[], dict[tuple[str, str], Decimal]],
    ) -> tuple[float, dict[tuple[str, str], Decimal]]:
        start = time.perf_counter()
        out = fn()
        return time.perf_counter() - start, out

    if args.profile:
        import cProfile
        import pstats

        run(dry_run=args.profile == "dry")  # warm
        profiler = cProfile.Profile()
        profiler.runcall(run, dry_run=args.profile == "dry")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
        return 0

    runs: list[float] = []
    drys: list[float] = []
    bases: list[float] = []
    expected: dict[tuple[str, str], Decimal] | None = None
    for r in range(args.rounds):
        order = ("run", "dry", "base") if r % 2 == 0 else ("base", "dry", "run")
        for name in order:
            if name == "run":
                seconds, totals = timed(lambda: run(dry_run=False))
                runs.append(seconds)
            elif name == "dry":
                seconds, totals = timed(lambda: run(dry_run=True))
                drys.append(seconds)
            else:
                seconds, totals = timed(baseline)
                bases.append(seconds)
            if expected is None:
                expected = totals
            assert totals == expected, f"{name} disagrees: {totals} != {expected}"
        print(f"  round {r + 1}: run {runs[-1]:.2f} s, dry run {drys[-1]:.2f} s, baseline {bases[-1]:.2f} s")

    run_s, dry_s, base_s = (statistics.median(x) for x in (runs, drys, bases))
    print(
        f"engine: {connection.vendor}; {subscriptions} subscriptions, {seat_rows} seat changes,"
        f" period {period}"
    )
    print(f"invoices per run: {len(expected or {})}; totals equal to the baseline's in every round")
    print(f"billing run (issued, audited, rolled back): {run_s:.2f} s  = {run_s / base_s:.2f}x the baseline")
    print(f"dry run (rating only):                      {dry_s:.2f} s  = {dry_s / base_s:.2f}x the baseline")
    print(f"baseline (plain Python loop, same rows):    {base_s:.2f} s")
    if args.database_url:
        connection.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
