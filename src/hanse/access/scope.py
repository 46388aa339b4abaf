"""The one tenant-scope helper (docs/architecture.md §1) and the one permission guard (§2).

Selectors never filter by partner or tenant by hand: they call ``scoped``. A model opts in by
declaring ``hanse_scope``; a model without it cannot be scoped, which a test enforces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from hanse.access import errors
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.errors import NotPermitted
from hanse.instance.current import instance

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Scope:
    """Paths from a model to the partner (CSP account) and the tenant its data belongs to.

    ``partner`` may name several paths (a user belongs to a partner either as its staff or as a
    user of one of its customers); a row is in scope when any of them matches. ``customer_data``:
    rows hold customer data, which an operator of a trustee instance may not read without a grant.
    """

    partner: str | tuple[str, ...] | None
    tenant: str | None
    customer_data: bool = True

    def partner_q(self, partner_id: object) -> Q:
        paths = (self.partner,) if isinstance(self.partner, str) else (self.partner or ())
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(**{path: partner_id})
        return q


def require(principal: Principal, action: Action) -> None:
    if not principal.can(action):
        raise NotPermitted(errors.NOT_PERMITTED, action=str(action))


def operator_grant_filter(principal: Principal, scope: Scope) -> Q | None:
    """The rows an operator may read under an approved grant; ``None``: none.

    The trustee app supplies grants; until one exists, a trustee instance gives operators no
    standing access to customer data.
    """
    return None


def scoped(qs: QuerySet[M], principal: Principal, action: Action) -> QuerySet[M]:
    require(principal, action)
    scope: Scope | None = getattr(qs.model, "hanse_scope", None)
    if scope is None:
        raise TypeError(f"{qs.model.__name__} declares no hanse_scope and cannot be read through scoped()")
    if principal.is_system:
        return qs
    if principal.is_partner:
        return qs.filter(scope.partner_q(principal.partner_id))
    if principal.is_customer_admin:
        if scope.tenant is None:
            return qs.none()
        return qs.filter(**{scope.tenant: principal.tenant_id})
    if principal.is_operator or principal.is_trustee:
        # The trustee's job includes reading the whole audit log.
        if not scope.customer_data or (principal.is_trustee and action == Action.AUDIT_VIEW):
            return qs
        if not instance().trustee_required:
            return qs
        grant = operator_grant_filter(principal, scope)
        return qs.filter(grant) if grant is not None else qs.none()
    return qs.none()
