"""Reads of the audit log, through the scope helper."""

from __future__ import annotations

from datetime import datetime

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.api.paging import Page, page
from hanse.audit.models import AuditRecord


def audit_page(
    *,
    principal: Principal,
    size: int,
    token: str | None,
    start: datetime | None = None,
    end: datetime | None = None,
    action_prefix: str | None = None,
) -> Page[AuditRecord]:
    qs = scoped(AuditRecord.objects.all(), principal, Action.AUDIT_VIEW)
    if start:
        qs = qs.filter(at__gte=start)
    if end:
        qs = qs.filter(at__lt=end)
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    return page(qs, keys=("seq",), size=size, token=token, coerce=(int,))
