"""Cart, checkout and the subscription page (Django test client)."""

from __future__ import annotations

import re

import pytest

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.catalog.models import Offer
from hanse.commerce.models import Order, Subscription
from hanse.commerce.services import SubscriptionChange, subscription_update
from hanse.commerce.views import CART_KEY
from tests.customers.web import order, seller, signed_in, text


@pytest.fixture(autouse=True)
def _no_mfa(swap_instance):
    swap_instance(mfa_required_roles=())


@pytest.fixture
def login(partner, make_user):
    def make(role=Role.SALES_AGENT, of=None):
        return signed_in(make_user((of or partner).tenant, role))

    return make


@pytest.fixture
def customer(partner, make_customer, offers):
    return make_customer(partner)


@pytest.fixture
def cart_url(customer):
    return f"/customers/{customer.id}/cart"


def add(client, cart_url, offer="WORKPLACE-BASIC", quantity=1, **extra):
    return client.post(cart_url, {"action": "add", "offer_id": offer, "quantity": str(quantity), **extra})


def lines_of(client, customer):
    return client.session.get(CART_KEY, {}).get(str(customer.id), [])


# --- Cart ---------------------------------------------------------------------------------------


def test_add_to_cart_shows_prices_and_total(login, customer, cart_url):
    client = login()
    r = add(client, cart_url, quantity=5)
    assert r.status_code == 302 and r.url == cart_url
    add(client, cart_url, "BACKUP-1TB", 2, friendly_name="Backups")
    assert lines_of(client, customer) == [
        {"offer_id": "WORKPLACE-BASIC", "quantity": 5, "friendly_name": ""},
        {"offer_id": "BACKUP-1TB", "quantity": 2, "friendly_name": "Backups"},
    ]
    page = text(client.get(cart_url))
    assert page.count('data-testid="cart-line"') == 2
    assert "Workplace Basic was added to the cart." in page
    assert 'data-testid="line-total">28.00 EUR<' in page  # 5 seats at 5.60
    backup = Offer.objects.get(id="BACKUP-1TB").prices.get(currency="EUR").unit_price
    assert f'data-testid="cart-total">{28 + 2 * backup:.2f} EUR<' in page
    assert 'value="Backups"' in page


def test_the_cart_is_kept_per_customer(login, partner, make_customer, customer, cart_url):
    client = login()
    add(client, cart_url, quantity=3)
    other = make_customer(partner)
    assert 'data-testid="cart-empty"' in text(client.get(f"/customers/{other.id}/cart"))
    detail = text(client.get(f"/customers/{customer.id}/"))
    assert 'data-testid="cart-link"' in detail and "Cart (1 item)" in detail


def test_adding_the_same_offer_again_adds_seats_update_and_remove(login, customer, cart_url):
    client = login()
    add(client, cart_url, quantity=2)
    add(client, cart_url, quantity=3)
    assert lines_of(client, customer) == [{"offer_id": "WORKPLACE-BASIC", "quantity": 5, "friendly_name": ""}]
    add(client, cart_url, "MAIL-PLAN-1", 1)
    client.post(cart_url, {"action": "update", "index": "0", "quantity": "7", "friendly_name": " Team "})
    assert lines_of(client, customer)[0] == {
        "offer_id": "WORKPLACE-BASIC",
        "quantity": 7,
        "friendly_name": "Team",
    }
    client.post(cart_url, {"action": "remove", "index": "0"})
    assert [x["offer_id"] for x in lines_of(client, customer)] == ["MAIL-PLAN-1"]
    r = client.post(cart_url, {"action": "remove", "index": "5"}, follow=True)
    assert "That line is no longer in the cart." in text(r)
    assert len(lines_of(client, customer)) == 1


def test_an_unknown_offer_is_not_added(login, customer, cart_url):
    client = login()
    r = client.post(cart_url, {"action": "add", "offer_id": "NO-SUCH-OFFER", "quantity": "1"}, follow=True)
    assert "The offer NO-SUCH-OFFER was not found in this instance's catalogue." in text(r)
    assert lines_of(client, customer) == []


