"""The pages of the link (docs/links.md): the choice on the CSP overview, the sign-in at the peer
and its callback, the failure pages, the confirmation, the success page, the details. Thin views
over ``links.services``, ``links.selectors`` and ``links.peer_oidc``."""

from __future__ import annotations

import hmac
import json
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hanse.access.guards import require_action
from hanse.access.roles import Action
from hanse.errors import DomainError
from hanse.instance.current import instance
from hanse.links import errors, peer_oidc, selectors, services
from hanse.links.sealing import seal, unseal

PENDING = "hanse_link_pending"  # the sign-in started here: state, nonce, PKCE verifier, peer
SIGNED_IN = "hanse_link_signed_in"  # the checked claims and sealed tokens, until confirmed
LINK = Action.TENANT_LINK_MANAGE

# Which page each refusal of the callback shows, and what to correct there.
FAILURES = {
    errors.NOT_GLOBAL_ADMIN.code: "global_admin",
    errors.NOT_EUROPEAN.code: "european",
    errors.NOT_ACTIVE.code: "active",
    errors.NOT_A_PARTNER_TENANT.code: "partner",
}


def _callback_url(request: HttpRequest) -> str:
    base = instance().public_url or request.build_absolute_uri("/").rstrip("/")
    return base + reverse("links:callback")


def _failed(request: HttpRequest, e: DomainError, status: int = 400) -> HttpResponse:
    ctx = {"message": e.description, "code": e.code, "which": FAILURES.get(e.code, "")}
    return render(request, "links/failed.html", ctx, status=status)


@require_action(LINK)
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """ "I already have a tenant in the European region" → Next: sign in there."""
    try:
        services.ensure_offered()
        p = peer_oidc.peer(request.POST.get("peer") or instance().peers[0].id)
        meta = peer_oidc.discovery(p)
    except DomainError as e:
        return _failed(request, e, status=e.status)
    auth = peer_oidc.authorization_request(p, meta, _callback_url(request), prompt="login")
    request.session[PENDING] = {
        "state": auth.state,
        "nonce": auth.nonce,
        "verifier": auth.verifier,
        "peer": p.id,
    }
    request.session.pop(SIGNED_IN, None)
    return redirect(auth.url)


@require_action(LINK)
def callback(request: HttpRequest) -> HttpResponse:
    # One use: a replayed or second callback finds nothing pending.
    pending = request.session.pop(PENDING, None)
    state = request.GET.get("state", "")
    if not pending or not state or not hmac.compare_digest(state, pending["state"]):
        return _failed(request, DomainError(errors.STATE_INVALID))
    if request.GET.get("error"):
        error = request.GET.get("error_description") or request.GET["error"]
        return _failed(request, DomainError(errors.PROVIDER_ERROR, peer=pending["peer"], error=error[:120]))
    try:
        p = peer_oidc.peer(pending["peer"])
        claims, tokens = peer_oidc.sign_in_result(
            p,
            code=request.GET.get("code", ""),
            redirect_uri=_callback_url(request),
            verifier=pending["verifier"],
            nonce=pending["nonce"],
        )
        target = services.check_target(p.id, claims)
    except DomainError as e:
        return _failed(request, e)
    request.session[SIGNED_IN] = {
        "peer": p.id,
        "claims": claims,
        "tokens": seal(json.dumps(tokens)),
        "target": target.__dict__,
    }
    return redirect("links:confirm")


@require_action(LINK)
def confirm(request: HttpRequest) -> HttpResponse:
    signed_in = request.session.get(SIGNED_IN)
    if not signed_in:
        return redirect("partners:overview")
    principal = request.principal  # type: ignore[attr-defined]
    if request.method == "POST":
        try:
            services.tenant_link_create(
                actor=principal,
                peer=signed_in["peer"],
                claims=signed_in["claims"],
                tokens=json.loads(unseal(signed_in["tokens"])),
            )
        except DomainError as e:
            return _failed(request, e, status=e.status)
        request.session.pop(SIGNED_IN, None)
        return redirect("links:done")
    ctx = {
        "target": signed_in["target"],
        "peer": next(p for p in instance().peers if p.id == signed_in["peer"]),
        "account": selectors.own_account(principal),
        "customers": list(selectors.associated_customers(principal)),
    }
    return render(request, "links/confirm.html", ctx)


@require_action(LINK)
def done(request: HttpRequest) -> HttpResponse:
    link = selectors.tenant_link_get(request.principal)  # type: ignore[attr-defined]
    return render(request, "links/done.html", {"link": link})


@require_action(LINK)
def details(request: HttpRequest) -> HttpResponse:
    """The link with its customers (*View details*); *View dashboard* is the migration's."""
    principal = request.principal  # type: ignore[attr-defined]
    link = selectors.tenant_link_get(principal)
    ctx = {"link": link, "customers": list(selectors.associated_customers(principal))}
    return render(request, "links/details.html", ctx)


@require_action(LINK)
@require_POST
def unlink(request: HttpRequest) -> HttpResponse:
    try:
        services.tenant_link_remove(actor=request.principal)  # type: ignore[attr-defined]
    except DomainError as e:
        messages.error(request, e.description)
        return redirect("links:details")
    messages.success(request, _("The link was removed. You can link this account again."))
    return redirect("partners:overview")


@require_action(LINK)
def create_account(request: HttpRequest) -> HttpResponse:
    """ "I don't have a tenant in the European region" → Create a new account, at the peer, with the
    way back to this instance's tenant selection."""
    try:
        services.ensure_offered()
        p = peer_oidc.peer(request.GET.get("peer") or instance().peers[0].id)
    except DomainError as e:
        return _failed(request, e, status=e.status)
    back = (instance().public_url or request.build_absolute_uri("/").rstrip("/")) + reverse(
        "partners:overview"
    )
    return redirect(f"{p.url}/enrol?{urlencode({'return': back})}")
