"""A customer's users and licences in the partner center's /v1 API (Partner Center's shapes).

Reads are always allowed; writes only where the instance routes the task to the partner center.
Where it routes them to the admin center, the refusal names the admin-center endpoint to use.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from hanse.api.filters import partner_center_filter
from hanse.api.paging import CONTINUATION, SEEK, SIZE, collection, unpaged
from hanse.api.schemas import Attributes, Body, CollectionLinks, ErrorBody, ObjectTypeIn
from hanse.catalog.models import Offer, sku_guid
from hanse.catalog.selectors import offer_ids, offers_by_id
from hanse.directory import customer_users as services
from hanse.directory.models import User, UserImport
from hanse.directory.selectors import customer_user_get, customer_users_page
from hanse.licensing import services as licensing
from hanse.licensing.selectors import licences_of, subscribed_skus
from hanse.validators import NO_NUL, NOT_BLANK, UPN_PATTERN, MarketCode, SkuId

router = Router(tags=["Customer users and licences"])


class PasswordProfileIn(Body):
    # Given: checked against the password policy and set; left out: a generated one, returned once.
    password: str | None = Field(None, min_length=1, max_length=256, pattern=NO_NUL)
    forceChangePassword: bool = True


class UserIn(Body):
    """Partner Center's CustomerUser, as its documentation sends it."""

    userPrincipalName: str = Field(..., max_length=254, pattern=UPN_PATTERN)
    displayName: str = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)
    firstName: str | None = Field(None, max_length=64, pattern=NO_NUL)
    lastName: str | None = Field(None, max_length=64, pattern=NO_NUL)
    usageLocation: MarketCode | None = None
    passwordProfile: PasswordProfileIn | None = None
    attributes: ObjectTypeIn | None = None


class UserPatch(Body):
    """Partner Center's user update, password reset (``passwordProfile``) and restore (``state:
    active``), in any combination: one request, applied all or nothing."""

    displayName: str | None = Field(None, min_length=1, max_length=200, pattern=NOT_BLANK)
    firstName: str | None = Field(None, max_length=64, pattern=NO_NUL)
    lastName: str | None = Field(None, max_length=64, pattern=NO_NUL)
    usageLocation: MarketCode | None = None
    state: Literal["active"] | None = None  # inactive: DELETE the user
    passwordProfile: PasswordProfileIn | None = None
    attributes: ObjectTypeIn | None = None


class UserOut(Schema):
    """Partner Center's CustomerUser: ``state`` is ``inactive`` once deleted (restorable until
    ``softDeletionTime`` + 30 days); ``accountEnabled`` (Hanse's) is whether it may sign in."""

    id: uuid.UUID
    userPrincipalName: str
    firstName: str | None = None
    lastName: str | None = None
    displayName: str
    usageLocation: str | None
    userDomainType: Literal["none"] = "none"
    state: Literal["active", "inactive"]
    softDeletionTime: datetime | None = None
    lastDirectorySyncTime: datetime | None = None  # no directory sync in Hanse
    accountEnabled: bool
    attributes: Attributes

    @staticmethod
    def of(u: User) -> UserOut:
        return UserOut(
            id=u.id,
            userPrincipalName=u.upn,
            firstName=u.first_name or None,
            lastName=u.last_name or None,
            displayName=u.display_name,
            usageLocation=u.usage_location or None,
            state="inactive" if u.deleted_at else "active",
            softDeletionTime=u.deleted_at,
            accountEnabled=u.is_active and u.deleted_at is None,
            attributes=Attributes(objectType="CustomerUser"),
        )


class PasswordProfileOut(Schema):
    forceChangePassword: bool
    password: str | None  # the generated one, shown once; never the caller's; null on a replay


class CreatedUserOut(UserOut):
    """Partner Center's answer to a create or a password reset: the CustomerUser itself, with its
    passwordProfile."""

    passwordProfile: PasswordProfileOut | None  # null on an idempotent replay, and on a plain update

    @staticmethod
    def of_user(u: User, *, password: str | None, given: bool) -> CreatedUserOut:
        """``password``: one Hanse generated, shown this once; ``given``: the caller chose it."""
        profile = None
        if password is not None or given:
            profile = PasswordProfileOut(forceChangePassword=u.must_change_password, password=password)
        return CreatedUserOut(**UserOut.of(u).model_dump(), passwordProfile=profile)


class PasswordOut(Schema):
    """Returned once, when Hanse set a temporary password."""

    user: UserOut
    password: str
    forceChangePassword: bool = True


class UserCollectionOut(Schema):
    totalCount: int
    items: list[UserOut]
    links: CollectionLinks
    attributes: Attributes


