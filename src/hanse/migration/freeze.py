"""The migration's change freeze (docs/architecture.md §7), kept here and called by every service
that changes a customer: orders and subscriptions, users, licences, the profile. While a customer
moves, nothing of it may change at the source, so that what the target verifies is what the
source holds; once it has moved, the source's copy is read-only. At the target, a customer that
is arriving changes only through its import, so that what both sides verified is what goes live.
Reads go on."""

from __future__ import annotations

import uuid

from django.db import connection

from hanse.access.principal import system_principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.errors import Conflict
from hanse.migration import errors
from hanse.migration.models import CustomerMigration, Import, State

_FREEZE = system_principal("migration-freeze")


def ensure_unfrozen(*, customer_id: uuid.UUID) -> None:
    """Refuse a change to a customer that is moving or has moved. Inside the change's transaction:
    the migration's row, when there is one, is locked, so that the freeze and a change are ordered."""
    rows = scoped(CustomerMigration.objects.all(), _FREEZE, Action.MIGRATION_MANAGE)
    if connection.in_atomic_block:  # a refusal up front (a whole file's import) needs no lock
        rows = rows.select_for_update(of=("self",))
    migration = rows.select_related("customer").filter(customer_id=customer_id).first()
    if migration is None:
        _ensure_arrived(customer_id)
        return
    name = migration.customer.company_name
    if migration.state == State.CUT_OVER:
        raise Conflict(errors.MIGRATED, customer=name, peer=migration.peer, url=migration.target_url)
    if migration.is_frozen:
        raise Conflict(errors.FROZEN, customer=name, peer=migration.peer)


def _ensure_arrived(customer_id: uuid.UUID) -> None:
    arriving = (
        scoped(Import.objects.all(), _FREEZE, Action.MIGRATION_MANAGE)
        .filter(customer_id=customer_id, status=Import.Status.IMPORTING)
        .values_list("customer__company_name", "source_instance", "peer")
        .first()
    )
    if arriving is not None:
        name, source, peer = arriving
        raise Conflict(errors.ARRIVING, customer=name, peer=source or peer)
