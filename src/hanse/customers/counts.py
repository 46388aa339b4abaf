"""The number of each partner's customers, kept beside them (``CustomerCount``).

Every insert and delete of a ``Customer`` changes it in the same transaction, with an ``UPDATE``
that adds to the stored value, so that concurrent inserts neither lose a change nor wait for each
other longer than their own transaction. The places that write customers: the customer services
(create and import) and the migration's import and its rollback.
"""

from __future__ import annotations

import uuid

from django.db.models import F

from hanse.customers.models import CustomerCount


def add(partner_id: uuid.UUID, n: int) -> None:
    """Count ``n`` more (or, negative, fewer) customers of the partner; in the caller's transaction."""
    if n and not CustomerCount.objects.filter(partner_id=partner_id).update(customers=F("customers") + n):
        # The partner's first customer: create the row, or add to the one a concurrent insert made.
        _row, created = CustomerCount.objects.get_or_create(partner_id=partner_id, defaults={"customers": n})
        if not created:
            CustomerCount.objects.filter(partner_id=partner_id).update(customers=F("customers") + n)


def of(partner_id: uuid.UUID) -> int:
    return (
        CustomerCount.objects.filter(partner_id=partner_id).values_list("customers", flat=True).first() or 0
    )
