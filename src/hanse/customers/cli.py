"""``hanse seed``: customers in bulk for load tests and benchmarks, through the import service."""

from __future__ import annotations

import argparse
from typing import Any


def seed(args: argparse.Namespace) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from hanse.access.principal import system_principal
    from hanse.customers.services import SEED_BATCH, customers_seed

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        disable=args.quiet,
    ) as bar:
        task = bar.add_task(f"customers of {args.partner}", total=args.customers)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done)

        total = customers_seed(
            actor=system_principal("cli"),
            partner_domain=args.partner,
            count=args.customers,
            batch=SEED_BATCH if args.batch is None else args.batch,
            progress=progress,
        )
    print(f"{args.partner} has {total} customer(s)")
    return 0


def add_commands(sub: Any, command: Any, setup: Any) -> None:
    p = command(
        "seed",
        "Add customers to a partner in bulk, for load tests: 'Customer N' at cN.<partner domain>, "
        "numbered on from its customers. Run again after a stop, it goes on where it stopped.",
        setup(seed),
    )
    p.add_argument("--partner", required=True, metavar="DOMAIN", help="the partner tenant's domain")
    p.add_argument("--customers", required=True, type=int, metavar="N", help="how many to add")
    p.add_argument("--batch", type=int, metavar="N", help="customers per transaction (default: 2000)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
