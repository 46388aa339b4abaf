"""Who is acting: a user with roles in a tenant, or the instance itself (CLI, jobs)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hanse.access.roles import PARTNER_ROLES, Action, Role, allowed


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID | None
    upn: str
    tenant_id: uuid.UUID | None
    tenant_kind: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    partner_id: uuid.UUID | None = None  # the CSP account, for users of a partner tenant

    @property
    def is_partner(self) -> bool:
        return self.partner_id is not None and bool(self.roles & PARTNER_ROLES)

    @property
    def is_customer_admin(self) -> bool:
        return Role.CUSTOMER_GLOBAL_ADMIN in self.roles

    @property
    def is_operator(self) -> bool:
        return Role.OPERATOR in self.roles

    @property
    def is_trustee(self) -> bool:
        return Role.TRUSTEE_OFFICER in self.roles

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    def can(self, action: Action) -> bool:
        return self.is_system or allowed(self.roles, action)


def system_principal(label: str = "system") -> Principal:
    """The instance acting on its own behalf: the operator's CLI, seeding, jobs."""
    return Principal(user_id=None, upn=label, tenant_id=None, tenant_kind="provider")
