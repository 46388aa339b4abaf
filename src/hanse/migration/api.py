"""The migration's API (docs/migration.md): partners' scripts follow their moves; a peer instance
imports the customers it moves, with the link's token of the ``migration`` scope."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from hanse.api.paging import unpaged
from hanse.api.schemas import Attributes, Body, ErrorBody
from hanse.faults import crash_point
from hanse.migration import imports, selectors, services
from hanse.migration.models import CustomerMigration
from hanse.validators import AS_JSON_INT, NO_NUL

router = Router(tags=["Migration"])
imports_router = Router(tags=["Migration (peer instances)"])
ERRORS: dict[int, Any] = {400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody}
# A peer's arrays may hold more than the API's 2 MiB body limit lets through: refused with 413.
PEER_ERRORS: dict[int, Any] = {**ERRORS, 413: ErrorBody}


class MigrationOut(Schema):
    customerId: uuid.UUID
    companyName: str
    domain: str
    state: str
    attempt: int
    peer: str
    targetUrl: str
    startedAt: datetime
    updatedAt: datetime
    frozenAt: datetime | None
    cutoverAt: datetime | None
    purgeAfter: datetime | None
    batchesDone: int
    batchesTotal: int
    counts: dict[str, int]
    targetCounts: dict[str, int]
    checksum: str
    targetChecksum: str
    errorCode: int | None
    errorDescription: str | None
    mismatches: list[str]
    attributes: Attributes

    @staticmethod
    def of(m: CustomerMigration) -> MigrationOut:
        return MigrationOut(
            customerId=m.customer_id,
            companyName=m.customer.company_name,
            domain=m.customer.tenant.domain,
            state=m.state,
            attempt=m.attempt,
            peer=m.peer,
            targetUrl=m.target_url,
            startedAt=m.started_at,
            updatedAt=m.updated_at,
            frozenAt=m.frozen_at,
            cutoverAt=m.cutover_at,
            purgeAfter=m.purge_after,
            batchesDone=m.batches_done,
            batchesTotal=m.batches_total,
            counts=m.counts or {},
            targetCounts=m.target_counts or {},
            checksum=m.checksum,
            targetChecksum=m.target_checksum,
            errorCode=m.error_code,
            errorDescription=selectors.error_description(m),
            mismatches=list(m.mismatches or []),
            attributes=Attributes(objectType="Migration"),
        )


class MigrationCollectionOut(Schema):
    totalCount: int
    items: list[MigrationOut]
    attributes: Attributes


@router.get(
    "/migrations",
    response={200: MigrationCollectionOut, 403: ErrorBody, 404: ErrorBody},
    summary="Your customers' moves to the linked European instance, one per customer (Global admin)",
)
def list_migrations(request: HttpRequest) -> dict[str, Any]:
    items = [MigrationOut.of(m) for m in selectors.migrations(request.principal)]
    return unpaged(items)


class RunIn(Body):
    customerIds: list[Annotated[uuid.UUID, Field(strict=False)]] | None = Field(None, max_length=10000)


@router.post(
    "/migrations",
    response={202: MigrationCollectionOut, **ERRORS},
    summary="Start moving every movable customer, or those named (Global admin); the worker moves them",
)
def start_migrations(request: HttpRequest, body: RunIn) -> Status[dict[str, Any]]:
    moves = services.migration_run(actor=request.principal, customer_ids=body.customerIds)
    items = [MigrationOut.of(m) for m in moves]
    return Status(202, unpaged(items))


@router.post(
    "/migrations/{customer_id}/retry",
    response={202: MigrationOut, **ERRORS},
    summary="Start a failed move again, as a new attempt (Global admin)",
)
def retry_migration(request: HttpRequest, customer_id: uuid.UUID) -> Status[MigrationOut]:
    return Status(
        202, MigrationOut.of(services.migration_retry(actor=request.principal, customer_id=customer_id))
    )


@router.post(
    "/migrations/{customer_id}/rollback",
    response={202: MigrationOut, **ERRORS},
    summary="Roll a move back before its cutover: the target's copy goes, the customer is unfrozen",
)
def rollback_migration(request: HttpRequest, customer_id: uuid.UUID) -> Status[MigrationOut]:
    return Status(
        202, MigrationOut.of(services.migration_rollback(actor=request.principal, customer_id=customer_id))
    )


@router.get(
    "/migrations/{customer_id}",
    response={200: MigrationOut, 403: ErrorBody, 404: ErrorBody},
    summary="One customer's move (Global admin)",
)
def get_migration(request: HttpRequest, customer_id: uuid.UUID) -> MigrationOut:
    return MigrationOut.of(selectors.migration_for(request.principal, customer_id))


# --- the peer's import API -----------------------------------------------------------------------


class BatchIn(Body):
    batch: Annotated[uuid.UUID, Field(strict=False)]
    attempt: Annotated[int, Field(ge=1), AS_JSON_INT]
    index: Annotated[int, Field(ge=0), AS_JSON_INT]
    total: Annotated[int, Field(ge=1), AS_JSON_INT]
    source: str = Field("", max_length=100, pattern=NO_NUL)
    items: list[dict[str, Any]] = Field(..., max_length=imports.MAX_ITEMS)


class BatchOut(Schema):
    batch: uuid.UUID
    applied: int
    replay: bool


class CutoverIn(Body):
    attempt: Annotated[int, Field(ge=1), AS_JSON_INT]
    checksum: str = Field(..., min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")


class CheckCustomerIn(Body):
    id: Annotated[uuid.UUID, Field(strict=False)]
    domain: str = Field(..., max_length=253, pattern=NO_NUL)
    users: list[Annotated[str, Field(max_length=254, pattern=NO_NUL)]] = Field(..., max_length=10000)


class CheckIn(Body):
    offers: list[Annotated[str, Field(max_length=64, pattern=NO_NUL)]] = Field(..., max_length=1000)
    customers: list[CheckCustomerIn] = Field(..., max_length=500)


class ImportOut(Schema):
    customerId: uuid.UUID
    attempt: int
    status: str
    counts: dict[str, int]
    checksum: str
    digests: dict[str, str]


class ImportStateOut(Schema):
    customerId: uuid.UUID
    attempt: int
    status: str
    # The day the target bills from: the source bills up to the day before (docs/billing.md §5).
    cutoverAt: datetime | None = None


@imports_router.post(
    "/migrationimports/check",
    response={200: dict[str, Any], **PEER_ERRORS},
    summary="A peer's dry run: offers not sold here, user names and domains taken here",
)
def check(request: HttpRequest, body: CheckIn) -> dict[str, Any]:
    return imports.import_check(actor=request.principal, body=body.model_dump(mode="json"))


@imports_router.post(
    "/migrationimports/{customer_id}/batches",
    response={200: BatchOut, **PEER_ERRORS},
    summary="A peer imports one batch of a customer it moves here; sent again, nothing changes",
)
def post_batch(request: HttpRequest, customer_id: uuid.UUID, body: BatchIn) -> BatchOut:
    done = imports.import_batch(
        actor=request.principal, customer_id=customer_id, body=body.model_dump(mode="json")
    )
    crash_point("target.batch.committed")  # committed, not answered
    return BatchOut(batch=done.batch, applied=done.applied, replay=done.replay)


@imports_router.get(
    "/migrationimports/{customer_id}",
    response={200: ImportOut, **PEER_ERRORS},
    summary="What is imported here of a customer: counts, each object's digest, the checksum",
)
def get_import(request: HttpRequest, customer_id: uuid.UUID) -> dict[str, Any]:
    return imports.import_summary(actor=request.principal, customer_id=customer_id)


@imports_router.post(
    "/migrationimports/{customer_id}/cutover",
    response={200: ImportStateOut, **PEER_ERRORS},
    summary="The customer is served here from now on, if its checksum still matches",
)
def post_cutover(request: HttpRequest, customer_id: uuid.UUID, body: CutoverIn) -> ImportStateOut:
    imp = imports.import_cutover(
        actor=request.principal, customer_id=customer_id, attempt=body.attempt, checksum=body.checksum
    )
    crash_point("target.cutover.committed")
    return ImportStateOut(
        customerId=customer_id, attempt=imp.attempt, status=imp.status, cutoverAt=imp.cutover_at
    )


@imports_router.delete(
    "/migrationimports/{customer_id}",
    response={200: ImportStateOut, **PEER_ERRORS},
    summary="A rollback: every row of the attempt is removed here",
)
def delete_import(
    request: HttpRequest, customer_id: uuid.UUID, attempt: Annotated[int, Query(ge=1)]
) -> ImportStateOut:
    imp = imports.import_remove(actor=request.principal, customer_id=customer_id, attempt=attempt)
    return ImportStateOut(
        customerId=customer_id, attempt=imp.attempt if imp else attempt, status=imp.status if imp else "none"
    )
