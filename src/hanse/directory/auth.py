"""Password authentication by UPN; inactive, deleted or suspended-tenant users cannot sign in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from hanse.directory.models import User


class UpnBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kw: Any
    ) -> User | None:
        if not username or password is None:
            return None
        user = (
            User.objects.select_related("tenant").filter(upn__ieq=username, deleted_at__isnull=True).first()
        )
        if user is None:
            # Spend the same time as a real check so that timing does not reveal which UPNs exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user) and user.tenant.is_active:
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        return signed_in_user(user_id)


def signed_in_user(user_id: Any) -> User | None:
    """The user a session (or a sign-in half done) names, if it may still sign in."""
    user = User.objects.select_related("tenant").filter(pk=user_id, deleted_at__isnull=True).first()
    if user is None or not user.is_active or not user.tenant.is_active:
        return None
    return user