class ProductSkuOut(Schema):
    """Partner Center's ProductSku: ``id`` is the SKU's GUID, ``skuPartNumber`` its readable id."""

    id: uuid.UUID
    name: str
    skuPartNumber: str
    targetType: Literal["User"] = "User"
    productId: str  # Hanse's: the catalogue product the SKU belongs to

    @staticmethod
    def of(offer: Offer) -> ProductSkuOut:
        return ProductSkuOut(
            id=offer.guid,
            name=offer.sku_name or offer.name,
            skuPartNumber=offer.id,
            productId=offer.product_id,
        )


class SubscribedSkuOut(Schema):
    productSku: ProductSkuOut
    totalUnits: int  # bought: on active and suspended subscriptions
    activeUnits: int
    suspendedUnits: int
    warningUnits: int = 0
    consumedUnits: int
    availableUnits: int
    servicePlans: list[dict[str, Any]] = []  # service plans are not modelled
    capabilityStatus: str
    attributes: Attributes


class SubscribedSkuCollectionOut(Schema):
    totalCount: int
    items: list[SubscribedSkuOut]
    attributes: Attributes


class LicenceAssignmentIn(Body):
    skuId: SkuId  # the SKU's GUID, or its skuPartNumber
    excludedPlans: list[str] | None = Field(None, max_length=0)  # service plans are not modelled


class LicenceUpdateIn(Body):
    """Partner Center's LicenseUpdate, as its documentation sends it (nulls and attributes too)."""

    licensesToAssign: list[LicenceAssignmentIn] | None = Field(None, max_length=50)
    licensesToRemove: list[SkuId] | None = Field(None, max_length=50)
    licenseWarnings: list[Any] | None = Field(None, max_length=0)  # output only
    attributes: ObjectTypeIn | None = None


class LicenceAssignmentOut(Schema):
    skuId: uuid.UUID
    excludedPlans: list[str] | None = None


class LicenceUpdateOut(Schema):
    licensesToAssign: list[LicenceAssignmentOut]
    licensesToRemove: list[uuid.UUID]
    licenseWarnings: list[Any] = []
    licensesAssigned: list[str]  # Hanse's: the part numbers the user holds after the update
    attributes: Attributes


class LicenseOut(Schema):
    productSku: ProductSkuOut
    servicePlans: list[dict[str, Any]] = []
    attributes: Attributes


class LicenseCollectionOut(Schema):
    totalCount: int
    items: list[LicenseOut]
    attributes: Attributes


class ImportRowOut(Schema):
    line: int
    userPrincipalName: str
    password: str | None = None
    reason: str | None = None


class ImportOut(Schema):
    created: list[ImportRowOut]
    refused: list[ImportRowOut]
    attributes: Attributes

    @classmethod
    def of(cls, report: services.ImportReport) -> ImportOut:
        """The same report body in /v1 and in the admin center's API."""
        return cls(
            created=[
                ImportRowOut(line=line, userPrincipalName=upn, password=pw)
                for line, upn, pw in report.created
            ],
            refused=[
                ImportRowOut(line=line, userPrincipalName=upn, reason=why)
                for line, upn, why in report.refused
            ],
            attributes=Attributes(objectType="UserImportReport"),
        )


class ImportJobOut(Schema):
    """A large import, run as a job: its progress, and the rows done so far. The temporary
    passwords are in the first answer after it is done, and never again."""

    id: uuid.UUID
    status: Literal["queued", "running", "done"]
    totalRows: int
    processedRows: int
    created: list[ImportRowOut]
    refused: list[ImportRowOut]
    createdDateTime: datetime
    finishedDateTime: datetime | None
    attributes: Attributes

    @classmethod
    def of(
        cls, progress: services.ImportProgress | None = None, *, job: UserImport | None = None
    ) -> ImportJobOut:
        """``progress``: what a read returned; ``job`` alone: one just queued, nothing done."""
        job = progress.job if progress is not None else job
        assert job is not None
        report = progress.report if progress is not None else services.ImportReport()
        rows = ImportOut.of(report)
        return cls(
            id=job.id,
            status=job.status,
            totalRows=len(job.rows),
            processedRows=job.next_row,
            created=rows.created,
            refused=rows.refused,
            createdDateTime=job.created_at,
            finishedDateTime=job.finished_at,
            attributes=Attributes(objectType="UserImport"),
        )


USER_FILTER_FIELDS = {
    "DisplayName": ("displayName", "starts_with"),
    "UserPrincipalName": ("userPrincipalName", "starts_with"),
    "UserState": ("state", "equals"),  # Partner Center's list of deleted users: Inactive
}


