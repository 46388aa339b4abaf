"""Every write to the directory: tenants, users, passwords, MFA devices and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django_otp.plugins.otp_totp.models import TOTPDevice

from hanse import clock
from hanse.access.models import RoleAssignment
from hanse.access.principal import Principal
from hanse.access.roles import PARTNER_ROLES, Role
from hanse.access.scope import relock
from hanse.audit import services as audit
from hanse.directory import errors
from hanse.directory.models import ApiToken, Tenant, User
from hanse.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hanse.instance.current import instance
from hanse.migration.freeze import ensure_unfrozen
from hanse.validators import is_domain

if TYPE_CHECKING:
    from hanse.directory.selectors import Credential

UPN_RE = re.compile(r"^[A-Za-z0-9._%+'-]{1,64}@([a-z0-9.-]+)$")

TOKEN_PREFIX = "hns_"
TOKEN_TTL_MIN = 60
TOKEN_TTL_MAX = 365 * 24 * 3600

ROLE_TENANT_KINDS: dict[Role, str] = {
    **{r: Tenant.Kind.PARTNER for r in PARTNER_ROLES},
    Role.CUSTOMER_GLOBAL_ADMIN: Tenant.Kind.CUSTOMER,
    Role.OPERATOR: Tenant.Kind.PROVIDER,
    Role.TRUSTEE_OFFICER: Tenant.Kind.TRUSTEE,
}


def user_snapshot(user: User, roles: list[str] | None = None) -> dict[str, object]:
    snap: dict[str, object] = {
        "upn": user.upn,
        "displayName": user.display_name,
        "isActive": user.is_active,
        "mustChangePassword": user.must_change_password,
    }
    if roles is not None:
        snap["roles"] = sorted(roles)
    return snap


def _partner_id(tenant: Tenant) -> uuid.UUID | None:
    """The partner whose audit log shows a change in ``tenant``: its own, or its customer's."""
    if tenant.kind == Tenant.Kind.PARTNER:
        account = getattr(tenant, "partner_account", None)
        return account.id if account else None
    if tenant.kind == Tenant.Kind.CUSTOMER:
        customer = getattr(tenant, "customer", None)
        return customer.partner_id if customer else None
    return None


