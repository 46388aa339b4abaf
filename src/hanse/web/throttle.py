"""Sign-in throttling: per account and address (django-axes), and per address across accounts.

Sign-in ignores the case of a user name, so throttling must too: otherwise every spelling of one
name (``ANNA@…``, ``anna@…``) would get its own five tries.
"""

from __future__ import annotations

from typing import Any

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
