"""Reads of billing for the partner's Billing admin and Global admin: invoices, their lines, what
the current period has accrued so far, and the price lists (docs/billing.md §6)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import QuerySet, Sum

from hanse import clock
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import require, scoped
from hanse.api.paging import Page, page
from hanse.billing import errors
from hanse.billing.charges import Draft, partner_charges
from hanse.billing.models import Invoice, InvoiceLine
from hanse.billing.rating import Period
from hanse.billing.tax import tax_for
from hanse.catalog.markets import market_currency
from hanse.catalog.selectors import MarketOffer, offers_for_market
from hanse.errors import InvalidInput, NotFound
from hanse.instance.current import instance
from hanse.partners.models import PartnerAccount

READ = Action.BILLING_MANAGE
PROVIDER = "office"
# Partner Center's name of a licence-based line item's kind, as its clients compare it.
LINE_TYPE_VALUE = "billing_line_items"


def invoices(principal: Principal) -> QuerySet[Invoice]:
    return scoped(Invoice.objects.all(), principal, READ)


def invoice_page(*, principal: Principal, size: int, token: str | None) -> Page[Invoice]:
    """Oldest first: numbers grow with time within a year, and the year leads the number."""
    return page(invoices(principal), keys=("number",), size=size, token=token, coerce=(str,))


def invoice_get(*, principal: Principal, number: str) -> Invoice:
    invoice = invoices(principal).select_related("amends").filter(number=number[:40]).first()
    if invoice is None:
        raise NotFound(errors.INVOICE_NOT_FOUND)
    return invoice


def invoice_lines(*, principal: Principal, invoice: Invoice) -> QuerySet[InvoiceLine]:
    return scoped(InvoiceLine.objects.all(), principal, READ).filter(invoice=invoice).order_by("number")


def line_page(*, principal: Principal, invoice: Invoice, size: int, token: str | None) -> Page[InvoiceLine]:
    return page(
        invoice_lines(principal=principal, invoice=invoice),
        keys=("number",),
        size=size,
        token=token,
        coerce=(int,),
    )


def line_chunks(*, principal: Principal, invoice: Invoice, chunk: int = 2000) -> Iterator[list[InvoiceLine]]:
    """Every line, read a chunk at a time, so that a download of any size holds one chunk."""
    last = 0
    qs = invoice_lines(principal=principal, invoice=invoice)
    while True:
        rows = list(qs.filter(number__gt=last)[:chunk])
        if rows:
            yield rows
        if len(rows) < chunk:
            return
        last = rows[-1].number


def iter_lines(*, principal: Principal, invoice: Invoice) -> Iterator[InvoiceLine]:
    for rows in line_chunks(principal=principal, invoice=invoice):
        yield from rows


def _end_of(day: date) -> datetime:
    """The last second of the last day charged, as Partner Center writes a charge's end."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def reconciliation(partner_id: uuid.UUID, x: InvoiceLine | Draft, currency: str) -> dict[str, object]:
    """One reconciliation line item, issued or not: Partner Center's licence-based line item's
    fields, with Hanse's seat-days and tax category beside them. The API's line items and the
    CSV download are these, so the two read the same."""
    number, line = (x.invoice_id, x.number) if isinstance(x, InvoiceLine) else (None, None)
    return {
        "invoiceNumber": number,
        "lineNumber": line,
        "partnerId": partner_id,
        "customerId": x.customer_id,
        "customerName": x.customer_name,
        "domainName": x.customer_domain,
        "customerCountry": x.customer_country,
        "orderId": x.order_id,
        "subscriptionId": x.subscription_id,
        "subscriptionName": x.subscription_name,
        "offerId": x.offer_id,
        "durableOfferId": str(x.sku_guid),
        "offerName": x.offer_name,
        "skuId": x.sku_guid,
        "billingCycleType": x.billing_cycle,
        "chargeType": x.charge_type,
        "chargeStartDate": datetime.combine(x.charge_start, time(0), tzinfo=UTC),
        "chargeEndDate": _end_of(x.charge_end),
        "quantity": x.quantity,
        "days": x.days,
        "seatDays": x.seat_days,
        "unitPrice": x.unit_price,
        "amount": x.amount,
        "totalOtherDiscount": Decimal("0.00"),
        "subtotal": x.amount,
        "taxCategory": x.tax_category,
        "taxRate": x.tax_rate,
        "tax": x.tax,
        "totalForCustomer": x.amount + x.tax,
        "currency": currency,
        "invoiceLineItemType": LINE_TYPE_VALUE,
        "billingProvider": PROVIDER,
    }


