"""The partner's words, in Chromium: a language and its country by name, dates as Europe writes
them, markets by name, a refusal not glued to its field's label, no HTTP jargon."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import Page, expect

from hanse.access.roles import Role
from hanse.commerce.models import Subscription
from hanse.customers.models import Customer
from tests.conftest import PASSWORD
from tests.customers.web import order, seller
from tests.e2e.conftest import sign_in

WHEN = datetime(2026, 12, 1, 18, 26, tzinfo=UTC)


def test_languages_dates_and_markets_read_as_a_partner_says_them(
    page: Page, partner: Any, make_user: Any, make_customer: Any, offers: Any, swap_instance: Any
) -> None:
    swap_instance(mfa_required_roles=())
    customer = make_customer(partner, name="Kunde Worte GmbH")
    Customer.objects.filter(id=customer.id).update(language="en", culture="en-DE")
    placed = order(seller(partner, make_user), customer, ("WORKPLACE-BASIC", 5))
    sub = Subscription.objects.get(order=placed)
    Subscription.objects.filter(id=sub.id).update(created_at=WHEN)
    sign_in(page, make_user(partner.tenant, Role.ADMIN_AGENT).upn, PASSWORD)

    page.goto(f"/customers/{customer.id}/")
    expect(page.get_by_test_id("customer-language")).to_have_text("English (Germany)")
    page.goto(f"/customers/{customer.id}/subscriptions/{sub.id}/")
    expect(page.get_by_test_id("created")).to_have_text("01/12/2026 18:26")  # not 12/01/2026 6:26 p.m.

    # Cancelling without ticking the box: the refusal alone, not "….: Tick the box…".
    page.get_by_test_id("cancel").click()
    expect(page.locator("ul.messages li.error")).to_have_text("Tick the box to confirm the cancellation.")

    # A country outside the markets: the markets by name.
    page.goto("/catalog/?country=US")
    expect(page.locator("main")).to_contain_text(
        "Sell to customers in: Austria (AT), Belgium (BE), Bulgaria (BG), Croatia (HR)"
    )
    expect(page.locator("main")).not_to_contain_text("AT, BE")
    page.select_option("#language", label="Deutsch")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_load_state()
    page.goto("/catalog/?country=US")
    expect(page.locator("main")).to_contain_text(
        "Belgien (BE), Bulgarien (BG), Dänemark (DK), Deutschland (DE)"
    )

    page.goto(f"/customers/{customer.id}/")
    expect(page.get_by_test_id("customer-language")).to_have_text("Englisch (Deutschland)")
    page.goto(f"/customers/{customer.id}/subscriptions/{sub.id}/")
    expect(page.get_by_test_id("created")).to_have_text("01.12.2026 18:26")
