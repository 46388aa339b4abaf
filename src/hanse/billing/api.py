"""Invoices, their reconciliation line items, unbilled charges and the invoice document, in
Partner Center's shapes (docs/billing.md §6)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from hanse.api.paging import CONTINUATION, SEEK, SIZE, collection, page_of
from hanse.api.schemas import Attributes, CollectionLinks, ErrorBody
from hanse.billing import documents, selectors
from hanse.billing.charges import Draft
from hanse.billing.models import Invoice, InvoiceLine
from hanse.billing.selectors import LINE_TYPE_VALUE, PERIODS, PROVIDER, reconciliation
from hanse.validators import any_case

router = Router(tags=["Invoices"])

LINE_TYPE = "BillingLineItems"
InvoiceId = str


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _lines_link(number: str) -> str:
    query = urlencode({"provider": PROVIDER, "invoicelineitemtype": LINE_TYPE})
    return f"/v1/invoices/{number}/lineitems?{query}"


class LinkOut(Schema):
    uri: str
    method: str = "GET"
    headers: list[dict[str, str]] = []


class InvoiceDetailLinks(Schema):
    self: LinkOut


class InvoiceDetailOut(Schema):
    invoiceLineItemType: str = LINE_TYPE_VALUE
    billingProvider: str = PROVIDER
    links: InvoiceDetailLinks
    attributes: Attributes


class InvoiceLinks(Schema):
    self: LinkOut


class InvoiceOut(Schema):
    id: str
    invoiceDate: datetime
    billingPeriodStartDate: datetime
    billingPeriodEndDate: datetime
    totalCharges: Decimal
    subtotal: Decimal
    taxTotal: Decimal
    paidAmount: Decimal
    currencyCode: str
    invoiceType: str = "Recurring"
    documentType: str
    amendsOf: str | None
    taxNote: str
    invoiceDetails: list[InvoiceDetailOut]
    pdfDownloadLink: str
    links: InvoiceLinks
    attributes: Attributes

    @staticmethod
    def of(i: Invoice) -> InvoiceOut:
        lines = _lines_link(i.number)
        return InvoiceOut(
            id=i.number,
            invoiceDate=_midnight(i.invoice_date),
            billingPeriodStartDate=_midnight(i.period_start),
            billingPeriodEndDate=_midnight(i.period_end),
            totalCharges=i.total,
            subtotal=i.subtotal,
            taxTotal=i.tax_total,
            paidAmount=i.paid_amount,
            currencyCode=i.currency,
            documentType=i.document_type,
            amendsOf=i.amends_id,
            taxNote=i.tax_note,
            invoiceDetails=[
                InvoiceDetailOut(
                    links=InvoiceDetailLinks(self=LinkOut(uri=lines)),
                    attributes=Attributes(objectType="InvoiceDetail"),
                )
            ],
            pdfDownloadLink=f"/v1/invoices/{i.number}/documents/statement",
            links=InvoiceLinks(self=LinkOut(uri=f"/v1/invoices/{i.number}")),
            attributes=Attributes(objectType="Invoice"),
        )


class LineItemOut(Schema):
    """Partner Center's ``LicenseBasedLineItem``, with Hanse's seat-days beside it."""

    invoiceNumber: str | None
    lineNumber: int | None
    partnerId: uuid.UUID
    customerId: uuid.UUID
    customerName: str
    domainName: str
    customerCountry: str
    orderId: uuid.UUID
    subscriptionId: uuid.UUID
    subscriptionName: str
    offerId: str
    durableOfferId: str
    offerName: str
    skuId: uuid.UUID
    billingCycleType: str
    chargeType: str
    chargeStartDate: datetime
    chargeEndDate: datetime
    quantity: int
    days: int
    seatDays: int
    unitPrice: Decimal
    amount: Decimal
    totalOtherDiscount: Decimal
    subtotal: Decimal
    taxCategory: str
    taxRate: Decimal
    tax: Decimal
    totalForCustomer: Decimal
    currency: str
    invoiceLineItemType: str
    billingProvider: str
    attributes: Attributes

    @staticmethod
    def of(partner_id: uuid.UUID, x: InvoiceLine | Draft, currency: str) -> LineItemOut:
        return LineItemOut(
            **reconciliation(partner_id, x, currency),
            attributes=Attributes(
                objectType="LicenseBasedLineItem" if isinstance(x, InvoiceLine) else "UnbilledLineItem"
            ),
        )


class InvoiceCollectionOut(Schema):
    totalCount: int
    items: list[InvoiceOut]
    links: CollectionLinks
    attributes: Attributes


class LineItemCollectionOut(Schema):
    totalCount: int
    items: list[LineItemOut]
    links: CollectionLinks
    attributes: Attributes


# Hanse bills licence-based subscriptions only: Partner Center's "office" provider and its billing
# line items, in whatever case the client writes them. The schema holds the rule, so that clients
# read it and a wrong value is a 400 that names the field and the values it takes.
PROVIDER_Q = Query(..., max_length=16, pattern=any_case(PROVIDER))
LINE_TYPE_Q = Query(..., max_length=32, pattern=any_case(LINE_TYPE))


@router.get(
    "/invoices",
    response={200: InvoiceCollectionOut, 400: ErrorBody, 403: ErrorBody},
    summary="List the partner's invoices and credit notes, oldest first",
)
def list_invoices(
    request: HttpRequest, size: int = SIZE, seekOperation: str | None = SEEK, token: str | None = CONTINUATION
) -> dict[str, Any]:
    del seekOperation  # see paging.SEEK
    p = selectors.invoice_page(principal=request.principal, size=size, token=token)
    return collection(p, [InvoiceOut.of(i) for i in p.items], path="/v1/invoices", size=size, token=token)


@router.get(
    "/invoices/unbilled/lineitems",
    response={200: LineItemCollectionOut, 400: ErrorBody, 403: ErrorBody},
    summary="What the current (or the previous, not yet invoiced) period has accrued so far",
)
def unbilled_lines(
    request: HttpRequest,
    provider: str = PROVIDER_Q,
    invoicelineitemtype: str = LINE_TYPE_Q,
    period: str = Query("current", max_length=16, pattern=any_case(*PERIODS)),
    currencyCode: str | None = Query(None, max_length=3, pattern=r"^[A-Za-z]{3}$"),
    size: int = SIZE,
    seekOperation: str | None = SEEK,
    token: str | None = CONTINUATION,
) -> dict[str, Any]:
    del seekOperation
    u = selectors.unbilled(principal=request.principal, period=period, currency=currencyCode)
    p = page_of(u.lines, size=size, token=token)
    extra = {"provider": provider, "invoicelineitemtype": invoicelineitemtype, "period": period}
    if currencyCode:
        extra["currencyCode"] = currencyCode
    partner_id = request.principal.partner_id
    items = [LineItemOut.of(partner_id, d, d.currency) for d in p.items]
    return collection(p, items, path="/v1/invoices/unbilled/lineitems", size=size, extra=extra, token=token)


@router.get(
    "/invoices/{invoice_id}",
    response={200: InvoiceOut, 403: ErrorBody, 404: ErrorBody},
    summary="Get an invoice or a credit note",
)
def get_invoice(request: HttpRequest, invoice_id: InvoiceId) -> InvoiceOut:
    return InvoiceOut.of(selectors.invoice_get(principal=request.principal, number=invoice_id))


@router.get(
    "/invoices/{invoice_id}/lineitems",
    response={200: LineItemCollectionOut, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody},
    summary="An invoice's reconciliation line items (provider=office, invoicelineitemtype=BillingLineItems)",
)
def invoice_lines(
    request: HttpRequest,
    invoice_id: InvoiceId,
    provider: str = PROVIDER_Q,
    invoicelineitemtype: str = LINE_TYPE_Q,
    size: int = SIZE,
    seekOperation: str | None = SEEK,
    token: str | None = CONTINUATION,
) -> dict[str, Any]:
    del seekOperation
    invoice = selectors.invoice_get(principal=request.principal, number=invoice_id)
    p = selectors.line_page(principal=request.principal, invoice=invoice, size=size, token=token)
    items = [LineItemOut.of(invoice.partner_id, line, invoice.currency) for line in p.items]
    extra = {"provider": provider, "invoicelineitemtype": invoicelineitemtype}
    path = f"/v1/invoices/{invoice.number}/lineitems"
    return collection(p, items, path=path, size=size, extra=extra, token=token)


@router.get(
    "/invoices/{invoice_id}/documents/statement",
    response={200: None, 403: ErrorBody, 404: ErrorBody},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The invoice document, in the partner's language",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    summary="The invoice as a PDF",
)
def invoice_statement(request: HttpRequest, invoice_id: InvoiceId) -> HttpResponse:
    invoice = selectors.invoice_get(principal=request.principal, number=invoice_id)
    return documents.pdf_response(request.principal, invoice)