@router.get(
    "/customers/{customer_id}/users",
    response={200: UserCollectionOut, 400: ErrorBody, 404: ErrorBody},
    summary="List a customer's users (deleted=true: the deleted, still restorable ones)",
)
def list_users(
    request: HttpRequest,
    customer_id: uuid.UUID,
    size: int = SIZE,
    deleted: bool = False,
    filter: str | None = Query(
        None,
        max_length=1000,
        description='{"Field": "DisplayName" or "UserPrincipalName", "Value": "…",'
        ' "Operator": "starts_with"}, or {"Field": "UserState", "Value": "Inactive",'
        ' "Operator": "equals"} for the deleted ones',
    ),
    seekOperation: str | None = SEEK,
    token: str | None = CONTINUATION,
) -> dict[str, Any]:
    del seekOperation  # see paging.SEEK
    p = customer_users_page(
        principal=request.principal,
        customer_id=customer_id,
        size=size,
        token=token,
        deleted=deleted,
        match=partner_center_filter(filter, USER_FILTER_FIELDS),
    )
    extra = {"deleted": "true"} if deleted else {}
    if filter:
        extra["filter"] = filter
    path = f"/v1/customers/{customer_id}/users"
    return collection(p, [UserOut.of(u) for u in p.items], path=path, size=size, extra=extra, token=token)


@router.post(
    "/customers/{customer_id}/users",
    response={201: CreatedUserOut, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody},
    summary="Create a customer user with passwordProfile.password, or a generated password shown once",
)
def create_user(request: HttpRequest, customer_id: uuid.UUID, body: UserIn) -> Status[CreatedUserOut]:
    request.idempotency_redact = ("passwordProfile",)  # type: ignore[attr-defined]
    profile = body.passwordProfile or PasswordProfileIn()
    created = services.customer_user_create(
        actor=request.principal,
        customer_id=customer_id,
        new=services.NewUser(
            upn=body.userPrincipalName,
            display_name=body.displayName,
            usage_location=body.usageLocation or "",
            password=profile.password,
            must_change_password=profile.forceChangePassword,
            first_name=body.firstName or "",
            last_name=body.lastName or "",
        ),
    )
    shown = created.password if created.generated else None
    return Status(201, CreatedUserOut.of_user(created.user, password=shown, given=not created.generated))


