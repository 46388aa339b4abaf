"""The billing run: one invoice per partner, currency and period, gapless numbers, immutable,
corrected by credit notes; VAT by where seller and partner are."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.billing.models import Invoice, InvoiceLine
from hanse.billing.rating import Period, round_money
from hanse.billing.services import billing_run, credit_note_issue
from hanse.billing.tax import tax_for
from hanse.errors import DomainError
from hanse.instance.config import BillingPolicy
from tests.billing.conftest import SYSTEM, month_ago
from tests.conftest import principal_of

BASIC = Decimal("5.60")  # WORKPLACE-BASIC in EUR, the public catalogue


def test_a_month_is_billed_per_seat_day_and_the_invoice_adds_up(seller):
    start = month_ago(1)
    period = Period.of(start)
    sub = seller.buy(start + timedelta(days=4), "WORKPLACE-BASIC", 10)  # from the 5th
    seller.change(start + timedelta(days=9), sub, quantity=20)  # from the 10th
    seller.change(start + timedelta(days=19), sub, status="suspended")  # from the 20th

    run = billing_run(actor=SYSTEM, period=period)
    (invoice,) = run.issued
    (line,) = invoice.lines.all()
    seat_days = 10 * 5 + 20 * 10
    assert (line.seat_days, line.days, line.quantity) == (seat_days, 15, 20)
    assert line.amount == round_money(Fraction(BASIC) * seat_days / period.days, "EUR")
    assert invoice.subtotal == line.amount
    assert invoice.total == invoice.subtotal + invoice.tax_total
    assert (invoice.period_start, invoice.period_end) == (period.start, period.last)
    assert invoice.number == f"test-{invoice.invoice_date.year}-000001"
    assert line.customer_id == seller.customer.id and line.subscription_id == sub.id
    record = AuditRecord.objects.get(action="billing.invoice_issue")
    assert record.target_id == invoice.number and record.after["total"] == str(invoice.total)


def test_rerunning_a_period_issues_nothing_more(seller):
    start = month_ago(1)
    seller.buy(start, "WORKPLACE-BASIC", 3)
    first = billing_run(actor=SYSTEM, period=Period.of(start))
    again = billing_run(actor=SYSTEM, period=Period.of(start))
    assert len(first.issued) == 1 and again.issued == [] and again.already == 1
    assert Invoice.objects.count() == 1 and InvoiceLine.objects.count() == 1


def test_a_dry_run_writes_nothing(seller):
    start = month_ago(1)
    seller.buy(start, "WORKPLACE-BASIC", 3)
    run = billing_run(actor=SYSTEM, period=Period.of(start), dry_run=True)
    ((key, drafts),) = run.drafts.items()
    assert key[1] == "EUR" and drafts[0].seat_days == 3 * Period.of(start).days
    assert not Invoice.objects.exists()
    assert not AuditRecord.objects.filter(action="billing.invoice_issue").exists()


def test_numbers_are_gapless_across_partners_and_periods(seller, make_partner, make_customer, make_user):
    from tests.billing.conftest import Seller

    other = make_partner()
    second = Seller(principal_of(make_user(other.tenant, Role.ADMIN_AGENT)), make_customer(other))
    for months in (2, 1):
        seller.buy(month_ago(months), "WORKPLACE-BASIC", 1)
        second.buy(month_ago(months), "WORKPLACE-STANDARD", 2)
    for months in (2, 1):
        billing_run(actor=SYSTEM, period=Period.of(month_ago(months)))
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    year = Invoice.objects.first().invoice_date.year
    assert numbers == [f"test-{year}-{n:06d}" for n in range(1, 5)]


def test_the_current_month_cannot_be_billed_yet(seller):
    with pytest.raises(DomainError) as e:
        billing_run(actor=SYSTEM, period=Period.of(month_ago(0)))
    assert e.value.code == 7602


def test_a_partner_user_cannot_run_billing(seller, partner, make_user):
    billing_admin = principal_of(make_user(partner.tenant, Role.BILLING_ADMIN))
    with pytest.raises(DomainError) as e:
        billing_run(actor=billing_admin, period=Period.of(month_ago(1)))
    assert e.value.status == 403


def test_trials_cost_nothing_and_cancelled_days_are_not_billed(seller):
    start = month_ago(1)
    seller.buy(start, "WORKPLACE-PREMIUM-TRIAL", 25)
    sub = seller.buy(start, "WORKPLACE-BASIC", 4)
    seller.change(start + timedelta(days=6), sub, status="deleted")  # billed the 1st to the 6th
    (invoice,) = billing_run(actor=SYSTEM, period=Period.of(start)).issued
    (line,) = invoice.lines.all()
    assert (line.offer_id, line.seat_days, line.charge_end) == (
        "WORKPLACE-BASIC",
        24,
        start + timedelta(days=5),
    )


def test_vat_same_country_standard_rate_other_eu_state_reverse_charge(seller, swap_instance, partner):
    start = month_ago(1)
    seller.buy(start, "WORKPLACE-BASIC", 10)
    partner.account.country = "DE"
    partner.account.save()
    swap_instance(billing=BillingPolicy(seller_name="Cloud", seller_country="FR"))
    (invoice,) = billing_run(actor=SYSTEM, period=Period.of(start)).issued
    line = invoice.lines.get()
    assert (invoice.tax_note, line.tax_category, line.tax) == ("reverse-charge", "reverse-charge", 0)
    assert invoice.total == invoice.subtotal

    tax = tax_for("DE", "DE")
    assert (tax.category, tax.rate) == ("standard", Decimal("19"))
    assert tax_for("DE", "CH").category == "outside-eu"


def test_standard_vat_is_rounded_once_per_line(seller, swap_instance, partner):
    start = month_ago(1)
    seller.buy(start, "WORKPLACE-BASIC", 7)
    partner.account.country = "DE"
    partner.account.save()
    swap_instance(billing=BillingPolicy(seller_name="Cloud", seller_country="DE"))
    (invoice,) = billing_run(actor=SYSTEM, period=Period.of(start)).issued
    line = invoice.lines.get()
    assert line.tax_rate == Decimal("19.00")
    assert line.tax == round_money(Fraction(line.amount) * Fraction(19, 100), "EUR")
    assert invoice.total == line.amount + line.tax


def test_a_credit_note_takes_lines_back_once_and_leaves_the_invoice_as_it_was(seller):
    start = month_ago(1)
    seller.buy(start, "WORKPLACE-BASIC", 2)
    seller.buy(start, "WORKPLACE-STANDARD", 1)
    (invoice,) = billing_run(actor=SYSTEM, period=Period.of(start)).issued
    total = invoice.total

    note = credit_note_issue(actor=SYSTEM, number=invoice.number, line_numbers=[2], reason="Wrong seats")
    assert note.document_type == "CreditNote" and note.amends_id == invoice.number
    (taken,) = note.lines.all()
    assert taken.credits.number == 2 and taken.amount == -invoice.lines.get(number=2).amount
    second = invoice.lines.get(number=2)
    assert note.total == -(second.amount + second.tax)
    invoice.refresh_from_db()
    assert invoice.total == total
    with pytest.raises(DomainError) as e:
        credit_note_issue(actor=SYSTEM, number=invoice.number, line_numbers=[2], reason="again")
    assert e.value.code == 7605
    rest = credit_note_issue(actor=SYSTEM, number=invoice.number, line_numbers=None, reason="the rest")
    assert [line.credits.number for line in rest.lines.all()] == [1]
    with pytest.raises(DomainError) as e:
        credit_note_issue(actor=SYSTEM, number=invoice.number, line_numbers=[9], reason="x")
    assert e.value.code == 7607
    with pytest.raises(DomainError) as e:
        credit_note_issue(actor=SYSTEM, number=note.number, line_numbers=None, reason="x")
    assert e.value.code == 7606


def test_the_billing_profile_is_the_partners_own_and_addresses_the_next_invoice(seller, partner, make_user):
    from hanse.billing.services import billing_profile_update

    start = month_ago(1)
    seller.buy(start, "WORKPLACE-BASIC", 1)
    billing_admin = principal_of(make_user(partner.tenant, Role.BILLING_ADMIN))
    billing_profile_update(
        actor=billing_admin, address="Hafenstraße 1\n\n20457 Hamburg ", vat_id="de123456789", language="de"
    )
    record = AuditRecord.objects.get(action="billing.profile")
    assert record.after == {
        "address": "Hafenstraße 1\n20457 Hamburg",
        "vatId": "DE123456789",
        "language": "de",
    }
    (invoice,) = billing_run(actor=SYSTEM, period=Period.of(start)).issued
    assert invoice.buyer["address"] == ["Hafenstraße 1", "20457 Hamburg"]
    assert (invoice.buyer["vatId"], invoice.buyer["language"]) == ("DE123456789", "de")

    with pytest.raises(DomainError) as e:
        billing_profile_update(actor=billing_admin, address="x\n" * 7, vat_id="", language="de")
    assert e.value.code == 7609
    sales = principal_of(make_user(partner.tenant, Role.SALES_AGENT))
    with pytest.raises(DomainError) as e:
        billing_profile_update(actor=sales, address="", vat_id="", language="en")
    assert e.value.status == 403
    assert AuditRecord.objects.filter(action="billing.profile").count() == 1
