"""Small things a partner trips over, in Chromium: a suspended account is told why it cannot
create customers instead of being offered the form; a bare domain prefix is refused at its field."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from hanse.access.roles import Role
from hanse.customers.models import Customer
from hanse.partners.models import PartnerAccount
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in


def test_a_suspended_partner_is_told_why_instead_of_offered_the_form(
    page: Page, partner: Any, make_user: Any, swap_instance: Any
) -> None:
    swap_instance(mfa_required_roles=())
    PartnerAccount.objects.filter(id=partner.account.id).update(
        state=PartnerAccount.State.SUSPENDED, suspension_reason="Unpaid invoices since September."
    )
    sign_in(page, make_user(partner.tenant, Role.ADMIN_AGENT).upn, PASSWORD)
    page.goto("/customers/")
    expect(page.get_by_test_id("new-customer")).to_have_count(0)
    expect(page.get_by_test_id("closed-notice")).to_contain_text("Your CSP account is suspended")
    page.goto("/customers/new")
    expect(page.get_by_test_id("closed")).to_contain_text("Your CSP account is suspended")
    expect(page.get_by_test_id("customer-form")).to_have_count(0)


def test_a_bare_domain_prefix_is_refused_at_its_field(
    page: Page, partner: Any, make_user: Any, offers: Any, swap_instance: Any
) -> None:
    swap_instance(mfa_required_roles=())
    sign_in(page, make_user(partner.tenant, Role.ADMIN_AGENT).upn, PASSWORD)
    page.goto("/customers/new")
    page.fill("#id_company_name", "Contoso GmbH")
    page.fill("#id_domain", "contoso")
    page.get_by_role("button", name="Create customer").click()
    domain_field = page.locator(".field.invalid").filter(has=page.locator("#id_domain"))
    expect(domain_field.locator(".error")).to_have_text(
        "Enter the whole domain with its suffix, for example contoso.example."
    )
    assert not Customer.objects.filter(company_name="Contoso GmbH").exists()
