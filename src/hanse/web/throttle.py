"""Sign-in throttling: per account and address (django-axes), and per address across accounts.

Sign-in ignores the case of a user name, so throttling must too: otherwise every spelling of one
name (``ANNA@…``, ``anna@…``) would get its own five tries.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest

from hanse import clock
from hanse.clientaddr import client_address

# One address may fail this often, across all the accounts it tries, within the cool-off period.
ADDRESS_FAILURE_LIMIT = 20


def normalised_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """django-axes's ``AXES_USERNAME_CALLABLE``: the name as sign-in matches it."""
    raw = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if raw is None:
        raw = request.POST.get(settings.AXES_USERNAME_FORM_FIELD, "")
    return str(raw).strip().lower()


def address_locked(request: HttpRequest) -> bool:
    """Whether the client's address failed too often, whichever accounts it tried."""
    since = clock.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(
        ip_address=client_address(request), attempt_time__gte=since
    ).aggregate(n=Sum("failures_since_start"))["n"]
    return (failures or 0) >= ADDRESS_FAILURE_LIMIT


class Handler(AxesDatabaseHandler):
    """django-axes's database handler (``AXES_HANDLER``), whose clean-ups on each successful
    sign-in delete nothing in almost every one: each was a read and then an empty write
    transaction, which on SQLite takes the one write lock. Here they delete only when a read
    finds something to delete."""

    def clean_expired_user_attempts(
        self, request: HttpRequest | None = None, credentials: dict[str, Any] | None = None
    ) -> int:
        if settings.AXES_COOLOFF_TIME is None or settings.AXES_USE_ATTEMPT_EXPIRATION:
            return super().clean_expired_user_attempts(request, credentials)
        expired = AccessAttempt.objects.filter(attempt_time__lte=get_cool_off_threshold(request))
        return super().clean_expired_user_attempts(request, credentials) if expired.exists() else 0

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        attempts = self.filter_user_attempts(request, credentials)
        if not any(qs.exists() for qs in attempts):
            return 0
        return super().reset_user_attempts(request, credentials)
