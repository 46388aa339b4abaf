"""Customer users and licences end to end in a real browser, in both task routings.

An admin agent of a partner opens its customer's users from the partner center. Where the
instance routes user, password and licence tasks to the admin center (the sovereign ``de`` demo
instance), the partner center shows a pointer there and the agent follows it; where they stay in
the partner center (the ``eu`` demo instance), the agent works right there. Either way the agent
creates a user, assigns the customer's last WORKPLACE-BASIC seat, resets the password, deletes
the user (which frees the seat) and restores it. Each step is checked on the page and in the
database.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hanse.access.roles import Role
from hanse.commerce.services import LineItem, order_create
from hanse.directory.customer_users import RESTORE_DAYS
from hanse.directory.models import User
from hanse.licensing.models import LicenceAssignment
from tests.conftest import PASSWORD, SYSTEM
from tests.e2e.conftest import path_is, sign_in

pytestmark = pytest.mark.browser

TASKS = ("partner_users", "customer_users", "password_reset", "licences")
SKU = "WORKPLACE-BASIC"
UPN = "lena@kunde-ui.example"


@pytest.mark.parametrize("place", ["partnercenter", "admincenter"])
def test_user_lifecycle_with_a_licence(
    page: Page,
    live_server: Any,
    swap_instance: Any,
    partner: Any,
    make_user: Any,
    make_customer: Any,
    offers: Any,
    place: str,
) -> None:
    swap_instance(mfa_required_roles=(), task_routing=dict.fromkeys(TASKS, place))
    agent = make_user(partner.tenant, Role.ADMIN_AGENT)
    customer = make_customer(partner, name="Kunde UI GmbH", domain="kunde-ui.example")
    order_create(actor=SYSTEM, customer_id=customer.id, lines=[LineItem(SKU, 1)])  # exactly one seat
    root = "/admin-center" if place == "admincenter" else ""
    users_path = f"{root}/customers/{customer.id}/users/"
    messages = page.locator("ul.messages li.success")
    h1 = page.get_by_role("heading", level=1)

    # 1. From the customer in the partner center to its users, where the routing says.
    sign_in(page, agent.upn, PASSWORD)
    page.goto(f"/customers/{customer.id}/")
    nav = page.get_by_role("navigation", name="Main navigation")
    if place == "admincenter":
        # One banner for the three tasks, and a link that names where it goes.
        expect(page.get_by_test_id("routed")).to_have_count(1)
        expect(page.get_by_test_id("routed")).to_contain_text(
            "customer user management, password reset and licence management are done in the admin center"
        )
        expect(page.get_by_test_id("admin-center-link")).to_have_text(
            "Open Kunde UI GmbH in the admin center"
        )
        expect(nav.get_by_role("link", name="Admin center")).to_be_visible()
    else:
        expect(nav.get_by_role("link", name="Admin center")).to_have_count(0)
    page.get_by_test_id("customer-users").click()
    expect(page).to_have_url(path_is(f"/customers/{customer.id}/users/"))
    if place == "admincenter":
        expect(page.get_by_test_id("routed")).to_contain_text("is done in the admin center")
        expect(page.locator("main")).not_to_contain_text("/admin-center/")  # a link, not a path in a sentence
        expect(page.get_by_test_id("new-user")).to_have_count(0)  # not offered where it is not done
        page.get_by_test_id("admin-center-link").first.click()
        expect(page.get_by_test_id("admin-center-bar")).to_be_visible()
        expect(page.get_by_test_id("ac-tenant")).to_contain_text("Kunde UI GmbH")
    else:
        expect(page.get_by_test_id("routed")).to_have_count(0)
        expect(page.get_by_test_id("admin-center-bar")).to_have_count(0)
    expect(page).to_have_url(path_is(users_path))

    # 2. Create the user: the temporary password is shown once and must be changed at first sign-in.
    page.get_by_test_id("new-user").click()
    expect(page).to_have_url(path_is(f"{users_path}new"))
    page.get_by_test_id("upn").fill(UPN)
    page.get_by_test_id("display-name").fill("Lena Lang")
    page.get_by_test_id("usage-location").select_option("DE")
    page.get_by_test_id("create-user").click()
    expect(h1).to_have_text("User created")
    expect(page.get_by_test_id("result-upn")).to_have_text(UPN)
    first_password = page.get_by_test_id("temp-password").inner_text()
    user = User.objects.get(upn=UPN)
    assert user.tenant_id == customer.tenant_id
    assert user.check_password(first_password) and user.must_change_password
    page.get_by_test_id("open-user").click()
    expect(page).to_have_url(path_is(f"{users_path}{user.id}/"))
    expect(page.get_by_test_id("user-name")).to_have_text("Lena Lang")
    expect(page.get_by_test_id("who")).to_contain_text(agent.upn)  # the signed-in agent, not the user shown

    # 3. Assign the one seat.
    box = page.get_by_test_id(f"licence-{SKU}")
    expect(box).not_to_be_checked()
    expect(page.locator(f"label[for=sku-{SKU}]")).to_contain_text("1 available")
    box.check()
    page.get_by_test_id("save-licences").click()
    expect(messages).to_have_text(f"The licences of {UPN} were saved.")
    expect(page.get_by_test_id(f"licence-{SKU}")).to_be_checked()
    expect(page.locator(f"label[for=sku-{SKU}]")).to_contain_text("0 available")
    assert list(LicenceAssignment.objects.filter(user=user).values_list("sku_id", flat=True)) == [SKU]
    page.goto(f"{root}/customers/{customer.id}/licences")
    expect(page.get_by_test_id(f"available-{SKU}")).to_have_text("0")
    page.goto(f"{users_path}{user.id}/")

    # 4. Reset the password: a new one, shown once; the first no longer works.
    page.get_by_test_id("reset-password").click()
    expect(page.get_by_test_id("confirm-consequence")).to_contain_text("Every session and token")
    page.get_by_test_id("confirm-yes").click()
    expect(h1).to_have_text("Password reset")
    second_password = page.get_by_test_id("temp-password").inner_text()
    assert second_password != first_password
    user.refresh_from_db()
    assert user.check_password(second_password) and not user.check_password(first_password)
    assert user.must_change_password
    page.get_by_test_id("open-user").click()

    # 5. Delete: the user leaves the list and its seat is free again.
    expect(page.get_by_test_id("delete-hint")).to_contain_text(f"restored for {RESTORE_DAYS} days")
    page.get_by_test_id("delete-user").click()
    expect(page.get_by_test_id("confirm-consequence")).to_contain_text("comes back without its licences")
    page.get_by_test_id("confirm-yes").click()
    expect(page).to_have_url(path_is(users_path))
    expect(messages).to_have_text(f"The user {UPN} was deleted. It can be restored for {RESTORE_DAYS} days.")
    expect(page.get_by_test_id("users")).not_to_contain_text(UPN)
    user.refresh_from_db()
    assert user.deleted_at is not None
    assert not LicenceAssignment.objects.filter(user=user).exists()

    # 6. Restore from the deleted users.
    page.get_by_test_id("deleted-users").click()
    expect(page).to_have_url(path_is(f"{users_path}deleted"))
    expect(page.get_by_test_id("deleted-user-row")).to_contain_text(UPN)
    page.get_by_test_id(f"restore-{user.id}").click()
    expect(page).to_have_url(path_is(f"{users_path}{user.id}/"))
    expect(messages).to_have_text(
        f"The user {UPN} was restored, without the licences it had: assign them again below."
    )
    expect(page.get_by_test_id("user-deleted")).to_have_count(0)
    user.refresh_from_db()
    assert user.deleted_at is None
    page.get_by_test_id("nav-users").click()
    expect(page.get_by_test_id("users")).to_contain_text(UPN)


def test_customer_global_admin_signs_in_to_its_own_tenant_only(
    page: Page,
    live_server: Any,
    swap_instance: Any,
    partner: Any,
    make_partner: Any,
    make_user: Any,
    make_customer: Any,
    offers: Any,
) -> None:
    swap_instance(mfa_required_roles=(), task_routing=dict.fromkeys(TASKS, "admincenter"))
    customer = make_customer(partner, name="Kunde UI GmbH", domain="kunde-ui.example")
    order_create(actor=SYSTEM, customer_id=customer.id, lines=[LineItem(SKU, 1)])
    it_admin = make_user(customer.tenant, Role.CUSTOMER_GLOBAL_ADMIN, upn="it@kunde-ui.example")
    other = make_customer(make_partner(), name="Fremd AG", domain="fremd-ui.example")

    sign_in(page, it_admin.upn, PASSWORD)
    users_path = f"/admin-center/customers/{customer.id}/users/"
    expect(page).to_have_url(path_is(users_path))  # straight to its own tenant
    expect(page.get_by_test_id("admin-center-bar")).to_be_visible()
    expect(page.get_by_test_id("ac-tenant")).to_contain_text("Kunde UI GmbH")
    expect(page.get_by_test_id("users")).to_contain_text(it_admin.upn)

    page.get_by_test_id("new-user").click()
    page.get_by_test_id("upn").fill("max@kunde-ui.example")
    page.get_by_test_id("display-name").fill("Max Muster")
    page.get_by_test_id("usage-location").select_option("AT")
    page.get_by_test_id("create-user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("User created")
    page.get_by_test_id("open-user").click()
    page.get_by_test_id(f"licence-{SKU}").check()
    page.get_by_test_id("save-licences").click()
    expect(page.locator("ul.messages li.success")).to_have_text(
        "The licences of max@kunde-ui.example were saved."
    )
    assert LicenceAssignment.objects.filter(user__upn="max@kunde-ui.example", sku_id=SKU).exists()

    # Another partner's customer, and the partner's own pages, are not there for it.
    response = page.goto(f"/admin-center/customers/{other.id}/users/")
    assert response is not None and response.status == 404
    response = page.goto(f"/customers/{other.id}/")
    assert response is not None and response.status == 403  # the partner center is not for it at all
