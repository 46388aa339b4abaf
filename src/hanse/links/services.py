"""Every write to the tenant link (docs/links.md). The source document's three conditions are
kept here and nowhere else: the user who signed in at the peer is a Global admin of the target
tenant; that tenant is in a European region; its CSP account there is active."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction

from hanse import clock
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import require, scoped
from hanse.audit import services as audit
from hanse.customers.services import new_customers_closed
from hanse.errors import Conflict, DomainError, NotFound, NotPermitted
from hanse.instance.current import instance
from hanse.links import errors
from hanse.links.models import TenantLink
from hanse.links.sealing import seal, unseal
from hanse.migration.models import CustomerMigration
from hanse.migration.models import State as MigrationState
from hanse.partners.services import account_for_update


@dataclass(frozen=True)
class Target:
    """The tenant at the peer, as its ID token describes it."""

    peer: str
    tenant_id: str
    domain: str
    region: str
    geography: str
    account_state: str
    upn: str
    partner_id: str | None = None

    @staticmethod
    def of(peer: str, claims: dict[str, Any]) -> Target:
        return Target(
            peer=peer,
            tenant_id=str(claims.get("tid", "")),
            domain=str(claims.get("tenant_domain", "")),
            region=str(claims.get("tenant_region", "")),
            geography=str(claims.get("tenant_geography", "")),
            account_state=str(claims.get("csp_account_state") or "none"),
            upn=str(claims.get("upn", "")),
            partner_id=str(claims["csp_account_id"]) if claims.get("csp_account_id") else None,
        )


def link_offered() -> bool:
    return new_customers_closed() is not None and bool(instance().peers)


def ensure_offered() -> None:
    """A link is offered where the instance is closed to new business and has a peer to go to."""
    if not link_offered():
        raise NotPermitted(errors.LINK_NOT_OFFERED)


def check_target(peer: str, claims: dict[str, Any]) -> Target:
    """The three conditions, in the source document's order; the first that fails is named."""
    t = Target.of(peer, claims)
    if claims.get("tenant_kind") != "partner":
        raise Conflict(errors.NOT_A_PARTNER_TENANT, peer=peer, domain=t.domain)
    if "global_admin" not in (claims.get("roles") or []):
        raise Conflict(errors.NOT_GLOBAL_ADMIN, peer=peer, upn=t.upn, domain=t.domain)
    if t.geography != "europe":
        raise Conflict(errors.NOT_EUROPEAN, domain=t.domain, region=t.region)
    if t.account_state != "active":
        raise Conflict(errors.NOT_ACTIVE, domain=t.domain, peer=peer, state=t.account_state)
    return t


def snapshot(link: TenantLink) -> dict[str, Any]:
    return {
        "peer": link.peer,
        "targetTenantId": str(link.target_tenant_id),
        "targetPartnerId": str(link.target_partner_id) if link.target_partner_id else None,
        "targetDomain": link.target_domain,
        "targetRegion": link.target_region,
        "targetAccountState": link.target_account_state,
        "targetUser": link.target_user,
    }


@transaction.atomic
def tenant_link_create(
    *, actor: Principal, peer: str, claims: dict[str, Any], tokens: dict[str, Any]
) -> TenantLink:
    """The Global admin confirms: the partner's account is linked to the target tenant."""
    require(actor, Action.TENANT_LINK_MANAGE)
    ensure_offered()
    target = check_target(peer, claims)
    account = account_for_update(actor, Action.TENANT_LINK_MANAGE, actor.partner_id)
    existing = (
        scoped(TenantLink.objects.all(), actor, Action.TENANT_LINK_MANAGE).filter(partner=account).first()
    )
    if existing is not None:
        raise Conflict(errors.ALREADY_LINKED, domain=existing.target_domain, peer=existing.peer)
    now = clock.now()
    link = TenantLink.objects.create(
        partner=account,
        peer=peer,
        target_tenant_id=target.tenant_id,
        target_partner_id=target.partner_id,
        target_domain=target.domain,
        target_region=target.region,
        target_geography=target.geography,
        target_account_state=target.account_state,
        target_user=target.upn,
        linked_by_id=actor.user_id,
        linked_at=now,
        access_token=seal(str(tokens["access_token"])),
        refresh_token=seal(str(tokens.get("refresh_token") or "")),
        token_expires_at=now + timedelta(seconds=int(tokens.get("expires_in") or 3600)),
    )
    audit.record(
        actor=actor,
        action="tenant_link.create",
        target_type="TenantLink",
        target_id=link.id,
        partner_id=account.id,
        tenant_id=account.tenant_id,
        after=snapshot(link),
    )
    return link


@transaction.atomic
def tenant_link_remove(*, actor: Principal) -> None:
    """A Global admin unlinks, before any customer has started to move (the migration's rule)."""
    link = (
        scoped(TenantLink.objects.select_for_update(), actor, Action.TENANT_LINK_MANAGE)
        .filter(partner_id=actor.partner_id)
        .first()
    )
    if link is None:
        raise NotFound(errors.NOT_LINKED)
    moving = (
        scoped(CustomerMigration.objects.all(), actor, Action.MIGRATION_MANAGE)
        .exclude(state=MigrationState.ROLLED_BACK)
        .count()
    )
    if moving:
        raise Conflict(errors.LINK_IN_USE, count=moving)
    before = snapshot(link)
    link.delete()
    audit.record(
        actor=actor,
        action="tenant_link.remove",
        target_type="TenantLink",
        target_id=before["targetTenantId"],
        partner_id=actor.partner_id,
        tenant_id=actor.tenant_id,
        before=before,
    )


def peer_access_token(*, actor: Principal, partner_id: uuid.UUID | None = None) -> str:
    """The peer's access token for a link (the caller's, or the partner's for the instance),
    refreshed at the peer once it has expired.
    The refresh goes over HTTP outside any transaction; a short one then stores the new tokens if
    nobody refreshed meanwhile (with rotation, a second refresh of the same token is refused, and
    the one stored first is used)."""
    from hanse.links import peer_oidc
    from hanse.links.selectors import tenant_link_get

    link = tenant_link_get(actor, partner_id)
    if clock.now() < link.token_expires_at:
        return unseal(link.access_token)
    p = peer_oidc.peer(link.peer)
    try:
        tokens = peer_oidc.refresh(p, peer_oidc.discovery(p), refresh_token=unseal(link.refresh_token))
    except DomainError:
        fresh = tenant_link_get(actor, partner_id)
        if fresh.refresh_token != link.refresh_token and clock.now() < fresh.token_expires_at:
            return unseal(fresh.access_token)  # another request refreshed it first
        raise
    with transaction.atomic():
        locked = (
            scoped(TenantLink.objects.select_for_update(), actor, Action.TENANT_LINK_MANAGE)
            .filter(id=link.id)
            .first()
        )
        if locked is None:
            raise NotFound(errors.NOT_LINKED)
        if locked.refresh_token == link.refresh_token:
            locked.access_token = seal(str(tokens["access_token"]))
            locked.refresh_token = seal(str(tokens.get("refresh_token") or unseal(link.refresh_token)))
            locked.token_expires_at = clock.now() + timedelta(seconds=int(tokens.get("expires_in") or 3600))
            locked.save(update_fields=["access_token", "refresh_token", "token_expires_at"])
    return str(tokens["access_token"])
