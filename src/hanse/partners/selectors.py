"""Reads of CSP accounts, always through the scope helper."""

from __future__ import annotations

from dataclasses import dataclass

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.customers.models import Customer
from hanse.directory.models import Tenant, User
from hanse.errors import NotFound
from hanse.partners import agreement, errors
from hanse.partners.models import AgreementSignature, PartnerAccount


def partner_get(*, principal: Principal) -> PartnerAccount:
    """The caller's own CSP account."""
    account = (
        scoped(PartnerAccount.objects.select_related("tenant"), principal, Action.PARTNER_VIEW)
        .filter(id=principal.partner_id)
        .first()
    )
    if account is None:
        raise NotFound(errors.PARTNER_NOT_FOUND)
    return account


@dataclass(frozen=True)
class Overview:
    account: PartnerAccount
    customer_count: int | None  # None: the caller's roles do not show customers
    user_count: int


def partner_overview(*, principal: Principal) -> Overview:
    account = partner_get(principal=principal)
    customers = (
        scoped(Customer.objects.all(), principal, Action.CUSTOMER_VIEW).count()
        if principal.can(Action.CUSTOMER_VIEW)
        else None
    )
    users = (
        scoped(User.objects.all(), principal, Action.PARTNER_VIEW)
        .filter(tenant__kind=Tenant.Kind.PARTNER, deleted_at__isnull=True, is_active=True)
        .count()
    )
    return Overview(account=account, customer_count=customers, user_count=users)


def current_signature(*, principal: Principal) -> AgreementSignature | None:
    """The caller's organisation's signature of the current agreement version, if any."""
    account = partner_get(principal=principal)
    return (
        scoped(AgreementSignature.objects.all(), principal, Action.PARTNER_VIEW)
        .filter(account=account, version=agreement.VERSION)
        .first()
    )


def partners_for_operator(*, principal: Principal) -> list[PartnerAccount]:
    return list(
        scoped(PartnerAccount.objects.select_related("tenant"), principal, Action.INSTANCE_OPERATE).order_by(
            "created_at", "id"
        )
    )


def partner_get_for_operator(*, principal: Principal, partner_id: object) -> PartnerAccount:
    account = (
        scoped(PartnerAccount.objects.select_related("tenant"), principal, Action.INSTANCE_OPERATE)
        .filter(id=partner_id)
        .first()
    )
    if account is None:
        raise NotFound(errors.PARTNER_NOT_FOUND)
    return account


def latest_signatures_for_operator(*, principal: Principal) -> dict[object, AgreementSignature]:
    """Each CSP account's most recent agreement signature (any version), by account id."""
    latest: dict[object, AgreementSignature] = {}
    rows = scoped(AgreementSignature.objects.all(), principal, Action.INSTANCE_OPERATE).order_by(
        "account_id", "signed_at", "id"
    )
    for sig in rows:
        latest[sig.account_id] = sig
    return latest
