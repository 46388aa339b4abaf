"""Jobs of the directory. They take ids and are idempotent: running one twice changes nothing."""

from __future__ import annotations

from django_tasks import task

from hanse.directory.customer_users import purge_deleted_users


@task()
def purge_deleted_customer_users() -> int:
    """Remove customer users deleted more than 30 days ago; scheduled at each deletion."""
    return purge_deleted_users()