def audit_user(
    actor: Principal,
    action: str,
    user: User,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    audit.record(
        actor=actor,
        action=action,
        target_type="User",
        target_id=user.id,
        partner_id=_partner_id(user.tenant),
        tenant_id=user.tenant_id,
        before=before,
        after=after,
    )


def normalise_domain(domain: str) -> str:
    d = (domain or "").strip().lower().rstrip(".")
    if not is_domain(d):
        raise InvalidInput(errors.DOMAIN_INVALID, domain=domain[:260])
    return d


@dataclass(frozen=True)
class NewTenant:
    domain: str
    name: str
    kind: str
    region: str
    country: str | None = None


@transaction.atomic
def tenant_create(
    *, actor: Principal, domain: str, name: str, kind: str, region: str, country: str | None = None
) -> Tenant:
    return tenants_create(actor=actor, tenants=[NewTenant(domain, name, kind, region, country)])[0]


@transaction.atomic
def tenants_create(*, actor: Principal, tenants: Sequence[NewTenant]) -> list[Tenant]:
    """``tenants``, all or none: a domain already taken, or given twice, refuses the lot. One
    query checks the domains, one insert writes the rows, one appends their records."""
    built: list[Tenant] = []
    seen: set[str] = set()
    for t in tenants:
        domain = normalise_domain(t.domain)
        reg = instance().region(t.region)
        if reg is None:
            raise InvalidInput(
                errors.REGION_UNKNOWN, region=t.region, regions=", ".join(r.id for r in instance().regions)
            )
        if domain in seen:
            raise Conflict(errors.TENANT_DOMAIN_TAKEN, domain=domain)
        seen.add(domain)
        built.append(
            Tenant(
                domain=domain,
                name=t.name.strip()[:200] or domain,
                kind=t.kind,
                home_region=reg.id,
                country=(t.country or reg.country).upper(),
                created_at=clock.now(),
            )
        )
    # LOWER(domain) IN (...), the expression the unique index holds, so that the index serves it.
    taken = Tenant.objects.annotate(key=Lower("domain")).filter(key__in=seen).values_list("key", flat=True)
    first = taken.first()
    if first is not None:
        raise Conflict(errors.TENANT_DOMAIN_TAKEN, domain=first)
    Tenant.objects.bulk_create(built)
    audit.record_many(
        actor=actor,
        entries=[
            audit.Entry(
                action="tenant.create",
                target_type="Tenant",
                target_id=t.id,
                tenant_id=t.id,
                after={"domain": t.domain, "name": t.name, "kind": t.kind, "region": t.home_region},
            )
            for t in built
        ],
    )
    return built


def generate_password() -> str:
    # 20 characters from a URL-safe alphabet: ~120 bits, and it passes every validator.
    return secrets.token_urlsafe(15)


def check_password(password: str, user: User) -> None:
    """The instance's password policy: a 400 naming every reason a password falls short."""
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise InvalidInput(errors.PASSWORD_WEAK, reasons=" ".join(str(m) for m in e.messages)) from None


def parse_roles(values: list[str]) -> list[Role]:
    roles = []
    for v in values:
        try:
            roles.append(Role(v.strip().lower()))
        except ValueError:
            raise InvalidInput(errors.ROLE_UNKNOWN, role=v, roles=", ".join(r.value for r in Role)) from None
    return roles


@dataclass(frozen=True)
class CreatedUser:
    user: User
    password: str  # shown once, never stored in clear
    generated: bool


@dataclass(frozen=True)
class HashedPassword:
    """A password checked against the policy and hashed before any transaction begins: argon2id
    takes tens of milliseconds, which no request may spend holding the database's write lock."""

    plain: str
    encoded: str
    generated: bool


def hash_password(password: str | None, *, upn: str, display_name: str = "") -> HashedPassword:
    """``password`` checked (None: a generated one) and hashed. Call it outside a transaction."""
    generated = password is None
    plain = generate_password() if password is None else password
    check_password(plain, User(upn=upn, display_name=display_name))
    return HashedPassword(plain=plain, encoded=make_password(plain), generated=generated)


def check_new_user(*, tenant: Tenant, upn: str, roles: list[Role]) -> str:
    """The checks of a new user that need no hashing, so that they refuse before any is done;
    the user principal name, trimmed."""
    upn = (upn or "").strip()
    m = UPN_RE.match(upn)
    if not m:
        raise InvalidInput(errors.UPN_INVALID, upn=upn[:260])
    if m.group(1).lower() != tenant.domain.lower():
        raise InvalidInput(errors.UPN_OUTSIDE_TENANT, upn=upn, domain=tenant.domain)
    for role in roles:
        if ROLE_TENANT_KINDS[role] != tenant.kind:
            raise InvalidInput(errors.ROLE_WRONG_TENANT, role=role.value, kind=tenant.kind)
    if User.objects.filter(upn__ieq=upn).exists():
        raise Conflict(errors.UPN_TAKEN, upn=upn)
    return upn


def user_create(
    *,
    actor: Principal,
    tenant: Tenant,
    upn: str,
    display_name: str,
    roles: list[Role],
    password: str | HashedPassword | None = None,
    must_change_password: bool = True,
) -> CreatedUser:
    """``password``: hashed already (callers inside a transaction must), or given in clear or
    None (generated), then hashed here before the transaction."""
    upn = check_new_user(tenant=tenant, upn=upn, roles=roles)
    if not isinstance(password, HashedPassword):
        password = hash_password(password, upn=upn, display_name=display_name)
    with transaction.atomic():
        user = User(
            tenant=tenant,
            upn=upn,
            display_name=(display_name or "").strip()[:200] or upn.split("@")[0],
            must_change_password=must_change_password,
            created_at=clock.now(),
            password=password.encoded,
        )
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError:
            raise Conflict(errors.UPN_TAKEN, upn=upn) from None
        now = clock.now()
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=user, role=r.value, created_at=now) for r in roles]
        )
        audit_user(actor, "user.create", user, after=user_snapshot(user, [r.value for r in roles]))
    return CreatedUser(user=user, password=password.plain, generated=password.generated)


