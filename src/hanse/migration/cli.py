"""``hanse migration plan|run|status|verify|rollback`` (docs/migration.md): the instance's own
view, on the host, of its linked partners' moves. Run by the provider's operator, as the
instance; a partner's Global admin does the same in the partner center."""

from __future__ import annotations

import argparse
import json
import time
import uuid
from typing import Any

TERMINAL = ("cut_over", "failed", "rolled_back")
CLI: Any = None  # the instance, once Django is set up (this module is read to build the parser)


def _setup() -> None:
    global CLI
    from hanse.access.principal import system_principal

    CLI = system_principal("cli")


class MigrationCliError(Exception):
    pass


def _links(partner: str | None) -> list[Any]:
    from hanse.access.roles import Action
    from hanse.access.scope import scoped
    from hanse.links.models import TenantLink

    _setup()
    links = scoped(TenantLink.objects.select_related("partner__tenant"), CLI, Action.TENANT_LINK_MANAGE)
    if partner:
        links = links.filter(partner__tenant__domain__ieq=partner.strip())
    found = list(links.order_by("linked_at"))
    if not found:
        raise MigrationCliError(
            f"no linked partner{' ' + partner if partner else ''}: link it in the partner center first"
        )
    return found


def _customer(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise MigrationCliError(f"--customer: {value!r} is not a customer id") from None


def plan(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from hanse.migration.selectors import migration_plan

    out: list[dict[str, Any]] = []
    console = Console()
    for link in _links(args.partner):
        p = migration_plan(
            principal=CLI, partner_id=link.partner_id, customer_id=_customer(args.customer), check_target=True
        )
        rows = [
            {
                "customerId": str(cp.customer.id),
                "companyName": cp.customer.company_name,
                "domain": cp.customer.tenant.domain,
                "counts": cp.counts,
                "offers": cp.offers,
                "movable": cp.movable,
                "blockers": [{"code": b.code, "description": b.description} for b in cp.blockers],
            }
            for cp in p.customers
        ]
        out.append(
            {
                "partner": link.partner.tenant.domain,
                "peer": link.peer,
                "target": link.target_domain,
                "targetChecked": p.target_checked,
                "targetError": p.target_error,
                "mapping": p.mapping,
                "customers": rows,
            }
        )
        if args.json:
            continue
        console.print(f"[bold]{link.partner.tenant.domain}[/] → {link.target_domain} at {link.peer}")
        if p.target_error:
            console.print(f"[yellow]not checked at {link.peer}: {p.target_error}[/]")
        mapping = Table("offer here", f"offer at {link.peer}")
        for source, target in p.mapping.items():
            mapping.add_row(source, target or "[red]none[/]")
        console.print(mapping)
        table = Table("customer", "users", "subscriptions", "licences", "plan")
        for cp in p.customers:
            verdict = (
                "[green]moves[/]"
                if cp.movable
                else "\n".join(f"[red]{b.code}[/] {b.description}" for b in cp.blockers)
            )
            table.add_row(
                f"{cp.customer.company_name}\n{cp.customer.id}",
                str(cp.counts["users"]),
                str(cp.counts["subscriptions"]),
                str(cp.counts["licences"]),
                verdict,
            )
        console.print(table)
        console.print(f"{len(p.movable)} of {len(p.customers)} customer(s) can move now.")
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def run(args: argparse.Namespace) -> int:
    from hanse.migration.services import migration_run

    started = 0
    chosen = [c for c in (_customer(v) for v in args.customer or []) if c is not None] or None
    for link in _links(args.partner):
        moves = migration_run(actor=CLI, partner_id=link.partner_id, customer_ids=chosen)
        started += len(moves)
        print(f"{link.partner.tenant.domain}: {len(moves)} customer(s) start moving to {link.peer}")
    if args.no_wait or not started:
        return 0
    return _watch(args.partner)


def _rows(partner: str | None) -> list[Any]:
    from hanse.migration.selectors import migrations

    rows = []
    for link in _links(partner):
        rows += list(migrations(CLI, link.partner_id))
    return rows


def _watch(partner: str | None) -> int:
    """A progress bar until every move under way has ended (the worker moves them)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    ) as bar:
        task = bar.add_task("moving", total=None)
        while True:
            rows = _rows(partner)
            ended = [m for m in rows if m.state in TERMINAL]
            failed = sum(1 for m in rows if m.state == "failed")
            bar.update(
                task,
                total=len(rows),
                completed=len(ended),
                description=f"moving ({failed} failed)" if failed else "moving",
            )
            if len(ended) == len(rows):
                break
            time.sleep(0.5)
    return 1 if any(m.state == "failed" for m in _rows(partner)) else 0


def status(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from hanse.migration.selectors import error_description

    if args.watch:
        _watch(args.partner)
    rows = _rows(args.partner)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "customerId": str(m.customer_id),
                        "companyName": m.customer.company_name,
                        "state": m.state,
                        "attempt": m.attempt,
                        "batches": [m.batches_done, m.batches_total],
                        "counts": m.counts,
                        "checksum": m.checksum,
                        "error": error_description(m),
                    }
                    for m in rows
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    table = Table("customer", "state", "batches", "objects", "checksum", "error")
    for m in rows:
        table.add_row(
            m.customer.company_name,
            m.get_state_display(),
            f"{m.batches_done}/{m.batches_total}",
            str(sum((m.counts or {}).values())),
            m.checksum[:12],
            error_description(m) or "",
        )
    Console().print(table)
    return 0


def verify(args: argparse.Namespace) -> int:
    """Compare now, for each move verified or cut over, this instance's export with the target's."""
    from hanse.migration import peer_api
    from hanse.migration.canonical import Summary
    from hanse.migration.export import export_items

    bad = 0
    for m in _rows(args.partner):
        if m.state not in ("ready", "cutting_over", "cut_over") or m.purged_at is not None:
            continue
        if args.customer and str(m.customer_id) != args.customer:
            continue
        link = next(link for link in _links(args.partner) if link.partner_id == m.partner_id)
        mine = Summary.of(export_items(CLI, m.customer, audit_until=m.audit_until))
        theirs = peer_api.summary(CLI, link, m.customer_id)
        differ = mine.differences(theirs.get("digests") or {})
        if differ:
            bad += 1
            print(f"{m.customer.company_name}: {len(differ)} object(s) differ, e.g. {', '.join(differ[:5])}")
        else:
            print(
                f"{m.customer.company_name}: identical ({sum(mine.counts.values())} objects, {mine.checksum})"
            )
    return 1 if bad else 0


def rollback(args: argparse.Namespace) -> int:
    from hanse.migration.services import migration_rollback

    customer = _customer(args.customer)
    if customer is None:
        raise MigrationCliError("--customer ID is required")
    _setup()
    move = migration_rollback(actor=CLI, customer_id=customer)
    print(f"{move.customer.company_name}: rolling back")
    return 0


def add_commands(sub: Any, command: Any, setup: Any) -> None:
    """Register the subcommands under ``hanse migration``."""
    migration = sub.add_parser(
        "migration",
        help="Moving customers to the linked instance.",
        description="Moving customers to the linked instance.",
    )
    msub = migration.add_subparsers(dest="migration_command", metavar="COMMAND", required=True)
    for name, fn, help_ in (
        ("plan", plan, "The dry run: what moves, the offer mapping, and each customer's blockers."),
        ("run", run, "Start moving every movable customer (or --customer), then follow it."),
        ("status", status, "Each customer's move; --watch follows them to their end."),
        ("verify", verify, "Compare each moved customer here with the target, object by object."),
        ("rollback", rollback, "Roll back one customer's move before its cutover."),
    ):
        p = command(name, help_, setup(fn), parent=msub)
        p.add_argument("--partner", metavar="DOMAIN", help="one linked partner (default: all)")
        if name == "run":
            p.add_argument("--customer", metavar="ID", action="append", help="a customer (repeat for more)")
        else:
            p.add_argument("--customer", metavar="ID", help="one customer")
        if name in ("plan", "status"):
            p.add_argument("--json", action="store_true", help="JSON instead of tables")
        if name == "status":
            p.add_argument("--watch", action="store_true", help="follow the moves to their end")
        if name == "run":
            p.add_argument("--no-wait", action="store_true", help="start them and return")
