"""Fixed-window counters in the database, shared by every web process of the instance."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from hanse import clock
from hanse.api.models import RateWindow


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


def hit(key: str, *, limit: int, window_seconds: int = 60) -> Verdict:
    """Count one event for ``key`` in the current window; refuse beyond ``limit``."""
    now = clock.now().timestamp()
    window = int(now // window_seconds)
    updated = RateWindow.objects.filter(key=key, window=window).update(count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                RateWindow.objects.create(key=key, window=window, count=1)
        except IntegrityError:  # another process opened the window first
            RateWindow.objects.filter(key=key, window=window).update(count=F("count") + 1)
        # Old windows are useless; the first event of each window clears them.
        RateWindow.objects.filter(key=key, window__lt=window).delete()
    count = RateWindow.objects.filter(key=key, window=window).values_list("count", flat=True).first() or 0
    return Verdict(allowed=count <= limit, retry_after=max(1, window_seconds - int(now) % window_seconds))