def user_change_password(*, actor: Principal, user: User, current: str | None, new: str) -> User:
    """The user changes their own password (voluntarily or because they must). The verifications
    and the hashing happen before the transaction, which only writes."""
    user.refresh_from_db()  # the password as stored now, not as the session loaded it
    if current is not None and not user.check_password(current):
        raise InvalidInput(errors.PASSWORD_WRONG)
    check_password(new, user)
    if user.check_password(new):
        raise InvalidInput(errors.PASSWORD_WEAK, reasons=str(_same_password_message()))
    encoded = make_password(new)
    with transaction.atomic():
        user = relock(user, "tenant")
        _unfrozen(user)
        before = user_snapshot(user)
        user.password = encoded
        user.must_change_password = False
        revoke_credentials(user)  # the caller keeps its web session (update_session_auth_hash)
        user.save(update_fields=["password", "must_change_password", "credentials_version"])
        audit_user(actor, "user.change_password", user, before=before, after=user_snapshot(user))
    return user


def _unfrozen(user: User) -> None:
    # A moving customer's users move with their password hashes and authenticators: those are
    # frozen with the rest (docs/migration.md); a customer's id is its tenant's.
    if user.tenant.kind == Tenant.Kind.CUSTOMER:
        ensure_unfrozen(customer_id=user.tenant_id)


def _same_password_message() -> str:
    from django.utils.translation import gettext

    return gettext("The new password must differ from the current one.")


