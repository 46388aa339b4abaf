"""Reads of the directory: who a user is, as a principal; which credentials are valid."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from oauth2_provider.models import AccessToken

from hanse import clock
from hanse.access.principal import Kind, Principal, peer_principal
from hanse.access.roles import Action, Role
from hanse.access.scope import scoped
from hanse.api.filters import Match
from hanse.api.paging import Page, page
from hanse.customers.selectors import customer_get
from hanse.directory import errors
from hanse.directory.models import ApiToken, Tenant, User
from hanse.errors import InvalidInput, NotFound


def principal_for(user: User, *, writing: bool = False) -> Principal:
    """The principal a user acts as: an operator (a provider user with the operator role) carries
    its grants active now, and ``writing`` (a request that may change data: needs read-write
    grants); everyone else acts by its roles."""
    roles = frozenset(Role(r) for r in user.role_assignments.values_list("role", flat=True))
    tenant = user.tenant
    partner_id = None
    if tenant.kind == Tenant.Kind.PARTNER:
        account = getattr(tenant, "partner_account", None)
        partner_id = account.id if account is not None else None
    who = {
        "user_id": user.id,
        "upn": user.upn,
        "tenant_id": tenant.id,
        "tenant_kind": tenant.kind,
        "roles": roles,
    }
    if tenant.kind == Tenant.Kind.PROVIDER and Role.OPERATOR in roles:
        # Imported here: the trustee app sits above the directory (it holds customers' requests).
        from hanse.trustee.selectors import active_grants

        return Principal(**who, kind=Kind.OPERATOR, grants=active_grants(user.id), writing=writing)
    return Principal(**who, partner_id=partner_id)


def _usable(user: User) -> bool:
    return user.is_active and user.deleted_at is None and user.tenant.is_active


@dataclass(frozen=True)
class Credential:
    user: User
    expires_at: datetime
    api_token_id: UUID | None = None  # the Hanse API token presented, if it was one
    oauth_checksum: str = ""  # else the OAuth access token's SHA-256
    peer: str = ""  # an OAuth token of the migration scope: the client (a peer instance) it was given to


def user_for_bearer(token: str) -> User | None:
    credential = credential_for_bearer(token)
    return credential.user if credential else None


def credential_for_bearer(token: str) -> Credential | None:
    """Who a bearer token acts for, and until when: a Hanse API token, an OAuth 2.0 access
    token carrying the ``partner`` scope, or one of the ``migration`` scope, which a peer instance
    holds for the partner whose Global admin linked it (docs/migration.md)."""
    from hanse.directory.services import TOKEN_PREFIX, token_digest

    now = clock.now()
    if token.startswith(TOKEN_PREFIX):
        rec = (
            ApiToken.objects.select_related("user__tenant")
            .filter(digest=token_digest(token), revoked_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if rec is None or rec.credentials_version != rec.user.credentials_version or not _usable(rec.user):
            return None
        if (
            rec.parent_oauth_checksum
            and not AccessToken.objects.filter(token_checksum=rec.parent_oauth_checksum).exists()
        ):
            return None  # minted with an OAuth token that was revoked since
        return Credential(rec.user, rec.expires_at, api_token_id=rec.id)
    # django-oauth-toolkit stores only the SHA-256 of its tokens (RFC 9700 storage).
    checksum = hashlib.sha256(token.encode()).hexdigest()
    access = (
        AccessToken.objects.select_related("user__tenant", "application")
        .filter(token_checksum=checksum, expires__gt=now)
        .first()
    )
    if access is None or access.user is None or not _usable(access.user):
        return None
    if access.allow_scopes(["partner"]):
        return Credential(access.user, access.expires, oauth_checksum=checksum)
    if access.allow_scopes(["migration"]) and access.application is not None:
        return Credential(access.user, access.expires, oauth_checksum=checksum, peer=access.application.name)
    return None


def principal_of_credential(credential: Credential, *, writing: bool) -> Principal | None:
    """A peer's token acts as the peer, for the partner of the Global admin who gave it, as long
    as that user still is one; any other credential acts as its user."""
    if not credential.peer:
        return principal_for(credential.user, writing=writing)
    user = principal_for(credential.user)
    if user.partner_id is None or Role.GLOBAL_ADMIN not in user.roles:
        return None
    return peer_principal(credential.peer, partner_id=user.partner_id, tenant_id=user.tenant_id)


def tenant_by_domain(domain: str) -> Tenant | None:
    return Tenant.objects.filter(domain__ieq=domain.strip()).first()


def user_by_upn(upn: str) -> User | None:
    return User.objects.select_related("tenant").filter(upn__ieq=upn.strip(), deleted_at__isnull=True).first()


def own_tokens(*, principal: Principal) -> list[ApiToken]:
    """A user's own tokens: the scope is the user themself, whatever their roles."""
    return list(ApiToken.objects.filter(user_id=principal.user_id).order_by("created_at", "id"))


