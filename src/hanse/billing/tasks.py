"""The monthly billing run (docs/billing.md §3): at 01:00 UTC on the first of each month, the
worker bills the month just over. A worker that was down then bills it when it starts: the run
issues only what is missing."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django_tasks import task

from hanse import clock

RUN_AT = time(1, 0)


def next_run(now: datetime) -> datetime:
    """01:00 UTC on the first day of the month after ``now``'s."""
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime.combine(now.date().replace(year=year, month=month, day=1), RUN_AT, tzinfo=UTC)


@task()
def billing_timer() -> int:
    """Queues its successor first, so that a failed run does not stop the months after it;
    returns how many invoices it issued."""
    from hanse.access.principal import system_principal
    from hanse.billing.rating import Period
    from hanse.billing.services import billing_run

    _queue(next_run(clock.now()))
    period = Period.of(clock.today()).previous()
    return len(billing_run(actor=system_principal("worker"), period=period).issued)


def _queue(when: datetime) -> None:
    billing_timer.using(run_after=when).enqueue()


def start_timer() -> None:
    """At worker start: run now unless a run is waiting (a running one queued its successor)."""
    from django_tasks_db.models import DBTaskResult

    if not DBTaskResult.objects.filter(task_path=billing_timer.module_path, status="READY").exists():
        _queue(clock.now())
