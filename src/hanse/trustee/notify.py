"""Mail about access to a customer's data: its Global admins hear of every request and decision,
the trustee's officers of every request, and the requester of each decision (docs/trustee.md).

Sent after the commit, so that nobody is told of a request that was rolled back.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from hanse.access.principal import system_principal
from hanse.access.roles import Action, Role
from hanse.access.scope import scoped
from hanse.directory.models import User
from hanse.instance.current import instance
from hanse.trustee.models import DATA_KIND_LABELS, AccessRequest, Reason

MAILER = system_principal("trustee-mail")


def _recipients(req: AccessRequest, event: str) -> set[str]:
    users = scoped(User.objects.all(), MAILER, Action.CUSTOMER_VIEW).filter(
        is_active=True, deleted_at__isnull=True
    )
    to = set(
        users.filter(
            tenant=req.customer.tenant_id, role_assignments__role=Role.CUSTOMER_GLOBAL_ADMIN
        ).values_list("upn", flat=True)
    )
    if event in ("requested", "break_glass"):
        to |= set(users.filter(role_assignments__role=Role.TRUSTEE_OFFICER).values_list("upn", flat=True))
    if event not in ("requested", "complete"):
        to.add(req.requester.upn)
    return to


def _message(req: AccessRequest, event: str) -> tuple[str, str]:
    subjects = {
        "requested": _("Access to your data requested"),
        "approve": _("Access to your data approved"),
        "deny": _("Access to your data denied"),
        "revoke": _("Access to your data revoked"),
        "complete": _("Access to your data ended"),
        "break_glass": _("Break-glass access to your data opened"),
    }
    kinds = ", ".join(str(DATA_KIND_LABELS[k]) for k in sorted(req.data_kinds))
    body = _(
        "%(subject)s on %(instance)s.\n\nCustomer: %(customer)s\nOperator: %(operator)s\n"
        "Data: %(kinds)s (%(mode)s)\nReason: %(reason)s\n%(justification)s\n\nRequest: %(id)s\n"
    ) % {
        "subject": subjects[event],
        "instance": instance().name,
        "customer": req.customer.company_name,
        "operator": req.requester.upn,
        "kinds": kinds,
        "mode": _("read and change") if req.write else _("read only"),
        "reason": Reason(req.reason).label,
        "justification": req.justification,
        "id": req.id,
    }
    return f"[{instance().id}] {subjects[event]}", body


def announce(req: AccessRequest, event: str) -> None:
    to = sorted(_recipients(req, event))
    if not to:
        return
    language = req.customer.language or "en"

    def send() -> None:
        with translation.override(language):
            subject, body = _message(req, event)
        send_mass_mail(
            [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in to], fail_silently=True
        )

    transaction.on_commit(send)
