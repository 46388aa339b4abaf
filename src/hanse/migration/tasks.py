"""Jobs of the migration. They take ids and are idempotent (engine.py)."""

from __future__ import annotations

import uuid

from django_tasks import task


@task()
def advance_migration(migration_id: str) -> str:
    """Move one customer as far as it goes now; returns the state it reached."""
    from hanse.migration.engine import advance

    return advance(uuid.UUID(migration_id))


@task()
def purge_migrated() -> int:
    """Delete at the source the customers moved more than ``retention_days`` ago."""
    from hanse.migration.services import migration_purge_due

    return migration_purge_due()
