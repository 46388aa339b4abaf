"""Selling end to end in a real browser, in English and in German.

A new partner enrols, sets up MFA, signs the partner agreement and is activated (by the instance's
auto-activation in one run, by an operator in the other); then it creates a customer, buys an
offer for it through catalogue, cart and checkout, and changes the subscription's quantity.

German texts are read from the German catalogue at test time: an untranslated msgid fails the
German run, so the run proves the German UI of the flow is complete.
"""

from __future__ import annotations

import functools
import re
import time
from pathlib import Path
from typing import Any

import polib
import pytest
from playwright.sync_api import Page, expect

import hanse
from hanse.access.roles import Role
from hanse.partners import agreement
from tests.e2e.conftest import code_at, current_step, path_is, secret_key

pytestmark = pytest.mark.browser

GERMAN_PO = Path(hanse.__file__).resolve().parent / "locale" / "de" / "LC_MESSAGES" / "django.po"
STRONG_PASSWORD = "Velvet-Harbour-Kestrel-2958"
OFFER = "Workplace Basic"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@functools.cache
def _german() -> polib.POFile:
    return polib.pofile(str(GERMAN_PO))


def t(msgid: str, lang: str) -> str:
    """The text the UI shows for ``msgid`` in ``lang``: the msgid in English, the msgstr in German.

    A German entry that is missing, empty or fuzzy (Django ignores fuzzy entries) fails the test.
    A plural entry gives its singular form.
    """
    if lang == "en":
        return msgid
    assert lang == "de", lang
    entry = _german().find(msgid)
    if entry is None:
        pytest.fail(f"German catalogue has no entry for {msgid!r}")
    text = entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr
    if not text or entry.fuzzy or entry.obsolete:
        pytest.fail(f"German catalogue does not translate {msgid!r}")
    return text


def urls(path_pattern: str) -> re.Pattern[str]:
    """Matches a URL whose path matches the regular expression ``path_pattern`` (any host, port, query)."""
    return re.compile(rf"^https?://[^/]+{path_pattern}(\?.*)?$")


def switch_language(page: Page, label: str) -> None:
    page.select_option("#language", label=label)
    page.locator("form.lang button[type=submit]").click()
    page.wait_for_load_state()


