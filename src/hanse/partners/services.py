"""Every write to CSP accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy

from hanse import clock, context
from hanse.access.principal import Principal, system_principal
from hanse.access.roles import Action, Role
from hanse.access.scope import require, scoped
from hanse.audit import services as audit
from hanse.catalog.markets import market_currency
from hanse.directory import services as directory
from hanse.directory.models import Tenant, User
from hanse.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hanse.instance import policy
from hanse.instance.current import instance
from hanse.partners import agreement, errors
from hanse.partners.models import AgreementSignature, PartnerAccount
from hanse.validators import is_email


def _snapshot(account: PartnerAccount) -> dict[str, object]:
    snapshot: dict[str, object] = {
        "companyName": account.company_name,
        "region": account.region,
        "state": account.state,
    }
    if account.suspension_reason:
        snapshot["suspensionReason"] = account.suspension_reason
    return snapshot


@transaction.atomic
def partner_account_create(
    *, actor: Principal, tenant: Tenant, company_name: str, state: str = PartnerAccount.State.PENDING
) -> PartnerAccount:
    now = clock.now()
    account = PartnerAccount.objects.create(
        tenant=tenant,
        company_name=company_name.strip()[:200] or tenant.name,
        region=tenant.home_region,
        country=tenant.country,
        state=state,
        created_at=now,
        activated_at=now if state == PartnerAccount.State.ACTIVE else None,
    )
    audit.record(
        actor=actor,
        action="partner.create",
        target_type="PartnerAccount",
        target_id=account.id,
        partner_id=account.id,
        tenant_id=tenant.id,
        after=_snapshot(account),
    )
    return account


def account_for_update(actor: Principal, action: Action, partner_id: object) -> PartnerAccount:
    """The CSP account, locked for the rest of the transaction (states change under it otherwise)."""
    account = scoped(PartnerAccount.objects.select_for_update(), actor, action).filter(id=partner_id).first()
    if account is None:
        raise NotFound(errors.PARTNER_NOT_FOUND)
    return account


def not_active(account: PartnerAccount) -> NotPermitted | None:
    """The refusal of an account that is not active, or None: pages read it to say so up front."""
    if account.state != PartnerAccount.State.ACTIVE:
        return NotPermitted(errors.ACCOUNT_NOT_ACTIVE, state=account.get_state_display().lower())
    return None


def ensure_active(account: PartnerAccount) -> None:
    """Only an active CSP account creates customers or orders."""
    refusal = not_active(account)
    if refusal is not None:
        raise refusal


def enrolment_closed() -> NotPermitted | None:
    """The refusal of any enrolment where the instance takes no new business, or None: the one
    place that decides, which the enrolment page reads to point to the peers instead."""
    if instance().accepts_new_customers:
        return None
    return NotPermitted(errors.ENROLMENT_CLOSED, instead=policy.instead())


@dataclass(frozen=True)
class Enrolment:
    account: PartnerAccount
    admin: User


def partner_enrol(
    *,
    company_name: str,
    domain: str,
    region: str,
    country: str,
    admin_name: str,
    admin_local_part: str,
    password: str,
) -> Enrolment:
    """A new partner enrols itself: tenant, pending CSP account, and its first Global admin."""
    inst = instance()
    closed = enrolment_closed()
    if closed is not None:
        raise closed
    reg = inst.region(region)
    if reg is None or not reg.european:
        raise InvalidInput(errors.REGION_NOT_EUROPEAN, region=region[:64])
    market_currency(country)
    actor = system_principal("enrolment")
    # Hashed before the transaction, which then only writes.
    upn = f"{admin_local_part.strip()}@{directory.normalise_domain(domain)}"
    hashed = directory.hash_password(password, upn=upn, display_name=admin_name)
    with transaction.atomic():
        tenant = directory.tenant_create(
            actor=actor,
            domain=domain,
            name=company_name,
            kind=Tenant.Kind.PARTNER,
            region=reg.id,
            country=country,
        )
        account = partner_account_create(actor=actor, tenant=tenant, company_name=company_name)
        created = directory.user_create(
            actor=actor,
            tenant=tenant,
            upn=f"{admin_local_part.strip()}@{tenant.domain}",
            display_name=admin_name,
            roles=[Role.GLOBAL_ADMIN],
            password=hashed,
            must_change_password=False,
        )
    return Enrolment(account=account, admin=created.user)


@transaction.atomic
def agreement_sign(*, actor: Principal, name: str, email: str) -> AgreementSignature:
    require(actor, Action.AGREEMENT_MANAGE)
    account = account_for_update(actor, Action.AGREEMENT_MANAGE, actor.partner_id)
    name, email = (name or "").strip(), (email or "").strip()
    if not is_email(email) or len(name) < 2 or len(name) > 200:
        raise InvalidInput(errors.SIGNER_INVALID)
    if account.signatures.filter(version=agreement.VERSION).exists():
        raise Conflict(errors.AGREEMENT_ALREADY_SIGNED, version=agreement.VERSION)
    signature = AgreementSignature.objects.create(
        account=account,
        version=agreement.VERSION,
        signer_user_id=actor.user_id,
        signer_name=name,
        signer_email=email,
        signed_at=clock.now(),
        client_address=context.current().client_address,
    )
    audit.record(
        actor=actor,
        action="partner.agreement_sign",
        target_type="PartnerAccount",
        target_id=account.id,
        partner_id=account.id,
        tenant_id=account.tenant_id,
        after={
            "version": signature.version,
            "name": name,
            "email": email,
            "signedAt": signature.signed_at,
            "clientAddress": signature.client_address,
        },
    )
    if instance().auto_activate_partners and account.state == PartnerAccount.State.PENDING:
        _set_state(actor, account, PartnerAccount.State.ACTIVE)
    return signature


def agreement_signed(account: PartnerAccount) -> bool:
    return account.signatures.filter(version=agreement.VERSION).exists()


CHANGE_LABELS = {"active": gettext_lazy("activated"), "suspended": gettext_lazy("suspended")}

TRANSITIONS = {
    ("pending", "active"): "activated",
    ("suspended", "active"): "reactivated",
    ("active", "suspended"): "suspended",
}


def _set_state(actor: Principal, account: PartnerAccount, state: str, reason: str = "") -> PartnerAccount:
    if (account.state, state) not in TRANSITIONS:
        change = CHANGE_LABELS.get(state, state)
        raise Conflict(errors.STATE_CHANGE_INVALID, state=account.get_state_display().lower(), change=change)
    if state == PartnerAccount.State.ACTIVE and not agreement_signed(account):
        raise Conflict(errors.AGREEMENT_NOT_SIGNED, version=agreement.VERSION)
    reason = " ".join(reason.split())
    if state == PartnerAccount.State.SUSPENDED and not 10 <= len(reason) <= 1000:
        raise InvalidInput(errors.SUSPENSION_REASON_REQUIRED)
    before = _snapshot(account)
    account.state = state
    account.suspension_reason = reason if state == PartnerAccount.State.SUSPENDED else ""
    if state == PartnerAccount.State.ACTIVE and account.activated_at is None:
        account.activated_at = clock.now()
    account.save(update_fields=["state", "activated_at", "suspension_reason"])
    audit.record(
        actor=actor,
        action=f"partner.{TRANSITIONS[(before['state'], state)]}",
        target_type="PartnerAccount",
        target_id=account.id,
        partner_id=account.id,
        tenant_id=account.tenant_id,
        before=before,
        after=_snapshot(account),
    )
    return account


@transaction.atomic
def partner_set_state(
    *, actor: Principal, account_id: object, state: str, reason: str = ""
) -> PartnerAccount:
    """An operator activates, suspends or reactivates a CSP account; a suspension says why."""
    return _set_state(actor, account_for_update(actor, Action.INSTANCE_OPERATE, account_id), state, reason)
