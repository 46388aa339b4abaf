from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hanse.access.guards import require_action
from hanse.access.roles import Action
from hanse.api import ratelimit
from hanse.clientaddr import client_address
from hanse.commerce.selectors import seats_by_offer
from hanse.customers.services import new_customers_closed
from hanse.directory.oauth_clients import registered_return
from hanse.errors import DomainError
from hanse.instance.current import instance
from hanse.links.selectors import tenant_link_state
from hanse.links.services import link_offered
from hanse.partners import agreement, errors, services
from hanse.partners.forms import EnrolForm, PartnerStateForm, SignatureForm
from hanse.partners.models import PartnerAccount
from hanse.partners.selectors import (
    current_signature,
    latest_signatures_for_operator,
    partner_get_for_operator,
    partner_overview,
    partners_for_operator,
)
from hanse.web.confirm import Ask, ask, confirmed

BACKEND = "hanse.directory.auth.UpnBackend"


@dataclass(frozen=True)
class Bar:
    label: str
    seats: int
    percent: float  # of the longest bar, which is the widest


def _bars(rows: list[tuple[str, int]]) -> list[Bar]:
    top = max((seats for _name, seats in rows), default=0)
    # A bar of one seat among thousands still shows (1%), so that no offer looks like none.
    return [Bar(name, seats, max(1.0, round(100 * seats / top, 1)) if top else 0.0) for name, seats in rows]


