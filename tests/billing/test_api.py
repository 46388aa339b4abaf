"""Invoices in Partner Center's shapes: the collection, one invoice, its reconciliation line items
with continuation paging, unbilled charges, and the PDF, read back as text."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal
from unittest.mock import ANY

import pytest
from pypdf import PdfReader

from hanse import clock
from hanse.access.roles import Role
from hanse.billing import selectors
from hanse.billing.models import Invoice
from hanse.billing.rating import Period
from hanse.billing.services import billing_profile_update, billing_run, credit_note_issue
from hanse.errors import InvalidInput
from tests.billing.conftest import SYSTEM, month_ago
from tests.conftest import principal_of


@pytest.fixture
def billed(seller, partner):
    """Last month: three customers' subscriptions; one invoice issued for it."""
    start = month_ago(1)
    subs = [seller.buy(start + timedelta(days=i), "WORKPLACE-BASIC", 2 + i) for i in range(3)]
    (invoice,) = billing_run(actor=SYSTEM, period=Period.of(start)).issued
    return invoice, subs


def _lines(client, number, **query):
    params = {"provider": "office", "invoicelineitemtype": "BillingLineItems", **query}
    return client.get(f"/v1/invoices/{number}/lineitems", params)


def test_the_billing_admin_reads_its_invoices_in_partner_centers_shape(billed, partner, make_user, api_for):
    invoice, _subs = billed
    client = api_for(make_user(partner.tenant, Role.BILLING_ADMIN))
    listed = client.get("/v1/invoices").json()
    assert listed["totalCount"] == 1 and listed["attributes"]["objectType"] == "Collection"
    one = client.get(f"/v1/invoices/{invoice.number}").json()
    assert listed["items"] == [one]
    assert one["id"] == invoice.number
    assert one["totalCharges"] == str(invoice.total) and one["paidAmount"] == "0.00"
    assert one["currencyCode"] == "EUR" and one["documentType"] == "Invoice"
    assert one["billingPeriodStartDate"].startswith(invoice.period_start.isoformat())
    assert one["billingPeriodEndDate"].startswith(invoice.period_end.isoformat())
    assert one["invoiceDate"].startswith(invoice.invoice_date.isoformat())
    assert one["pdfDownloadLink"] == f"/v1/invoices/{invoice.number}/documents/statement"
    (detail,) = one["invoiceDetails"]
    assert detail["billingProvider"] == "office"
    assert detail["links"]["self"]["uri"] == (
        f"/v1/invoices/{invoice.number}/lineitems?provider=office&invoicelineitemtype=BillingLineItems"
    )


def test_line_items_page_with_a_continuation_token_and_add_up_to_the_invoice(
    billed, partner, make_user, api_for
):
    invoice, subs = billed
    client = api_for(make_user(partner.tenant, Role.GLOBAL_ADMIN))
    first = _lines(client, invoice.number, size=2).json()
    assert first["totalCount"] == 3 and len(first["items"]) == 2
    nxt = first["links"]["next"]
    token = nxt["headers"][0]["value"]
    second = client.get(nxt["uri"], HTTP_MS_CONTINUATIONTOKEN=token).json()
    assert second["links"]["next"] is None and len(second["items"]) == 1
    items = first["items"] + second["items"]
    assert [i["subscriptionId"] for i in items] == [str(s.id) for s in subs]
    assert sum(Decimal(i["amount"]) for i in items) == invoice.subtotal
    assert sum(Decimal(i["totalForCustomer"]) for i in items) == invoice.total
    line = items[0]
    assert line["attributes"]["objectType"] == "LicenseBasedLineItem"
    assert (line["offerId"], line["chargeType"], line["currency"]) == (
        "WORKPLACE-BASIC",
        "cycleCharge",
        "EUR",
    )
    assert line["quantity"] == 2 and line["seatDays"] == 2 * Period.of(month_ago(1)).days
    assert line["durableOfferId"] == line["skuId"] and line["invoiceNumber"] == invoice.number


