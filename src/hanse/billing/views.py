"""The Billing admin's pages: invoices with a year's chart, one invoice with its lines, the PDF
and the reconciliation file, unbilled charges, the billing profile; and the price lists, which
every role that sees prices may download."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from hanse.access.guards import require_action
from hanse.access.roles import Action
from hanse.api.paging import page_of
from hanse.billing import documents, selectors, services
from hanse.billing.api import LineItemOut
from hanse.billing.charges import Draft
from hanse.billing.forms import BillingProfileForm
from hanse.billing.models import Invoice, InvoiceLine
from hanse.billing.rating import Period
from hanse.catalog.views import term_label
from hanse.errors import DomainError
from hanse.web.downloads import csv_response

COLUMNS = [name for name in LineItemOut.model_fields if name != "attributes"]
PAGE = 100
CHUNK = 1000


@dataclass(frozen=True)
class Bar:
    period: Period
    total: Decimal
    percent: float  # of the tallest bar


@dataclass(frozen=True)
class Chart:
    currency: str
    bars: list[Bar]


def _percent(total: Decimal, top: Decimal) -> float:
    return max(1.0, float(round(100 * total / top, 1))) if top > 0 and total > 0 else 0.0


def _charts(totals: list[selectors.MonthTotal]) -> list[Chart]:
    charts = []
    for currency in dict.fromkeys(t.currency for t in totals):
        months = [t for t in totals if t.currency == currency]
        top = max((t.total for t in months), default=Decimal(0))
        # A month of a small total among large ones still shows (1%); a month without one shows none.
        bars = [Bar(t.period, t.total, _percent(t.total, top)) for t in months]
        charts.append(Chart(currency, bars))
    return charts


@require_action(Action.BILLING_MANAGE)
def invoice_list(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    # Newest first, a page of them: a partner has an invoice a month and currency.
    rows = list(selectors.invoices(principal).order_by("-invoice_date", "-number")[:PAGE])
    context = {
        "invoices": rows,
        "total_count": selectors.invoices(principal).count(),
        "charts": _charts(selectors.monthly_totals(principal=principal)),
    }
    return render(request, "billing/invoices.html", context)


@require_action(Action.BILLING_MANAGE)
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    invoice = selectors.invoice_get(principal=principal, number=number)
    token = request.GET.get("token") or None
    p = selectors.line_page(principal=principal, invoice=invoice, size=PAGE, token=token)
    context = {
        "invoice": invoice,
        "lines": p.items,
        "total_lines": p.total,
        "next_token": p.next_token,
        "credit_notes": list(selectors.invoices(principal).filter(amends=invoice).order_by("number")),
        "is_credit": invoice.document_type == Invoice.Type.CREDIT_NOTE,
    }
    return render(request, "billing/invoice.html", context)


@require_action(Action.BILLING_MANAGE)
def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    return documents.pdf_response(principal, selectors.invoice_get(principal=principal, number=number))


def _row(partner_id: uuid.UUID, x: InvoiceLine | Draft, currency: str) -> list[object]:
    return list(selectors.reconciliation(partner_id, x, currency).values())


@require_action(Action.BILLING_MANAGE)
def invoice_csv(request: HttpRequest, number: str) -> StreamingHttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    invoice = selectors.invoice_get(principal=principal, number=number)

    def chunks() -> Iterator[list[list[object]]]:
        for lines in selectors.line_chunks(principal=principal, invoice=invoice, chunk=CHUNK):
            yield [_row(invoice.partner_id, x, invoice.currency) for x in lines]

    return csv_response(COLUMNS, chunks(), filename=f"{invoice.number}-reconciliation.csv")


@require_action(Action.BILLING_MANAGE)
def unbilled_view(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    period = request.GET.get("period", "current")
    u = selectors.unbilled(principal=principal, period=period)
    if request.GET.get("format") == "csv":
        rows = [_row(principal.partner_id, d, d.currency) for d in u.lines]
        # Rated afresh for the request, so already in memory: one chunk.
        return csv_response(COLUMNS, [rows], filename=f"unbilled-{u.period}.csv")
    p = page_of(u.lines, size=PAGE, token=request.GET.get("token") or None)
    context = {
        "u": u,
        "period_name": period,
        "lines": p.items,
        "next_token": p.next_token,
        "totals": sorted(u.totals.items()),
    }
    return render(request, "billing/unbilled.html", context)


@require_action(Action.BILLING_MANAGE)
def profile(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    account = selectors.billing_account(principal)
    initial = {
        "address": account.billing_address,
        "vat_id": account.vat_id,
        "language": account.invoice_language,
    }
    form = BillingProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.billing_profile_update(
                actor=principal, address=d["address"], vat_id=d["vat_id"], language=d["language"]
            )
        except DomainError as e:
            form.add_error(None, e.description)
        else:
            messages.success(request, _("The billing profile is saved. Your next invoices use it."))
            return redirect("billing:profile")
    status = 400 if form.errors else 200
    return render(request, "billing/profile.html", {"form": form, "account": account}, status=status)


@require_action(Action.PRICING_VIEW)
def price_lists_view(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    context = {
        "markets": selectors.price_lists(principal=principal),
        "can_bill": principal.can(Action.BILLING_MANAGE),
    }
    return render(request, "billing/prices.html", context)


PRICE_COLUMNS = (
    "market",
    "currency",
    "offerId",
    "skuId",
    "offerName",
    "productName",
    "billingCycle",
    "termDuration",
    "term",
    "minQuantity",
    "maxQuantity",
    "isTrial",
    "unitPrice",
)


@require_action(Action.PRICING_VIEW)
def price_list_csv(request: HttpRequest, country: str) -> StreamingHttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    prices = selectors.price_list(principal=principal, country=country)
    rows = [
        [
            prices.country,
            prices.currency,
            o.offer.id,
            o.offer.guid,
            o.offer.name,
            o.offer.product_name,
            o.offer.billing_cycle,
            o.offer.term,
            term_label(o.offer.term),
            o.offer.min_quantity,
            o.offer.max_quantity,
            o.offer.is_trial,
            o.unit_price,
        ]
        for o in prices.offers
    ]
    return csv_response(PRICE_COLUMNS, [rows], filename=f"prices-{prices.country}-{prices.currency}.csv")
