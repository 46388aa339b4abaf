"""Customer pages: list with search and paging, new customer, detail, billing profile."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from hanse.access.guards import require_action
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.commerce.selectors import orders_for_customer, subscriptions_for_customer
from hanse.commerce.views import cart_size
from hanse.customers import errors, services
from hanse.customers.forms import BillingEditForm, CustomerForm, SearchForm
from hanse.customers.selectors import customer_get, customer_page
from hanse.customers.services import customer_create, customer_update_billing
from hanse.directory import errors as directory_errors
from hanse.errors import DomainError
from hanse.instance.current import instance
from hanse.partners.selectors import partner_get
from hanse.partners.services import not_active
from hanse.web.search import search

PAGE_SIZE = 25


def _closed(principal: Principal) -> str | None:
    """Why the caller cannot create customers now (the services' refusal, word for word): this
    instance takes no new customers, or the caller's CSP account is not active; or None."""
    closed = services.new_customers_closed()
    if closed is None and principal.partner_id is not None:
        closed = not_active(partner_get(principal=principal))
    return closed.description if closed is not None else None


DOMAIN_REFUSALS = (directory_errors.DOMAIN_INVALID, directory_errors.TENANT_DOMAIN_TAKEN, errors.DOMAIN_TAKEN)


def about_domain(e: DomainError) -> bool:
    """A refusal of the domain, shown at its field rather than above the form."""
    return e.spec in DOMAIN_REFUSALS or e.params.get("field") == "domain"


def language_label(language: str, culture: str) -> str:
    """ "German (Austria)" in the reader's language, for the codes "de" and "de-AT"."""
    try:
        name = str(get_language_info(language)["name_translated"])
    except KeyError:
        name = language
    country = culture.partition("-")[2].upper()
    return (
        _("%(language)s (%(country)s)") % {"language": name, "country": market_name(country)}
        if country
        else name
    )


def market_name(country: str) -> str:
    market = instance().markets.get(country)
    return str(market[0]) if market else country


@require_action(Action.CUSTOMER_VIEW)
def customer_list(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    asked = search(request, SearchForm)
    page = customer_page(
        principal=principal, size=PAGE_SIZE, token=request.GET.get("after") or None, match=asked.match
    )
    closed = _closed(principal)
    return render(
        request,
        "customers/list.html",
        {
            "search": asked.form,
            "q": asked.q,
            "page": page,
            "next_query": asked.next_query(page),
            "can_create": principal.can(Action.CUSTOMER_CREATE) and closed is None,
            "closed": closed,
        },
    )


@require_action(Action.CUSTOMER_CREATE)
def customer_new(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = customer_create(
                    actor=request.principal,  # type: ignore[attr-defined]
                    company_name=form.cleaned_data["company_name"],
                    domain=form.cleaned_data["domain"],
                    billing=form.billing(),
                )
            except DomainError as e:
                form.add_error("domain" if about_domain(e) else None, e.description)
                status = e.status
            else:
                # The tenant's first Global admin and its password, shown this once: not a redirect,
                # which would have to carry the password, and never cached.
                context = {
                    "customer": created.customer,
                    "admin_upn": created.admin_upn,
                    "admin_password": created.admin_password,
                }
                response = render(request, "customers/created.html", context, status=201)
                response["Cache-Control"] = "no-store"
                return response
    # Closed to new customers: explain the refusal instead of offering a form the service refuses.
    closed = _closed(request.principal)  # type: ignore[attr-defined]
    return render(request, "customers/new.html", {"form": form, "closed": closed}, status=status)


@require_action(Action.CUSTOMER_VIEW)
def customer_detail(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    customer = customer_get(principal=principal, customer_id=customer_id)
    can_buy = principal.can(Action.SUBSCRIPTION_MANAGE)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "market": market_name(customer.country),
            "language": language_label(customer.language, customer.culture),
            "subscriptions": subscriptions_for_customer(principal=principal, customer_id=customer.id),
            "orders": orders_for_customer(principal=principal, customer_id=customer.id),
            "can_edit": principal.can(Action.CUSTOMER_EDIT),
            "can_buy": can_buy and principal.can(Action.PRICING_VIEW),
            "can_manage": can_buy,
            "cart_size": cart_size(request, customer.id) if can_buy else 0,
            "buy_query": urlencode({"country": customer.country, "customer": customer.id}),
            "users_section": _users_section(principal, customer.id),
        },
    )


def _users_section(principal: object, customer_id: uuid.UUID) -> dict[str, object] | None:
    """Users and licences: served here, or a pointer to the admin center where this instance does them."""
    from hanse.admincenter.shells import PARTNER_CENTER, SHELLS
    from hanse.admincenter.views import combined_pointer

    if not principal.can(Action.CUSTOMER_USER_MANAGE):  # type: ignore[attr-defined]
        return None
    tasks = ("customer_users", "password_reset", "licences")
    return {"pointer": combined_pointer(SHELLS[PARTNER_CENTER], tasks, "users", customer_id=customer_id)}


@require_action(Action.CUSTOMER_EDIT)
def customer_billing(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    customer = customer_get(principal=principal, customer_id=customer_id, action=Action.CUSTOMER_EDIT)
    status = 200
    if request.method == "POST":
        form = BillingEditForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                customer_update_billing(
                    actor=principal,
                    customer_id=customer.id,
                    billing=form.billing(culture=form.culture_for(customer)),
                    if_match=str(form.cleaned_data["version"]),
                )
            except DomainError as e:
                form.add_error(None, e.description)
                status = e.status
            else:
                messages.success(request, _("The billing profile was saved."))
                return redirect("customers:detail", customer_id=customer.id)
    else:
        form = BillingEditForm(initial=BillingEditForm.initial_for(customer))
    return render(
        request,
        "customers/billing.html",
        {"form": form, "customer": customer, "conflict": status == 412},
        status=status,
    )