def confirm_mfa(page: Page, lang: str) -> None:
    """On the MFA enrolment page: read the secret and confirm it with the current code."""
    expect(page).to_have_url(path_is("/account/mfa"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Set up multi-factor authentication", lang))
    secret = page.get_by_test_id("totp-secret").get_attribute("data-secret")
    assert secret
    page.fill("#id_code", code_at(secret_key(secret), current_step()))
    page.locator("main form button[type=submit].primary").click()
    page.wait_for_load_state()


def activate_as_operator(
    page: Page, live_server: Any, operator: Any, lang: str, domain: str, company: str
) -> None:
    """An operator, in a browser of their own, activates the pending account on /operator/partners."""
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(base_url=live_server.url, locale="de-DE" if lang == "de" else "en-US")
    try:
        op = context.new_page()
        op.goto("/signin")
        op.fill("#id_username", operator.upn)
        op.fill("#id_password", STRONG_PASSWORD)
        op.locator("main form button[type=submit].primary").click()
        op.wait_for_load_state()
        expect(op.locator("html")).to_have_attribute("lang", lang)
        confirm_mfa(op, lang)  # operators need MFA too

        op.goto("/operator/partners")
        expect(op.get_by_role("heading", level=1)).to_have_text(t("Partners", lang))
        row = op.get_by_test_id("partner-row").filter(has_text=domain)
        expect(row.get_by_test_id("partner-state")).to_have_text(t("Pending", lang))
        expect(row.get_by_test_id("partner-signed")).to_have_text(f"{t('yes', lang)} · {agreement.VERSION}")
        row.get_by_test_id("activate").click()
        op.wait_for_load_state()

        expect(op).to_have_url(path_is("/operator/partners"))
        expect(op.locator("ul.messages li.success")).to_have_text(
            t("%(company)s: the CSP account is now %(state)s.", lang)
            % {"company": company, "state": t("Active", lang).lower()}
        )
        expect(row.get_by_test_id("partner-state")).to_have_text(t("Active", lang))
        expect(row.get_by_test_id("suspend")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize(("lang", "activation"), [("en", "auto"), ("de", "operator")])
def test_partner_enrols_is_activated_and_sells(
    page: Page,
    live_server: Any,
    offers: Any,
    swap_instance: Any,
    make_tenant: Any,
    make_user: Any,
    lang: str,
    activation: str,
) -> None:
    started = time.monotonic()
    assert swap_instance().accepts_new_customers
    if activation == "auto":
        swap_instance(auto_activate_partners=True)
    else:
        assert not swap_instance().auto_activate_partners
    company = f"Seller {lang.upper()} GmbH"
    domain = f"seller-{lang}.example"
    admin_upn = f"ada@{domain}"
    customer_name = f"Kunde {lang.upper()} AG"
    h1 = page.get_by_role("heading", level=1)
    messages = page.locator("ul.messages li.success")

    # 1. Enrol (in German: switch the language on the enrol page first).
    page.goto("/enrol")
    if lang == "de":
        switch_language(page, "Deutsch")
        expect(page).to_have_url(path_is("/enrol"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(h1).to_have_text(t("Enrol as a partner", lang))
    enrol = page.get_by_test_id("enrol")
    page.fill("#id_company_name", company)
    page.fill("#id_domain", domain)
    page.select_option("#id_region", "de-west")
    page.select_option("#id_country", "DE")
    page.fill("#id_admin_name", "Ada Admin")
    page.fill("#id_admin_local_part", "ada")
    page.fill("#id_password", STRONG_PASSWORD)
    page.fill("#id_confirm", STRONG_PASSWORD)
    expect(enrol.locator("button[type=submit].primary")).to_have_text(t("Enrol", lang))
    enrol.locator("button[type=submit].primary").click()
    page.wait_for_load_state()

    # 2. A Global admin needs MFA: enrol an authenticator, then the (pending) overview.
    expect(messages).to_have_text(
        t("%(company)s is enrolled. Sign the partner agreement to have the account activated.", lang)
        % {"company": company}
    )
    confirm_mfa(page, lang)
    expect(page).to_have_url(path_is("/csp/"))
    expect(h1).to_have_text(t("CSP overview", lang))
    expect(page.get_by_test_id("who")).to_contain_text(admin_upn)
    expect(page.get_by_test_id("account-state")).to_have_text(t("Pending", lang))
    expect(page.get_by_test_id("region")).to_have_text("Frankfurt (de-west)")
    next_sign = page.get_by_test_id("next-sign")
    expect(next_sign).to_contain_text(
        t("Sign the partner agreement so that the operator can activate your account.", lang)
    )

    # 3. Sign the agreement.
    next_sign.get_by_role("link").click()
    expect(page).to_have_url(path_is("/csp/agreement"))
    expect(h1).to_have_text(t("Partner agreement", lang))
    status = page.get_by_test_id("agreement-status")
    expect(status.get_by_role("heading", level=2)).to_have_text(t("Sign the agreement", lang))
    form = page.get_by_test_id("sign-form")
    page.fill("#id_name", "Ada Admin")
    page.fill("#id_email", admin_upn)
    page.check("#id_accept")
    expect(form.locator("button[type=submit]")).to_have_text(t("Sign the agreement", lang))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page).to_have_url(path_is("/csp/agreement"))
    expect(messages).to_have_text(
        t("You signed version %(version)s of the partner agreement.", lang) % {"version": agreement.VERSION}
    )
    expect(status.get_by_role("heading", level=2)).to_have_text(t("Signed", lang))
    expect(page.get_by_test_id("signature")).to_contain_text(t("Signed by", lang))
    expect(page.get_by_test_id("signer")).to_have_text(f"Ada Admin ({admin_upn})")

    # 4. Activation: automatic on signing, or by an operator.
    if activation == "operator":
        page.goto("/csp/")
        expect(page.get_by_test_id("account-state")).to_have_text(t("Pending", lang))
        expect(page.get_by_test_id("next-wait")).to_have_text(
            t("The partner agreement is signed. Your account is waiting for the operator's approval.", lang)
        )
        operator = make_user(make_tenant("provider"), Role.OPERATOR, password=STRONG_PASSWORD)
        activate_as_operator(page, live_server, operator, lang, domain, company)
    page.goto("/csp/")
    expect(h1).to_have_text(t("CSP overview", lang))
    expect(page.get_by_test_id("account-state")).to_have_text(t("Active", lang))
    next_customer = page.get_by_test_id("next-create-customer")
    expect(next_customer).to_contain_text(t("Create customers and order services for them.", lang))

    # 5. Create a customer in Austria.
    next_customer.get_by_role("link").click()
    expect(page).to_have_url(path_is("/customers/new"))
    expect(h1).to_have_text(t("New customer", lang))
    page.fill("#id_company_name", customer_name)
    page.fill("#id_domain", f"kunde-{lang}.example")
    page.fill("#id_first_name", "Erika")
    page.fill("#id_last_name", "Mustermann")
    page.fill("#id_email", f"erika@kunde-{lang}.example")
    page.fill("#id_address_line1", "Kärntner Straße 1")
    page.fill("#id_postal_code", "1010")
    page.fill("#id_city", "Wien")
    page.select_option("#id_country", "AT")
    page.select_option("#id_language", lang)
    create = page.get_by_test_id("customer-form").locator("button[type=submit]")
    expect(create).to_have_text(t("Create customer", lang))
    create.click()
    page.wait_for_load_state()
    # The tenant's first Global admin, with a password shown this once; then the customer.
    created = page.get_by_test_id("customer-created")
    expect(created.locator("h1")).to_have_text(
        t("The customer %(name)s was created.", lang) % {"name": customer_name}
    )
    expect(page.get_by_test_id("admin-upn")).to_have_text(f"admin@kunde-{lang}.example")
    expect(page.get_by_test_id("admin-password")).to_have_text(re.compile(r"^\S{16,}$"))
    page.get_by_test_id("open-customer").click()
    expect(page).to_have_url(urls(rf"/customers/{UUID}/"))
    detail_url = page.url
    expect(page.get_by_test_id("customer-name")).to_have_text(customer_name)
    expect(page.get_by_test_id("billing-profile")).to_contain_text(t("Austria", lang))
    expect(page.get_by_test_id("subscriptions")).to_contain_text(t("No subscriptions yet.", lang))

    # 6. Buy: the catalogue of the customer's market, the cart, the order.
    buy = page.get_by_test_id("buy")
    expect(buy).to_have_text(t("Buy", lang))
    buy.click()
    expect(page).to_have_url(urls(r"/catalog/"))
    expect(h1).to_have_text(t("Catalogue for %(name)s", lang) % {"name": customer_name})
    expect(page.locator("#market")).to_have_value("AT")
    offer_id = next(o.id for o in offers if o.name == OFFER)
    row = page.locator(f'[data-testid="offer-row"][data-offer="{offer_id}"]')
    expect(row.locator("strong")).to_have_text(OFFER)
    decimal = "," if lang == "de" else "."
    expect(row.get_by_test_id("price")).to_have_text(f"5{decimal}60 EUR")
    row.locator("input.qty").fill("5")
    add = row.get_by_test_id("add-to-cart")
    expect(add).to_have_text(t("Add to cart", lang))
    add.click()
    page.wait_for_load_state()

    expect(page).to_have_url(urls(rf"/customers/{UUID}/cart"))
    expect(messages).to_have_text(t("%(offer)s was added to the cart.", lang) % {"offer": OFFER})
    page.goto(detail_url)  # the customer shows the cart's size; open the cart from there
    cart_link = page.get_by_test_id("cart-link")
    expect(cart_link).to_have_text(t("Cart (%(n)s item)", lang) % {"n": 1})
    cart_link.click()
    expect(h1).to_have_text(t("Cart for %(name)s", lang) % {"name": customer_name})
    line = page.get_by_test_id("cart-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text(OFFER)
    expect(line.get_by_test_id("line-quantity")).to_have_value("5")
    expect(page.get_by_test_id("cart-total")).to_have_text(f"28{decimal}00 EUR")
    checkout = page.get_by_test_id("checkout")
    expect(checkout).to_have_text(t("Review the order", lang))
    checkout.click()
    page.wait_for_load_state()
    # The review: the line, its price, the total and the terms, before anything is ordered.
    expect(page.get_by_test_id("review-line")).to_have_count(1)
    expect(page.get_by_test_id("review-line")).to_contain_text(OFFER)
    expect(page.get_by_test_id("review-total")).to_have_text(f"28{decimal}00 EUR")
    expect(page.get_by_test_id("review-terms")).to_be_visible()
    page.get_by_test_id("place-order").click()
    page.wait_for_load_state()

    expect(page).to_have_url(detail_url)
    expect(messages).to_have_text(t("The order was placed: %(n)s subscription was created.", lang) % {"n": 1})
    sub_row = page.get_by_test_id("subscription-row")
    expect(sub_row).to_have_count(1)
    expect(sub_row.locator("td").nth(0)).to_have_text(OFFER)
    expect(sub_row.locator("td.num")).to_have_text("5")
    expect(sub_row.locator(".state")).to_have_text(t("Active", lang))
    expect(page.get_by_test_id("order-row")).to_contain_text(f"5 \u00d7 {OFFER}")
    expect(page.get_by_test_id("cart-link")).to_have_count(0)  # the cart is empty again

    # 7. Change the subscription's quantity.
    details = sub_row.get_by_role("link")
    expect(details).to_have_text(t("Details", lang))
    details.click()
    expect(page).to_have_url(urls(rf"/customers/{UUID}/subscriptions/{UUID}/"))
    expect(page.get_by_test_id("subscription-name")).to_have_text(OFFER)
    expect(page.get_by_test_id("quantity")).to_have_text("5")
    expect(page.get_by_test_id("manage").get_by_role("heading", level=2)).to_have_text(t("Change", lang))
    page.fill("#quantity", "7")
    change = page.get_by_test_id("change-quantity")
    expect(change).to_have_text(t("Change quantity", lang))
    change.click()
    page.wait_for_load_state()
    expect(messages).to_have_text(t("The quantity was changed.", lang))
    expect(page.get_by_test_id("quantity")).to_have_text("7")
    expect(page.get_by_test_id("status")).to_have_text(t("Active", lang))
    expect(page.locator("html")).to_have_attribute("lang", lang)

    page.goto(detail_url)
    expect(page.get_by_test_id("subscription-row").locator("td.num")).to_have_text("7")

    assert time.monotonic() - started < 40, "the flow took longer than 40 s"