@dataclass(frozen=True)
class MonthTotal:
    period: Period
    currency: str
    total: Decimal  # invoices less credit notes, by the period they bill


def monthly_totals(*, principal: Principal, months: int = 12) -> list[MonthTotal]:
    """The last ``months`` periods, oldest first, each currency's net total (0 for a month
    without invoices), for the invoices page's chart."""
    last = Period.of(clock.today()).previous()
    periods = [last]
    while len(periods) < months:
        periods.append(periods[-1].previous())
    periods.reverse()
    rows = (
        invoices(principal)
        .filter(period_start__gte=periods[0].start)
        .values("period_start", "currency")
        .annotate(total=Sum("total"))
    )
    # SQLite sums decimals as floats: back to cents, as the invoices store them.
    cents = Decimal("0.01")
    sums = {(Period.of(r["period_start"]), r["currency"]): Decimal(r["total"]).quantize(cents) for r in rows}
    currencies = sorted({c for _p, c in sums})
    return [MonthTotal(p, c, sums.get((p, c), Decimal("0.00"))) for c in currencies for p in periods]


def billing_account(principal: Principal) -> PartnerAccount:
    return (
        scoped(PartnerAccount.objects.all(), principal, READ)
        .select_related("tenant")
        .get(id=principal.partner_id)
    )


PERIODS = ("current", "previous")


@dataclass(frozen=True)
class Unbilled:
    period: Period
    through: date  # the last day accrued, included
    lines: list[Draft]

    @property
    def totals(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for d in self.lines:
            out[d.currency] = out.get(d.currency, Decimal(0)) + d.amount
        return out


def unbilled(*, principal: Principal, period: str = "current", currency: str | None = None) -> Unbilled:
    """What is accrued and not invoiced yet: the current period through today, or the previous
    one while its invoice is not issued (in each currency whose invoice is not)."""
    require(principal, READ)
    if period.lower() not in PERIODS:
        raise InvalidInput(errors.UNBILLED_PERIOD_INVALID)
    today = clock.today()
    p = Period.of(today) if period.lower() == "current" else Period.of(today).previous()
    end = min(today + timedelta(days=1), p.end)
    account = billing_account(principal)
    tax = tax_for(instance().billing.seller_country, account.country)
    done = set(
        invoices(principal)
        .filter(period_start=p.start, document_type=Invoice.Type.INVOICE)
        .values_list("currency", flat=True)
    )
    lines = [
        d
        for d in partner_charges(principal, READ, partner_id=account.id, period=p, end=end, tax=tax)
        if d.currency not in done and (currency is None or d.currency == currency.upper())
    ]
    return Unbilled(p, end - timedelta(days=1), lines)


@dataclass(frozen=True)
class PriceList:
    country: str
    currency: str
    offers: list[MarketOffer]


def price_lists(*, principal: Principal) -> list[tuple[str, str]]:
    """Every market of the instance with its currency."""
    require(principal, Action.PRICING_VIEW)
    return [(code, currency) for code, (_name, currency) in sorted(instance().markets.items())]


def price_list(*, principal: Principal, country: str) -> PriceList:
    offers = offers_for_market(principal=principal, country=country)
    return PriceList(country.upper(), market_currency(country), offers)
