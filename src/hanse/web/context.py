"""The shell every page shares: instance, navigation by role, languages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hanse.access.roles import Action
from hanse.instance.current import instance

NAV: list[tuple[Any, str, Action]] = [
    (_("CSP overview"), "partners:overview", Action.PARTNER_VIEW),
    (_("Customers"), "customers:list", Action.CUSTOMER_VIEW),
    (_("Catalogue"), "catalog:list", Action.PRICING_VIEW),
    (_("Partner users"), "pcusers:partner_users", Action.PARTNER_USER_MANAGE),
    (_("Partners"), "operator:partners", Action.INSTANCE_OPERATE),
    (_("Audit log"), "audit:list", Action.AUDIT_VIEW),
    (_("Access requests"), "trustee:requests", Action.OPERATOR_ACCESS_REQUEST),
    (_("Access requests"), "trustee:requests", Action.OPERATOR_ACCESS_DECIDE),
]


def customer_admin_shell(principal: Any) -> dict[str, Any]:
    """The admin center's shell for a customer's Global admin, on the pages other apps serve it
    (its data's access requests, its move to another instance, the history it brought here)."""
    from django.urls import reverse

    from hanse.links.services import link_offered
    from hanse.migration.selectors import has_imported_history

    nav = [
        {"label": _("Users"), "url": reverse("admincenter:home"), "testid": "nav-users"},
        {"label": _("Access to my data"), "url": reverse("trustee:requests"), "testid": "nav-access"},
    ]
    if link_offered():
        nav.append(
            {"label": _("Moving to Europe"), "url": reverse("migration:consent"), "testid": "nav-move"}
        )
    if has_imported_history(principal):
        nav.append(
            {
                "label": _("History before the move"),
                "url": reverse("migration:history"),
                "testid": "nav-history",
            }
        )
    return {"base": "admincenter/base.html", "ac_nav": nav}


# The partner-center tasks a role does, which this instance may route to the admin center.
ROUTED_TASKS: dict[Action, tuple[str, ...]] = {
    Action.CUSTOMER_USER_MANAGE: ("customer_users", "password_reset", "licences"),
    Action.PARTNER_USER_MANAGE: ("partner_users",),
}


def _admin_center_tasks(principal: Any) -> bool:
    """Whether a partner's user does some of its tasks in the admin center here: then the partner
    center's navigation links to it."""
    if principal.tenant_kind != "partner":
        return False
    cfg = instance()
    return any(
        cfg.task_place(task) == "admincenter"
        for action, tasks in ROUTED_TASKS.items()
        if principal.can(action)
        for task in tasks
    )


def shell(request: HttpRequest) -> dict[str, Any]:
    principal = getattr(request, "principal", None)
    nav = []
    if principal is not None:
        urls = dict.fromkeys(url for _label, url, action in NAV if principal.can(action))
        nav = [{"label": label, "url": url} for label, url, _action in NAV if urls.pop(url, 0) is None]
        if _admin_center_tasks(principal):
            nav.append({"label": _("Admin center"), "url": "admincenter:home"})
    return {"hanse_instance": instance(), "nav": nav, "principal": principal}
