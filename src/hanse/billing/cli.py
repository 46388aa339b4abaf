"""``hanse billing run|credit`` (docs/billing.md §7): the operator's month-end on the host. The
worker runs the same billing run each month by itself; this one names a period, a partner, or
only rates (``--dry-run``)."""

from __future__ import annotations

import argparse
import json
from typing import Any


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from hanse.access.principal import system_principal
    from hanse.billing.services import billing_run, parse_period

    period = parse_period(args.period)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=args.json,
    ) as bar:
        task = bar.add_task(f"billing {period}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, total=total, completed=done)

        result = billing_run(
            actor=system_principal("cli"),
            period=period,
            partner_domain=args.partner,
            dry_run=args.dry_run,
            progress=progress,
        )
    totals = [
        {
            "partner": domain,
            "currency": currency,
            "lines": len(drafts),
            "subtotal": str(sum((d.amount for d in drafts), 0)),
            "tax": str(sum((d.tax for d in drafts), 0)),
        }
        for (domain, currency), drafts in sorted(result.drafts.items())
    ]
    issued = {(i.partner.tenant.domain, i.currency): i.number for i in result.issued}
    for t in totals:
        t["invoice"] = issued.get((t["partner"], t["currency"]), "")
    if args.json:
        out: dict[str, Any] = {
            "period": str(period),
            "dryRun": args.dry_run,
            "partners": result.partners,
            "issued": len(result.issued),
            "alreadyIssued": result.already,
            "invoices": totals,
        }
        print(json.dumps(out, indent=2))
        return 0
    console = Console()
    table = Table(title=f"{'Dry run: ' if args.dry_run else ''}billing {period}")
    for column in ("partner", "currency", "lines", "subtotal", "tax", "invoice"):
        table.add_column(column, justify="right" if column in ("lines", "subtotal", "tax") else "left")
    for t in totals:
        table.add_row(*(str(t[c]) for c in ("partner", "currency", "lines", "subtotal", "tax", "invoice")))
    console.print(table)
    verb = "would issue" if args.dry_run else "issued"
    count = len(result.drafts) if args.dry_run else len(result.issued)
    console.print(
        f"{result.partners} partner(s); {verb} {count} invoice(s); {result.already} issued by an earlier run"
    )
    return 0


def credit(args: argparse.Namespace) -> int:
    from hanse.access.principal import system_principal
    from hanse.billing.services import credit_note_issue

    note = credit_note_issue(
        actor=system_principal("cli"),
        number=args.invoice,
        line_numbers=args.line or None,
        reason=args.reason,
    )
    print(f"{note.number}: credits {note.amends_id}, {note.total} {note.currency}")
    return 0


def add_commands(sub: Any, command: Any, setup: Any) -> None:
    """Register the subcommands under ``hanse billing``."""
    billing = sub.add_parser("billing", help="Invoices and credit notes.", description="Billing.")
    bsub = billing.add_subparsers(dest="billing_command", metavar="COMMAND", required=True)
    p = command(
        "run",
        "Issue each partner's invoices for a month that is over (again: issues only what is missing).",
        setup(run),
        parent=bsub,
    )
    p.add_argument("--period", required=True, metavar="YYYY-MM", help="the month billed, e.g. 2026-11")
    p.add_argument("--partner", metavar="DOMAIN", help="one partner (default: every partner)")
    p.add_argument("--dry-run", action="store_true", help="rate and show, issue nothing")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p = command("credit", "Issue a credit note against an invoice.", setup(credit), parent=bsub)
    p.add_argument("--invoice", required=True, metavar="NUMBER", help="e.g. de-2026-000042")
    p.add_argument("--line", type=int, action="append", metavar="N", help="a line to credit (default: all)")
    p.add_argument("--reason", required=True, help="why, as the credit note says it")
