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
    (_("Billing"), "billing:invoices", Action.BILLING_MANAGE),
    (_("Price lists"), "billing:prices", Action.PRICING_VIEW),
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


def _admin_center_page(principal: Any) -> str | None:
    """Where a partner's user does its tasks that this instance routes to the admin center (the
    partner center's navigation links there), or None: it does them all in the partner center.
    Its customers' users first; its own users for whom manages only those."""
    if principal.tenant_kind != "partner":
        return None
    cfg = instance()
    routed = [
        action
        for action, tasks in ROUTED_TASKS.items()
        if principal.can(action) and any(cfg.task_place(task) == "admincenter" for task in tasks)
    ]
    if Action.CUSTOMER_USER_MANAGE in routed:
        return "admincenter:home"
    return "admincenter:partner_users" if routed else None


def shell(request: HttpRequest) -> dict[str, Any]:
    principal = getattr(request, "principal", None)
    nav = []
    if principal is not None:
        urls = dict.fromkeys(url for _label, url, action in NAV if principal.can(action))
        nav = [{"label": label, "url": url} for label, url, _action in NAV if urls.pop(url, 0) is None]
        admin_center = _admin_center_page(principal)
        if admin_center:
            nav.append({"label": _("Admin center"), "url": admin_center})
    return {"hanse_instance": instance(), "nav": nav, "principal": principal}
