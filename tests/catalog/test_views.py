"""The catalogue page: markets, prices in the market's currency and the reader's locale, ordering."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from hanse.access.roles import Role
from tests.conftest import CATALOG_DIR, SYSTEM
from tests.customers.web import signed_in, text


@pytest.fixture(autouse=True)
def _no_mfa(swap_instance):
    swap_instance(mfa_required_roles=())


@pytest.fixture
def login(partner, make_user):
    def make(role=Role.SALES_AGENT, of=None):
        return signed_in(make_user((of or partner).tenant, role))

    return make


def price(page, offer_id):
    row = re.search(rf'data-offer="{offer_id}">(.*?)</tr>', page, re.S).group(1)
    return re.search(r'data-testid="price">([^<]+)<', row).group(1)


def selected_market(page):
    return re.search(r'<option value="([A-Z]{2})" selected>', page).group(1)


def test_catalogue_defaults_to_germany_with_euro_prices(login, offers):
    r = login().get("/catalog/")
    page = text(r)
    assert r.status_code == 200 and selected_market(page) == "DE"
    assert page.count('data-testid="offer-row"') == 13
    assert price(page, "WORKPLACE-BASIC") == "5.60 EUR"
    row = re.search(r'data-offer="WORKPLACE-PREMIUM">(.*?)</tr>', page, re.S).group(1)
    assert "Annual" in row and "1 year" in row and "1\u2013300" in row
    assert 'data-testid="add-to-cart"' not in page  # no customer chosen: nothing to buy for


def test_the_market_select_changes_currency(login, offers):
    client = login()
    page = text(client.get("/catalog/?country=ch"))
    assert selected_market(page) == "CH" and price(page, "WORKPLACE-BASIC") == "5.26 CHF"
    assert price(text(client.get("/catalog/?country=HU")), "WORKPLACE-BASIC") == "2,212.00 HUF"


def test_prices_follow_the_readers_locale(login, offers):
    client = login()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    page = text(client.get("/catalog/?country=DE"))
    assert '<html lang="de">' in page
    assert price(page, "WORKPLACE-BASIC") == "5,60 EUR"
    assert price(text(client.get("/catalog/?country=HU")), "WORKPLACE-BASIC") == "2.212,00 HUF"


@pytest.mark.parametrize("country", ["US", "XX", "GB", "de1"])
def test_a_country_that_is_no_market_is_a_clear_400(login, offers, country):
    r = login().get(f"/catalog/?country={country}")
    assert r.status_code == 400
    assert (
        f"{country.upper()} is not one of this instance's markets. "
        "Sell to customers in: Austria (AT), Belgium (BE), Bulgaria (BG)," in text(r)
    )
    assert 'data-testid="offers"' not in text(r)
    assert 'data-testid="market-form"' in text(r)  # so a valid market can be chosen


def test_trial_and_sovereign_badges(login, db):
    from hanse.catalog.services import catalog_load

    catalog_load(actor=SYSTEM, path=CATALOG_DIR / "offers-sovereign.json")
    page = text(login().get("/catalog/"))
    row = re.search(r'data-offer="WORKPLACE-PREMIUM-TRIAL_DE">(.*?)</tr>', page, re.S).group(1)
    assert 'data-testid="trial-badge"' in row and 'data-testid="sovereign-badge"' in row
    basic = re.search(r'data-offer="WORKPLACE-BASIC_DE">(.*?)</tr>', page, re.S).group(1)
    assert 'data-testid="trial-badge"' not in basic and 'data-testid="sovereign-badge"' in basic


def test_public_offers_carry_no_sovereign_badge(login, offers):
    page = text(login().get("/catalog/"))
    assert 'data-testid="sovereign-badge"' not in page
    assert page.count('data-testid="trial-badge"') == 2


def test_buying_for_a_customer_defaults_to_its_market_and_posts_to_its_cart(
    login, partner, make_customer, offers
):
    customer = make_customer(partner, country="CH")
    page = text(login().get(f"/catalog/?customer={customer.id}"))
    assert selected_market(page) == "CH" and price(page, "WORKPLACE-BASIC") == "5.26 CHF"
    assert page.count('data-testid="add-to-cart"') == 13
    assert page.count(f'action="/customers/{customer.id}/cart"') == 13
    assert f'name="customer" value="{customer.id}"' in page  # the market select keeps the customer


def test_another_markets_prices_are_for_reading_only(login, partner, make_customer, offers):
    customer = make_customer(partner, country="CH")
    page = text(login().get(f"/catalog/?country=DE&customer={customer.id}"))
    assert 'data-testid="other-market"' in page and 'data-testid="add-to-cart"' not in page


def test_roles_without_subscription_manage_get_no_cart(login, partner, make_customer, offers):
    customer = make_customer(partner)
    page = text(login(Role.BILLING_ADMIN).get(f"/catalog/?customer={customer.id}"))
    assert price(page, "WORKPLACE-BASIC") == "5.60 EUR"
    assert 'data-testid="add-to-cart"' not in page and "Kunde GmbH" not in page


def test_helpdesk_agent_has_no_catalogue(login, offers):
    client = login(Role.HELPDESK_AGENT)
    assert client.get("/catalog/").status_code == 403
    assert 'href="/catalog/"' not in text(client.get("/csp/"))


def test_another_partners_customer_or_a_bad_id_is_404(login, make_partner, make_customer, offers):
    theirs = make_customer(make_partner())
    client = login()
    assert client.get(f"/catalog/?customer={theirs.id}").status_code == 404
    assert client.get("/catalog/?customer=not-a-uuid").status_code == 404
