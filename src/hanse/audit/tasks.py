"""The log's jobs: a signed checkpoint every ``checkpoint_every`` records and every
``checkpoint_minutes`` (docs/audit.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django_tasks import task

from hanse import clock
from hanse.errors import Conflict


@task()
def write_checkpoint() -> int:
    """Sign the log as it stands; returns the checkpoint's size (0: nothing to sign yet, -1:
    refused, the database differs from the last checkpoint; checkpoint_write logs why)."""
    from hanse.audit.services import checkpoint_write

    try:
        checkpoint = checkpoint_write()
    except Conflict:
        return -1
    return checkpoint.size if checkpoint is not None else 0


@task()
def checkpoint_timer() -> int:
    """The timed checkpoint: queues its successor first, so that a failure does not stop it."""
    from hanse.instance.current import instance

    _queue_timer(clock.now() + timedelta(minutes=instance().audit.checkpoint_minutes))
    return write_checkpoint.call()


def _queue_timer(when: datetime) -> None:
    checkpoint_timer.using(run_after=when).enqueue()


def start_timer() -> None:
    """At worker start: queue the timed checkpoint unless one is waiting (a running timer has
    queued its successor before it began its work)."""
    from django_tasks_db.models import DBTaskResult

    if not DBTaskResult.objects.filter(task_path=checkpoint_timer.module_path, status="READY").exists():
        _queue_timer(clock.now())
