"""``hanse billing run|credit`` and the worker's monthly run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django_tasks_db.models import DBTaskResult

from hanse import clock
from hanse.billing.models import Invoice
from hanse.billing.rating import Period
from hanse.billing.tasks import billing_timer, next_run, start_timer
from hanse.cli import main
from tests.billing.conftest import month_ago
from tests.test_cli import CONFIG


def _run(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(["billing", *args, "--config", CONFIG])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_billing_run_dry_then_for_real_then_again(seller, partner, capsys):
    seller.buy(month_ago(1), "WORKPLACE-BASIC", 4)
    period = str(Period.of(month_ago(1)))
    rc, out, _ = _run(capsys, "run", "--period", period, "--dry-run", "--json")
    dry = json.loads(out)
    assert rc == 0 and dry["dryRun"] and dry["issued"] == 0 and Invoice.objects.count() == 0
    (line,) = dry["invoices"]
    assert (line["partner"], line["currency"], line["lines"], line["invoice"]) == (
        partner.tenant.domain,
        "EUR",
        1,
        "",
    )
    rc, out, _ = _run(capsys, "run", "--period", period, "--partner", partner.tenant.domain)
    invoice = Invoice.objects.get()
    assert rc == 0 and invoice.number in out and line["subtotal"] == str(invoice.subtotal)
    rc, out, _ = _run(capsys, "run", "--period", period, "--json")
    assert json.loads(out)["alreadyIssued"] == 1 and Invoice.objects.count() == 1
    rc, out, _ = _run(capsys, "credit", "--invoice", invoice.number, "--reason", "Ordered twice")
    note = Invoice.objects.get(amends=invoice)
    assert rc == 0 and note.number in out and note.total == -invoice.total


def test_bad_periods_and_partners_are_clear_errors(db, capsys):
    rc, _, err = _run(capsys, "run", "--period", "2026-13")
    assert rc == 1 and "YYYY-MM" in err and "7601" in err
    this_month = str(Period.of(clock.today()))
    rc, _, err = _run(capsys, "run", "--period", this_month)
    assert rc == 1 and "7602" in err
    rc, _, err = _run(capsys, "run", "--period", "2020-01", "--partner", "nobody.example")
    assert rc == 1 and "nobody.example" in err and "7604" in err


def test_the_worker_bills_the_month_just_over_and_queues_the_next_month(seller):
    seller.buy(month_ago(1), "WORKPLACE-BASIC", 2)
    timers = DBTaskResult.objects.filter(task_path=billing_timer.module_path, status="READY")
    start_timer()
    start_timer()  # a second worker start queues no second run
    assert timers.count() == 1
    assert billing_timer.call() == 1
    assert Invoice.objects.get().period_start == month_ago(1)
    assert billing_timer.call() == 0  # the month is billed: nothing more
    (nxt,) = timers.order_by("-run_after")[:1]
    assert nxt.run_after == next_run(clock.now())


def test_the_next_run_is_the_first_of_the_next_month_at_one():
    assert next_run(datetime(2026, 12, 31, 23, tzinfo=UTC)) == datetime(2027, 1, 1, 1, tzinfo=UTC)
    assert next_run(datetime(2026, 1, 31, 0, 30, tzinfo=UTC)) == datetime(2026, 2, 1, 1, tzinfo=UTC)
    first = datetime(2026, 3, 1, 0, 59, tzinfo=UTC)
    assert next_run(first) - first == timedelta(days=31, minutes=1)
