"""The cart in Chromium: a quantity outside the offer's range is caught where it is typed, on add
and on change, and is never added; nothing is ordered before the review is confirmed."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from hanse.access.roles import Role
from hanse.commerce.models import Order
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in


def test_the_cart_refuses_a_quantity_out_of_range_at_its_field(
    page: Page, partner: Any, make_user: Any, make_customer: Any, offers: Any, swap_instance: Any
) -> None:
    swap_instance(mfa_required_roles=())
    customer = make_customer(partner)
    sign_in(page, make_user(partner.tenant, Role.SALES_AGENT).upn, PASSWORD)
    page.goto(f"/catalog/?country=DE&customer={customer.id}")
    row = page.locator("[data-testid=offer-row][data-offer=WORKPLACE-BASIC]")
    quantity = row.locator("input.qty")
    for typed in ("0", "200000"):
        quantity.fill(typed)
        row.get_by_test_id("add-to-cart").click()
        # The browser keeps the page and marks the field with the offer's range.
        expect(page).to_have_url(f"{page.url.split('?')[0]}?country=DE&customer={customer.id}")
        assert quantity.evaluate("el => !el.validity.valid")
    quantity.fill("5")
    row.get_by_test_id("add-to-cart").click()
    line = page.get_by_test_id("cart-line")
    expect(line).to_have_count(1)
    field = line.get_by_test_id("line-quantity")
    expect(field).to_have_attribute("max", "300")
    field.fill("301")
    line.get_by_role("button", name="Update").click()
    assert field.evaluate("el => el.validity.rangeOverflow")
    expect(page.get_by_test_id("cart-total")).to_have_text("28.00 EUR")  # the change was not sent
    page.get_by_test_id("checkout").click()
    expect(page.get_by_test_id("review")).to_be_visible()
    assert not Order.objects.exists()  # the review orders nothing
    page.get_by_test_id("back-to-cart").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
