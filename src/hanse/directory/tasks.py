"""Jobs of the directory. They take ids and are idempotent: running one twice changes nothing."""

from __future__ import annotations

import uuid

from django_tasks import task

from hanse.access.principal import system_principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.directory.customer_users import purge_deleted_users, user_import_run


@task()
def purge_deleted_customer_users() -> int:
    """Remove customer users deleted more than 30 days ago; scheduled at each deletion."""
    return purge_deleted_users()


@task()
def run_user_import(import_id: str) -> int:
    """Run a CSV import job from its first row not done; returns the rows done."""
    return user_import_run(uuid.UUID(import_id)).next_row


def resume_user_imports() -> int:
    """Queue every import job not done (at worker start); returns how many."""
    from hanse.directory.models import UserImport

    jobs = scoped(UserImport.objects.all(), system_principal("worker"), Action.CUSTOMER_USER_MANAGE)
    pending = list(jobs.exclude(status=UserImport.Status.DONE).values_list("id", flat=True))
    for import_id in pending:
        run_user_import.enqueue(str(import_id))
    return len(pending)