# Before /users/{user_id}: the router tries paths in order, and 'import' would match it.
@router.post(
    "/customers/{customer_id}/users/import",
    response={200: ImportOut, 202: ImportJobOut, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody},
    summary=(
        "Import users from CSV (text/csv: userPrincipalName,displayName,usageLocation): up to "
        f"{services.INLINE_ROWS} rows at once (200), more as a job to follow (202, Location)"
    ),
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
def import_users(request: HttpRequest, customer_id: uuid.UUID, response: HttpResponse) -> Any:
    request.idempotency_redact = ("created",)  # type: ignore[attr-defined]
    outcome = services.customer_users_import(
        actor=request.principal, customer_id=customer_id, data=request.body
    )
    if isinstance(outcome, services.ImportReport):
        return ImportOut.of(outcome)
    response["Location"] = f"/v1/customers/{customer_id}/users/imports/{outcome.id}"
    return Status(202, ImportJobOut.of(job=outcome))


@router.get(
    "/customers/{customer_id}/users/imports/{import_id}",
    response={200: ImportJobOut, 404: ErrorBody},
    summary="A large import's progress, and its report (temporary passwords in the first read once done)",
)
def get_import(
    request: HttpRequest, customer_id: uuid.UUID, import_id: uuid.UUID, response: HttpResponse
) -> ImportJobOut:
    response["Cache-Control"] = "no-store"
    progress = services.user_import_read(
        actor=request.principal, customer_id=customer_id, import_id=import_id
    )
    return ImportJobOut.of(progress)


@router.get(
    "/customers/{customer_id}/users/{user_id}",
    response={200: UserOut, 404: ErrorBody},
    summary="Get a customer user",
)
def get_user(request: HttpRequest, customer_id: uuid.UUID, user_id: uuid.UUID) -> UserOut:
    return UserOut.of(
        customer_user_get(principal=request.principal, customer_id=customer_id, user_id=user_id)
    )


@router.patch(
    "/customers/{customer_id}/users/{user_id}",
    response={200: CreatedUserOut, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody},
    summary="Update a customer user; passwordProfile resets its password, state active restores it",
)
def update_user(
    request: HttpRequest, customer_id: uuid.UUID, user_id: uuid.UUID, body: UserPatch
) -> CreatedUserOut:
    password = None
    if body.passwordProfile is not None:
        request.idempotency_redact = ("passwordProfile",)  # type: ignore[attr-defined]
        p = body.passwordProfile
        password = services.NewPassword(password=p.password, must_change=p.forceChangePassword)
    updated = services.customer_user_update(
        actor=request.principal,
        customer_id=customer_id,
        user_id=user_id,
        display_name=body.displayName,
        usage_location=body.usageLocation,
        first_name=body.firstName,
        last_name=body.lastName,
        restore=body.state == "active",
        password=password,
    )
    given = password is not None and password.password is not None
    return CreatedUserOut.of_user(updated.user, password=updated.password, given=given)


@router.delete(
    "/customers/{customer_id}/users/{user_id}",
    response={204: None, 403: ErrorBody, 404: ErrorBody},
    summary=f"Delete a customer user (restorable for {services.RESTORE_DAYS} days)",
)
def delete_user(request: HttpRequest, customer_id: uuid.UUID, user_id: uuid.UUID) -> Status[None]:
    services.customer_user_delete(actor=request.principal, customer_id=customer_id, user_id=user_id)
    return Status(204, None)


@router.post(
    "/customers/{customer_id}/users/{user_id}/restore",
    response={200: UserOut, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody},
    summary="Restore a deleted customer user",
)
def restore_user(request: HttpRequest, customer_id: uuid.UUID, user_id: uuid.UUID) -> UserOut:
    return UserOut.of(
        services.customer_user_restore(actor=request.principal, customer_id=customer_id, user_id=user_id)
    )


@router.post(
    "/customers/{customer_id}/users/{user_id}/resetpassword",
    response={200: PasswordOut, 403: ErrorBody, 404: ErrorBody},
    summary="Reset a customer user's password: a temporary one, every session and token revoked",
)
def reset_password(request: HttpRequest, customer_id: uuid.UUID, user_id: uuid.UUID) -> PasswordOut:
    request.idempotency_redact = ("password",)  # type: ignore[attr-defined]
    reset = services.customer_user_reset_password(
        actor=request.principal, customer_id=customer_id, user_id=user_id
    )
    return PasswordOut(user=UserOut.of(reset.user), password=reset.password)


@router.get(
    "/customers/{customer_id}/subscribedskus",
    response={200: SubscribedSkuCollectionOut, 404: ErrorBody},
    summary="Seats per SKU: bought on active subscriptions, consumed and available",
)
def list_subscribed_skus(request: HttpRequest, customer_id: uuid.UUID) -> dict[str, Any]:
    items = [
        SubscribedSkuOut(
            productSku=ProductSkuOut.of(s.sku),
            totalUnits=s.prepaid + s.suspended,
            activeUnits=s.prepaid,
            suspendedUnits=s.suspended,
            consumedUnits=s.consumed,
            availableUnits=s.available,
            capabilityStatus="Enabled" if s.prepaid else "Suspended",
            attributes=Attributes(objectType="SubscribedSku"),
        )
        for s in subscribed_skus(principal=request.principal, customer_id=customer_id)
    ]
    return unpaged(items)


@router.post(
    "/customers/{customer_id}/users/{user_id}/licenseupdates",
    response={201: LicenceUpdateOut, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody},
    summary="Assign and remove licences in one atomic request",
)
def update_licences(
    request: HttpRequest, customer_id: uuid.UUID, user_id: uuid.UUID, body: LicenceUpdateIn
) -> Status[LicenceUpdateOut]:
    add = [x.skuId for x in body.licensesToAssign or []]
    remove = body.licensesToRemove or []
    after = licensing.licence_update(
        actor=request.principal, customer_id=customer_id, user_id=user_id, add=add, remove=remove
    )
    return Status(
        201,
        LicenceUpdateOut(
            licensesToAssign=[LicenceAssignmentOut(skuId=sku_guid(s)) for s in offer_ids(add)],
            licensesToRemove=[sku_guid(s) for s in offer_ids(remove)],
            licensesAssigned=after,
            attributes=Attributes(objectType="LicenseUpdate"),
        ),
    )


@router.get(
    "/customers/{customer_id}/users/{user_id}/licenses",
    response={200: LicenseCollectionOut, 404: ErrorBody},
    summary="The licences a user holds (Partner Center's collection of License)",
)
def user_licences(request: HttpRequest, customer_id: uuid.UUID, user_id: uuid.UUID) -> LicenseCollectionOut:
    customer_user_get(principal=request.principal, customer_id=customer_id, user_id=user_id)
    skus = licences_of(principal=request.principal, customer_id=customer_id, user_id=user_id)
    items = [
        LicenseOut(productSku=ProductSkuOut.of(o), attributes=Attributes(objectType="License"))
        for o in offers_by_id(skus)
    ]
    return LicenseCollectionOut(
        totalCount=len(items), items=items, attributes=Attributes(objectType="Collection")
    )
