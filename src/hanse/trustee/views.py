"""Pages of the trustee's gate (docs/trustee.md): the operator's requests, the trustee's portal,
and, in the admin center, the customer's view of who asked for its data and what was read.
Thin views over ``trustee.selectors`` and ``trustee.services``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hanse import clock
from hanse.access.guards import require_action
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.audit import keys as audit_keys
from hanse.audit.selectors import log_status
from hanse.audit.signing import decision_verifies
from hanse.errors import DomainError
from hanse.instance.current import instance
from hanse.trustee import selectors, services
from hanse.trustee.forms import AccessRequestForm, NoteForm
from hanse.trustee.models import DATA_KIND_LABELS, AccessRequest, Decision, Reason, State
from hanse.web.context import customer_admin_shell

View = Callable[..., HttpResponse]


def _gated(view: View) -> View:
    """Operators file; trustee officers and customers' admins decide: each passes with its own action."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        principal = getattr(request, "principal", None)
        action = (
            Action.OPERATOR_ACCESS_REQUEST
            if principal and principal.is_operator
            else Action.OPERATOR_ACCESS_DECIDE
        )
        return require_action(action)(view)(request, *args, **kwargs)

    return wrapped


def _base(principal: Principal) -> dict[str, Any]:
    """A customer's admin works in the admin center; operators and the trustee in the main shell."""
    if principal.is_customer_admin:
        return customer_admin_shell(principal)
    return {"base": "web/base.html"}


def _left(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    return _("%(h)d h %(m)02d min") % {"h": minutes // 60, "m": minutes % 60}


def _row(req: AccessRequest, principal: Principal) -> dict[str, Any]:
    now = clock.now()
    state = req.state_at(now)
    deadline = (
        req.expires_at if state == State.APPROVED else req.decide_by if state == State.PENDING else None
    )
    waiting = services.next_party(req, list(req.decisions.all())) if state == State.PENDING else None
    return {
        "r": req,
        "state": state,
        "state_label": state.label,
        "left": _left(deadline - now) if deadline else "",
        "kinds": ", ".join(str(DATA_KIND_LABELS[k]) for k in sorted(req.data_kinds)),
        "reason": Reason(req.reason).label,
        "waiting": Decision.Party(waiting).label if waiting else "",
        "may_decide": bool(waiting)
        and services.may_act_as(principal, waiting, req)
        and principal.user_id != req.requester_id,
        "flagged": req.break_glass and req.reviewed_at is None and state != State.PENDING,
    }


@_gated
def requests(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    rows = [_row(r, principal) for r in selectors.access_requests(principal)[:500]]
    groups = {
        "pending": [x for x in rows if x["state"] == State.PENDING],
        "active": [x for x in rows if x["state"] == State.APPROVED],
        "ended": [x for x in rows if x["state"] not in (State.PENDING, State.APPROVED)],
    }
    ctx = {**_base(principal), **groups, "policy": instance().trustee, "is_operator": principal.is_operator}
    ctx["is_trustee"] = principal.is_trustee
    if principal.is_trustee or principal.is_customer_admin:
        ctx["boundary"] = selectors.boundary_records(principal)
    if principal.is_trustee:
        ctx["log"] = log_status()
        ctx["witness_keys"] = audit_keys.witnesses()
    ctx["is_customer"] = principal.is_customer_admin
    return render(request, "trustee/requests.html", ctx)


@_gated
def request_new(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    form = AccessRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                req = services.access_request_file(
                    actor=principal,
                    new=services.NewRequest(
                        customer=d["customer"],
                        kinds=d["kinds"],
                        write=d["access"] == "readwrite",
                        reason=d["reason"],
                        justification=d["justification"],
                        hours=d["hours"],
                        case_ref=d["case_ref"],
                        break_glass=d.get("break_glass", False),
                    ),
                )
            except DomainError as e:
                form.add_error(None, e.description)
            else:
                messages.success(request, _("Your request was filed. The approvers have been told."))
                return redirect("trustee:request", request_id=req.id)
        status = 400
    return render(request, "trustee/request_new.html", {**_base(principal), "form": form}, status=status)


@_gated
def request_detail(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    req = selectors.access_request_get(principal, request_id)
    row = _row(req, principal)
    accesses = list(selectors.grant_accesses(principal, request_id)) if not principal.is_operator else []
    for a in accesses:
        a.objects = (
            (a.after or {}).get("objects") if a.action == "access.read" else [[a.target_type, a.target_id]]
        )
    approver = any(services.may_act_as(principal, p, req) for p in instance().trustee.approvers)
    decisions = list(req.decisions.all())
    for d in decisions:
        d.signed = decision_verifies(d.signature)
    ctx = {
        **_base(principal),
        **row,
        "decisions": decisions,
        "revocation_signed": decision_verifies(req.end_signature),
        "accesses": accesses,
        "note_form": NoteForm(),
        "is_operator": principal.is_operator,
        "may_revoke": row["state"] == State.APPROVED and approver,
        "may_complete": row["state"] == State.APPROVED and principal.user_id == req.requester_id,
        "may_review": req.break_glass
        and req.reviewed_at is None
        and req.approved_at is not None
        and approver,
    }
    return render(request, "trustee/request_detail.html", ctx)


@_gated
@require_POST
def request_act(request: HttpRequest, request_id: uuid.UUID, verb: str) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.access_request_act(actor=principal, request_id=request_id, verb=verb, note=note)
    except DomainError as e:
        messages.error(request, e.description)
    else:
        messages.success(request, DONE[verb]())
    return redirect("trustee:request", request_id=request_id)


DONE: dict[str, Callable[[], str]] = {
    "approve": lambda: _("Approved."),
    "deny": lambda: _("Denied."),
    "revoke": lambda: _("The grant was revoked: it opens nothing any more."),
    "complete": lambda: _("The grant was completed: it opens nothing any more."),
    "review": lambda: _("The break-glass grant was reviewed."),
}
