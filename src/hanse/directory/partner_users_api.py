"""``/v1/partner/users``: a partner's own users and their roles (Global admin, User management admin)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from hanse.access.roles import PARTNER_ROLES, Role
from hanse.api.paging import unpaged
from hanse.api.schemas import Attributes, Body, ErrorBody
from hanse.directory import partner_users as services
from hanse.directory.models import User
from hanse.directory.selectors import partner_user_get, partner_users
from hanse.validators import NOT_BLANK, UPN_PATTERN

router = Router(tags=["Partner users"])

PartnerRole = Literal[tuple(sorted(r.value for r in PARTNER_ROLES))]  # type: ignore[valid-type]


class PartnerUserIn(Body):
    userPrincipalName: str = Field(..., max_length=254, pattern=UPN_PATTERN)
    displayName: str = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)
    roles: list[PartnerRole] = Field(..., min_length=1, max_length=6)


class PartnerUserPatch(Body):
    roles: list[PartnerRole] | None = Field(None, min_length=1, max_length=6)
    state: Literal["active", "inactive"] | None = None


class PartnerUserOut(Schema):
    id: uuid.UUID
    userPrincipalName: str
    displayName: str
    roles: list[str]
    state: str
    attributes: Attributes

    @staticmethod
    def of(u: User) -> PartnerUserOut:
        return PartnerUserOut(
            id=u.id,
            userPrincipalName=u.upn,
            displayName=u.display_name,
            roles=sorted(a.role for a in u.role_assignments.all()),
            state="active" if u.is_active else "inactive",
            attributes=Attributes(objectType="PartnerUser"),
        )


class InvitedOut(Schema):
    user: PartnerUserOut
    password: str
    forceChangePassword: bool = True


class PartnerUserCollectionOut(Schema):
    totalCount: int
    items: list[PartnerUserOut]
    attributes: Attributes


@router.get("/partner/users", response={200: PartnerUserCollectionOut}, summary="List your partner's users")
def list_partner_users(request: HttpRequest) -> dict[str, Any]:
    items = [PartnerUserOut.of(u) for u in partner_users(principal=request.principal)]
    return unpaged(items)


@router.post(
    "/partner/users",
    response={201: InvitedOut, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody},
    summary="Invite a partner user with roles; the temporary password is shown once",
)
def invite_partner_user(request: HttpRequest, body: PartnerUserIn) -> Status[InvitedOut]:
    request.idempotency_redact = ("password",)  # type: ignore[attr-defined]
    created = services.partner_user_invite(
        actor=request.principal,
        upn=body.userPrincipalName,
        display_name=body.displayName,
        roles=[Role(r) for r in body.roles],
    )
    return Status(201, InvitedOut(user=PartnerUserOut.of(created.user), password=created.password))


@router.patch(
    "/partner/users/{user_id}",
    response={200: PartnerUserOut, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody},
    summary="Change a partner user's roles, or deactivate and reactivate them",
)
def update_partner_user(request: HttpRequest, user_id: uuid.UUID, body: PartnerUserPatch) -> PartnerUserOut:
    services.partner_user_update(
        actor=request.principal,
        user_id=user_id,
        roles=None if body.roles is None else [Role(r) for r in body.roles],
        active=None if body.state is None else body.state == "active",
    )
    return PartnerUserOut.of(partner_user_get(principal=request.principal, user_id=user_id))