@pytest.mark.parametrize(
    ("query", "words"),
    [({"provider": "azure"}, "office"), ({"invoicelineitemtype": "UsageLineItems"}, "BillingLineItems")],
    ids=["provider", "type"],
)
def test_other_line_item_kinds_are_a_clear_400(billed, partner, make_user, api_for, query, words):
    invoice, _ = billed
    user = make_user(partner.tenant, Role.BILLING_ADMIN)
    client = api_for(user)
    r = _lines(client, invoice.number, **query)
    (field,) = query
    assert r.status_code == 400 and r.json()["code"] == 1001
    assert r.json()["data"] == [
        {"field": f"query.{field}", "message": f"must be one of {words}, in any letter case", "type": ANY},
    ]
    german = _lines(api_for(user, **{"X-Locale": "de"}), invoice.number, **query).json()["data"][0]["message"]
    assert german == f"muss einer der Werte {words} sein, in beliebiger Groß- und Kleinschreibung"
    assert (
        _lines(client, invoice.number, provider="OFFICE", invoicelineitemtype="billinglineitems").status_code
        == 200
    )


def test_roles_without_billing_and_other_partners_see_no_invoice(
    billed, partner, make_partner, make_user, api_for
):
    invoice, _ = billed
    for role in (Role.ADMIN_AGENT, Role.SALES_AGENT, Role.HELPDESK_AGENT):
        r = api_for(make_user(partner.tenant, role)).get(f"/v1/invoices/{invoice.number}")
        assert r.status_code == 403 and r.json()["code"] == 3001
    other = api_for(make_user(make_partner("other.example").tenant, Role.BILLING_ADMIN))
    assert other.get("/v1/invoices").json()["totalCount"] == 0
    for path in ("", "/documents/statement"):
        r = other.get(f"/v1/invoices/{invoice.number}{path}")
        assert r.status_code == 404 and r.json()["code"] == 7603
    assert _lines(other, invoice.number).status_code == 404


def test_unbilled_shows_what_this_period_accrued_through_today(seller, partner, make_user, api_for):
    today = clock.today()
    sub = seller.buy(today.replace(day=1), "WORKPLACE-BASIC", 4)
    client = api_for(make_user(partner.tenant, Role.BILLING_ADMIN))
    r = client.get(
        "/v1/invoices/unbilled/lineitems",
        {"provider": "office", "invoicelineitemtype": "BillingLineItems", "period": "current"},
    )
    assert r.status_code == 200, r.content
    (line,) = r.json()["items"]
    assert line["subscriptionId"] == str(sub.id) and line["attributes"]["objectType"] == "UnbilledLineItem"
    assert line["seatDays"] == 4 * today.day and line["invoiceNumber"] is None
    assert line["chargeEndDate"].startswith(today.isoformat())
    bad = client.get(
        "/v1/invoices/unbilled/lineitems",
        {"provider": "office", "invoicelineitemtype": "BillingLineItems", "period": "next"},
    )
    assert bad.status_code == 400 and bad.json()["data"][0]["field"] == "query.period"
    with pytest.raises(InvalidInput) as e:
        selectors.unbilled(
            principal=principal_of(make_user(partner.tenant, Role.BILLING_ADMIN)), period="next"
        )  # the pages pass it on
    assert e.value.code == 7610


def test_the_previous_period_is_unbilled_until_its_invoice_is_issued(seller, partner, make_user, api_for):
    seller.buy(month_ago(1), "WORKPLACE-BASIC", 1)
    client = api_for(make_user(partner.tenant, Role.BILLING_ADMIN))
    query = {"provider": "office", "invoicelineitemtype": "BillingLineItems", "period": "previous"}
    assert client.get("/v1/invoices/unbilled/lineitems", query).json()["totalCount"] == 1
    billing_run(actor=SYSTEM, period=Period.of(month_ago(1)))
    assert client.get("/v1/invoices/unbilled/lineitems", query).json()["totalCount"] == 0