@require_action(Action.PARTNER_VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    data = partner_overview(principal=principal)
    region = instance().region(data.account.region)
    signature = current_signature(principal=principal)
    context = {
        "o": data,
        "region": region,
        "signed": signature is not None,
        "can_sign": principal.can(Action.AGREEMENT_MANAGE),
        "can_create_customer": principal.can(Action.CUSTOMER_CREATE) and new_customers_closed() is None,
        "can_see_catalogue": principal.can(Action.PRICING_VIEW),
        "agreement_version": agreement.VERSION,
        "link_offered": link_offered(),
        "link_state": tenant_link_state(principal),
        "can_link": principal.can(Action.TENANT_LINK_MANAGE),
        "link_return": link_return(request),
    }
    context["show_chart"] = principal.can(Action.CUSTOMER_VIEW)
    if context["show_chart"]:
        bars = _bars(seats_by_offer(principal=principal))
        context.update(
            {
                "bars": bars,
                "total_seats": sum(b.seats for b in bars),
            }
        )
    return render(request, "partners/overview.html", context)


ENROLMENTS_PER_HOUR = 5
# The instance that sent this partner to enrol here, to link its account there (docs/links.md).
LINK_RETURN = "hanse_link_return"


def enrol(request: HttpRequest) -> HttpResponse:
    """A new partner enrols itself (public: no sign-in). Sent here from another instance to create
    the account its partner links to, the browser keeps the way back, for a registered client's
    address only, in a signed cookie that outlives the session (sign-out, activation, sign-in)."""
    response = _enrol(request)
    back = registered_return(request.GET.get("return", ""))
    if back:
        response.set_signed_cookie(
            LINK_RETURN,
            back,
            salt=LINK_RETURN,
            max_age=30 * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def link_return(request: HttpRequest) -> str | None:
    back = request.get_signed_cookie(LINK_RETURN, default=None, salt=LINK_RETURN)
    return registered_return(back) if back else None


def _enrol(request: HttpRequest) -> HttpResponse:
    inst = instance()
    if services.enrolment_closed() is not None:
        peers = [{"name": p.name or p.id, "url": f"{p.url}/enrol", "base": p.url} for p in inst.peers]
        return render(request, "partners/enrol_closed.html", {"peers": peers}, status=403)
    if request.user.is_authenticated:
        return redirect("web:home")
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        # A public form that creates tenants: a few enrolments per address and hour, no more.
        verdict = ratelimit.hit(
            f"enrol:{client_address(request)}", limit=ENROLMENTS_PER_HOUR, window_seconds=3600
        )
        if not verdict.allowed:
            form.add_error(
                None,
                DomainError(errors.ENROLMENT_THROTTLED, minutes=verdict.retry_after // 60 + 1).description,
            )
            return render(request, "partners/enrol.html", {"form": form}, status=429)
        try:
            enrolment = services.partner_enrol(
                company_name=d["company_name"],
                domain=d["domain"],
                region=d["region"],
                country=d["country"],
                admin_name=d["admin_name"],
                admin_local_part=d["admin_local_part"],
                password=d["password"],
            )
        except DomainError as e:
            form.add_error(None, e.description)
        else:
            login(request, enrolment.admin, backend=BACKEND)
            messages.success(
                request,
                _("%(company)s is enrolled. Sign the partner agreement to have the account activated.")
                % {"company": enrolment.account.company_name},
            )
            return redirect("partners:overview")
    return render(request, "partners/enrol.html", {"form": form})


@require_action(Action.PARTNER_VIEW)
def agreement_page(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    can_sign = principal.can(Action.AGREEMENT_MANAGE)
    if request.method == "POST" and not can_sign:
        return render(
            request, "web/error.html", {"status": 403, "action": Action.AGREEMENT_MANAGE}, status=403
        )
    signature = current_signature(principal=principal)
    form = None
    if can_sign and signature is None:
        user = request.user
        form = SignatureForm(
            request.POST or None,
            initial={"name": getattr(user, "display_name", ""), "email": getattr(user, "upn", "")},
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.agreement_sign(
                    actor=principal, name=form.cleaned_data["name"], email=form.cleaned_data["email"]
                )
            except DomainError as e:
                form.add_error(None, e.description)
            else:
                messages.success(
                    request,
                    _("You signed version %(version)s of the partner agreement.")
                    % {"version": agreement.VERSION},
                )
                return redirect("partners:agreement")
    elif request.method == "POST":
        messages.error(
            request,
            _("Version %(version)s of the partner agreement is already signed.")
            % {"version": agreement.VERSION},
        )
        return redirect("partners:agreement")
    return render(
        request,
        "partners/agreement.html",
        {
            "version": agreement.VERSION,
            "text": agreement.text(),
            "signature": signature,
            "can_sign": can_sign,
            "form": form,
        },
    )


@require_action(Action.INSTANCE_OPERATE)
def operator_partners(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    accounts = partners_for_operator(principal=principal)
    signatures = latest_signatures_for_operator(principal=principal)
    rows = [{"account": a, "signature": signatures.get(a.id)} for a in accounts]
    return render(request, "partners/operator_partners.html", {"rows": rows, "version": agreement.VERSION})


def _suspension(request: HttpRequest, partner_id: object) -> Ask | None:
    """What the operator confirms before suspending an active account (None: nothing to confirm;
    the service refuses what cannot be done)."""
    account = partner_get_for_operator(principal=request.principal, partner_id=partner_id)  # type: ignore[attr-defined]
    if account.state != PartnerAccount.State.ACTIVE:
        return None
    return Ask(
        title=_("Suspend %(company)s?") % {"company": account.company_name},
        consequence=_(
            "Its users can no longer create customers or place orders until you reactivate the account. "
            "They see the reason you give here."
        ),
        confirm=_("Suspend the account"),
        cancel_url=reverse("operator:partners"),
        reason_label=_("Reason (shown to the partner)"),
    )


@require_action(Action.INSTANCE_OPERATE)
@require_POST
def operator_partner_state(request: HttpRequest, partner_id: object) -> HttpResponse:
    form = PartnerStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose active or suspended."))
        return redirect("operator:partners")
    suspending = form.cleaned_data["state"] == PartnerAccount.State.SUSPENDED
    if suspending and not confirmed(request):
        question = _suspension(request, partner_id)
        if question is not None:
            return ask(request, question)
    try:
        account = services.partner_set_state(
            actor=request.principal,  # type: ignore[attr-defined]
            account_id=partner_id,
            state=form.cleaned_data["state"],
            reason=request.POST.get("reason", ""),
        )
    except DomainError as e:
        question = _suspension(request, partner_id) if e.spec == errors.SUSPENSION_REASON_REQUIRED else None
        if question is not None:
            return ask(request, question, error=e.description)
        messages.error(request, e.description)
    else:
        messages.success(
            request,
            _("%(company)s: the CSP account is now %(state)s.")
            % {"company": account.company_name, "state": account.get_state_display().lower()},
        )
    return redirect("operator:partners")
