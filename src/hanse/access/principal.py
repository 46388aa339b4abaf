"""Who is acting, and as what kind of principal (docs/architecture.md §1).

A principal is one of four kinds, and the scope helper decides per kind, never by a missing id:

- ``user``: a user of a partner or customer tenant, or a trustee officer, acting by its roles;
- ``operator``: a user of the provider's operations staff, carrying the grants active for it now;
- ``peer``: another Hanse instance, authenticated as such (the migration's target side);
- ``instance``: the instance itself (the operator's CLI on the host, seeding, jobs).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from hanse.access.roles import PARTNER_ROLES, Action, Role, allowed


class Kind(StrEnum):
    USER = "user"
    OPERATOR = "operator"
    PEER = "peer"
    INSTANCE = "instance"


class DataKind(StrEnum):
    """The kinds of customer data a grant may open (docs/trustee.md)."""

    PROFILE = "profile"
    USERS = "users"
    SUBSCRIPTIONS = "subscriptions"
    LICENCES = "licences"
    AUDIT = "audit"


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The actions on customer data a grant opens to an operator. Whether the operator reads or
# changes is its request's (``writing``: any method but GET, HEAD, OPTIONS), since the same action
# guards a list and a change; the data kind of each row comes from its model's Scope.
GRANT_ACTIONS = frozenset(
    {
        Action.CUSTOMER_VIEW,
        Action.AUDIT_VIEW,
        Action.CUSTOMER_EDIT,
        Action.SUBSCRIPTION_MANAGE,
        Action.CUSTOMER_USER_MANAGE,
    }
)


@dataclass(frozen=True)
class GrantView:
    """One active grant, as its operator carries it for the length of one request."""

    id: uuid.UUID
    customer_id: uuid.UUID
    tenant_id: uuid.UUID
    kinds: frozenset[DataKind]
    write: bool
    expires_at: datetime

    def covers(self, kind: DataKind, *, write: bool, action: Action) -> bool:
        if write and not self.write:
            return False
        # Every kind of a customer's data hangs from the customer's row: any grant reads it to
        # reach them (each such read is recorded like any other); editing it is the profile's.
        return kind in self.kinds or (kind == DataKind.PROFILE and action != Action.CUSTOMER_EDIT)


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID | None
    upn: str
    tenant_id: uuid.UUID | None
    tenant_kind: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    partner_id: uuid.UUID | None = None  # the CSP account, for users of a partner tenant
    kind: Kind = Kind.USER
    grants: tuple[GrantView, ...] = ()  # an operator's active grants
    writing: bool = False  # an operator's request that may change data

    def __post_init__(self) -> None:
        # A principal without a user is the instance or a peer; a user is never either.
        if (self.user_id is None) != (self.kind in (Kind.INSTANCE, Kind.PEER)):
            raise ValueError(f"a {self.kind} principal {'needs' if self.user_id is None else 'has no'} user")
        if self.grants and self.kind != Kind.OPERATOR:
            raise ValueError("only an operator carries grants")

    @property
    def is_partner(self) -> bool:
        return self.kind == Kind.USER and self.partner_id is not None and bool(self.roles & PARTNER_ROLES)

    @property
    def is_customer_admin(self) -> bool:
        return self.kind == Kind.USER and Role.CUSTOMER_GLOBAL_ADMIN in self.roles

    @property
    def is_operator(self) -> bool:
        return self.kind == Kind.OPERATOR

    @property
    def is_trustee(self) -> bool:
        return self.kind == Kind.USER and Role.TRUSTEE_OFFICER in self.roles

    @property
    def is_system(self) -> bool:
        return self.kind == Kind.INSTANCE

    def can(self, action: Action) -> bool:
        if self.kind == Kind.INSTANCE:
            return True
        if self.kind == Kind.PEER:
            # A peer's one right is its own use case, not the matrix's: importing for the partner
            # whose Global admin linked it.
            return action == Action.MIGRATION_IMPORT and self.partner_id is not None
        if allowed(self.roles, action):
            return True
        if self.kind == Kind.OPERATOR and action in GRANT_ACTIONS:
            return any(g.write or not self.writing for g in self.grants)
        return False

    def grants_for(self, kind: DataKind, action: Action) -> tuple[GrantView, ...]:
        return tuple(g for g in self.grants if g.covers(kind, write=self.writing, action=action))


def system_principal(label: str = "system") -> Principal:
    """The instance acting on its own behalf: the operator's CLI, seeding, jobs."""
    return Principal(user_id=None, upn=label, tenant_id=None, tenant_kind="provider", kind=Kind.INSTANCE)


def peer_principal(
    name: str, *, partner_id: uuid.UUID | None = None, tenant_id: uuid.UUID | None = None
) -> Principal:
    """Another instance, authenticated as its OAuth client ``name`` with a token of the
    ``migration`` scope that a Global admin of the partner ``partner_id`` gave it (the link)."""
    return Principal(
        user_id=None,
        upn=f"peer:{name}",
        tenant_id=tenant_id,
        tenant_kind="peer",
        partner_id=partner_id,
        kind=Kind.PEER,
    )
