"""Cart and checkout for one customer, and the subscription page with its changes.

The cart lives in the session, one per customer; checkout hands it to ``order_create``, which
prices and checks every line again: the cart is a draft, the service decides.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hanse.access.guards import require_action
from hanse.access.roles import Action
from hanse.catalog.markets import market_currency
from hanse.catalog.selectors import MarketOffer, market_offer
from hanse.catalog.views import term_label
from hanse.commerce.forms import (
    CHANGE_FORMS,
    CartAddForm,
    CartLineForm,
    CartUpdateForm,
)
from hanse.commerce.models import Subscription
from hanse.commerce.selectors import subscription_get
from hanse.commerce.services import MAX_LINES, LineItem, order_create, quantity_check, subscription_update
from hanse.customers import errors as customer_errors
from hanse.customers.models import Customer
from hanse.customers.selectors import customer_get
from hanse.errors import DomainError, NotFound
from hanse.web.confirm import Ask, ask, confirmed

CART_KEY = "hanse.carts"


# The cart: {customer id: [{"offer_id", "quantity", "friendly_name"}, ...]} in the session.


def _cart(request: HttpRequest, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    carts = request.session.get(CART_KEY) or {}
    return [dict(line) for line in carts.get(str(customer_id), [])]


def _save_cart(request: HttpRequest, customer_id: uuid.UUID, lines: list[dict[str, Any]]) -> None:
    carts = dict(request.session.get(CART_KEY) or {})
    if lines:
        carts[str(customer_id)] = lines
    else:
        carts.pop(str(customer_id), None)
    request.session[CART_KEY] = carts


def cart_size(request: HttpRequest, customer_id: uuid.UUID) -> int:
    return len(_cart(request, customer_id))


@dataclass(frozen=True)
class CartLine:
    index: int
    offer_id: str
    quantity: int
    friendly_name: str
    item: MarketOffer | None
    error: str | None
    quantity_error: str | None = None  # outside the offer's range: said at the quantity's field

    @property
    def total(self) -> Decimal | None:
        return self.item.unit_price * self.quantity if self.item else None


def _priced(customer: Customer, lines: list[dict[str, Any]]) -> list[CartLine]:
    out = []
    for i, line in enumerate(lines):
        item, error, quantity_error = None, None, None
        try:
            item = market_offer(offer_id=line["offer_id"], country=customer.country)
        except DomainError as e:  # withdrawn since it was added: shown, and refused at checkout
            error = e.description
        if item is not None:
            try:
                quantity_check(item.offer, line["quantity"])
            except DomainError as e:  # the offer's range changed since: said at the field
                quantity_error = e.description
        out.append(
            CartLine(
                i, line["offer_id"], line["quantity"], line["friendly_name"], item, error, quantity_error
            )
        )
    return out


def _cart_page(
    request: HttpRequest, customer: Customer, lines: list[CartLine], status: int = 200
) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    return render(
        request,
        "commerce/cart.html",
        {
            "customer": customer,
            "lines": lines,
            "total": sum((line.total for line in lines if line.total is not None), Decimal(0)),
            "currency": market_currency(customer.country),
            "can_browse": principal.can(Action.PRICING_VIEW),
            "has_errors": any(line.error or line.quantity_error for line in lines),
        },
        status=status,
    )


def _review(request: HttpRequest, customer: Customer, lines: list[CartLine]) -> HttpResponse:
    """The order as it will be placed: lines, prices, currency, totals and terms, then one button."""
    rows = [{"line": line, "term": term_label(line.item.offer.term) if line.item else ""} for line in lines]
    context = {
        "customer": customer,
        "rows": rows,
        "total": sum((line.total for line in lines if line.total is not None), Decimal(0)),
        "currency": market_currency(customer.country),
    }
    return render(request, "commerce/review.html", context)


def _back_to_catalogue(request: HttpRequest) -> HttpResponse | None:
    """The catalogue page the add came from (same site), to say there what was wrong."""
    referer = urlparse(request.headers.get("Referer", ""))
    if referer.netloc == request.get_host() and referer.path.startswith("/catalog/"):
        return redirect(referer.path + (f"?{referer.query}" if referer.query else ""))
    return None


def _errors(request: HttpRequest, form: Any) -> None:
    for field, errs in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for e in errs:
            # A label that is a sentence of its own (a confirmation box) is not glued to the error.
            glued = label and not str(label).rstrip().endswith((".", "?", "!"))
            messages.error(request, _("%(field)s: %(error)s") % {"field": label, "error": e} if glued else e)


@require_action(Action.SUBSCRIPTION_MANAGE)
def cart(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    customer = customer_get(principal=principal, customer_id=customer_id, action=Action.SUBSCRIPTION_MANAGE)
    if request.method == "POST":
        return _cart_post(request, customer)
    return _cart_page(request, customer, _priced(customer, _cart(request, customer.id)))


def _cart_post(request: HttpRequest, customer: Customer) -> HttpResponse:
    action = request.POST.get("action")
    lines = _cart(request, customer.id)
    back = redirect("customers:cart", customer_id=customer.id)
    if action == "add":
        form = CartAddForm(request.POST)
        if not form.is_valid():
            _errors(request, form)
            return back
        d = form.cleaned_data
        try:
            item = market_offer(offer_id=d["offer_id"], country=customer.country)
        except DomainError as e:
            messages.error(request, e.description)
            return back
        name = d["friendly_name"].strip()
        same = next((x for x in lines if x["offer_id"] == item.offer.id and x["friendly_name"] == name), None)
        try:
            quantity_check(item.offer, d["quantity"] + (same["quantity"] if same is not None else 0))
        except DomainError as e:  # refused on add, not at the order: nothing goes into the cart
            messages.error(request, e.description)
            return _back_to_catalogue(request) or back
        if same is not None:
            same["quantity"] += d["quantity"]
        elif len(lines) >= MAX_LINES:
            messages.error(request, _("A cart holds at most %(max)s line items.") % {"max": MAX_LINES})
            return back
        else:
            lines.append({"offer_id": item.offer.id, "quantity": d["quantity"], "friendly_name": name})
        _save_cart(request, customer.id, lines)
        messages.success(request, _("%(offer)s was added to the cart.") % {"offer": item.offer.name})
    elif action in ("update", "remove"):
        form = (CartUpdateForm if action == "update" else CartLineForm)(request.POST)
        if not form.is_valid():
            _errors(request, form)
            return back
        index = form.cleaned_data["index"]
        if index >= len(lines):
            messages.error(request, _("That line is no longer in the cart."))
            return back
        if action == "remove":
            lines.pop(index)
        else:
            asked = {**lines[index], "quantity": form.cleaned_data["quantity"]}
            asked["friendly_name"] = form.cleaned_data["friendly_name"].strip()
            shown = _priced(customer, [*lines[:index], asked, *lines[index + 1 :]])
            if shown[index].quantity_error:
                # Refused on change: the cart as it was, with the number typed and the field marked.
                return _cart_page(request, customer, shown, status=400)
            lines[index] = asked
        _save_cart(request, customer.id, lines)
    elif action == "checkout" and lines and not confirmed(request):
        priced = _priced(customer, lines)
        if any(line.error or line.quantity_error for line in priced):
            return _cart_page(request, customer, priced, status=400)
        return _review(request, customer, priced)
    elif action == "checkout":
        try:
            order = order_create(
                actor=request.principal,  # type: ignore[attr-defined]
                customer_id=customer.id,
                lines=[LineItem(x["offer_id"], x["quantity"], x["friendly_name"]) for x in lines],
            )
        except NotFound as e:
            if e.spec is customer_errors.CUSTOMER_NOT_FOUND:  # the customer itself is gone: 404
                raise
            messages.error(request, e.description)
            return back
        except DomainError as e:
            messages.error(request, e.description)
            return back
        _save_cart(request, customer.id, [])
        n = order.subscriptions.count()
        messages.success(
            request,
            ngettext(
                "The order was placed: %(n)s subscription was created.",
                "The order was placed: %(n)s subscriptions were created.",
                n,
            )
            % {"n": n},
        )
        return redirect("customers:detail", customer_id=customer.id)
    else:
        messages.error(request, _("That is not something a cart can do."))
    return back


@require_action(Action.CUSTOMER_VIEW)
def subscription_detail(
    request: HttpRequest, customer_id: uuid.UUID, subscription_id: uuid.UUID
) -> HttpResponse:
    if request.method == "POST":
        return _subscription_change(request, customer_id, subscription_id)
    principal = request.principal  # type: ignore[attr-defined]
    sub = subscription_get(principal=principal, customer_id=customer_id, subscription_id=subscription_id)
    return render(
        request,
        "commerce/subscription.html",
        {
            "customer": sub.customer,
            "s": sub,
            "term": term_label(sub.term),
            "period_total": sub.unit_price * sub.quantity,
            "can_manage": principal.can(Action.SUBSCRIPTION_MANAGE)
            and sub.status != Subscription.Status.DELETED,
            "active": sub.status == Subscription.Status.ACTIVE,
        },
    )


@require_action(Action.SUBSCRIPTION_MANAGE)
def _subscription_change(
    request: HttpRequest, customer_id: uuid.UUID, subscription_id: uuid.UUID
) -> HttpResponse:
    back = redirect("customers:subscription", customer_id=customer_id, subscription_id=subscription_id)
    form_class = CHANGE_FORMS.get(request.POST.get("action", ""))
    if form_class is None:
        messages.error(request, _("Choose a change to make."))
        return back
    form = form_class(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return back
    if (
        request.POST.get("action") == "status"
        and request.POST.get("status") == "suspended"
        and not confirmed(request)
    ):
        sub = subscription_get(
            principal=request.principal,  # type: ignore[attr-defined]
            customer_id=customer_id,
            subscription_id=subscription_id,
        )
        names = {"name": sub.friendly_name, "customer": sub.customer.company_name, "n": sub.quantity}
        return ask(
            request,
            Ask(
                title=_("Suspend %(name)s for %(customer)s?") % names,
                consequence=_(
                    "Its %(n)s seats no longer count for %(customer)s: no licence of it can be assigned "
                    "and its quantity cannot change until you reactivate it."
                )
                % names,
                confirm=_("Suspend the subscription"),
                cancel_url=back.url,
            ),
        )
    try:
        subscription_update(
            actor=request.principal,  # type: ignore[attr-defined]
            customer_id=customer_id,
            subscription_id=subscription_id,
            change=form.change(),
            if_match=str(form.cleaned_data["version"]),
        )
    except NotFound:
        raise  # out of scope or gone: the guard answers 404
    except DomainError as e:
        messages.error(request, e.description)
    else:
        messages.success(request, str(form.success))
    return back
