"""``/v1/auditrecords``: the audit log within the caller's scope, oldest first."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from pydantic import TypeAdapter, ValidationError, WithJsonSchema

from hanse.api import errors as api_errors
from hanse.api import ratelimit
from hanse.api.filters import partner_center_filter
from hanse.api.paging import CONTINUATION, SEEK, SIZE, collection
from hanse.api.responses import error_response
from hanse.api.schemas import Attributes, CollectionLinks, ErrorBody
from hanse.audit import errors as audit_errors
from hanse.audit.models import AuditRecord
from hanse.audit.partner_center import operation
from hanse.audit.selectors import (
    AuditFilter,
    audit_page,
    checkpoint_of,
    consistency_proof,
    cosigned_note,
    latest_checkpoint,
    record_proof,
)
from hanse.audit.services import checkpoint_write, cosignature_add
from hanse.errors import InvalidInput, NotFound

router = Router(tags=["Audit records"])

FILTER_FIELDS = {
    "CustomerId": ("customerId", "equals"),
    "CustomerName": ("customerName", "substring"),
    "ResourceType": ("resourceType", "equals"),
}

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


class KeyValue(Schema):
    key: str
    value: str


class AuditRecordOut(Schema):
    """Partner Center's AuditRecord, field for field where Hanse has the fact; ``id``,
    ``sequence``, ``tenantId``, ``resourceId``, ``action``, ``requestId`` and ``correlationId``
    are Hanse's (the sequence is the record's place in the hash chain)."""

    id: UUID
    sequence: int
    partnerId: UUID | None = None
    customerId: UUID | None = None
    customerName: str | None = None
    userPrincipalName: str
    resourceType: str
    resourceId: str
    resourceOldValue: str | None = None  # JSON text, as Partner Center gives it
    resourceNewValue: str | None = None
    operationDate: datetime
    operationStatus: Literal["succeeded"] = "succeeded"  # a failed change leaves no record
    operationType: str
    action: str  # Hanse's name of the operation, as the hash chain records it
    customizedData: list[KeyValue]
    tenantId: UUID | None = None
    requestId: str
    correlationId: str
    attributes: Attributes

    @staticmethod
    def of(r: AuditRecord) -> AuditRecordOut:
        customer_id = getattr(r, "customer_ref", None)
        operation_type, resource_type = operation(r.action, of_customer=customer_id is not None)
        data = [KeyValue(key="ResourceId", value=r.target_id)]
        if r.request_id:
            data.append(KeyValue(key="RequestId", value=r.request_id))
        return AuditRecordOut(
            id=r.id,
            sequence=r.seq,
            partnerId=r.partner_id,
            customerId=customer_id,
            customerName=getattr(r, "customer_name", None),
            userPrincipalName=r.actor_upn,
            resourceType=resource_type,
            resourceId=r.target_id,
            resourceOldValue=_text(r.before),
            resourceNewValue=_text(r.after),
            operationDate=r.at,
            operationType=operation_type,
            action=r.action,
            customizedData=data,
            tenantId=r.tenant_id,
            requestId=r.request_id,
            correlationId=r.correlation_id,
            attributes=Attributes(objectType="AuditRecord"),
        )


def _text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


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
    size: int = SIZE,
    startDate: DateTimeParam = None,
    endDate: DateTimeParam = None,
    filter: str | None = Query(
        None,
        max_length=1000,
        description='{"Field": "CustomerId" (equals), "CustomerName" (substring) or "ResourceType"'
        ' (equals), "Value": "…", "Operator": …}',
    ),
    seekOperation: str | None = SEEK,
    token: str | None = CONTINUATION,
) -> dict[str, Any]:
    del seekOperation  # see paging.SEEK
    start, end = _instant(startDate, "startDate"), _instant(endDate, "endDate")
    p = audit_page(
        principal=request.principal,  # type: ignore[attr-defined]
        size=size,
        token=token,
        f=AuditFilter(start=start, end=end),
        match=partner_center_filter(filter, FILTER_FIELDS),
    )
    extra = {k: v.isoformat() for k, v in (("startDate", start), ("endDate", end)) if v}
    if filter:
        extra["filter"] = filter
    items = [AuditRecordOut.of(r) for r in p.items]
    return collection(p, items, path="/v1/auditrecords", size=size, extra=extra, token=token)


class RecordProofOut(Schema):
    """RFC 6962 inclusion of one record in the latest signed checkpoint (docs/audit.md)."""

    recordId: UUID
    sequence: int
    leafIndex: int  # sequence - 1
    recordHash: str  # hex; the leaf is SHA-256(0x00 || these 32 bytes)
    treeSize: int
    rootHash: str  # base64, as in the checkpoint
    inclusionProof: list[str]  # base64 hashes, leaf to root
    checkpoint: str  # the signed note, with its cosignatures
    attributes: Attributes


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


@router.get(
    "/auditrecords/{record_id}/proof",
    response={200: RecordProofOut, 404: ErrorBody, 409: ErrorBody},
    summary="Prove a record is in the signed log",
)
def audit_record_proof(request: HttpRequest, record_id: UUID) -> dict[str, Any]:
    p = record_proof(principal=request.principal, record_id=record_id)  # type: ignore[attr-defined]
    return {
        "recordId": p.record.id,
        "sequence": p.record.seq,
        "leafIndex": p.leaf_index,
        "recordHash": p.record.hash,
        "treeSize": p.checkpoint.size,
        "rootHash": b64(bytes.fromhex(p.checkpoint.root)),
        "inclusionProof": [b64(h) for h in p.proof],
        "checkpoint": cosigned_note(p.checkpoint),
        "attributes": {"objectType": "AuditRecordProof"},
    }


def _plain(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


TEXT = {"content": {"text/plain": {"schema": {"type": "string"}}}}
MAX_SIZE = 2**62
# A tlog-cosignature line: an em dash, the witness's name, and base64 of its key id, time and signature.
COSIGNATURE_LINE = {
    "type": "string",
    "maxLength": 1000,
    "pattern": "^\u2014 [^\\s+]+ (?:[A-Za-z0-9+/]{4}){2,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\\n?$",
}
# Recomputing the tree reads every record: anyone may ask, but not without bound.
FRESH_CHECKS_PER_MINUTE = 30


@router.get(
    "/auditlog/checkpoint",
    auth=None,
    response={200: None, 404: ErrorBody},
    openapi_extra={"responses": {"200": {"description": "The latest signed checkpoint", **TEXT}}},
    summary="The log's latest checkpoint (C2SP signed note)",
)
def audit_checkpoint(request: HttpRequest) -> HttpResponse:
    return _plain(cosigned_note(latest_checkpoint()))


@router.post(
    "/auditlog/checkpoint",
    auth=None,
    response={200: None, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody},
    openapi_extra={"responses": {"200": {"description": "A checkpoint of the log as it stands", **TEXT}}},
    summary="Check the stored log against the latest checkpoint, and sign it as it stands",
)
def audit_checkpoint_fresh(request: HttpRequest) -> HttpResponse:
    verdict = ratelimit.hit("auditlog:fresh", limit=FRESH_CHECKS_PER_MINUTE)
    if not verdict.allowed:
        response = error_response(
            api_errors.RATE_LIMITED, limit=FRESH_CHECKS_PER_MINUTE, retry=verdict.retry_after
        )
        response["Retry-After"] = str(verdict.retry_after)
        return response
    if checkpoint_write() is None:
        raise NotFound(audit_errors.NO_CHECKPOINT)
    return _plain(cosigned_note(latest_checkpoint()))


@router.get(
    "/auditlog/consistency",
    auth=None,
    response={200: None, 404: ErrorBody, 409: ErrorBody},
    openapi_extra={"responses": {"200": {"description": "Base64 hashes, one per line", **TEXT}}},
    summary="RFC 6962 consistency proof between two checkpoints",
)
def audit_consistency(
    request: HttpRequest,
    first: int = Query(..., ge=1, le=MAX_SIZE),
    second: int = Query(..., ge=1, le=MAX_SIZE),
) -> HttpResponse:
    return _plain("".join(b64(h) + "\n" for h in consistency_proof(first, second)))


@router.post(
    "/auditlog/checkpoints/{size}/cosignatures",
    auth=None,
    response={201: None, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody},
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/plain": {"schema": COSIGNATURE_LINE}}},
        "responses": {"201": {"description": "The checkpoint with its cosignatures", **TEXT}},
    },
    summary="A witness's tlog-cosignature of a checkpoint",
)
def audit_cosign(request: HttpRequest, size: int = Path(..., ge=1, le=MAX_SIZE)) -> HttpResponse:
    try:
        lines = request.body.decode()
    except UnicodeDecodeError:
        raise InvalidInput(audit_errors.BAD_COSIGNATURE, size=size, reason="not UTF-8") from None
    cosignature_add(size=size, lines=lines)
    return _plain(cosigned_note(checkpoint_of(size)), status=201)
