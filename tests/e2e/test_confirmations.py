"""Destructive actions ask first, in Chromium, and say what will happen: suspending a subscription,
and an operator suspending a partner's account, which needs a reason that the partner then reads."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from hanse.access.roles import Role
from hanse.commerce.models import Subscription
from hanse.directory.models import Tenant
from hanse.partners.models import PartnerAccount
from tests.conftest import PASSWORD
from tests.customers.web import order, seller
from tests.e2e.conftest import path_is, sign_in, sign_out

REASON = "Unpaid invoices since September; see our letter of 2 November."


def test_suspending_a_subscription_asks_first(
    page: Page, partner: Any, make_user: Any, make_customer: Any, offers: Any, swap_instance: Any
) -> None:
    swap_instance(mfa_required_roles=())
    customer = make_customer(partner)
    sub = Subscription.objects.get(order=order(seller(partner, make_user), customer, ("WORKPLACE-BASIC", 5)))
    agent = make_user(partner.tenant, Role.ADMIN_AGENT)
    sign_in(page, agent.upn, PASSWORD)
    url = f"/customers/{customer.id}/subscriptions/{sub.id}/"
    page.goto(url)
    page.get_by_test_id("suspend").click()
    expect(page.get_by_test_id("confirm-consequence")).to_contain_text("Its 5 seats no longer count")
    page.get_by_test_id("confirm-no").click()  # changing one's mind changes nothing
    expect(page).to_have_url(path_is(url))
    expect(page.get_by_test_id("status")).to_have_text("Active")
    page.get_by_test_id("suspend").click()
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_test_id("status")).to_have_text("Suspended")
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.SUSPENDED


def test_an_operator_suspends_a_partner_with_a_reason_the_partner_reads(
    page: Page, partner: Any, make_user: Any, make_tenant: Any, swap_instance: Any
) -> None:
    from tests.partners.test_views import sign

    swap_instance(mfa_required_roles=())
    sign(partner, make_user)
    operator = make_user(make_tenant(Tenant.Kind.PROVIDER), Role.OPERATOR)
    admin = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    sign_in(page, operator.upn, PASSWORD)
    page.goto("/operator/partners")
    row = page.get_by_test_id("partner-row").filter(has_text=partner.domain)
    row.get_by_test_id("suspend").click()
    expect(page.get_by_test_id("confirm-consequence")).to_contain_text("They see the reason you give here.")
    page.get_by_test_id("confirm-yes").click()  # the empty reason: the browser keeps the page
    expect(page.get_by_label("Reason (shown to the partner)")).to_be_visible()
    page.get_by_label("Reason (shown to the partner)").fill(REASON)
    page.get_by_test_id("confirm-yes").click()
    expect(page).to_have_url(path_is("/operator/partners"))
    expect(row.get_by_test_id("partner-state")).to_have_text("Suspended")
    assert PartnerAccount.objects.get(id=partner.account.id).suspension_reason == REASON
    sign_out(page)
    sign_in(page, admin.upn, PASSWORD)
    page.goto("/csp/")
    expect(page.get_by_test_id("suspension-reason")).to_have_text(f"The operator's reason: {REASON}")