def _text(pdf: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_the_pdf_carries_the_number_the_lines_and_the_totals(billed, partner, make_user, api_for):
    invoice, _ = billed
    r = api_for(make_user(partner.tenant, Role.BILLING_ADMIN)).get(
        f"/v1/invoices/{invoice.number}/documents/statement"
    )
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text, pages = _text(r.content)
    assert invoice.number in text and "Invoice" in text
    assert f"{invoice.total:,.2f} EUR" in text.replace("\u00a0", " ")
    assert f"Page 1 of {pages}" in text
    assert invoice.seller["name"] in text and partner.account.company_name in text


def test_the_pdf_is_in_the_partners_language_with_its_numbers_and_dates(billed, partner, make_user):
    invoice, _ = billed
    admin = principal_of(make_user(partner.tenant, Role.BILLING_ADMIN))
    billing_profile_update(actor=admin, address="Hafenstraße 1\n20457 Hamburg", vat_id="de123", language="de")
    # The next invoice is addressed in German: the profile is read when an invoice is issued.
    credit = credit_note_issue(actor=SYSTEM, number=invoice.number, line_numbers=[1], reason="Doppelt")
    from hanse.billing.documents import render

    text, pages = _text(render(admin, credit))
    assert "Gutschrift" in text and credit.number in text and "Hafenstraße 1" in text
    german = f"{-credit.total:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert f"-{german}" in text.replace("\u00a0", " ")
    assert f"Seite 1 von {pages}" in text
    assert re.search(rf"Korrigiert Rechnung\s+{invoice.number}", text)
    month = {1: "Januar", 2: "Februar", 3: "März", 4: "April", 5: "Mai", 6: "Juni", 7: "Juli"}
    month |= {8: "August", 9: "September", 10: "Oktober", 11: "November", 12: "Dezember"}
    assert f"{credit.period_start.day}. {month[credit.period_start.month]}" in text
    french, _ = _text(render(admin, invoice, language="fr"))
    assert "Facture" in french and f"Page 1 sur {pages}" in french


def test_a_pdf_of_many_lines_runs_over_pages_each_numbered(seller, partner, make_user):
    start = month_ago(1)
    for i in range(70):
        seller.buy(start, "WORKPLACE-BASIC", 1 + i % 5)
    (invoice,) = billing_run(actor=SYSTEM, period=Period.of(start)).issued
    from hanse.billing.documents import render

    text, pages = _text(render(principal_of(make_user(partner.tenant, Role.BILLING_ADMIN)), invoice))
    assert pages >= 2
    for n in range(1, pages + 1):
        assert f"Page {n} of {pages}" in text
    assert Invoice.objects.get().lines.count() == 70


def test_the_pdf_writes_every_european_alphabet(partner, make_user, make_customer, offers):
    from hanse.billing.documents import render
    from tests.billing.conftest import Seller

    names = [
        "Dvořák s.r.o.",
        "Kőbánya Kft.",
        "Łódź Sp. z o.o.",
        "Αθήνα Α.Ε.",  # noqa: RUF001 - Greek letters that look Latin, on purpose
        "Þórshöfn ehf.",
        "Пловдив ЕООД",
    ]
    actor = principal_of(make_user(partner.tenant, Role.ADMIN_AGENT))
    for i, name in enumerate(names):
        Seller(actor, make_customer(partner, name=name, domain=f"alphabet-{i}.example")).buy(
            month_ago(1), "WORKPLACE-BASIC", 1
        )
    (invoice,) = billing_run(actor=SYSTEM, period=Period.of(month_ago(1))).issued
    text, _ = _text(render(principal_of(make_user(partner.tenant, Role.BILLING_ADMIN)), invoice))
    for name in names:
        assert name in text
