"""The number of each partner's customers, kept beside them (``CustomerCount``).

Every insert and delete of a ``Customer`` changes it in the same transaction, with an ``UPDATE``
that adds to the stored value, so that concurrent inserts neither lose a change nor wait for each
other longer than their own transaction. The places that write customers: the customer services
(create and import) and the migration's import and its rollback. Both reads and writes pass the
gate (``scoped``) as the actor's, with the action of the change or the read.
"""

from __future__ import annotations

import uuid

from django.db.models import F

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.customers.models import CustomerCount


def add(actor: Principal, action: Action, partner_id: uuid.UUID, n: int) -> None:
    """Count ``n`` more (or, negative, fewer) customers of the partner; in the caller's transaction."""
    if not n:
        return
    rows = scoped(CustomerCount.objects.all(), actor, action).filter(partner_id=partner_id)
    if not rows.update(customers=F("customers") + n):
        # The partner's first customer: create the row, or add to the one a concurrent insert made.
        _row, created = rows.get_or_create(partner_id=partner_id, defaults={"customers": n})
        if not created:
            rows.update(customers=F("customers") + n)


def of(principal: Principal, partner_id: uuid.UUID) -> int:
    rows = scoped(CustomerCount.objects.all(), principal, Action.CUSTOMER_VIEW).filter(partner_id=partner_id)
    return rows.values_list("customers", flat=True).first() or 0
