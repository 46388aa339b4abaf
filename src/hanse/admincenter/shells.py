"""The two places the user and licence pages are served: the admin center and the partner center.

One view per page; the URLconf passes ``shell``, which selects the base template, the URL
namespace, and whether the instance's task routing applies (only the partner center is routed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, path


@dataclass(frozen=True)
class Shell:
    name: str
    base: str  # the base template
    ns: str  # the URL namespace

    @property
    def routed(self) -> bool:
        return self.name == PARTNER_CENTER


ADMIN_CENTER = "admincenter"
PARTNER_CENTER = "partnercenter"
SHELLS = {
    ADMIN_CENTER: Shell(ADMIN_CENTER, "admincenter/base.html", "admincenter"),
    PARTNER_CENTER: Shell(PARTNER_CENTER, "web/base.html", "pcusers"),
}


def patterns(shell: str) -> list[URLPattern]:
    """The pages shared by both shells, at the same paths relative to each shell's root."""
    from hanse.admincenter import views as v

    kw = {"shell": shell}
    c = "customers/<uuid:customer_id>/"
    u = c + "users/<uuid:user_id>/"
    pages: list[tuple[str, Callable[..., Any], str]] = [
        (c + "users/", v.users, "users"),
        (c + "users/new", v.user_new, "user_new"),
        (c + "users/import", v.users_import, "users_import"),
        (c + "users/imports/<uuid:import_id>", v.users_import_job, "users_import_job"),
        (c + "users/deleted", v.users_deleted, "users_deleted"),
        (u, v.user_detail, "user"),
        (u + "licences", v.user_licences, "user_licences"),
        (u + "reset-password", v.user_reset_password, "user_reset_password"),
        (u + "delete", v.user_delete, "user_delete"),
        (u + "restore", v.user_restore, "user_restore"),
        (c + "licences", v.licences, "licences"),
        ("partner-users/", v.partner_users, "partner_users"),
        ("partner-users/new", v.partner_user_new, "partner_user_new"),
        ("partner-users/<uuid:user_id>/", v.partner_user_detail, "partner_user"),
        ("partner-users/<uuid:user_id>/active", v.partner_user_active, "partner_user_active"),
    ]
    return [path(route, view, kw, name=name) for route, view, name in pages]
