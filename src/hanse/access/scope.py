"""The one tenant-scope helper (docs/architecture.md §1) and the one permission guard (§2).

Selectors never filter by partner or tenant by hand: they call ``scoped``. A model opts in by
declaring ``hanse_scope``; a model without it cannot be scoped, which a test enforces.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from hanse.access import errors
from hanse.access.principal import DataKind, GrantView, Kind, Principal
from hanse.access.roles import Action
from hanse.db import compiled_values
from hanse.errors import NotPermitted

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Scope:
    """Paths from a model to the partner (CSP account) and the tenant its data belongs to.

    ``partner`` may name several paths (a user belongs to a partner either as its staff or as a
    user of one of its customers); a row is in scope when any of them matches. ``data``: the kind
    of customer data the rows hold, which an operator reads only under a grant covering it
    (docs/trustee.md); ``None`` for rows that hold none.
    """

    partner: str | tuple[str, ...] | None
    tenant: str | None
    data: DataKind | None = DataKind.PROFILE

    def partner_q(self, partner_id: object) -> Q:
        paths = (self.partner,) if isinstance(self.partner, str) else (self.partner or ())
        if len(paths) == 1:  # most models: one condition, not an OR beside an empty one to compile
            return Q(**{paths[0]: partner_id})
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(**{path: partner_id})
        return q


def require(principal: Principal, action: Action) -> None:
    if not principal.can(action):
        raise NotPermitted(errors.NOT_PERMITTED, action=str(action))


def operator_grant_filter(principal: Principal, scope: Scope, action: Action) -> tuple[GrantView, ...]:
    """The one gate (docs/trustee.md): the grants under which this operator may read rows of this
    kind of customer data or, in a request that changes data, change them. None: no row at all."""
    if scope.data is None or scope.tenant is None or not principal.is_operator:
        return ()
    return principal.grants_for(scope.data, action)


def scoped(qs: QuerySet[M], principal: Principal, action: Action) -> QuerySet[M]:
    require(principal, action)
    scope: Scope | None = getattr(qs.model, "hanse_scope", None)
    if scope is None:
        raise TypeError(f"{qs.model.__name__} declares no hanse_scope and cannot be read through scoped()")
    match principal.kind:
        case Kind.INSTANCE:
            return qs
        case Kind.PEER:
            # A peer sees what it imports for the partner that linked it, and nothing else.
            if action == Action.MIGRATION_IMPORT and principal.partner_id is not None:
                return qs.filter(scope.partner_q(principal.partner_id))
            return qs.none()
        case Kind.OPERATOR:
            if scope.data is None:
                return qs
            grants = operator_grant_filter(principal, scope, action)
            if not grants or scope.tenant is None:
                return qs.none()
            tenants = {g.tenant_id for g in grants}
            return granted(qs.filter(**{f"{scope.tenant}__in": tenants}), principal, grants)
        case Kind.USER:
            if principal.is_partner:
                return qs.filter(scope.partner_q(principal.partner_id))
            if principal.is_customer_admin:
                return qs.none() if scope.tenant is None else qs.filter(**{scope.tenant: principal.tenant_id})
            # The trustee's job includes reading the whole audit log, and nothing else of customers'.
            audit = action == Action.AUDIT_VIEW and scope.data == DataKind.AUDIT
            if principal.is_trustee and (scope.data is None or audit):
                return qs
            return qs.none()


def scoped_values(
    model: type[M],
    principal: Principal,
    action: Action,
    shape: Callable[..., QuerySet[M]],
    *args: uuid.UUID,
) -> list[dict[str, Any]]:
    """``list(shape(scoped(model.objects.all(), principal, action), *args))`` for a ``values()``
    query that depends on nothing but ``args``. For a partner's staff the scope is one condition
    on their partner, so the query's SQL is compiled once per process (``hanse.db.compiled_values``)
    and run with the partner's id and ``args``; every call passes the permission guard."""

    def build() -> QuerySet[M]:
        return shape(scoped(model._default_manager.all(), principal, action), *args)

    if principal.kind != Kind.USER or not principal.is_partner or principal.partner_id is None:
        return list(build())
    require(principal, action)
    if "<" in shape.__qualname__:  # a lambda or a nested function: its name is not its query
        raise TypeError("scoped_values takes a module-level function as the query's shape")
    key = (model._meta.label, action, shape.__module__, shape.__qualname__)
    return compiled_values(key, build, (principal.partner_id, *args))


def relock(obj: M, *related: str) -> M:
    """The row its caller already holds (read through ``scoped``), read again under a row lock:
    it reads nothing the caller was not allowed, so it is the one read of a scoped model that
    does not pass the gate again."""
    manager = obj._meta.model._base_manager  # not type(obj): request.user is a lazy proxy
    qs = manager.select_for_update(of=("self",)) if related else manager.select_for_update()
    return qs.select_related(*related).get(pk=obj.pk)


class GrantedQuerySet(QuerySet):
    """Rows an operator reads under grants: each evaluation writes an access record naming the
    grant and every object returned, which the customer sees (docs/trustee.md, transparency)."""

    hanse_reader: Principal
    hanse_grants: tuple[GrantView, ...] = ()

    def _clone(self) -> GrantedQuerySet:
        clone = super()._clone()
        clone.hanse_reader, clone.hanse_grants = self.hanse_reader, self.hanse_grants
        return clone

    def _fetch_all(self) -> None:
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._result_cache:
            self._record(list(self._result_cache))

    def iterator(self, chunk_size: int | None = None) -> Iterator[Any]:
        rows = list(super().iterator(chunk_size))
        if rows:
            self._record(rows)
        return iter(rows)

    def _record(self, rows: list[Any]) -> None:
        # Imported here: the trustee app, which writes the records, sits above access.
        from hanse.trustee.transparency import record_reads

        record_reads(self, self.hanse_reader, self.hanse_grants, rows)


_granted_classes: dict[type, type] = {}


def granted(qs: QuerySet[M], reader: Principal, grants: tuple[GrantView, ...]) -> QuerySet[M]:
    base = type(qs)
    cls = _granted_classes.get(base)
    if cls is None:
        cls = _granted_classes[base] = type(f"Granted{base.__name__}", (GrantedQuerySet, base), {})
    clone = qs._chain()
    clone.__class__ = cls
    clone.hanse_reader, clone.hanse_grants = reader, grants
    return clone
