"""Where each of the source document's four tasks is done in this instance (docs/operators.md: task_routing).

In the sovereign instance partner users, customer users, password resets and licences are managed
in the instance's admin center; the partner center still reads them but refuses the writes.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hanse.context import current
from hanse.errors import NotPermitted
from hanse.instance.current import instance

TASK_LABELS = {
    "partner_users": _("partner user management"),
    "customer_users": _("customer user management"),
    "password_reset": _("password reset"),
    "licences": _("licence management"),
}
ADMIN_CENTER_API = "/admin-center/api/v1.0"


def admin_center_users(customer_id: object, rest: str = "") -> str:
    """The admin-center endpoint of a customer's users, where a refused write is done instead."""
    return f"{ADMIN_CENTER_API}/customers/{customer_id}/users{rest}"


def done_in(task: str) -> str:
    return instance().task_place(task)


def routed_elsewhere(task: str, *, endpoint: str) -> NotPermitted | None:
    """The refusal of a partner-center write of a task this instance routes to the admin center,
    or None. The services of those writes raise it (``ensure_partner_center``), whatever path
    calls them, the request's place (``context.place``) deciding; pages read it to say so."""
    if current().place != "partnercenter" or done_in(task) != "admincenter":
        return None
    from hanse.directory import errors

    return NotPermitted(
        errors.TASK_ROUTED,
        task=str(TASK_LABELS[task]),
        endpoint=endpoint,
        data=[{"task": task, "doneIn": "admincenter", "endpoint": endpoint}],
    )


def ensure_partner_center(task: str, *, endpoint: str) -> None:
    refusal = routed_elsewhere(task, endpoint=endpoint)
    if refusal is not None:
        raise refusal
