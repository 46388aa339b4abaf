"""Every write to a partner's own users: invite, roles, deactivation.

The rules of docs/roles.md, kept here and nowhere else: nobody grants or takes away a role they do
not hold (a Global admin holds every one), nobody raises their own roles, only a Global admin
changes or deactivates a Global admin, and a partner never loses its last active Global admin.
"""

from __future__ import annotations

import uuid

from django.db import transaction

from hanse import clock
from hanse.access.models import RoleAssignment
from hanse.access.principal import Principal
from hanse.access.roles import MATRIX, PARTNER_ROLES, Action, Role
from hanse.access.scope import require, scoped
from hanse.directory import errors, revocation
from hanse.directory.models import Tenant, User
from hanse.directory.services import CreatedUser, audit_user, user_create, user_set_active
from hanse.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hanse.instance.routing import ADMIN_CENTER_API, ensure_partner_center
from hanse.partners import errors as partner_errors

PARTNER_USERS_AT = f"{ADMIN_CENTER_API}/partner/users"


def _partner_tenant(actor: Principal) -> Tenant:
    require(actor, Action.PARTNER_USER_MANAGE)
    tenant = Tenant.objects.filter(id=actor.tenant_id, kind=Tenant.Kind.PARTNER).first()
    if tenant is None:
        raise NotFound(partner_errors.PARTNER_NOT_FOUND)
    return tenant


def _partner_user(actor: Principal, user_id: uuid.UUID) -> User:
    user = (
        scoped(User.objects.select_for_update(of=("self",)), actor, Action.PARTNER_USER_MANAGE)
        .select_related("tenant")
        .filter(id=user_id, tenant__kind=Tenant.Kind.PARTNER, deleted_at__isnull=True)
        .first()
    )
    if user is None:
        raise NotFound(errors.CUSTOMER_USER_NOT_FOUND)
    return user


def _check_roles(actor: Principal, roles: list[Role], before: set[Role], *, target: uuid.UUID | None) -> None:
    """``target``: the user whose roles change (None: one being invited)."""
    outside = [r for r in roles if r not in PARTNER_ROLES]
    if outside:
        raise InvalidInput(errors.ROLE_WRONG_TENANT, role=outside[0].value, kind=Tenant.Kind.PARTNER)
    _check_may_manage(actor, before)
    added = set(roles) - before
    if target is not None and target == actor.user_id and _actions(set(roles)) - _actions(before):
        raise NotPermitted(errors.OWN_ROLES)  # a Global admin already may do everything
    if Role.GLOBAL_ADMIN in actor.roles:
        return
    for role in sorted(added | (before - set(roles))):
        if role not in actor.roles:
            raise NotPermitted(errors.ROLE_NOT_HELD, role=role.label)


def _actions(roles: set[Role]) -> set[Action]:
    return {action for role in roles for action in MATRIX[role]}


def _check_may_manage(actor: Principal, roles: set[Role]) -> None:
    if Role.GLOBAL_ADMIN in roles and Role.GLOBAL_ADMIN not in actor.roles:
        raise NotPermitted(errors.GLOBAL_ADMIN_PROTECTED)


def _ensure_another_global_admin(actor: Principal, user: User) -> None:
    """Lock the partner's Global admins so two concurrent demotions cannot both pass."""
    others = (
        # Only the role rows: the scope's paths are outer joins, which PostgreSQL does not lock.
        scoped(RoleAssignment.objects.select_for_update(of=("self",)), actor, Action.PARTNER_USER_MANAGE)
        .filter(
            role=Role.GLOBAL_ADMIN,
            user__tenant=user.tenant_id,
            user__is_active=True,
            user__deleted_at__isnull=True,
        )
        .exclude(user=user)
    )
    if not list(others):
        raise Conflict(errors.LAST_GLOBAL_ADMIN)


def partner_user_invite(*, actor: Principal, upn: str, display_name: str, roles: list[Role]) -> CreatedUser:
    """Checked first, the generated password hashed before the transaction that writes."""
    ensure_partner_center("partner_users", endpoint=PARTNER_USERS_AT)
    tenant = _partner_tenant(actor)
    _check_roles(actor, roles, set(), target=None)
    return user_create(
        actor=actor, tenant=tenant, upn=upn, display_name=display_name, roles=roles, must_change_password=True
    )


def partner_user_set_roles(*, actor: Principal, user_id: uuid.UUID, roles: list[Role]) -> User:
    return partner_user_update(actor=actor, user_id=user_id, roles=roles)


def partner_user_set_active(*, actor: Principal, user_id: uuid.UUID, active: bool) -> User:
    return partner_user_update(actor=actor, user_id=user_id, active=active)


@transaction.atomic
def partner_user_update(
    *, actor: Principal, user_id: uuid.UUID, roles: list[Role] | None = None, active: bool | None = None
) -> User:
    """New roles, a new state, or both: one change, which commits whole or not at all (a refusal
    of the state leaves the roles as they were)."""
    ensure_partner_center("partner_users", endpoint=f"{PARTNER_USERS_AT}/{user_id}")
    user = _partner_user(actor, user_id)
    before = {Role(r) for r in user.role_assignments.values_list("role", flat=True)}
    _check_may_manage(actor, before)
    after = before if roles is None else set(dict.fromkeys(roles))
    if roles is not None:
        roles = list(dict.fromkeys(roles))
        _check_roles(actor, roles, before, target=user.id)
    stays_admin = Role.GLOBAL_ADMIN in after and (active if active is not None else user.is_active)
    if Role.GLOBAL_ADMIN in before and user.is_active and not stays_admin:
        _ensure_another_global_admin(actor, user)
    if roles is not None and after != before:
        scoped(RoleAssignment.objects.all(), actor, Action.PARTNER_USER_MANAGE).filter(user=user).exclude(
            role__in=[r.value for r in roles]
        ).delete()
        now = clock.now()
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=user, role=r.value, created_at=now) for r in roles if r not in before]
        )
        revocation.bump()  # a role added by bulk_create sends no signal, and tokens act by roles
        audit_user(
            actor,
            "user.set_roles",
            user,
            before={"roles": sorted(r.value for r in before)},
            after={"roles": sorted(r.value for r in roles)},
        )
    if active is not None:
        user = user_set_active(actor=actor, user=user, active=active)
    return user
