"""Access transparency: each read an operator makes under a grant is written to the audit log,
naming the grant and every object returned, so that the customer sees exactly what was read
(docs/trustee.md). The gate calls this when a granted queryset is evaluated.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet

from hanse.access.principal import GrantView, Principal
from hanse.access.scope import Scope
from hanse.audit import services as audit


def _objects(qs: QuerySet[Any], rows: list[Any]) -> list[Any]:
    if rows and isinstance(rows[0], Model):
        return [r.pk for r in rows]
    # values() and values_list() rows: the objects they came from, unless they aggregate.
    if qs.query.group_by is not None or any(
        getattr(a, "contains_aggregate", False) for a in qs.query.annotations.values()
    ):
        return []
    # The same query, as a plain queryset: evaluating the granted one again would record again.
    plain: QuerySet[Any] = QuerySet(model=qs.model, query=qs.query.chain())
    return list(plain.values_list("pk", flat=True))


def record_reads(
    qs: QuerySet[Any], reader: Principal, grants: tuple[GrantView, ...], rows: list[Any]
) -> None:
    pks = _objects(qs, rows)
    if not pks:
        return
    scope: Scope = qs.model.hanse_scope
    # Which customer each object belongs to, so that each grant's record names only its own.
    owners = dict(qs.model._base_manager.filter(pk__in=pks).values_list("pk", scope.tenant))
    by_grant: dict[GrantView, list[str]] = defaultdict(list)
    for pk in pks:
        grant = next((g for g in grants if g.tenant_id == owners.get(pk)), None)
        if grant is not None:
            by_grant[grant].append(str(pk))
    for grant, ids in by_grant.items():
        with transaction.atomic():
            audit.record(
                actor=reader,
                action="access.read",
                target_type=qs.model.__name__,
                target_id=ids[0] if len(ids) == 1 else f"{len(ids)} objects",
                tenant_id=grant.tenant_id,
                after={"objects": [[qs.model.__name__, i] for i in ids]},
                grant_id=grant.id,
            )
