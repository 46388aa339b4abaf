"""The tenant link in Chromium across two live ``hanse serve`` processes on loopback, the demo's
``de`` and ``eu``, each with its own database and its own sign-in page (docs/links.md): flow 2 to
the success page and both of its buttons; each of the three failures, then a corrected retry;
flow 3 from Create a new account through enrolment, agreement and activation back to a link; a
tampered ``state`` refused. de requires MFA of its Global admin (enrolled at first sign-in); eu's
configuration here asks for none, so that one person can sign in there as several users in a row."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import chromium, code_at, current_step, secret_key, submit_code
from tests.live import serving
from tests.test_process import free_port, hanse

# django_db only for the e2e folder's autouse fixture (it resets sign-in throttling); both instances
# under test have databases of their own.
pytestmark = [pytest.mark.process, pytest.mark.django_db]


class Instances:
    def __init__(self, data: Path, de: str, eu: str) -> None:
        self.data, self.de, self.eu = data, de, eu
        self.users = json.loads((data / "demo-users.json").read_text())

    def user(self, instance: str, tenant: str, *, admin: bool = True) -> dict[str, Any]:
        return next(
            u
            for u in self.users
            if u["instance"] == instance
            and u["tenant"] == tenant
            and (("global_admin" in u["roles"]) == admin)
        )


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instances]:
    data = tmp_path_factory.mktemp("link")
    base = free_port()
    seeded = hanse("demo", "--data-dir", str(data), "--seed-only", "--port-base", str(base))
    assert seeded.returncode == 0, seeded.stderr
    with (data / "eu.toml").open("a") as f:
        f.write("\n[security]\nmfa_required_roles = []\n")
    with serving(data / "de.toml", port=base) as de, serving(data / "eu.toml", port=base + 1) as eu:
        yield Instances(data, de, eu)


@pytest.fixture(scope="module")
def browser_page(instances: Instances) -> Iterator[Page]:
    """One browser for the module: de's Global admin enrols MFA once and stays signed in there."""
    with chromium() as page:
        yield page


MFA_KEYS: dict[str, bytes] = {}


def starts(prefix: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(prefix))


def sign_in_at(page: Page, base: str, user: dict[str, Any]) -> None:
    page.goto(f"{base}/signin")
    fill_sign_in(page, user)


