"""The credential epoch (``CredentialEpoch``): read on every bearer request, changed in the same
transaction as any change that can alter or end what a token acts as, so that a principal kept in
a web process is never used after the change has committed, whichever process made it.

What changes it: saving or deleting a user (its fields that a principal depends on), a tenant, an API
token or an OAuth access token; deleting a role assignment; and, where rows change without
``save()``, the service that changes them calls :func:`bump` itself (role changes, revoking a
user's credentials). Creating a user, a tenant or a token does not: nothing can be kept for them
yet, and customers are created all day.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from hanse.directory.models import ApiToken, CredentialEpoch, Tenant, User

# The user's fields that its tokens' principals depend on; a save of others (a sign-in's
# ``last_login``, a name, the usage location) changes nothing a process keeps.
USER_AUTH_FIELDS = frozenset(
    {"upn", "tenant", "tenant_id", "is_active", "deleted_at", "credentials_version", "password"}
)


def epoch() -> int:
    """The current epoch: the first query of every bearer request.

    On a connection kept open from an earlier request it goes to the driver itself and stands as
    the request's health check. Django would first send its own ``SELECT 1`` (CONN_HEALTH_CHECKS):
    on PostgreSQL, a second round trip on every API call. A kept connection that has broken is
    closed and the read made again on a new one, which is what the health check would have done."""
    sql = f"SELECT value FROM {CredentialEpoch._meta.db_table} WHERE id = 1"
    raw = connection.connection
    if raw is not None and not connection.in_atomic_block:
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(sql)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except connection.Database.Error:
            connection.close()
        else:
            connection.health_check_done = True
            return int(row[0]) if row else 0
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def bump() -> None:
    if not CredentialEpoch.objects.filter(id=1).update(value=F("value") + 1):
        CredentialEpoch.objects.get_or_create(id=1, defaults={"value": 1})


def _saved(sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    if created or kwargs.get("raw"):
        return
    if sender is User and update_fields is not None and not USER_AUTH_FIELDS & set(update_fields):
        return
    bump()


def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    bump()


def connect() -> None:
    from oauth2_provider.models import AccessToken

    from hanse.access.models import RoleAssignment

    for model in (User, Tenant, ApiToken, AccessToken):
        post_save.connect(_saved, sender=model, dispatch_uid=f"epoch-save-{model.__name__}")
    for model in (User, Tenant, ApiToken, AccessToken, RoleAssignment):
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"epoch-delete-{model.__name__}")
