"""Customer pages: list (search, paging), new customer, detail, billing profile (Django test client)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from hanse.access.roles import MATRIX, PARTNER_ROLES, Action, Role
from hanse.audit.models import AuditRecord
from hanse.commerce.models import Subscription
from hanse.customers.models import Customer
from hanse.customers.services import customer_update_billing
from hanse.directory.models import Tenant, User
from tests.conftest import billing
from tests.customers.web import customers, order, seller, signed_in, text

NEW = "/customers/new"


@pytest.fixture(autouse=True)
def _no_mfa(swap_instance):
    swap_instance(mfa_required_roles=())


@pytest.fixture
def login(partner, make_user):
    """A signed-in client for a user of ``partner`` (or of the partner given) with one role."""

    def make(role=Role.SALES_AGENT, of=None):
        return signed_in(make_user((of or partner).tenant, role))

    return make


@pytest.fixture
def customer(partner, make_customer):
    return make_customer(partner, name="Kunde GmbH", domain="kunde.example")


def new_customer(**over):
    data = {
        "company_name": "Neu Kunde GmbH",
        "domain": "neu-kunde.example",
        "first_name": "Erika",
        "last_name": "Mustermann",
        "email": "erika@neu-kunde.example",
        "country": "DE",
        "city": "Berlin",
        "postal_code": "10115",
        "address_line1": "Unter den Linden 1",
        "language": "de",
    }
    data.update(over)
    return data


def billing_form(customer, **over):
    data = {
        "billing_company_name": customer.billing_company_name,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "country": customer.country,
        "city": customer.city,
        "postal_code": customer.postal_code,
        "address_line1": customer.address_line1,
        "language": customer.language,
        "version": str(customer.version),
    }
    data.update(over)
    return data


def rows(page_text):
    return re.findall(r'data-testid="customer-row"><td><a href="[^"]+">([^<]+)</a>', page_text)


# --- List ---------------------------------------------------------------------------------------


def test_list_shows_the_partners_customers_with_a_new_customer_button(login, customer):
    r = login().get("/customers/")
    page = text(r)
    assert r.status_code == 200
    assert rows(page) == ["Kunde GmbH"]
    assert "kunde.example" in page and "<td>DE</td>" in page
    assert 'data-testid="new-customer"' in page and 'href="/customers/new"' in page
    assert 'data-testid="closed-notice"' not in page


def test_search_is_a_prefix_on_company_name_or_domain(login, partner, make_user):
    actor = seller(partner, make_user)
    customers(actor, 2, prefix="Alpha")
    customers(actor, 1, prefix="Beta")
    client = login()
    assert rows(text(client.get("/customers/?q=alp"))) == ["Alpha 00", "Alpha 01"]
    assert rows(text(client.get("/customers/?q=beta-00.ex"))) == ["Beta 00"]  # the domain
    assert rows(text(client.get("/customers/?q=pha"))) == []  # a prefix, not a substring
    assert "No customer matches your search." in text(client.get("/customers/?q=zzz"))


def test_continuation_paging_25_per_page_keeps_the_search(login, partner, make_user):
    actor = seller(partner, make_user)
    customers(actor, 26, prefix="Page")
    customers(actor, 1, prefix="Other")
    client = login()
    first = text(client.get("/customers/?q=page"))
    assert len(rows(first)) == 25 and "27 customers" not in first and "26 customers" in first
    link = re.search(r'href="\?([^"]+)" data-testid="next-page"', first).group(1).replace("&amp;", "&")
    assert link.startswith("after=") and link.endswith("&q=page")
    second = text(client.get("/customers/?" + link))
    assert rows(second) == ["Page 25"]
    assert 'data-testid="next-page"' not in second
    assert set(rows(first)) | set(rows(second)) == {f"Page {i:02d}" for i in range(26)}


def test_a_forged_page_token_is_a_clear_400(login, customer):
    r = login().get("/customers/?after=forged")
    assert r.status_code == 400 and "continuation token is not valid" in text(r)


def test_sovereign_instance_shows_a_notice_naming_the_peer_and_no_new_customer_button(
    login, customer, swap_instance
):
    swap_instance(accepts_new_customers=False)
    page = text(login(Role.GLOBAL_ADMIN).get("/customers/"))
    assert 'data-testid="closed-notice"' in page and "http://127.0.0.1:9" in page
    assert 'data-testid="new-customer"' not in page
    assert rows(page) == ["Kunde GmbH"]  # existing customers stay


# --- New customer -------------------------------------------------------------------------------


def test_new_customer_form_offers_the_markets_sorted_by_localized_name(login):
    client = login()
    page = text(client.get(NEW))
    assert 'data-testid="customer-form"' in page
    for name in (
        "company_name",
        "domain",
        "first_name",
        "last_name",
        "email",
        "country",
        "city",
        "postal_code",
        "address_line1",
        "language",
    ):
        assert f'name="{name}"' in page
    options = re.findall(r'<option value="([A-Z]{2})"', page)
    assert len(options) == 31 and "US" not in options
    assert options[:2] == ["AT", "BE"]  # Austria, Belgium
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    german = re.findall(r'<option value="([A-Z]{2})"', text(client.get(NEW)))
    # Belgien, Bulgarien, Dänemark, Deutschland, ... Österreich among the O's, not after Zypern.
    assert german[:4] == ["BE", "BG", "DK", "DE"]
    assert german.index("AT") < german.index("PL") and german[-1] == "CY"


def test_create_customer_shows_its_first_admin_once_and_links_its_detail(login, partner):
    r = login().post(NEW, new_customer())
    c = Customer.objects.get(tenant__domain="neu-kunde.example")
    page = text(r)
    assert r.status_code == 201 and r["Cache-Control"] == "no-store"
    assert f'href="/customers/{c.id}/"' in page and 'data-testid="open-customer"' in page
    admin = User.objects.get(tenant=c.tenant)
    assert admin.upn == "admin@neu-kunde.example" and admin.must_change_password
    assert list(admin.role_assignments.values_list("role", flat=True)) == ["customer_global_admin"]
    shown = re.search(r'data-testid="admin-password">([^<]+)<', page)
    assert shown is not None and admin.check_password(shown.group(1))
    assert c.partner_id == partner.account.id
    assert (c.first_name, c.country, c.city, c.language, c.culture) == (
        "Erika",
        "DE",
        "Berlin",
        "de",
        "de-DE",
    )
    assert AuditRecord.objects.filter(action="customer.create", target_id=str(c.id)).exists()


@pytest.mark.parametrize(
    ("over", "expect"),
    [
        (
            {"country": "US"},
            "US is not one of this instance's markets. "
            "Sell to customers in: Austria (AT), Belgium (BE), Bulgaria (BG),",
        ),
        ({"country": "GB"}, "GB is not one of this instance's markets."),
        ({"company_name": ""}, "This field is required."),
        ({"email": "nope"}, "Enter a valid email address."),
        ({"email": "erika@localhost"}, "Enter a valid email address."),  # the API's rule too
        ({"city": "", "postal_code": ""}, "This field is required."),
        ({"language": "xx"}, "Select a valid choice."),
        ({"domain": "not a domain"}, "not a domain is not a valid domain name."),
        ({"domain": ("a" * 60 + ".") * 4 + "example"}, "at most 248 characters, so that admin@domain"),
    ],
)
def test_bad_input_is_shown_in_the_form_and_creates_nothing(login, over, expect):
    before = (Customer.objects.count(), Tenant.objects.count())
    r = login().post(NEW, new_customer(**over))
    assert r.status_code == 400
    assert expect in text(r)
    assert 'data-testid="customer-form"' in text(r)  # the form again, with what was typed
    assert (Customer.objects.count(), Tenant.objects.count()) == before


def test_a_taken_domain_is_refused_with_the_services_message(login, customer):
    before = Customer.objects.count()
    r = login().post(NEW, new_customer(domain="KUNDE.example"))
    assert r.status_code == 409
    # At the domain's field, not above the form.
    field = re.search(r'<div class="field invalid">\s*<label for="id_domain">.*?</div>', text(r), re.S)
    assert field and "The domain kunde.example is already used in this instance." in field.group(0)
    assert Customer.objects.count() == before


def test_a_bare_domain_prefix_is_refused_at_its_field_and_a_suspended_partner_gets_no_form(
    login, partner, swap_instance
):
    r = login().post(NEW, new_customer(domain="kunde"))
    field = re.search(r'<div class="field invalid">\s*<label for="id_domain">.*?</div>', text(r), re.S)
    assert r.status_code == 400 and field
    assert "Enter the whole domain with its suffix, for example kunde.example." in field.group(0)
    partner.account.state = "suspended"
    partner.account.save()
    client = login()
    page = text(client.get(NEW))
    assert 'data-testid="customer-form"' not in page and "Your CSP account is suspended" in page
    assert 'data-testid="new-customer"' not in text(client.get("/customers/"))


def test_sovereign_instance_explains_the_refusal_instead_of_the_form(login, swap_instance):
    swap_instance(accepts_new_customers=False)
    client = login(Role.GLOBAL_ADMIN)
    page = text(client.get(NEW))
    assert 'data-testid="customer-form"' not in page
    assert "This instance accepts no new customers." in page and "http://127.0.0.1:9" in page
    before = (Customer.objects.count(), Tenant.objects.count())
    r = client.post(NEW, new_customer())
    assert r.status_code == 403  # refused by the service
    assert "This instance accepts no new customers." in text(r)
    assert 'data-testid="customer-form"' not in text(r)
    assert (Customer.objects.count(), Tenant.objects.count()) == before


# --- Detail -------------------------------------------------------------------------------------


def test_detail_shows_profiles_subscriptions_orders_and_a_buy_link(
    login, partner, make_user, customer, offers
):
    sub_order = order(seller(partner, make_user), customer, ("WORKPLACE-BASIC", 5))
    sub = Subscription.objects.get(order=sub_order)
    r = login().get(f"/customers/{customer.id}/")
    page = text(r)
    assert r.status_code == 200
    assert 'data-testid="customer-name">Kunde GmbH<' in page
    assert "kunde.example" in page and "erika@kunde.example" in page and "Unter den Linden 1" in page
    assert page.count('data-testid="subscription-row"') == 1
    assert f'href="/customers/{customer.id}/subscriptions/{sub.id}/"' in page
    assert "Workplace Basic" in page and '<td class="num">5</td>' in page
    assert page.count('data-testid="order-row"') == 1 and "5 \u00d7 Workplace Basic" in page
    assert f'href="/catalog/?country=DE&amp;customer={customer.id}" data-testid="buy"' in r.content.decode()
    assert 'data-testid="edit-billing"' in page


def test_unknown_customer_is_404(login, db):
    assert login().get("/customers/00000000-0000-0000-0000-000000000000/").status_code == 404


# --- Billing profile ----------------------------------------------------------------------------


def test_billing_form_is_prefilled_and_saves(login, customer):
    client = login()
    page = text(client.get(f"/customers/{customer.id}/billing"))
    assert 'value="Erika"' in page and 'value="Unter den Linden 1"' in page
    assert 'name="version" value="1"' in page
    assert '<option value="DE" selected>' in page
    r = client.post(
        f"/customers/{customer.id}/billing", billing_form(customer, city="Hamburg", postal_code="20095")
    )
    assert r.status_code == 302 and r.url == f"/customers/{customer.id}/"
    customer.refresh_from_db()
    assert (customer.city, customer.postal_code, customer.version) == ("Hamburg", "20095", 2)
    assert customer.culture == "en-US"  # language and country unchanged: the culture is kept
    assert "The billing profile was saved." in text(client.get(r.url))


def test_a_concurrent_change_shows_the_etag_message_and_changes_nothing(login, partner, make_user, customer):
    client = login()
    read = text(client.get(f"/customers/{customer.id}/billing"))
    version = re.search(r'name="version" value="(\d+)"', read).group(1)
    # Someone else saves first.
    customer_update_billing(
        actor=seller(partner, make_user), customer_id=customer.id, billing=billing(city="Köln"), if_match=None
    )
    r = client.post(
        f"/customers/{customer.id}/billing", billing_form(customer, city="Hamburg", version=version)
    )
    assert r.status_code == 412
    assert "Someone changed the customer since you read it. Read it again to see the change" in text(r)
    assert "ETag" not in text(r)
    assert 'data-testid="reload"' in text(r)
    customer.refresh_from_db()
    assert (customer.city, customer.version) == ("Köln", 2)


def test_billing_with_a_non_market_country_is_refused(login, customer):
    r = login().post(f"/customers/{customer.id}/billing", billing_form(customer, country="US"))
    assert r.status_code == 400 and "US is not one of this instance's markets." in text(r)
    customer.refresh_from_db()
    assert (customer.country, customer.version) == ("DE", 1)


# --- Roles --------------------------------------------------------------------------------------


def test_helpdesk_agent_sees_customers_but_cannot_create_or_buy(login, customer, offers):
    client = login(Role.HELPDESK_AGENT)
    listing = text(client.get("/customers/"))
    assert rows(listing) == ["Kunde GmbH"] and 'data-testid="new-customer"' not in listing
    detail = text(client.get(f"/customers/{customer.id}/"))
    assert 'data-testid="buy"' not in detail and 'data-testid="cart-link"' not in detail
    assert 'data-testid="edit-billing"' not in detail  # it reads customers, never edits them
    before = Customer.objects.count()
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, new_customer()).status_code == 403
    assert Customer.objects.count() == before
    cart = client.post(
        f"/customers/{customer.id}/cart", {"action": "add", "offer_id": "WORKPLACE-BASIC", "quantity": "1"}
    )
    assert cart.status_code == 403
    assert client.get(f"/customers/{customer.id}/cart").status_code == 403
    assert client.get(f"/customers/{customer.id}/billing").status_code == 403
    edit = client.post(f"/customers/{customer.id}/billing", {"first_name": "Hacked"})
    assert edit.status_code == 403
    customer.refresh_from_db()
    assert customer.first_name != "Hacked" and customer.version == 1


def test_billing_admin_has_no_customer_pages(login, customer):
    client = login(Role.BILLING_ADMIN)
    assert client.get("/customers/").status_code == 403
    assert client.get(f"/customers/{customer.id}/").status_code == 403
    assert 'href="/customers/"' not in text(client.get("/csp/"))


def test_signed_out_visitors_are_sent_to_sign_in(client, customer):
    r = client.get("/customers/")
    assert r.status_code == 302 and r.url.startswith("/signin")


# --- Isolation ----------------------------------------------------------------------------------


def test_another_partners_customer_is_404_everywhere(
    login, partner, make_user, make_partner, customer, offers
):
    sub = Subscription.objects.get(order=order(seller(partner, make_user), customer, ("WORKPLACE-BASIC", 3)))
    other = login(Role.GLOBAL_ADMIN, of=make_partner())
    base = f"/customers/{customer.id}"
    assert rows(text(other.get("/customers/"))) == []
    for path in (f"{base}/", f"{base}/billing", f"{base}/cart", f"{base}/subscriptions/{sub.id}/"):
        assert other.get(path).status_code == 404, path
    posts = {
        f"{base}/billing": billing_form(customer, city="Hijacked"),
        f"{base}/cart": {"action": "add", "offer_id": "WORKPLACE-BASIC", "quantity": "1"},
        f"{base}/subscriptions/{sub.id}/": {"action": "quantity", "quantity": "9", "version": "1"},
    }
    for path, data in posts.items():
        assert other.post(path, data).status_code == 404, path
    assert other.post(f"{base}/cart", {"action": "checkout"}).status_code == 404
    customer.refresh_from_db()
    sub.refresh_from_db()
    assert (customer.city, customer.version, sub.quantity, sub.version) == ("Berlin", 1, 3, 1)
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize("role", sorted(PARTNER_ROLES, key=str))
def test_a_role_that_opens_a_customers_users_also_opens_the_customer(
    role, partner, make_user, make_customer, offers, swap_instance
):
    swap_instance(mfa_required_roles=())
    customer = make_customer(partner)
    client = Client()
    client.force_login(make_user(partner.tenant, role))
    opens_customer, opens_users = (
        Action.CUSTOMER_VIEW in MATRIX[role],
        Action.CUSTOMER_USER_MANAGE in MATRIX[role],
    )
    assert client.get(f"/customers/{customer.id}/").status_code == (200 if opens_customer else 403)
    assert client.get(f"/customers/{customer.id}/users/").status_code == (200 if opens_users else 403)
    assert opens_customer or not opens_users  # no role reaches the users of a customer it cannot open