@transaction.atomic
def mfa_enrolment_start(*, user: User) -> TOTPDevice:
    """An unconfirmed TOTP device; it protects nothing until the user proves they hold it."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def mfa_enrolment_confirm(*, actor: Principal, user: User, device_id: int, code: str) -> TOTPDevice:
    _unfrozen(relock(user, "tenant"))  # before the code is checked: checking it writes the device
    device = TOTPDevice.objects.select_for_update().filter(id=device_id, user=user, confirmed=False).first()
    if device is None or not code.strip().isdigit() or not device.verify_token(code.strip()):
        raise InvalidInput(errors.MFA_CODE_WRONG)
    # One confirmed authenticator per user: enrolling a new one replaces the old.
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_user(actor, "user.mfa_enrol", user, after={"mfa": "totp"})
    return device


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken


def token_issue(
    *,
    actor: Principal,
    user: User,
    ttl_seconds: int = 3600,
    label: str = "",
    minted_by: Credential | None = None,
) -> IssuedToken:
    """``minted_by``: the bearer credential of the request, whose revocation ends this token too.

    On a trustee instance the instance itself (the operator's CLI) mints no token for a user of a
    customer: that would be an operator acting as the customer without the trustee's grant
    (docs/trustee.md). The refusal is audited in its own transaction, so that it stays."""
    if actor.is_system and user.tenant.kind == Tenant.Kind.CUSTOMER and instance().trustee_required:
        with transaction.atomic(durable=True):
            audit.record(
                actor=actor,
                action="token.issue_refused",
                target_type="User",
                target_id=user.id,
                partner_id=_partner_id(user.tenant),
                tenant_id=user.tenant_id,
                after={"user": user.upn, "reason": "customer user on a trustee instance"},
            )
        raise NotPermitted(errors.IMPERSONATION_REFUSED, upn=user.upn)
    return _token_issue(actor, user, ttl_seconds, label, minted_by)


@transaction.atomic
def _token_issue(
    actor: Principal, user: User, ttl_seconds: int, label: str, minted_by: Credential | None
) -> IssuedToken:
    if not TOKEN_TTL_MIN <= ttl_seconds <= TOKEN_TTL_MAX:
        raise InvalidInput(errors.TOKEN_TTL_INVALID, min=TOKEN_TTL_MIN, max=TOKEN_TTL_MAX)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    rec = ApiToken.objects.create(
        user=user,
        digest=token_digest(token),
        prefix=token[:10],
        label=label[:100],
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
        credentials_version=user.credentials_version,
        parent_id=minted_by.api_token_id if minted_by else None,
        parent_oauth_checksum=minted_by.oauth_checksum if minted_by else "",
    )
    audit.record(
        actor=actor,
        action="token.issue",
        target_type="ApiToken",
        target_id=rec.id,
        partner_id=_partner_id(user.tenant),
        tenant_id=user.tenant_id,
        after={"user": user.upn, "prefix": rec.prefix, "expiresAt": rec.expires_at},
    )
    return IssuedToken(token=token, record=rec)


@transaction.atomic
def token_revoke(*, actor: Principal, token_id: uuid.UUID) -> ApiToken:
    """The token and every token minted with it, and with those, down the line: a credential
    never outlives the one it came from."""
    rec = ApiToken.objects.select_for_update().select_related("user__tenant").filter(id=token_id).first()
    if rec is None:
        raise NotFound(errors.TOKEN_NOT_FOUND)
    now = clock.now()
    lineage, frontier = [rec], [rec.id]
    while frontier:
        children = list(
            ApiToken.objects.select_for_update().select_related("user__tenant").filter(parent_id__in=frontier)
        )
        lineage += children
        frontier = [c.id for c in children]
    for token in lineage:
        if token.revoked_at is not None:
            continue
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="token.revoke",
            target_type="ApiToken",
            target_id=token.id,
            partner_id=_partner_id(token.user.tenant),
            tenant_id=token.user.tenant_id,
            after={
                "prefix": token.prefix,
                **({"mintedBy": str(token.parent_id)} if token is not rec else {}),
            },
        )
    return rec


def revoke_credentials(user: User) -> None:
    """Every session and token issued before now stops working."""
    from oauth2_provider.models import AccessToken, RefreshToken

    from hanse.directory import revocation

    user.credentials_version += 1
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
    revocation.bump()  # the update above sends no signal
    AccessToken.objects.filter(user=user).delete()
    RefreshToken.objects.filter(user=user).delete()


@transaction.atomic
def user_set_active(*, actor: Principal, user: User, active: bool) -> User:
    user = relock(user, "tenant")
    if user.is_active == active:
        return user
    before = user_snapshot(user)
    user.is_active = active
    fields = ["is_active"]
    if not active:
        revoke_credentials(user)
        fields.append("credentials_version")
    user.save(update_fields=fields)
    action = "user.activate" if active else "user.deactivate"
    audit_user(actor, action, user, before=before, after=user_snapshot(user))
    return user


@transaction.atomic
def user_soft_delete(*, actor: Principal, user: User) -> User:
    """The user disappears from sign-in and lists but stays restorable until a job purges it."""
    user = relock(user, "tenant")
    if user.deleted_at is not None:
        return user
    before = user_snapshot(user)
    user.deleted_at = clock.now()
    revoke_credentials(user)
    user.save(update_fields=["deleted_at", "credentials_version"])
    audit_user(
        actor,
        "user.delete",
        user,
        before=before,
        after={**user_snapshot(user), "deletedAt": user.deleted_at},
    )
    return user


@transaction.atomic
def user_restore(*, actor: Principal, user: User) -> User:
    user = relock(user, "tenant")
    if user.deleted_at is None:
        return user
    user.deleted_at = None
    user.save(update_fields=["deleted_at"])
    audit_user(actor, "user.restore", user, after=user_snapshot(user))
    return user


@transaction.atomic
def tenant_set_state(*, actor: Principal, tenant: Tenant, state: str) -> Tenant:
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if state not in Tenant.State.values:
        raise InvalidInput(errors.TENANT_STATE_INVALID, state=state)
    if tenant.state == state:
        return tenant
    before = {"state": tenant.state}
    tenant.state = state
    tenant.save(update_fields=["state"])
    audit.record(
        actor=actor,
        action="tenant.set_state",
        target_type="Tenant",
        target_id=tenant.id,
        partner_id=_partner_id(tenant),
        tenant_id=tenant.id,
        before=before,
        after={"state": state},
    )
    return tenant
