"""The migration's pages (docs/migration.md): for the partner's Global admin, the dashboard with
the plan, the run and each customer's state, updated while one watches (htmx polling), and each
customer's details; for a customer's Global admin, its consent. Thin views over the services and
selectors, which keep every rule."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hanse import clock
from hanse.access.guards import require_action
from hanse.access.roles import Action
from hanse.customers.selectors import customer_get
from hanse.errors import DomainError
from hanse.instance.current import instance
from hanse.links.selectors import tenant_link_get
from hanse.migration import selectors, services
from hanse.migration.models import State
from hanse.web.context import customer_admin_shell

MANAGE = Action.MIGRATION_MANAGE
CHART_W, CHART_H = 480, 120


def _chart(progress: selectors.Progress) -> dict[str, Any]:
    """The customers cut over by each moment, as an SVG polyline's points."""
    if not progress.series:
        return {"points": "", "w": CHART_W, "h": CHART_H}
    first = progress.series[0][0]
    span = max((clock.now() - first).total_seconds(), 1.0)
    top = max(progress.total, 1)
    points = [f"0,{CHART_H}"]
    for at, n in progress.series:
        x = (at - first).total_seconds() / span * CHART_W
        points.append(f"{x:.1f},{CHART_H - n / top * CHART_H:.1f}")
    points.append(f"{CHART_W},{CHART_H - progress.series[-1][1] / top * CHART_H:.1f}")
    return {"points": " ".join(points), "w": CHART_W, "h": CHART_H}


def _board(request: HttpRequest) -> dict[str, Any]:
    principal = request.principal  # type: ignore[attr-defined]
    link = tenant_link_get(principal)
    moves = list(selectors.migrations(principal))
    progress = selectors.progress(principal, link.partner_id)
    return {
        "link": link,
        "moves": [(m, selectors.error_description(m)) for m in moves],
        "progress": progress,
        "chart": _chart(progress),
        "under_way": any(m.state not in (State.CUT_OVER, State.FAILED, State.ROLLED_BACK) for m in moves),
    }


@require_action(MANAGE)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The link flow's *View dashboard*: the plan, the run, and every customer's move."""
    principal = request.principal  # type: ignore[attr-defined]
    ctx = _board(request)
    plan = selectors.migration_plan(principal=principal, check_target=request.GET.get("check") == "1")
    ctx.update(plan=plan, consent_policy=instance().migration.consent)
    if request.headers.get("HX-Request"):
        return render(request, "migration/_board.html", ctx)
    return render(request, "migration/dashboard.html", ctx)


@require_action(MANAGE)
def board(request: HttpRequest) -> HttpResponse:
    """The part of the dashboard that htmx fetches every few seconds while moves are under way."""
    return render(request, "migration/_board.html", _board(request))


@require_action(MANAGE)
@require_POST
def run(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.getlist("customer")
    try:
        ids = [uuid.UUID(c) for c in chosen] if chosen else None
        moves = services.migration_run(actor=request.principal, customer_ids=ids)  # type: ignore[attr-defined]
    except ValueError:
        messages.error(request, _("Choose customers from the list."))
    except DomainError as e:
        messages.error(request, e.description)
    else:
        messages.success(request, _("%(n)s customer(s) started moving.") % {"n": len(moves)})
    return redirect("migration:dashboard")


@require_action(MANAGE)
def details(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    """*View details*: one customer's plan, blockers, timeline and checksums."""
    principal = request.principal  # type: ignore[attr-defined]
    plan = selectors.migration_plan(
        principal=principal, customer_id=customer_id, check_target=request.GET.get("check") == "1"
    )
    cp = plan.customers[0]
    move = cp.migration
    ctx = {
        "plan": plan,
        "cp": cp,
        "move": move,
        "error": selectors.error_description(move) if move else None,
        "timeline": selectors.timeline(principal, move) if move else [],
        "consent_policy": instance().migration.consent,
        "can_rollback": move is not None and move.state in services.ROLLBACK_FROM,
    }
    return render(request, "migration/details.html", ctx)


def _act(request: HttpRequest, customer_id: uuid.UUID, do: Any, done: str) -> HttpResponse:
    try:
        do()
    except DomainError as e:
        messages.error(request, e.description)
    else:
        messages.success(request, done)
    return redirect(request.POST.get("back") or "migration:dashboard")


@require_action(MANAGE)
@require_POST
def retry(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    actor = request.principal  # type: ignore[attr-defined]
    return _act(
        request,
        customer_id,
        lambda: services.migration_retry(actor=actor, customer_id=customer_id),
        _("The move starts again."),
    )


@require_action(MANAGE)
@require_POST
def rollback(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    actor = request.principal  # type: ignore[attr-defined]
    return _act(
        request,
        customer_id,
        lambda: services.migration_rollback(actor=actor, customer_id=customer_id),
        _("The move is being rolled back."),
    )


@require_action(MANAGE)
@require_POST
def attest(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    actor = request.principal  # type: ignore[attr-defined]
    reference = request.POST.get("reference", "")
    return _act(
        request,
        customer_id,
        lambda: services.consent_attest(actor=actor, customer_id=customer_id, reference=reference),
        _("The customer's written consent is recorded."),
    )


@require_action(MANAGE)
@require_POST
def withdraw_attested(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    actor = request.principal  # type: ignore[attr-defined]
    return _act(
        request,
        customer_id,
        lambda: services.consent_withdraw(actor=actor, customer_id=customer_id),
        _("The consent is withdrawn."),
    )


@require_action(Action.OWN_TENANT_ADMIN)
def history(request: HttpRequest) -> HttpResponse:
    """At the target: the customer's audit history from the instance it moved from, as it was
    written there (each record with its hash)."""
    principal = request.principal  # type: ignore[attr-defined]
    records = selectors.imported_history(principal)
    ctx = {
        **customer_admin_shell(principal),
        "records": records,
        "brought": selectors.brought_history(principal),
    }
    return render(request, "migration/history.html", ctx)


@require_action(Action.OWN_TENANT_ADMIN)
def history_download(request: HttpRequest) -> HttpResponse:
    """The history before the move as an export that ``hanse audit verify --export`` checks."""
    principal = request.principal  # type: ignore[attr-defined]
    brought = selectors.brought_history(principal)
    if brought is None:
        raise Http404
    response = HttpResponse(brought.export.zip(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="history-{principal.tenant_id}.zip"'
    return response


@require_action(Action.OWN_TENANT_ADMIN)
def consent(request: HttpRequest) -> HttpResponse:
    """The customer's Global admin decides whether its data may leave the data boundary."""
    principal = request.principal  # type: ignore[attr-defined]
    customer = customer_get(
        principal=principal, customer_id=principal.tenant_id, action=Action.OWN_TENANT_ADMIN
    )
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "give":
                services.consent_give(actor=principal)
                messages.success(request, _("Thank you: your consent is recorded."))
            else:
                services.consent_withdraw(actor=principal)
                messages.success(request, _("Your consent is withdrawn."))
        except DomainError as e:
            messages.error(request, e.description)
        return redirect("migration:consent")
    ctx = {
        **customer_admin_shell(principal),
        "customer": customer,
        "state": selectors.consent_state(principal, customer),
        "peers": instance().peers,
    }
    return render(request, "migration/consent.html", ctx)