@pytest.mark.parametrize("quantity", ["-1", "two", ""])
def test_a_quantity_that_is_no_count_is_refused_at_once(login, customer, cart_url, quantity):
    client = login()
    r = client.post(
        cart_url, {"action": "add", "offer_id": "WORKPLACE-BASIC", "quantity": quantity}, follow=True
    )
    assert "Quantity:" in text(r)
    assert lines_of(client, customer) == []


# --- Checkout -----------------------------------------------------------------------------------


def test_checkout_creates_the_subscriptions_clears_the_cart_and_shows_them(login, customer, cart_url):
    client = login()
    add(client, cart_url, quantity=5, friendly_name="Office")
    add(client, cart_url, "BACKUP-1TB", 2)
    # First the review: every line, its price and total, and the terms; nothing is ordered yet.
    review = client.post(cart_url, {"action": "checkout"})
    page = text(review)
    assert review.status_code == 200 and page.count('data-testid="review-line"') == 2
    assert 'data-testid="review-total"' in page and 'data-testid="review-terms"' in page
    assert 'name="confirmed" value="yes"' in page and not Order.objects.exists()
    r = client.post(cart_url, {"action": "checkout", "confirmed": "yes"})
    assert r.status_code == 302 and r.url == f"/customers/{customer.id}/"
    subs = Subscription.objects.filter(customer=customer).order_by("offer_id")
    assert [(s.offer_id, s.quantity, s.friendly_name) for s in subs] == [
        ("BACKUP-1TB", 2, Offer.objects.get(id="BACKUP-1TB").name),  # the offer's name by default
        ("WORKPLACE-BASIC", 5, "Office"),
    ]
    assert Order.objects.filter(customer=customer).count() == 1
    assert lines_of(client, customer) == []
    page = text(client.get(r.url))
    assert "The order was placed: 2 subscriptions were created." in page
    assert page.count('data-testid="subscription-row"') == 2
    assert AuditRecord.objects.filter(action="order.create").count() == 1


@pytest.mark.parametrize(
    ("offer", "quantity", "message"),
    [
        ("WORKPLACE-BASIC", 0, "is sold from 1 to 300 seats; 0 is outside that."),
        ("WORKPLACE-BASIC", 301, "is sold from 1 to 300 seats; 301 is outside that."),
        ("WORKPLACE-PREMIUM-TRIAL", 26, "is sold from 1 to 25 seats; 26 is outside that."),
    ],
)
def test_a_quantity_out_of_range_is_refused_on_add_and_on_change(
    login, customer, cart_url, offer, quantity, message
):
    client = login()
    add(client, cart_url, "MAIL-PLAN-1", 1)
    r = client.post(cart_url, {"action": "add", "offer_id": offer, "quantity": str(quantity)}, follow=True)
    assert message in text(r)
    assert [line["offer_id"] for line in lines_of(client, customer)] == ["MAIL-PLAN-1"]  # not added
    add(client, cart_url, offer, 1)
    changed = client.post(cart_url, {"action": "update", "index": "1", "quantity": str(quantity)})
    page = text(changed)
    assert changed.status_code == 400 and message in page
    assert re.search(rf'value="{quantity}"[^>]*data-testid="line-quantity" aria-invalid="true"', page)
    assert lines_of(client, customer)[1]["quantity"] == 1  # the change was not kept
    assert Order.objects.count() == 0


def test_a_line_whose_range_changed_is_marked_and_the_order_refused(login, customer, cart_url):
    client = login()
    add(client, cart_url, "WORKPLACE-BASIC", 250)
    Offer.objects.filter(id="WORKPLACE-BASIC").update(max_quantity=200)
    page = text(client.get(cart_url))
    assert 'data-testid="quantity-error"' in page and "from 1 to 200 seats; 250 is outside that" in page
    refused = client.post(cart_url, {"action": "checkout"})
    assert refused.status_code == 400 and 'data-testid="review"' not in text(refused)
    forced = client.post(cart_url, {"action": "checkout", "confirmed": "yes"}, follow=True)
    assert "from 1 to 200 seats; 250 is outside that" in text(forced)
    assert Subscription.objects.count() == 0


