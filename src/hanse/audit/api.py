"""``/v1/auditrecords``: the audit log within the caller's scope, oldest first."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema
from pydantic import TypeAdapter, ValidationError, WithJsonSchema

from hanse.api import errors as api_errors
from hanse.api.paging import collection
from hanse.api.schemas import Attributes, CollectionLinks, ErrorBody
from hanse.audit.models import AuditRecord
from hanse.audit.selectors import audit_page
from hanse.errors import InvalidInput

router = Router(tags=["Audit records"])

# RFC 3339 date-times only: pydantic's lax mode would also read "0.5" as a Unix time.
DateTimeParam = Annotated[
    str | None,
    WithJsonSchema(
        {"type": "string", "format": "date-time", "description": "RFC 3339, e.g. 2026-11-24T08:00:00Z"}
    ),
]
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]")
_instant_adapter = TypeAdapter(datetime)


def _instant(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        if not _DATE_PREFIX.match(value):
            raise ValueError(value)
        parsed = _instant_adapter.validate_json(json.dumps(value), strict=True)
    except (ValueError, ValidationError):
        raise InvalidInput(
            api_errors.INVALID_REQUEST,
            data=[{"field": f"query.{field}", "message": _("must be a date and time (RFC 3339)")}],
        ) from None
    try:
        # Stored and compared in UTC; PostgreSQL refuses offsets beyond ±15:59 in a literal.
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError:
        raise InvalidInput(
            api_errors.INVALID_REQUEST,
            data=[{"field": f"query.{field}", "message": _("date and time out of range")}],
        ) from None


class AuditRecordOut(Schema):
    id: UUID
    sequence: int
    operationDate: datetime
    operationType: str
    userPrincipalName: str
    partnerId: UUID | None = None
    tenantId: UUID | None = None
    resourceType: str
    resourceId: str
    originalValue: Any = None
    newValue: Any = None
    requestId: str
    correlationId: str
    attributes: Attributes

    @staticmethod
    def of(r: AuditRecord) -> AuditRecordOut:
        return AuditRecordOut(
            id=r.id,
            sequence=r.seq,
            operationDate=r.at,
            operationType=r.action,
            userPrincipalName=r.actor_upn,
            partnerId=r.partner_id,
            tenantId=r.tenant_id,
            resourceType=r.target_type,
            resourceId=r.target_id,
            originalValue=r.before,
            newValue=r.after,
            requestId=r.request_id,
            correlationId=r.correlation_id,
            attributes=Attributes(objectType="AuditRecord"),
        )


class AuditCollectionOut(Schema):
    totalCount: int
    items: list[AuditRecordOut]
    links: CollectionLinks
    attributes: Attributes


@router.get(
    "/auditrecords",
    response={200: AuditCollectionOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody},
    summary="List audit records",
)
def list_audit_records(
    request: HttpRequest,
    size: int = Query(100, ge=1, le=500),
    startDate: DateTimeParam = None,
    endDate: DateTimeParam = None,
    continuation: str | None = Header(None, alias="MS-ContinuationToken"),
) -> dict[str, Any]:
    start, end = _instant(startDate, "startDate"), _instant(endDate, "endDate")
    p = audit_page(
        principal=request.principal,  # type: ignore[attr-defined]
        size=size,
        token=continuation,
        start=start,
        end=end,
    )
    extra = {k: v.isoformat() for k, v in (("startDate", start), ("endDate", end)) if v}
    return collection(
        p, [AuditRecordOut.of(r) for r in p.items], path="/v1/auditrecords", size=size, extra=extra
    )
