"""Operators' access requests and the grants they become (docs/trustee.md): thin endpoints over
``trustee.services``, each scoped to its caller by ``trustee.selectors``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from hanse import clock
from hanse.access.principal import DataKind
from hanse.api.paging import unpaged
from hanse.api.schemas import Attributes, Body, ErrorBody
from hanse.audit.models import AuditRecord
from hanse.trustee import selectors, services
from hanse.trustee.models import AccessRequest, Reason
from hanse.validators import AS_JSON_INT, NO_NUL

router = Router(tags=["Operator access (data trustee)"])

Note = Field("", max_length=2000, pattern=NO_NUL)
ERRORS: dict[int, Any] = {400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody}


class AccessRequestIn(Body):
    customerId: str = Field(..., min_length=1, max_length=253, pattern=NO_NUL, description="Id or domain")
    scope: list[Annotated[str, Field(max_length=32)]] = Field(
        ..., max_length=len(DataKind), description=", ".join(DataKind)
    )
    access: Literal["read", "readwrite"] = "read"
    reasonCode: str = Field(..., max_length=32, description=", ".join(Reason.values))
    justification: str = Field(..., max_length=2000, pattern=NO_NUL)
    supportCaseRef: str = Field("", max_length=64, pattern=NO_NUL)
    durationHours: Annotated[int, Field(ge=1, le=72), AS_JSON_INT]
    breakGlass: bool = False


class NoteIn(Body):
    note: str = Note


class DecisionOut(Schema):
    party: str
    approver: str
    approved: bool
    note: str
    at: datetime


class AccessRequestOut(Schema):
    id: uuid.UUID
    customerId: uuid.UUID
    customerName: str
    requester: str
    scope: list[str]
    access: str
    reasonCode: str
    justification: str
    supportCaseRef: str
    durationHours: int
    breakGlass: bool
    state: str
    createdAt: datetime
    decideBy: datetime
    approvedAt: datetime | None
    expiresAt: datetime | None
    endedAt: datetime | None
    reviewedAt: datetime | None
    decisions: list[DecisionOut]
    attributes: Attributes

    @staticmethod
    def of(r: AccessRequest) -> AccessRequestOut:
        return AccessRequestOut(
            id=r.id,
            customerId=r.customer_id,
            customerName=r.customer.company_name,
            requester=r.requester.upn,
            scope=list(r.kinds),
            access="readwrite" if r.write else "read",
            reasonCode=r.reason,
            justification=r.justification,
            supportCaseRef=r.case_ref,
            durationHours=r.hours,
            breakGlass=r.break_glass,
            state=r.state_at(clock.now()),
            createdAt=r.created_at,
            decideBy=r.decide_by,
            approvedAt=r.approved_at,
            expiresAt=r.expires_at,
            endedAt=r.ended_at,
            reviewedAt=r.reviewed_at,
            decisions=[
                DecisionOut(party=d.party, approver=d.approver.upn, approved=d.approved, note=d.note, at=d.at)
                for d in r.decisions.all()
            ],
            attributes=Attributes(objectType="AccessRequest"),
        )


class AccessRequestCollectionOut(Schema):
    totalCount: int
    items: list[AccessRequestOut]
    attributes: Attributes


class ObjectRef(Schema):
    type: str
    id: str


class AccessOut(Schema):
    at: datetime
    actor: str
    action: str
    objects: list[ObjectRef]
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @staticmethod
    def of(rec: AuditRecord) -> AccessOut:
        objects = (rec.after or {}).get("objects") if rec.action == "access.read" else None
        refs = (
            [ObjectRef(type=t, id=i) for t, i in objects]
            if objects
            else [ObjectRef(type=rec.target_type, id=rec.target_id)]
        )
        return AccessOut(
            at=rec.at,
            actor=rec.actor_upn,
            action=rec.action,
            objects=refs,
            before=rec.before,
            after=rec.after,
        )


class AccessCollectionOut(Schema):
    totalCount: int
    items: list[AccessOut]
    attributes: Attributes


MAX_LISTED = 500


@router.post(
    "/accessrequests",
    response={201: AccessRequestOut, **ERRORS},
    summary="Request access to a customer's data",
)
def file_request(request: HttpRequest, body: AccessRequestIn) -> Status[AccessRequestOut]:
    req = services.access_request_file(
        actor=request.principal,
        new=services.NewRequest(
            customer=body.customerId,
            kinds=body.scope,
            write=body.access == "readwrite",
            reason=body.reasonCode,
            justification=body.justification,
            case_ref=body.supportCaseRef,
            hours=body.durationHours,
            break_glass=body.breakGlass,
        ),
    )
    return Status(201, AccessRequestOut.of(selectors.access_request_get(request.principal, req.id)))


@router.get(
    "/accessrequests",
    response={200: AccessRequestCollectionOut, 403: ErrorBody},
    summary="The access requests the caller filed or decides on, newest first",
)
def list_requests(request: HttpRequest) -> dict[str, Any]:
    items = [AccessRequestOut.of(r) for r in selectors.access_requests(request.principal)[:MAX_LISTED]]
    return unpaged(items)


@router.get("/accessrequests/{request_id}", response={200: AccessRequestOut, 403: ErrorBody, 404: ErrorBody})
def get_request(request: HttpRequest, request_id: uuid.UUID) -> AccessRequestOut:
    return AccessRequestOut.of(selectors.access_request_get(request.principal, request_id))


@router.get(
    "/accessrequests/{request_id}/accesses",
    response={200: AccessCollectionOut, 403: ErrorBody, 404: ErrorBody},
    summary="Everything read and changed under one grant, object by object",
)
def list_accesses(request: HttpRequest, request_id: uuid.UUID) -> dict[str, Any]:
    items = [AccessOut.of(r) for r in selectors.grant_accesses(request.principal, request_id)]
    return unpaged(items)


SUMMARIES = {
    "approve": "Approve a pending request (the caller's party, in the policy's turn)",
    "deny": "Deny a pending request, with a reason",
    "revoke": "End an active grant before its time (an approver)",
    "complete": "End one's own grant early (its operator)",
    "review": "Review a break-glass grant after the fact (an approver)",
}


def _verb_endpoint(verb: str) -> None:
    def endpoint(request: HttpRequest, request_id: uuid.UUID, body: NoteIn) -> AccessRequestOut:
        services.access_request_act(actor=request.principal, request_id=request_id, verb=verb, note=body.note)
        return AccessRequestOut.of(selectors.access_request_get(request.principal, request_id))

    endpoint.__name__ = f"{verb}_request"
    router.post(
        f"/accessrequests/{{request_id}}/{verb}",
        response={200: AccessRequestOut, **ERRORS},
        summary=SUMMARIES[verb],
        operation_id=f"{verb}_access_request",
    )(endpoint)


for _verb in SUMMARIES:
    _verb_endpoint(_verb)
