"""Where each of the source document's four tasks is done in this instance (docs/operators.md: task_routing).

In the sovereign instance partner users, customer users, password resets and licences are managed
in the instance's admin center; the partner center still reads them but refuses the writes.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hanse.errors import NotPermitted
from hanse.instance.current import instance

TASK_LABELS = {
    "partner_users": _("partner user management"),
    "customer_users": _("customer user management"),
    "password_reset": _("password reset"),
    "licences": _("licence management"),
}
ADMIN_CENTER_API = "/admin-center/api/v1.0"


def done_in(task: str) -> str:
    return instance().task_place(task)


def ensure_partner_center(task: str, *, endpoint: str) -> None:
    """Refuse a partner-center write of a task that this instance routes to the admin center."""
    if done_in(task) == "admincenter":
        from hanse.directory import errors

        raise NotPermitted(
            errors.TASK_ROUTED,
            task=str(TASK_LABELS[task]),
            endpoint=endpoint,
            data=[{"task": task, "doneIn": "admincenter", "endpoint": endpoint}],
        )
