"""The Billing admin's pages, and the price lists every role that sees prices downloads."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from hanse import clock
from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.billing.models import Invoice
from hanse.billing.rating import Period
from hanse.billing.services import billing_run
from hanse.catalog.selectors import offers_for_market
from tests.billing.conftest import SYSTEM, month_ago
from tests.conftest import principal_of
from tests.customers.web import signed_in


@pytest.fixture(autouse=True)
def _no_mfa(swap_instance):
    swap_instance(mfa_required_roles=())


@pytest.fixture
def invoice(seller):
    start = month_ago(1)
    for i in range(3):
        seller.buy(start + timedelta(days=i), "WORKPLACE-BASIC", 2 + i)
    (invoice,) = billing_run(actor=SYSTEM, period=Period.of(start)).issued
    return invoice


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_billing_admin_has_invoices_a_chart_and_the_invoice_page(invoice, partner, make_user):
    client = signed_in(make_user(partner.tenant, Role.BILLING_ADMIN))
    overview = client.get("/csp/").content.decode()
    assert 'href="/billing/"' in overview and 'href="/billing/prices"' in overview
    page = client.get("/billing/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f'data-number="{invoice.number}"' in text
    bars = text.count('data-testid="month-bar"')
    assert bars == 12
    assert f'data-period="{Period.of(month_ago(1))}" data-total="{invoice.total}"' in text
    detail = client.get(f"/billing/invoices/{invoice.number}").content.decode()
    assert detail.count('data-testid="line-row"') == 3
    pdf = client.get(f"/billing/invoices/{invoice.number}/document.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_reconciliation_file_streams_every_line_and_adds_up(invoice, partner, make_user):
    client = signed_in(make_user(partner.tenant, Role.GLOBAL_ADMIN))
    r = client.get(f"/billing/invoices/{invoice.number}/reconciliation.csv")
    assert r.streaming and r["Content-Type"].startswith("text/csv")
    rows = _csv(r)
    assert len(rows) == 3
    assert sum(Decimal(row["amount"]) for row in rows) == invoice.subtotal
    assert sum(Decimal(row["totalForCustomer"]) for row in rows) == invoice.total
    assert {row["invoiceNumber"] for row in rows} == {invoice.number}
    assert rows[0]["offerId"] == "WORKPLACE-BASIC" and rows[0]["currency"] == "EUR"


def test_unbilled_charges_of_the_current_period(seller, partner, make_user):
    sub = seller.buy(clock.today().replace(day=1), "WORKPLACE-BASIC", 3)
    client = signed_in(make_user(partner.tenant, Role.BILLING_ADMIN))
    page = client.get("/billing/unbilled").content.decode()
    assert f'data-subscription="{sub.id}"' in page
    rows = _csv(client.get("/billing/unbilled?format=csv"))
    assert [r["subscriptionId"] for r in rows] == [str(sub.id)]
    assert int(rows[0]["seatDays"]) == 3 * clock.today().day
    assert client.get("/billing/unbilled?period=soon").status_code == 400


@pytest.mark.parametrize("role", [Role.ADMIN_AGENT, Role.SALES_AGENT])
def test_admin_and_sales_agents_have_pricing_only(role, invoice, partner, make_user):
    client = signed_in(make_user(partner.tenant, role))
    overview = client.get("/csp/").content.decode()
    assert 'href="/billing/prices"' in overview and 'href="/billing/"' not in overview
    for path in ("/billing/", f"/billing/invoices/{invoice.number}", "/billing/unbilled", "/billing/profile"):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/billing/invoices/{invoice.number}/reconciliation.csv").status_code == 403
    assert client.get("/billing/prices").status_code == 200
    rows = _csv(client.get("/billing/prices/DE.csv"))
    expected = offers_for_market(principal=principal_of(make_user(partner.tenant, role)), country="DE")
    assert [r["offerId"] for r in rows] == [o.offer.id for o in expected]
    assert {r["currency"] for r in rows} == {"EUR"}
    basic = next(r for r in rows if r["offerId"] == "WORKPLACE-BASIC")
    assert basic["unitPrice"] == "5.60"


def test_a_price_list_is_in_the_markets_currency(partner, make_user, offers):
    client = signed_in(make_user(partner.tenant, Role.SALES_AGENT))
    rows = _csv(client.get("/billing/prices/CH.csv"))
    assert rows and {r["currency"] for r in rows} == {"CHF"} and {r["market"] for r in rows} == {"CH"}
    assert client.get("/billing/prices/US.csv").status_code == 400


def test_another_partners_invoice_is_not_found(invoice, make_partner, make_user):
    client = signed_in(make_user(make_partner("other.example").tenant, Role.BILLING_ADMIN))
    assert client.get(f"/billing/invoices/{invoice.number}").status_code == 404
    assert client.get(f"/billing/invoices/{invoice.number}/document.pdf").status_code == 404
    assert client.get(f"/billing/invoices/{invoice.number}/reconciliation.csv").status_code == 404
    assert invoice.number not in client.get("/billing/").content.decode()


def test_the_billing_profile_form_saves_and_refuses_bad_input(partner, make_user):
    client = signed_in(make_user(partner.tenant, Role.BILLING_ADMIN))
    assert client.get("/billing/profile").status_code == 200
    r = client.post("/billing/profile", {"address": "Rue 1\n75001 Paris", "vat_id": "fr12", "language": "fr"})
    assert r.status_code == 302
    partner.account.refresh_from_db()
    assert (partner.account.billing_address, partner.account.vat_id) == ("Rue 1\n75001 Paris", "FR12")
    assert partner.account.invoice_language == "fr"
    records = AuditRecord.objects.filter(action="billing.profile").count()
    bad = client.post("/billing/profile", {"address": "\n".join(["x"] * 7), "vat_id": "", "language": "de"})
    assert bad.status_code == 400 and "at most 6 lines" in bad.content.decode()
    partner.account.refresh_from_db()
    assert partner.account.invoice_language == "fr"
    assert AuditRecord.objects.filter(action="billing.profile").count() == records
    assert Invoice.objects.count() == 0