def test_checkout_of_an_empty_cart_is_refused(login, customer, cart_url):
    r = login().post(cart_url, {"action": "checkout"}, follow=True)
    assert "An order needs at least one line item (at most 50)." in text(r)
    assert Order.objects.count() == 0


def test_an_offer_withdrawn_after_adding_is_flagged_and_refused(login, customer, cart_url):
    client = login()
    add(client, cart_url, "MEETINGS-ESSENTIALS", 3)
    Offer.objects.filter(id="MEETINGS-ESSENTIALS").update(is_available=False)
    page = text(client.get(cart_url))
    assert 'data-testid="line-error"' in page
    r = client.post(cart_url, {"action": "checkout"}, follow=True)
    assert "The offer MEETINGS-ESSENTIALS was not found in this instance's catalogue." in text(r)
    assert Subscription.objects.count() == 0


def test_an_unknown_offer_in_the_session_is_refused_at_checkout(login, customer, cart_url):
    client = login()
    session = client.session
    session[CART_KEY] = {str(customer.id): [{"offer_id": "FORGED", "quantity": 1, "friendly_name": ""}]}
    session.save()
    r = client.post(cart_url, {"action": "checkout"}, follow=True)
    assert "The offer FORGED was not found in this instance's catalogue." in text(r)
    assert Subscription.objects.count() == 0


def test_a_second_trial_is_refused(login, partner, make_user, customer, cart_url):
    order(seller(partner, make_user), customer, ("WORKPLACE-PREMIUM-TRIAL", 5))
    client = login()
    add(client, cart_url, "WORKPLACE-PREMIUM-TRIAL", 5)
    r = client.post(cart_url, {"action": "checkout", "confirmed": "yes"}, follow=True)
    assert "The customer already has a trial of WORKPLACE-PREMIUM-TRIAL." in text(r)
    assert Subscription.objects.count() == 1


def test_a_suspended_partner_cannot_check_out(login, partner, customer, cart_url):
    client = login()
    add(client, cart_url, quantity=1)
    partner.account.state = "suspended"
    partner.account.save(update_fields=["state"])
    r = client.post(cart_url, {"action": "checkout", "confirmed": "yes"}, follow=True)
    assert (
        "Your CSP account is suspended. Only an active account can create customers or place orders."
        in text(r)
    )
    assert Subscription.objects.count() == 0 and len(lines_of(client, customer)) == 1


# --- Subscription page --------------------------------------------------------------------------


@pytest.fixture
def sub(partner, make_user, customer):
    placed = order(seller(partner, make_user), customer, ("WORKPLACE-BASIC", 5))
    return Subscription.objects.get(order=placed)


@pytest.fixture
def sub_url(customer, sub):
    return f"/customers/{customer.id}/subscriptions/{sub.id}/"


def change(client, url, action, version=1, **data):
    return client.post(url, {"action": action, "version": str(version), **data}, follow=True)


def test_subscription_page_shows_the_details_and_the_changes(login, sub, sub_url):
    r = login().get(sub_url)
    page = text(r)
    assert r.status_code == 200
    assert 'data-testid="quantity">5<' in page and 'data-testid="status">Active<' in page
    assert "5.60 EUR" in page and "28.00 EUR" in page and "1 month" in page
    assert 'data-testid="manage"' in page and 'data-testid="suspend"' in page
    assert 'name="version" value="1"' in page


def test_change_quantity_name_and_auto_renew(login, sub, sub_url):
    client = login()
    r = change(client, sub_url, "quantity", 1, quantity="8")
    assert "The quantity was changed." in text(r) and 'data-testid="quantity">8<' in text(r)
    change(client, sub_url, "friendly_name", 2, friendly_name="Head office")
    change(client, sub_url, "auto_renew", 3, auto_renew="off")
    sub.refresh_from_db()
    assert (sub.quantity, sub.friendly_name, sub.auto_renew, sub.version) == (8, "Head office", False, 4)
    assert AuditRecord.objects.filter(action="subscription.update", target_id=str(sub.id)).count() == 3


def test_quantity_out_of_range_is_shown_and_changes_nothing(login, sub, sub_url):
    r = change(login(), sub_url, "quantity", 1, quantity="0")
    assert "Workplace Basic (WORKPLACE-BASIC) is sold from 1 to 300 seats; 0 is outside that." in text(r)
    sub.refresh_from_db()
    assert (sub.quantity, sub.version) == (5, 1)