def fill_sign_in(page: Page, user: dict[str, Any]) -> None:
    page.fill("#id_username", user["upn"])
    page.fill("#id_password", user["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if page.url.endswith("/account/mfa"):  # de's Global admin enrols once, at first sign-in
        key = secret_key(page.get_by_test_id("totp-secret").get_attribute("data-secret") or "")
        MFA_KEYS[user["upn"]] = key
        submit_code(page, code_at(key, current_step()))


def signed_in_source(page: Page, inst: Instances) -> None:
    page.goto(f"{inst.de}/csp/")
    if "/signin" in page.url:
        sign_in_at(page, inst.de, inst.user("de", "contoso-de.example"))
        page.goto(f"{inst.de}/csp/")
    expect(page.get_by_role("heading", level=1)).to_have_text("CSP overview")


def next_and_sign_in_there(page: Page, inst: Instances, user: dict[str, Any]) -> None:
    page.get_by_test_id("link-next").click()
    expect(page).to_have_url(starts(f"{inst.eu}/signin"))
    fill_sign_in(page, user)


def confirm_and_check(page: Page, inst: Instances, domain: str) -> None:
    expect(page).to_have_url(f"{inst.de}/csp/link/confirm")
    expect(page.get_by_test_id("target-domain")).to_have_text(domain)
    page.get_by_test_id("confirm-link").click()
    expect(page).to_have_url(f"{inst.de}/csp/link/done")


def unlink(page: Page, inst: Instances) -> None:
    page.goto(f"{inst.de}/csp/link/")
    page.get_by_test_id("unlink").click()
    expect(page.get_by_test_id("link-choices")).to_be_visible()


def test_flow_2_to_the_success_page(instances: Instances, browser_page: Page) -> None:
    inst, page = instances, browser_page
    signed_in_source(page, inst)
    expect(page.get_by_test_id("link-choices")).to_be_visible()
    next_and_sign_in_there(page, inst, inst.user("eu", "contoso-eu.example"))
    expect(page.get_by_test_id("link-customers")).not_to_contain_text("No customer yet.")
    confirm_and_check(page, inst, "contoso-eu.example")
    page.get_by_test_id("view-details").click()
    expect(page).to_have_url(f"{inst.de}/csp/link/")
    expect(page.get_by_test_id("target-domain")).to_contain_text("contoso-eu.example")
    page.go_back()
    page.get_by_test_id("view-dashboard").click()
    expect(page).to_have_url(f"{inst.de}/csp/link/customers")
    expect(page.get_by_test_id("linked-customers")).to_contain_text("contoso-eu.example")
    page.goto(f"{inst.de}/csp/")
    expect(page.get_by_test_id("link-state")).to_contain_text("contoso-eu.example")
    unlink(page, inst)


@pytest.mark.parametrize(
    ("tenant", "admin", "code"),
    [
        ("contoso-eu.example", False, "9510"),  # (a) not a Global admin of that tenant
        ("contoso-us.example", True, "9511"),  # (b) not in a European region
        ("contoso-new.example", True, "9512"),  # (c) no active CSP account
    ],
    ids=["not-global-admin", "not-european", "not-active"],
)
def test_each_failure_then_a_corrected_retry(
    instances: Instances, browser_page: Page, tenant: str, admin: bool, code: str
) -> None:
    inst, page = instances, browser_page
    signed_in_source(page, inst)
    next_and_sign_in_there(page, inst, inst.user("eu", tenant, admin=admin))
    expect(page.get_by_test_id("link-failed")).to_have_attribute("data-code", code)
    expect(page.get_by_test_id("fix")).to_be_visible()
    page.get_by_test_id("try-again").click()
    # prompt=login: the peer asks for a fresh sign-in, so another user can be chosen.
    expect(page).to_have_url(starts(f"{inst.eu}/signin"))
    fill_sign_in(page, inst.user("eu", "contoso-eu.example"))
    confirm_and_check(page, inst, "contoso-eu.example")
    unlink(page, inst)


def test_a_tampered_state_is_refused(instances: Instances, browser_page: Page) -> None:
    inst, page = instances, browser_page
    signed_in_source(page, inst)
    page.get_by_test_id("link-next").click()
    expect(page).to_have_url(starts(f"{inst.eu}/signin"))
    # The authorization request on its way, its state changed: the answer carries the forged one.
    forged = re.sub(r"state%3D[^%&]+", "state%3Dforged", page.url)
    assert forged != page.url
    page.goto(forged)
    fill_sign_in(page, inst.user("eu", "contoso-eu.example"))
    expect(page).to_have_url(starts(f"{inst.de}/csp/link/callback?"))
    expect(page.get_by_test_id("link-failed")).to_have_attribute("data-code", "9504")
    expect(page.get_by_test_id("link-failure")).to_contain_text("does not belong to a sign-in started here")
    page.goto(f"{inst.de}/csp/")
    expect(page.get_by_test_id("link-choices")).to_be_visible()  # nothing was linked


def test_flow_3_create_a_new_account_back_to_a_link(instances: Instances, browser_page: Page) -> None:
    inst, page = instances, browser_page
    page.goto(f"{inst.eu}/csp/")  # signed in there from the tests before: a new person has no session
    page.get_by_role("button", name="Sign out").click()
    signed_in_source(page, inst)
    page.get_by_test_id("link-new-account").click()
    expect(page).to_have_url(starts(f"{inst.eu}/enrol?return="))
    page.fill("#id_company_name", "Contoso Nord GmbH")
    page.fill("#id_domain", "contoso-nord.example")
    page.select_option("#id_region", "eu-west")
    page.select_option("#id_country", "DE")
    page.fill("#id_admin_name", "Nora Nord")
    page.fill("#id_admin_local_part", "nora")
    password = "Nord-Partner-2026-sicher!"
    page.fill("#id_password", password)
    page.fill("#id_confirm", password)
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_test_id("link-return")).to_contain_text("Once this CSP account is active")
    # Sign the partner agreement at eu.
    page.goto(f"{inst.eu}/csp/agreement")
    page.fill("#id_name", "Nora Nord")
    page.fill("#id_email", "nora@contoso-nord.example")
    page.check("#id_accept")
    page.get_by_role("button", name="Sign the agreement").click()
    page.goto(f"{inst.eu}/csp/")
    expect(page.get_by_test_id("link-return")).to_contain_text("Once this CSP account is active")
    # eu's operator activates the account.
    page.get_by_role("button", name="Sign out").click()
    sign_in_at(page, inst.eu, inst.user("eu", "operators.eu.example", admin=False))
    page.goto(f"{inst.eu}/operator/partners")
    page.locator('[data-testid=partner-row]:has-text("contoso-nord.example") [data-testid=activate]').click()
    expect(page.locator('[data-testid=partner-row]:has-text("contoso-nord.example")')).to_contain_text(
        "Active"
    )
    # The new admin sees the way back, now that the account is active; it leads to de's choice.
    page.get_by_role("button", name="Sign out").click()
    sign_in_at(page, inst.eu, {"upn": "nora@contoso-nord.example", "password": password})
    page.goto(f"{inst.eu}/csp/")
    expect(page.get_by_test_id("link-return")).to_contain_text("This CSP account is active")
    page.get_by_test_id("link-return-url").click()
    expect(page).to_have_url(f"{inst.de}/csp/")
    next_and_sign_in_there(page, inst, {"upn": "nora@contoso-nord.example", "password": password})
    confirm_and_check(page, inst, "contoso-nord.example")
    unlink(page, inst)
