"""The admin center's Graph-shaped operations: a customer's users, licences and subscribed SKUs,
and the partner's own users. Entry points only: every rule lives in the services and selectors
shared with the ``/v1`` API (``hanse.directory``, ``hanse.licensing``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from hanse.access.roles import PARTNER_ROLES, Action, Role
from hanse.api.filters import odata_filter
from hanse.catalog.models import sku_guid
from hanse.customers.selectors import customer_get
from hanse.directory import customer_users as services
from hanse.directory import partner_users as partner_services
from hanse.directory.models import User
from hanse.directory.selectors import customer_user_get, customer_users_page, partner_users
from hanse.directory.users_api import ImportJobOut, ImportOut
from hanse.licensing import services as licensing
from hanse.licensing.selectors import licences_by_user, licences_of, subscribed_skus
from hanse.validators import NO_NUL, NOT_BLANK, UPN_PATTERN, MarketCode, SkuId

router = Router(tags=["Admin center (Microsoft Graph v1.0 shapes)"])

PartnerRole = Literal[tuple(sorted(r.value for r in PARTNER_ROLES))]  # type: ignore[valid-type]
ODATA_CONTEXT = "@odata.context"
ODATA_TYPE = "@odata.type"
NEXT_LINK = "@odata.nextLink"
USER_TYPE = "#microsoft.graph.user"


class Strict(Schema):
    """A request body: a property the operation does not take is refused, never silently ignored
    (a Graph client may send ``accountEnabled`` or a password that Hanse would not apply)."""

    model_config = ConfigDict(extra="forbid", strict=True)  # JSON types: "1" is no number, 1 no bool


# -- shapes -------------------------------------------------------------------------------------


class AssignedLicense(Schema):
    skuId: uuid.UUID
    disabledPlans: list[str] = []


class GraphUser(Schema):
    odata_type: Literal["#microsoft.graph.user"] = Field(USER_TYPE, alias=ODATA_TYPE)
    id: uuid.UUID
    userPrincipalName: str
    displayName: str
    usageLocation: str | None
    accountEnabled: bool
    assignedLicenses: list[AssignedLicense]
    deletedDateTime: datetime | None = None

    @staticmethod
    def of(u: User, skus: list[str]) -> GraphUser:
        return GraphUser(
            id=u.id,
            userPrincipalName=u.upn,
            displayName=u.display_name,
            usageLocation=u.usage_location or None,
            accountEnabled=u.is_active and u.deleted_at is None,
            assignedLicenses=[AssignedLicense(skuId=sku_guid(s), disabledPlans=[]) for s in skus],
            deletedDateTime=u.deleted_at,
        )


class PasswordProfileOut(Schema):
    password: str | None  # shown once; null on an idempotent replay
    forceChangePasswordNextSignIn: bool = True


class CreatedUserOut(GraphUser):
    passwordProfile: PasswordProfileOut | None


class UserCollection(Schema):
    odata_context: str = Field(..., alias=ODATA_CONTEXT)
    value: list[GraphUser]
    odata_next_link: str | None = Field(None, alias=NEXT_LINK)


class PasswordProfileIn(Strict):
    forceChangePasswordNextSignIn: bool = True
    # Given: checked against the password policy and set; left out: a generated one, returned once.
    password: str | None = Field(None, min_length=1, max_length=256, pattern=NO_NUL)
    forceChangePasswordNextSignInWithMfa: bool = False


# Graph's SDKs send the type of the object they serialise; it must be the one the operation takes.
UserType = Literal["#microsoft.graph.user"]


class UserCreateIn(Strict):
    odata_type: UserType | None = Field(None, alias=ODATA_TYPE)
    accountEnabled: Literal[True] = True
    displayName: str = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)
    userPrincipalName: str = Field(..., max_length=254, pattern=UPN_PATTERN)
    # Graph clients send it; Hanse has no mail.
    mailNickname: str | None = Field(None, max_length=64, pattern=NO_NUL)
    usageLocation: MarketCode | None = None
    passwordProfile: PasswordProfileIn | None = None


class UserPatchIn(Strict):
    odata_type: UserType | None = Field(None, alias=ODATA_TYPE)
    displayName: str | None = Field(None, min_length=1, max_length=200, pattern=NOT_BLANK)
    usageLocation: MarketCode | None = None


class NewPasswordOut(Schema):
    newPassword: str | None  # shown once; null on an idempotent replay


class AddLicenseIn(Strict):
    odata_type: Literal["#microsoft.graph.assignedLicense"] | None = Field(None, alias=ODATA_TYPE)
    skuId: SkuId
    disabledPlans: list[str] = Field([], max_length=0)  # service plans are not modelled


class AssignLicenseIn(Strict):
    addLicenses: list[AddLicenseIn] = Field(..., max_length=50)
    removeLicenses: list[SkuId] = Field(..., max_length=50)


class PrepaidUnits(Schema):
    enabled: int
    suspended: int = 0
    warning: int = 0
    lockedOut: int = 0


class SubscribedSkuOut(Schema):
    id: str  # Graph's: the tenant id and the SKU GUID
    accountId: uuid.UUID
    accountName: str
    appliesTo: Literal["User"] = "User"
    skuId: uuid.UUID
    skuPartNumber: str  # the offer's readable id, e.g. WORKPLACE-BASIC_DE
    capabilityStatus: str
    consumedUnits: int
    prepaidUnits: PrepaidUnits
    servicePlans: list[dict[str, Any]] = []  # service plans are not modelled


class SubscribedSkuCollection(Schema):
    odata_context: str = Field(..., alias=ODATA_CONTEXT)
    value: list[SubscribedSkuOut]


class PartnerUserOut(Schema):
    id: uuid.UUID
    userPrincipalName: str
    displayName: str
    accountEnabled: bool
    roles: list[str]

    @staticmethod
    def of(u: User) -> PartnerUserOut:
        return PartnerUserOut(
            id=u.id,
            userPrincipalName=u.upn,
            displayName=u.display_name,
            accountEnabled=u.is_active,
            roles=sorted(a.role for a in u.role_assignments.all()),
        )


class InvitedPartnerUserOut(PartnerUserOut):
    passwordProfile: PasswordProfileOut | None


class PartnerUserCollection(Schema):
    odata_context: str = Field(..., alias=ODATA_CONTEXT)
    value: list[PartnerUserOut]


class PartnerUserIn(Strict):
    accountEnabled: Literal[True] = True
    userPrincipalName: str = Field(..., max_length=254, pattern=UPN_PATTERN)
    displayName: str = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)
    mailNickname: str | None = Field(None, max_length=64, pattern=NO_NUL)
    roles: list[PartnerRole] = Field(..., min_length=1, max_length=6)
    passwordProfile: PasswordProfileIn | None = None


class PartnerUserPatchIn(Strict):
    roles: list[PartnerRole] | None = Field(None, min_length=1, max_length=6)
    accountEnabled: bool | None = None


# -- helpers ------------------------------------------------------------------------------------


def _context(request: HttpRequest, fragment: str) -> str:
    from hanse.instance.routing import ADMIN_CENTER_API

    return request.build_absolute_uri(f"{ADMIN_CENTER_API}/$metadata#{fragment}")


def _user_id(request: HttpRequest, customer_id: uuid.UUID, key: str) -> uuid.UUID:
    """Graph addresses a user by id or by user principal name."""
    try:
        return uuid.UUID(key)
    except ValueError:
        return customer_user_get(principal=request.principal, customer_id=customer_id, user_id=key).id


def _graph_user(request: HttpRequest, customer_id: uuid.UUID, user: User) -> GraphUser:
    skus = (
        []
        if user.deleted_at
        else licences_of(principal=request.principal, customer_id=customer_id, user_id=user.id)
    )
    return GraphUser.of(user, skus)


def _user_page(
    request: HttpRequest,
    customer_id: uuid.UUID,
    top: int,
    skiptoken: str | None,
    filter_: str | None,
    *,
    deleted: bool,
) -> dict[str, Any]:
    p = customer_users_page(
        principal=request.principal,
        customer_id=customer_id,
        size=top,
        token=skiptoken,
        deleted=deleted,
        match=odata_filter(filter_, USER_FILTER_PROPERTIES),
    )
    skus = licences_by_user(
        principal=request.principal, customer_id=customer_id, user_ids=[u.id for u in p.items]
    )
    fragment = "directoryObjects/microsoft.graph.user" if deleted else f"customers('{customer_id}')/users"
    out: dict[str, Any] = {
        ODATA_CONTEXT: _context(request, fragment),
        # As dicts by alias: re-read from a model, exclude_unset would drop @odata.type's default.
        "value": [GraphUser.of(u, skus.get(u.id, [])).model_dump(by_alias=True) for u in p.items],
    }
    if p.next_token:
        params = {"$top": top, **({"$filter": filter_} if filter_ else {}), "$skiptoken": p.next_token}
        query = urlencode(params, safe="$")
        out[NEXT_LINK] = request.build_absolute_uri(f"{request.path}?{query}")
    return out


Top = Query(100, ge=1, le=500, alias="$top", description="Page size (1-500)")
SkipToken = Query(None, alias="$skiptoken", description="The continuation token of @odata.nextLink")
Filter = Query(
    None,
    alias="$filter",
    max_length=1000,
    description="startswith(displayName,'An') or userPrincipalName eq 'anna@contoso.example'",
)
USER_FILTER_PROPERTIES = ("displayName", "userPrincipalName")


# -- a customer's users -------------------------------------------------------------------------


@router.get(
    "/customers/{customer_id}/users",
    response={200: UserCollection},
    by_alias=True,
    exclude_unset=True,
    summary="List a customer's users ($top, $filter, $skiptoken)",
)
def list_users(
    request: HttpRequest,
    customer_id: uuid.UUID,
    top: int = Top,
    skiptoken: str | None = SkipToken,
    filter_: str | None = Filter,
) -> dict[str, Any]:
    return _user_page(request, customer_id, top, skiptoken, filter_, deleted=False)


@router.post(
    "/customers/{customer_id}/users",
    response={201: CreatedUserOut},
    by_alias=True,
    summary="Create a customer user with passwordProfile.password, or a generated password shown once",
)
def create_user(request: HttpRequest, customer_id: uuid.UUID, body: UserCreateIn) -> Status[CreatedUserOut]:
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
            must_change_password=profile.forceChangePasswordNextSignIn,
        ),
    )
    user = GraphUser.of(created.user, [])
    # Graph never returns a password; Hanse returns the one it generated, once, and never the caller's.
    shown = PasswordProfileOut(
        password=created.password if created.generated else None,
        forceChangePasswordNextSignIn=created.user.must_change_password,
    )
    return Status(201, CreatedUserOut(**user.model_dump(), passwordProfile=shown))


# Before /users/{user_id}, like /v1: 'import' is not a user id.
@router.post(
    "/customers/{customer_id}/users/import",
    response={200: ImportOut, 202: ImportJobOut},
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
    response["Location"] = f"{request.path.rsplit('/import', 1)[0]}/imports/{outcome.id}"
    return Status(202, ImportJobOut.of(job=outcome))


@router.get(
    "/customers/{customer_id}/users/imports/{import_id}",
    response={200: ImportJobOut},
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
    response={200: GraphUser},
    by_alias=True,
    summary="Get a customer user by id or userPrincipalName",
)
def get_user(request: HttpRequest, customer_id: uuid.UUID, user_id: str) -> GraphUser:
    user = customer_user_get(principal=request.principal, customer_id=customer_id, user_id=user_id)
    if user.deleted_at is not None:
        from hanse.directory import errors
        from hanse.errors import NotFound

        raise NotFound(errors.CUSTOMER_USER_NOT_FOUND)  # Graph: a deleted user is in deletedItems
    return _graph_user(request, customer_id, user)


@router.patch(
    "/customers/{customer_id}/users/{user_id}",
    response={204: None},
    summary="Update a customer user's displayName or usageLocation (204, like Graph)",
)
def update_user(
    request: HttpRequest, customer_id: uuid.UUID, user_id: str, body: UserPatchIn
) -> Status[None]:
    services.customer_user_update(
        actor=request.principal,
        customer_id=customer_id,
        user_id=_user_id(request, customer_id, user_id),
        display_name=body.displayName,
        usage_location=body.usageLocation,
    )
    return Status(204, None)


@router.delete(
    "/customers/{customer_id}/users/{user_id}",
    response={204: None},
    summary=f"Delete a customer user: to directory/deletedItems, restorable for {services.RESTORE_DAYS} days",
)
def delete_user(request: HttpRequest, customer_id: uuid.UUID, user_id: str) -> Status[None]:
    services.customer_user_delete(
        actor=request.principal, customer_id=customer_id, user_id=_user_id(request, customer_id, user_id)
    )
    return Status(204, None)


@router.post(
    "/customers/{customer_id}/users/{user_id}/resetPassword",
    response={200: NewPasswordOut},
    summary="Reset a customer user's password: a temporary one, every session and token revoked",
)
def reset_password(request: HttpRequest, customer_id: uuid.UUID, user_id: str) -> NewPasswordOut:
    request.idempotency_redact = ("newPassword",)  # type: ignore[attr-defined]
    reset = services.customer_user_reset_password(
        actor=request.principal, customer_id=customer_id, user_id=_user_id(request, customer_id, user_id)
    )
    return NewPasswordOut(newPassword=reset.password)


@router.post(
    "/customers/{customer_id}/users/{user_id}/assignLicense",
    response={200: GraphUser},
    by_alias=True,
    summary="Add and remove licences (SKU GUIDs or part numbers) in one atomic request; returns the user",
)
def assign_license(
    request: HttpRequest, customer_id: uuid.UUID, user_id: str, body: AssignLicenseIn
) -> GraphUser:
    user_id = _user_id(request, customer_id, user_id)  # type: ignore[assignment]
    skus = licensing.licence_update(
        actor=request.principal,
        customer_id=customer_id,
        user_id=user_id,
        add=[x.skuId for x in body.addLicenses],
        remove=body.removeLicenses,
    )
    user = customer_user_get(principal=request.principal, customer_id=customer_id, user_id=user_id)
    return GraphUser.of(user, skus)


# -- deleted items ------------------------------------------------------------------------------


@router.get(
    "/customers/{customer_id}/directory/deletedItems/graph.user",
    response={200: UserCollection},
    by_alias=True,
    exclude_unset=True,
    operation_id="list_deleted_users_graph_user",
    summary="The same as deletedItems/microsoft.graph.user: the path Graph's SDKs call",
)
@router.get(
    "/customers/{customer_id}/directory/deletedItems/microsoft.graph.user",
    response={200: UserCollection},
    by_alias=True,
    exclude_unset=True,
    summary=f"A customer's deleted users, restorable for {services.RESTORE_DAYS} days"
    " ($top, $filter, $skiptoken)",
)
def list_deleted_users(
    request: HttpRequest,
    customer_id: uuid.UUID,
    top: int = Top,
    skiptoken: str | None = SkipToken,
    filter_: str | None = Filter,
) -> dict[str, Any]:
    return _user_page(request, customer_id, top, skiptoken, filter_, deleted=True)


@router.post(
    "/customers/{customer_id}/directory/deletedItems/{user_id}/restore",
    response={200: GraphUser},
    by_alias=True,
    summary="Restore a deleted customer user",
)
def restore_user(request: HttpRequest, customer_id: uuid.UUID, user_id: uuid.UUID) -> GraphUser:
    user = services.customer_user_restore(actor=request.principal, customer_id=customer_id, user_id=user_id)
    return GraphUser.of(user, [])  # deleting freed its licences


# -- subscribed SKUs ----------------------------------------------------------------------------


@router.get(
    "/customers/{customer_id}/subscribedSkus",
    response={200: SubscribedSkuCollection},
    by_alias=True,
    exclude_unset=True,
    summary="Seats per SKU: prepaid on active subscriptions and consumed",
)
def list_subscribed_skus(request: HttpRequest, customer_id: uuid.UUID) -> dict[str, Any]:
    customer = customer_get(
        principal=request.principal, customer_id=customer_id, action=Action.CUSTOMER_USER_MANAGE
    )
    skus = subscribed_skus(principal=request.principal, customer_id=customer_id)
    return {
        ODATA_CONTEXT: _context(request, f"customers('{customer_id}')/subscribedSkus"),
        "value": [
            SubscribedSkuOut(
                id=f"{customer.tenant_id}_{s.sku.guid}",
                accountId=customer.tenant_id,
                accountName=customer.company_name,
                skuId=s.sku.guid,
                skuPartNumber=s.sku.id,
                capabilityStatus="Enabled" if s.prepaid else "Suspended",
                consumedUnits=s.consumed,
                prepaidUnits=PrepaidUnits(enabled=s.prepaid),
            )
            for s in skus
        ],
    }


# -- the partner's own users --------------------------------------------------------------------


@router.get(
    "/partner/users",
    response={200: PartnerUserCollection},
    by_alias=True,
    exclude_unset=True,
    summary="List your partner's users",
)
def list_partner_users(request: HttpRequest) -> dict[str, Any]:
    return {
        ODATA_CONTEXT: _context(request, "partner/users"),
        "value": [PartnerUserOut.of(u) for u in partner_users(principal=request.principal)],
    }


@router.post(
    "/partner/users",
    response={201: InvitedPartnerUserOut},
    summary="Invite a partner user with roles; the temporary password is in passwordProfile, shown once",
)
def invite_partner_user(request: HttpRequest, body: PartnerUserIn) -> Status[InvitedPartnerUserOut]:
    request.idempotency_redact = ("passwordProfile",)  # type: ignore[attr-defined]
    created = partner_services.partner_user_invite(
        actor=request.principal,
        upn=body.userPrincipalName,
        display_name=body.displayName,
        roles=[Role(r) for r in body.roles],
    )
    user = PartnerUserOut.of(created.user)
    return Status(
        201,
        InvitedPartnerUserOut(
            **user.model_dump(), passwordProfile=PasswordProfileOut(password=created.password)
        ),
    )


@router.patch(
    "/partner/users/{user_id}",
    response={204: None},
    summary="Change a partner user's roles, or disable and enable them (accountEnabled); 204 like Graph",
)
def update_partner_user(request: HttpRequest, user_id: uuid.UUID, body: PartnerUserPatchIn) -> Status[None]:
    partner_services.partner_user_update(
        actor=request.principal,
        user_id=user_id,
        roles=None if body.roles is None else [Role(r) for r in body.roles],
        active=body.accountEnabled,
    )
    return Status(204, None)