def test_suspending_asks_first_and_says_what_happens(login, sub, sub_url):
    client = login()
    asked = change(client, sub_url, "status", 1, status="suspended")
    page = text(asked)
    assert 'data-testid="confirm"' in page and "Its 5 seats no longer count" in page
    assert 'name="status" value="suspended"' in page and 'name="confirmed" value="yes"' in page
    sub.refresh_from_db()
    assert (sub.status, sub.version) == ("active", 1)
    assert not AuditRecord.objects.filter(action="subscription.suspend").exists()


def test_a_suspended_subscription_refuses_a_quantity_change_until_reactivated(login, sub, sub_url):
    client = login()
    r = change(client, sub_url, "status", 1, status="suspended", confirmed="yes")
    assert 'data-testid="status">Suspended<' in text(r) and 'data-testid="reactivate"' in text(r)
    r = change(client, sub_url, "quantity", 2, quantity="9")
    assert (
        "The subscription is suspended: reactivate it (status active) before changing its quantity."
        in text(r)
    )
    sub.refresh_from_db()
    assert (sub.status, sub.quantity) == ("suspended", 5)
    change(client, sub_url, "status", 2, status="active")
    change(client, sub_url, "quantity", 3, quantity="9")
    sub.refresh_from_db()
    assert (sub.status, sub.quantity) == ("active", 9)
    assert AuditRecord.objects.filter(action="subscription.suspend").count() == 1
    assert AuditRecord.objects.filter(action="subscription.reactivate").count() == 1


def test_cancel_needs_the_confirmation(login, sub, sub_url):
    client = login()
    r = change(client, sub_url, "cancel", 1)
    assert "Tick the box to confirm the cancellation." in text(r)
    sub.refresh_from_db()
    assert sub.status == "active"
    r = change(client, sub_url, "cancel", 1, confirm="on")
    assert "The subscription was cancelled." in text(r)
    assert 'data-testid="manage"' not in text(r) and 'data-testid="cancelled"' in text(r)
    sub.refresh_from_db()
    assert (sub.status, sub.auto_renew) == ("deleted", False) and sub.cancelled_at is not None
    r = change(client, sub_url, "status", sub.version, status="active")
    assert "The subscription is cancelled and can no longer be changed." in text(r)


def test_a_stale_version_shows_the_etag_message(login, partner, make_user, customer, sub, sub_url):
    client = login()
    subscription_update(
        actor=seller(partner, make_user),
        customer_id=customer.id,
        subscription_id=sub.id,
        change=SubscriptionChange(quantity=6),
        if_match=None,
    )
    r = change(client, sub_url, "quantity", 1, quantity="10")
    assert "Someone changed the subscription since you read it." in text(r) and "ETag" not in text(r)
    sub.refresh_from_db()
    assert (sub.quantity, sub.version) == (6, 2)


def test_an_unknown_change_is_refused(login, sub, sub_url):
    r = change(login(), sub_url, "explode", 1)
    assert "Choose a change to make." in text(r)


def test_helpdesk_agent_reads_the_subscription_but_cannot_change_it(login, customer, sub, sub_url):
    client = login(Role.HELPDESK_AGENT)
    page = text(client.get(sub_url))
    assert 'data-testid="quantity">5<' in page and 'data-testid="manage"' not in page
    assert client.post(sub_url, {"action": "quantity", "version": "1", "quantity": "9"}).status_code == 403
    assert client.post(f"/customers/{customer.id}/cart", {"action": "checkout"}).status_code == 403
    sub.refresh_from_db()
    assert (sub.quantity, sub.version) == (5, 1)


def test_a_subscription_of_another_customer_is_404(login, partner, make_customer, sub):
    other = make_customer(partner)
    assert login().get(f"/customers/{other.id}/subscriptions/{sub.id}/").status_code == 404


def test_subscription_links_from_the_customer_page(login, customer, sub, sub_url):
    page = text(login().get(f"/customers/{customer.id}/"))
    assert re.search(rf'href="{re.escape(sub_url)}"', page)
