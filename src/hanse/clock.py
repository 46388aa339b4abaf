"""The one clock (docs/architecture.md §5): every "now" comes from here, so that expiry and
retention are testable."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
