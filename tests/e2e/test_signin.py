"""Sign-in in a real browser: MFA enrolment and verification, forced password change, language, throttling."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hanse.access.roles import Role
from hanse.directory.models import User
from tests.conftest import PASSWORD
from tests.e2e.conftest import (
    code_at,
    current_step,
    next_code,
    path_is,
    secret_key,
    sign_in,
    sign_out,
    submit_code,
    wrong_code,
)

pytestmark = pytest.mark.browser

CODE_ERROR = "That code is not valid."
SIGNIN_ERROR = "The user name or password is not correct."


def test_admin_enrols_mfa_then_signs_in_with_a_code(page: Page, make_partner: Any, make_user: Any) -> None:
    partner = make_partner(region="de-west")
    admin = make_user(partner.tenant, Role.GLOBAL_ADMIN)

    # Password alone is not enough for an admin role: enrol first.
    sign_in(page, admin.upn, PASSWORD)
    expect(page).to_have_url(path_is("/account/mfa"))
    secret = page.get_by_test_id("totp-secret").get_attribute("data-secret")
    assert secret
    key = secret_key(secret)

    # Nothing else is reachable until enrolment is done.
    page.goto("/csp/")
    expect(page).to_have_url(path_is("/account/mfa"))
    # Same unconfirmed device (and secret) as before the detour.
    expect(page.get_by_test_id("totp-secret")).to_have_attribute("data-secret", secret)

    submit_code(page, wrong_code(key))
    expect(page).to_have_url(path_is("/account/mfa"))
    expect(page.locator(".field.invalid .error")).to_contain_text(CODE_ERROR)

    submit_code(page, code_at(key, current_step()))
    expect(page).to_have_url(path_is("/csp/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("CSP overview")
    expect(page.get_by_test_id("account-state")).to_have_text("Active")
    expect(page.get_by_test_id("region")).to_have_text("Frankfurt (de-west)")

    # Next sign-in: password, then a code from the authenticator.
    sign_out(page)
    sign_in(page, admin.upn, PASSWORD)
    expect(page).to_have_url(path_is("/signin/verify"))
    page.goto("/csp/")  # not signed in yet: the password alone opened no session
    expect(page).to_have_url(path_is("/signin"))
    sign_in(page, admin.upn, PASSWORD)
    expect(page).to_have_url(path_is("/signin/verify"))

    submit_code(page, wrong_code(key))
    expect(page).to_have_url(path_is("/signin/verify"))
    expect(page.locator(".field.invalid .error")).to_contain_text(CODE_ERROR)

    # After one failure django-otp wants 1 s (OTP_TOTP_THROTTLE_FACTOR) before the next try.
    time.sleep(1.1)
    submit_code(page, next_code(key, admin))
    expect(page).to_have_url(path_is("/csp/"))
    expect(page.get_by_test_id("account-state")).to_have_text("Active")
    expect(page.get_by_test_id("who")).to_contain_text(admin.upn)


def test_forced_password_change(page: Page, partner: Any, make_user: Any) -> None:
    agent = make_user(partner.tenant, Role.SALES_AGENT, must_change_password=True)
    new_password = "Quiet-Lantern-Orchard-7731"

    sign_in(page, agent.upn, PASSWORD)
    expect(page).to_have_url(path_is("/account/password"))
    expect(page.get_by_test_id("forced")).to_be_visible()

    def change(current: str, new: str, confirm: str) -> None:
        page.fill("#id_current", current)
        page.fill("#id_new", new)
        page.fill("#id_confirm", confirm)
        page.get_by_role("button", name="Change password").click()
        page.wait_for_load_state()

    # Too weak: refused, still forced.
    change(PASSWORD, "12345678", "12345678")
    expect(page).to_have_url(path_is("/account/password"))
    expect(page.get_by_role("alert")).to_contain_text("The password is not strong enough")
    expect(page.get_by_test_id("forced")).to_be_visible()
    page.goto("/csp/")
    expect(page).to_have_url(path_is("/account/password"))
    agent.refresh_from_db()
    assert agent.must_change_password and agent.check_password(PASSWORD)

    # The confirmation does not match.
    change(PASSWORD, new_password, new_password + "x")
    expect(page).to_have_url(path_is("/account/password"))
    expect(page.locator(".field.invalid .error")).to_have_text("The two passwords do not match.")
    expect(page.get_by_test_id("forced")).to_be_visible()

    change(PASSWORD, new_password, new_password)
    expect(page).to_have_url(path_is("/csp/"))
    expect(page.get_by_test_id("account-state")).to_have_text("Active")

    sign_out(page)
    sign_in(page, agent.upn, PASSWORD)
    expect(page).to_have_url(path_is("/signin"))
    expect(page.get_by_role("alert")).to_have_text(SIGNIN_ERROR)

    sign_in(page, agent.upn, new_password)
    expect(page).to_have_url(path_is("/csp/"))
    expect(page.get_by_test_id("account-state")).to_have_text("Active")
    assert not User.objects.get(pk=agent.pk).must_change_password


def test_language_switch(page: Page, partner: Any, make_user: Any) -> None:
    agent = make_user(partner.tenant, Role.SALES_AGENT)
    sign_in(page, agent.upn, PASSWORD)
    expect(page).to_have_url(path_is("/csp/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    heading = page.get_by_role("heading", level=1)
    nav = page.locator("nav.side")
    expect(heading).to_have_text("CSP overview")

    def switch(language: str) -> None:
        page.select_option("#language", label=language)
        page.locator("form.lang button[type=submit]").click()
        page.wait_for_load_state()

    switch("Deutsch")
    expect(page).to_have_url(path_is("/csp/"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#language")).to_have_value("de")
    expect(heading).to_have_text("CSP-Übersicht")
    expect(nav.get_by_role("link", name="CSP-Übersicht")).to_be_visible()

    switch("Français")
    expect(page).to_have_url(path_is("/csp/"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(heading).to_have_text("Vue d\u2019ensemble CSP")
    expect(nav.get_by_role("link", name="Vue d\u2019ensemble CSP")).to_be_visible()

    # The choice sticks to the browser: a fresh load keeps French.
    page.goto("/csp/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_repeated_failures_lock_the_account_out(page: Page, partner: Any, make_user: Any) -> None:
    agent = make_user(partner.tenant, Role.SALES_AGENT)

    for attempt in range(1, 6):
        sign_in(page, agent.upn, f"wrong-password-{attempt}")
        if attempt < 5:
            expect(page.get_by_role("alert")).to_have_text(SIGNIN_ERROR)
            expect(page.get_by_test_id("locked-out")).to_have_count(0)

    # Even the right password is refused now.
    sign_in(page, agent.upn, PASSWORD)
    expect(page.get_by_test_id("locked-out")).to_be_visible()
    expect(page.get_by_test_id("who")).to_have_count(0)  # not signed in
    page.goto("/csp/")
    expect(page).to_have_url(path_is("/signin"))
