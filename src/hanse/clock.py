"""The one clock (docs/architecture.md §5): every "now" comes from here, so that expiry and
retention are testable, and so that the demo can write a history that happened in the past."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

_shift: contextvars.ContextVar[timedelta] = contextvars.ContextVar("hanse_clock_shift", default=timedelta(0))


def now() -> datetime:
    return timezone.now() + _shift.get()


def today() -> date:
    """The day in UTC: the instance bills and counts days in UTC, wherever its reader is."""
    return now().astimezone(UTC).date()


@contextmanager
def earlier(by: timedelta) -> Iterator[None]:
    """Acts done inside happen ``by`` before the real time (the demo's past; nothing else)."""
    token = _shift.set(_shift.get() - by)
    try:
        yield
    finally:
        _shift.reset(token)