def own_token_get(*, principal: Principal, token_id: object) -> ApiToken:
    from hanse.directory import errors
    from hanse.errors import NotFound

    token = ApiToken.objects.filter(user_id=principal.user_id, id=token_id).first()
    if token is None:
        raise NotFound(errors.TOKEN_NOT_FOUND)
    return token


# Match fields (Graph's property names, "both" for the UI's one search box) to model fields.
USER_MATCH_FIELDS = {
    "displayName": ("display_name",),
    "userPrincipalName": ("upn",),
    "both": ("display_name", "upn"),
}


def customer_users_page(
    *,
    principal: Principal,
    customer_id: UUID,
    size: int,
    token: str | None,
    deleted: bool = False,
    match: Match | None = None,
) -> Page[User]:
    """A customer's users (or its deleted, still restorable ones), paged like every collection;
    ``match``: only those whose display name or UPN starts with (or equals) a text, ignoring case,
    or Partner Center's user state (``inactive``: the deleted ones)."""
    customer = customer_get(principal=principal, customer_id=customer_id, action=Action.CUSTOMER_USER_MANAGE)
    if match is not None and match.field == "state":
        if match.value.lower() not in ("active", "inactive"):
            raise InvalidInput(errors.USER_STATE_INVALID, state=match.value[:20])
        deleted, match = match.value.lower() == "inactive", None
    qs = scoped(User.objects.select_related("tenant"), principal, Action.CUSTOMER_USER_MANAGE).filter(
        tenant__customer=customer, deleted_at__isnull=not deleted
    )
    if match is not None:
        qs = qs.filter(match.q(USER_MATCH_FIELDS))
    return page(qs, keys=("created_at", "id"), size=size, token=token, coerce=(datetime.fromisoformat, UUID))


def customer_user_get(*, principal: Principal, customer_id: UUID, user_id: UUID | str) -> User:
    """One of a customer's users, by id or, as Graph allows, by user principal name."""
    customer = customer_get(principal=principal, customer_id=customer_id, action=Action.CUSTOMER_USER_MANAGE)
    if not isinstance(user_id, UUID):
        with contextlib.suppress(ValueError):
            user_id = UUID(user_id)
    key = {"id": user_id} if isinstance(user_id, UUID) else {"upn__ieq": user_id.replace("\x00", "")}
    user = (
        scoped(User.objects.select_related("tenant"), principal, Action.CUSTOMER_USER_MANAGE)
        .filter(tenant__customer=customer, **key)
        .first()
    )
    if user is None:
        raise NotFound(errors.CUSTOMER_USER_NOT_FOUND)
    return user


def partner_users(*, principal: Principal) -> list[User]:
    """The caller's partner's own users (not its customers'), with their roles."""
    return list(
        scoped(User.objects.prefetch_related("role_assignments"), principal, Action.PARTNER_USER_MANAGE)
        .filter(tenant__kind=Tenant.Kind.PARTNER, deleted_at__isnull=True)
        .order_by("created_at", "id")
    )


def partner_user_get(*, principal: Principal, user_id: UUID) -> User:
    user = (
        scoped(User.objects.prefetch_related("role_assignments"), principal, Action.PARTNER_USER_MANAGE)
        .filter(id=user_id, tenant__kind=Tenant.Kind.PARTNER, deleted_at__isnull=True)
        .first()
    )
    if user is None:
        raise NotFound(errors.CUSTOMER_USER_NOT_FOUND)
    return user
