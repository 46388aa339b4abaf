"""The catalogue page: the offers of one market at that market's prices, and, when buying for a
customer, a way to put them in the customer's cart."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from hanse.access.guards import require_action
from hanse.access.roles import Action
from hanse.catalog.selectors import offers_for_market
from hanse.customers import errors as customer_errors
from hanse.customers.forms import market_choices
from hanse.customers.models import Customer
from hanse.customers.selectors import customer_get
from hanse.errors import DomainError, NotFound
from hanse.instance.current import instance

TERMS = {
    "P1M": _("1 month"),
    "P1Y": _("1 year"),
    "P3Y": _("3 years"),
}


def term_label(term: str) -> str:
    return str(TERMS.get(term, term))


def _customer(request: HttpRequest) -> Customer | None:
    """The customer bought for (``?customer=``), for those who may see customers."""
    principal = request.principal  # type: ignore[attr-defined]
    raw = (request.GET.get("customer") or "").strip()
    if not raw or not principal.can(Action.CUSTOMER_VIEW):
        return None
    try:
        customer_id = uuid.UUID(raw)
    except ValueError:
        raise NotFound(customer_errors.CUSTOMER_NOT_FOUND) from None
    return customer_get(principal=principal, customer_id=customer_id)


def _default_market(customer: Customer | None, choices: list[tuple[str, str]]) -> str:
    if customer is not None and customer.country:
        return customer.country
    if "DE" in instance().markets:
        return "DE"
    return choices[0][0] if choices else ""


@require_action(Action.PRICING_VIEW)
def offer_list(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    customer = _customer(request)
    choices = market_choices()
    country = (request.GET.get("country") or "").strip().upper()[:10] or _default_market(customer, choices)
    offers, error, status = [], None, 200
    try:
        offers = offers_for_market(principal=principal, country=country)
    except DomainError as e:  # not one of the instance's markets: say which are
        error, status = e.description, e.status
    # Orders are priced in the customer's own market: other markets' prices are for reading only.
    in_market = customer is not None and country == customer.country
    return render(
        request,
        "catalog/list.html",
        {
            "markets": choices,
            "country": country,
            "market_names": dict(choices),
            "customer": customer,
            "rows": [{"o": o, "term": term_label(o.offer.term)} for o in offers],
            "error": error,
            "can_order": in_market and principal.can(Action.SUBSCRIPTION_MANAGE),
            "other_market": customer is not None and not in_market,
        },
        status=status,
    )
