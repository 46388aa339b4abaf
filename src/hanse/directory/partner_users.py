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
from hanse.directory import errors
from hanse.directory.models import Tenant, User
from hanse.directory.services import CreatedUser, _audit_user, user_create, user_set_active
from hanse.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hanse.partners import errors as partner_errors


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


def _ensure_another_global_admin(user: User) -> None:
    """Lock the partner's Global admins so two concurrent demotions cannot both pass."""
    others = (
        RoleAssignment.objects.select_for_update()
        .filter(
            role=Role.GLOBAL_ADMIN,
            user__tenant_id=user.tenant_id,
            user__is_active=True,
            user__deleted_at__isnull=True,
        )
        .exclude(user=user)
    )
    if not list(others):
        raise Conflict(errors.LAST_GLOBAL_ADMIN)


def partner_user_invite(*, actor: Principal, upn: str, display_name: str, roles: list[Role]) -> CreatedUser:
    """Checked first, the generated password hashed before the transaction that writes."""
    tenant = _partner_tenant(actor)
    _check_roles(actor, roles, set(), target=None)
    return user_create(
        actor=actor, tenant=tenant, upn=upn, display_name=display_name, roles=roles, must_change_password=True
    )


@transaction.atomic
def partner_user_set_roles(*, actor: Principal, user_id: uuid.UUID, roles: list[Role]) -> User:
    user = _partner_user(actor, user_id)
    before = {Role(r) for r in user.role_assignments.values_list("role", flat=True)}
    roles = list(dict.fromkeys(roles))
    _check_roles(actor, roles, before, target=user.id)
    if Role.GLOBAL_ADMIN in before and Role.GLOBAL_ADMIN not in roles:
        _ensure_another_global_admin(user)
    if set(roles) != before:
        RoleAssignment.objects.filter(user=user).exclude(role__in=[r.value for r in roles]).delete()
        now = clock.now()
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=user, role=r.value, created_at=now) for r in roles if r not in before]
        )
        _audit_user(
            actor,
            "user.set_roles",
            user,
            before={"roles": sorted(r.value for r in before)},
            after={"roles": sorted(r.value for r in roles)},
        )
    return user


@transaction.atomic
def partner_user_set_active(*, actor: Principal, user_id: uuid.UUID, active: bool) -> User:
    user = _partner_user(actor, user_id)
    roles = {Role(r) for r in user.role_assignments.values_list("role", flat=True)}
    _check_may_manage(actor, roles)
    if not active and Role.GLOBAL_ADMIN in roles:
        _ensure_another_global_admin(user)
    return user_set_active(actor=actor, user=user, active=active)
