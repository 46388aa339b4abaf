"""Reads of the tenant link, scoped to the caller's own partner account."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.customers.models import Customer
from hanse.errors import NotFound
from hanse.links import errors
from hanse.links.models import TenantLink
from hanse.partners.models import PartnerAccount


def tenant_link_get(principal: Principal, partner_id: UUID | None = None) -> TenantLink:
    """The caller's own link; the instance (a migration's job) names the partner."""
    link = (
        scoped(
            TenantLink.objects.select_related("partner", "linked_by"), principal, Action.TENANT_LINK_MANAGE
        )
        .filter(partner_id=partner_id or principal.partner_id)
        .first()
    )
    if link is None:
        raise NotFound(errors.NOT_LINKED)
    return link


def tenant_link_for(principal: Principal, partner_domain: str) -> TenantLink | None:
    """The instance's own view (the CLI): a partner's link, by its tenant's domain."""
    return (
        scoped(
            TenantLink.objects.select_related("partner__tenant", "linked_by"),
            principal,
            Action.TENANT_LINK_MANAGE,
        )
        .filter(partner__tenant__domain__ieq=partner_domain.strip())
        .first()
    )


def associated_customers(principal: Principal) -> QuerySet[Customer]:
    """The partner's customers, which the link associates with the target tenant."""
    return scoped(Customer.objects.select_related("tenant"), principal, Action.TENANT_LINK_MANAGE).order_by(
        "company_name"
    )


def tenant_link_state(principal: Principal) -> TenantLink | None:
    """Whether the caller's account is linked, for every role of the partner (only the Global
    admin acts on it)."""
    return (
        scoped(TenantLink.objects.all(), principal, Action.PARTNER_VIEW)
        .filter(partner_id=principal.partner_id)
        .first()
    )


def own_account(principal: Principal) -> PartnerAccount:
    return scoped(PartnerAccount.objects.select_related("tenant"), principal, Action.TENANT_LINK_MANAGE).get(
        id=principal.partner_id
    )
