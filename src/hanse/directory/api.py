"""``/v1/tokens``: the caller issues, lists and revokes their own API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from hanse import clock
from hanse.api.paging import unpaged
from hanse.api.schemas import Attributes, Body, ErrorBody
from hanse.directory import services
from hanse.directory.models import ApiToken
from hanse.directory.selectors import own_token_get, own_tokens
from hanse.validators import AS_JSON_INT, NO_NUL

router = Router(tags=["API tokens"])


TtlSeconds = Annotated[int, Field(ge=services.TOKEN_TTL_MIN, le=services.TOKEN_TTL_MAX), AS_JSON_INT]


class TokenIn(Body):
    label: str = Field("", max_length=100, pattern=NO_NUL)
    ttlSeconds: TtlSeconds | None = None


class TokenOut(Schema):
    id: UUID
    prefix: str
    label: str
    createdAt: datetime
    expiresAt: datetime
    revokedAt: datetime | None = None
    token: str | None = None  # only in the response that created it
    attributes: Attributes

    @staticmethod
    def of(t: ApiToken, token: str | None = None) -> TokenOut:
        return TokenOut(
            id=t.id,
            prefix=t.prefix,
            label=t.label,
            createdAt=t.created_at,
            expiresAt=t.expires_at,
            revokedAt=t.revoked_at,
            token=token,
            attributes=Attributes(objectType="ApiToken"),
        )


class TokenListOut(Schema):
    totalCount: int
    items: list[TokenOut]
    attributes: Attributes


@router.post(
    "/tokens", response={201: TokenOut, 400: ErrorBody, 401: ErrorBody}, summary="Issue an API token"
)
def issue_token(request: HttpRequest, body: TokenIn) -> Status[TokenOut]:
    # A token never outlives the credential that minted it (a one-hour OAuth token cannot mint
    # a one-year API token: its lifetime is capped, and revoking the one revokes the other), and
    # its secret is never kept for replays.
    request.idempotency_redact = ("token",)  # type: ignore[attr-defined]
    credential = request.credential  # type: ignore[attr-defined]
    remaining = int((credential.expires_at - clock.now()).total_seconds())
    ttl = max(services.TOKEN_TTL_MIN, min(body.ttlSeconds or 3600, remaining))
    issued = services.token_issue(
        actor=request.principal,
        user=request.api_user,  # type: ignore[attr-defined]
        ttl_seconds=ttl,
        label=body.label,
        minted_by=credential,
    )
    return Status(201, TokenOut.of(issued.record, issued.token))


@router.get("/tokens", response={200: TokenListOut, 401: ErrorBody}, summary="List your API tokens")
def list_tokens(request: HttpRequest) -> dict[str, Any]:
    items = [TokenOut.of(t) for t in own_tokens(principal=request.principal)]  # type: ignore[attr-defined]
    return unpaged(items)


@router.delete(
    "/tokens/{token_id}",
    response={204: None, 401: ErrorBody, 404: ErrorBody},
    summary="Revoke one of your API tokens",
)
def revoke_token(request: HttpRequest, token_id: UUID) -> Status[None]:
    token = own_token_get(principal=request.principal, token_id=token_id)  # type: ignore[attr-defined]
    services.token_revoke(actor=request.principal, token_id=token.id)  # type: ignore[attr-defined]
    return Status(204, None)
