"""User and licence pages in both shells: the admin center and the partner center (Django test client)."""

from __future__ import annotations

import html
import io
import re

import pytest

from hanse.access.roles import Role
from hanse.admincenter import views
from hanse.commerce.services import LineItem, order_create
from hanse.directory.customer_users import NewUser, customer_user_create, customer_user_delete
from hanse.directory.models import User
from hanse.licensing.models import LicenceAssignment
from tests.conftest import SYSTEM, principal_of
from tests.customers.web import signed_in, text

TASKS = ("partner_users", "customer_users", "password_reset", "licences")
AC = "/admin-center"
PC = ""
SHELLS = [AC, PC]
POINTER = "is done in the admin center"
ADMIN_UPN = "admin@kunde.example"  # the customer's first Global admin, made with it


@pytest.fixture(autouse=True)
def _no_mfa(swap_instance):
    swap_instance(mfa_required_roles=())


@pytest.fixture
def route(swap_instance):
    def set_place(place):
        swap_instance(task_routing=dict.fromkeys(TASKS, place))

    return set_place


@pytest.fixture
def customer(partner, make_customer, offers):
    c = make_customer(partner, name="Kunde GmbH", domain="kunde.example")
    order_create(
        actor=SYSTEM, customer_id=c.id, lines=[LineItem("WORKPLACE-BASIC", 2), LineItem("MAIL-PLAN-1", 1)]
    )
    return c


@pytest.fixture
def agent_user(partner, make_user):
    return make_user(partner.tenant, Role.ADMIN_AGENT)


@pytest.fixture
def agent(agent_user):
    return signed_in(agent_user)


@pytest.fixture
def ga(admin):
    return signed_in(admin)


def anna(customer, agent_user, local="anna", location="DE"):
    return customer_user_create(
        actor=principal_of(agent_user),
        customer_id=customer.id,
        new=NewUser(upn=f"{local}@kunde.example", display_name=local.title(), usage_location=location),
    ).user


def password_on(response):
    m = re.search(r'data-testid="temp-password">([^<]+)<', text(response))
    assert m, text(response)
    return m.group(1)


def base(shell, customer):
    return f"{shell}/customers/{customer.id}/users/"


# --- Shells ----------------------------------------------------------------------------------------


def test_admin_center_has_its_own_shell(agent, customer, route):
    route("partnercenter")
    r = agent.get(base(AC, customer))
    assert r.status_code == 200
    page = text(r)
    assert 'data-testid="admin-center-bar"' in page and "Admin center" in page
    assert 'class="ac-side"' in page and 'data-testid="deleted-users"' in page
    pc = text(agent.get(base(PC, customer)))
    assert 'data-testid="admin-center-bar"' not in pc and 'class="topbar"' in pc


def test_admin_center_home_lists_customers_with_search(agent, partner, make_customer, customer):
    make_customer(partner, name="Andere AG", domain="andere.example")
    r = agent.get(f"{AC}/")
    assert r.status_code == 200
    assert "Kunde GmbH" in text(r) and "Andere AG" in text(r)
    found = text(agent.get(f"{AC}/?q=andere"))
    assert "Andere AG" in found and "Kunde GmbH" not in found


def test_customer_global_admin_goes_straight_to_its_own_tenant(
    customer, make_user, make_partner, make_customer
):
    user = make_user(customer.tenant, Role.CUSTOMER_GLOBAL_ADMIN)
    client = signed_in(user)
    r = client.get(f"{AC}/")
    assert r.status_code == 302 and r["Location"] == base(AC, customer)
    assert client.get(base(AC, customer)).status_code == 200
    r = client.post(f"{base(AC, customer)}new", {"upn": "bob@kunde.example", "display_name": "Bob"})
    assert r.status_code == 201 and User.objects.filter(upn="bob@kunde.example").exists()
    other = make_customer(make_partner(), domain="fremd.example")
    assert client.get(base(AC, other)).status_code == 404
    assert (
        client.post(f"{base(AC, other)}new", {"upn": "x@fremd.example", "display_name": "X"}).status_code
        == 404
    )
    assert client.get(f"{AC}/partner-users/").status_code == 403


def test_sales_agent_gets_403(partner, make_user, customer):
    client = signed_in(make_user(partner.tenant, Role.SALES_AGENT))
    for shell in SHELLS:
        assert client.get(base(shell, customer)).status_code == 403
        assert client.get(f"{shell}/customers/{customer.id}/licences").status_code == 403
        assert client.post(f"{base(shell, customer)}new", {"upn": "x@kunde.example"}).status_code == 403
        assert client.get(f"{shell}/partner-users/").status_code == 403
    assert client.get(f"{AC}/").status_code == 403
    assert 'data-testid="users-and-licences"' not in text(client.get(f"/customers/{customer.id}/"))


def test_partners_are_isolated(customer, agent_user, make_partner, make_user):
    user = anna(customer, agent_user)
    stranger = signed_in(make_user(make_partner().tenant, Role.GLOBAL_ADMIN))
    for shell in SHELLS:
        assert stranger.get(base(shell, customer)).status_code == 404
        assert stranger.get(f"{base(shell, customer)}{user.id}/").status_code == 404
        assert stranger.post(f"{base(shell, customer)}{user.id}/delete").status_code == 404
        assert stranger.post(f"{base(shell, customer)}{user.id}/reset-password").status_code == 404
        assert stranger.get(f"{shell}/partner-users/{agent_user.id}/").status_code == 404
    user.refresh_from_db()
    assert user.deleted_at is None
    assert "Kunde GmbH" not in text(stranger.get(f"{AC}/"))


# --- Customer users, both shells --------------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_new_user_shows_the_temporary_password_once(shell, agent, customer, route):
    route("partnercenter")
    assert 'data-testid="upn"' in text(agent.get(f"{base(shell, customer)}new"))
    r = agent.post(
        f"{base(shell, customer)}new",
        {"upn": "anna@kunde.example", "display_name": "Anna", "usage_location": "DE"},
    )
    assert r.status_code == 201 and r["Cache-Control"] == "no-store"
    password = password_on(r)
    user = User.objects.get(upn="anna@kunde.example")
    assert user.check_password(password) and user.must_change_password and user.usage_location == "DE"
    listing = text(agent.get(base(shell, customer)))
    assert "anna@kunde.example" in listing and password not in listing
    assert password not in text(agent.get(f"{base(shell, customer)}{user.id}/"))


@pytest.mark.parametrize("shell", SHELLS)
def test_new_user_refusal_is_the_service_text(shell, agent, agent_user, customer, route):
    route("partnercenter")
    anna(customer, agent_user)
    r = agent.post(f"{base(shell, customer)}new", {"upn": "anna@kunde.example", "display_name": "Anna"})
    assert r.status_code == 409
    assert "The user name anna@kunde.example is already taken." in text(r)
    r = agent.post(
        f"{base(shell, customer)}new",
        {"upn": "bo@kunde.example", "display_name": "Bo", "usage_location": "XX"},
    )
    assert r.status_code == 400 and "XX is not a usage location of this instance" in text(r)


@pytest.mark.parametrize("shell", SHELLS)
def test_users_list_pages(shell, agent, agent_user, customer, route):
    route("partnercenter")
    for i in range(27):
        anna(customer, agent_user, local=f"user{i:02d}")
    first = text(agent.get(base(shell, customer)))
    assert first.count('data-testid="user-row"') == 25 and "28 users" in first  # and the admin
    nxt = re.search(r'href="\?(after=[^"]+)" data-testid="next-page"', first).group(1)
    second = text(agent.get(f"{base(shell, customer)}?{nxt.replace('&amp;', '&')}"))
    assert second.count('data-testid="user-row"') == 3


@pytest.mark.parametrize("shell", SHELLS)
def test_users_search_by_name_or_upn_keeps_the_search_on_the_next_page(
    shell, agent, agent_user, customer, route, monkeypatch
):
    route("partnercenter")
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for local in ("anna", "anton", "bert", "andrea"):
        anna(customer, agent_user, local=local)
    first = text(agent.get(base(shell, customer), {"q": "an"}))
    assert "3 users" in first
    next_query = re.search(r'href="\?([^"]+)" data-testid="next-page"', first)
    assert next_query and "q=an" in next_query.group(1)
    second = text(agent.get(f"{base(shell, customer)}?{html.unescape(next_query.group(1))}"))
    assert "next-page" not in second
    found = first + second
    assert "Anna" in found and "Anton" in found and "Andrea" in found and "Bert" not in found
    by_upn = text(agent.get(base(shell, customer), {"q": "bert@"}))
    assert "bert@kunde.example" in by_upn and "anna@kunde.example" not in by_upn
    assert "No user matches your search." in text(agent.get(base(shell, customer), {"q": "zz"}))


@pytest.mark.parametrize("shell", SHELLS)
def test_csv_import_reports_each_row(shell, agent, customer, route):
    route("partnercenter")
    data = (
        b"userPrincipalName,displayName,usageLocation\n"
        b"eva@kunde.example,Eva,DE\n"
        b"bad,Nobody,DE\n"
        b"max@kunde.example,Max,XX\n"
    )
    f = io.BytesIO(data)
    f.name = "users.csv"
    r = agent.post(f"{base(shell, customer)}import", {"file": f})
    assert r.status_code == 200
    page = text(r)
    assert "1 user created" in page and "2 rows refused" in page
    assert "bad is not a valid user name" in page and "XX is not a usage location" in page
    assert User.objects.get(upn="eva@kunde.example").check_password(password_on(r))
    empty = io.BytesIO(b"")
    empty.name = "empty.csv"
    r = agent.post(f"{base(shell, customer)}import", {"file": empty})
    assert r.status_code == 400


@pytest.mark.parametrize("shell", SHELLS)
def test_user_detail_edit(shell, agent, agent_user, customer, route):
    route("partnercenter")
    user = anna(customer, agent_user, location="")
    url = f"{base(shell, customer)}{user.id}/"
    page = text(agent.get(url))
    for testid in ("display-name", "usage-location", "reset-password", "delete-user", "save-licences"):
        assert f'data-testid="{testid}"' in page
    r = agent.post(url, {"display_name": "Anna Schmidt", "usage_location": "AT"})
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Anna Schmidt" and user.usage_location == "AT"
    r = agent.post(url, {"display_name": "Anna", "usage_location": "ZZ"})
    assert r.status_code == 400 and "ZZ is not a usage location" in text(r)


@pytest.mark.parametrize("shell", SHELLS)
def test_licences_are_saved_atomically(shell, agent, agent_user, customer, route):
    route("partnercenter")
    user = anna(customer, agent_user)
    other = anna(customer, agent_user, local="otto")
    url = f"{base(shell, customer)}{user.id}/"
    page = text(agent.get(url))
    assert 'data-testid="licence-WORKPLACE-BASIC"' in page and 'data-testid="licence-MAIL-PLAN-1"' in page
    r = agent.post(f"{url}licences", {"sku": ["WORKPLACE-BASIC", "MAIL-PLAN-1"]})
    assert r.status_code == 302
    assert set(LicenceAssignment.objects.filter(user=user).values_list("sku_id", flat=True)) == {
        "WORKPLACE-BASIC",
        "MAIL-PLAN-1",
    }
    # MAIL-PLAN-1 has one seat: the other user's save of both fails as a whole, with the API's text.
    r = agent.post(f"{base(shell, customer)}{other.id}/licences", {"sku": ["WORKPLACE-BASIC", "MAIL-PLAN-1"]})
    assert r.status_code == 302
    assert not LicenceAssignment.objects.filter(user=other).exists()
    shown = text(agent.get(r["Location"]))
    assert "MAIL-PLAN-1" in shown and 'class="error"' in shown
    # Unchecking removes.
    agent.post(f"{url}licences", {"sku": ["MAIL-PLAN-1"]})
    assert list(LicenceAssignment.objects.filter(user=user).values_list("sku_id", flat=True)) == [
        "MAIL-PLAN-1"
    ]
    skus = text(agent.get(f"{shell}/customers/{customer.id}/licences"))
    assert (
        'data-testid="available-WORKPLACE-BASIC">2<' in skus
        and 'data-testid="available-MAIL-PLAN-1">0<' in skus
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_the_top_bar_names_the_signed_in_user_not_the_one_shown(shell, agent, agent_user, customer, route):
    route("partnercenter")
    user = anna(customer, agent_user)
    for page in (
        agent.get(f"{base(shell, customer)}{user.id}/"),
        agent.post(f"{base(shell, customer)}{user.id}/reset-password", {"confirmed": "yes"}),
    ):
        who = re.search(r'data-testid="who">([^<]+)<', text(page))
        assert who and agent_user.upn in who.group(1) and user.upn not in who.group(1)


def test_an_unknown_or_nul_sku_from_the_form_changes_nothing(agent, agent_user, customer, route):
    route("partnercenter")
    user = anna(customer, agent_user)
    for sku in ("NO-SUCH-SKU", "WORKPLACE-BASIC\x00"):
        r = agent.post(f"{base(PC, customer)}{user.id}/licences", {"sku": ["WORKPLACE-BASIC", sku]})
        assert r.status_code == 302
        assert 'class="error"' in text(agent.get(r["Location"]))
    assert not LicenceAssignment.objects.filter(user=user).exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_reset_password_shows_the_new_one_once(shell, agent, agent_user, customer, route):
    route("partnercenter")
    user = anna(customer, agent_user)
    before = user.password
    asked = agent.post(f"{base(shell, customer)}{user.id}/reset-password")
    assert 'data-testid="confirm"' in text(asked) and "Every session and token" in text(asked)
    assert User.objects.get(pk=user.pk).password == before  # nothing happens before the confirmation
    r = agent.post(f"{base(shell, customer)}{user.id}/reset-password", {"confirmed": "yes"})
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    user.refresh_from_db()
    assert user.check_password(password_on(r)) and user.must_change_password
    assert agent.get(f"{base(shell, customer)}{user.id}/reset-password").status_code == 405


@pytest.mark.parametrize("shell", SHELLS)
def test_delete_and_restore(shell, agent, agent_user, customer, route):
    route("partnercenter")
    user = anna(customer, agent_user)
    asked = agent.post(f"{base(shell, customer)}{user.id}/delete")
    assert asked.status_code == 200 and "comes back without its licences" in text(asked)
    user.refresh_from_db()
    assert user.deleted_at is None  # nothing happens before the confirmation
    r = agent.post(f"{base(shell, customer)}{user.id}/delete", {"confirmed": "yes"})
    assert r.status_code == 302 and r["Location"] == base(shell, customer)
    user.refresh_from_db()
    assert user.deleted_at is not None
    deleted = text(agent.get(f"{base(shell, customer)}deleted"))
    assert f'data-testid="restore-{user.id}"' in deleted
    r = agent.post(f"{base(shell, customer)}{user.id}/restore")
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.deleted_at is None
    assert agent.post(f"{base(shell, customer)}{user.id}/restore").status_code == 404


# --- Partner users, both shells ---------------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_partner_users_invite_roles_deactivate(shell, ga, admin, partner, route):
    route("partnercenter")
    page = text(ga.get(f"{shell}/partner-users/"))
    assert admin.upn in page
    r = ga.post(
        f"{shell}/partner-users/new",
        {"upn": f"neu@{partner.domain}", "display_name": "Neu", "roles": ["sales_agent"]},
    )
    assert r.status_code == 201
    user = User.objects.get(upn=f"neu@{partner.domain}")
    assert user.check_password(password_on(r))
    r = ga.post(f"{shell}/partner-users/{user.id}/", {"roles": ["admin_agent", "billing_admin"]})
    assert r.status_code == 302
    assert set(user.role_assignments.values_list("role", flat=True)) == {"admin_agent", "billing_admin"}
    assert ga.post(f"{shell}/partner-users/{user.id}/active", {"active": "0"}).status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    ga.post(f"{shell}/partner-users/{user.id}/active", {"active": "1"})
    user.refresh_from_db()
    assert user.is_active
    # The last Global admin: the service's refusal, as a message.
    r = ga.post(f"{shell}/partner-users/{admin.id}/active", {"active": "0"}, follow=True)
    assert "last active Global admin" in text(r)
    admin.refresh_from_db()
    assert admin.is_active


# --- Routing ------------------------------------------------------------------------------------------


def test_routed_to_admin_center_partner_center_points_there_and_refuses(
    agent, agent_user, ga, admin, partner, customer, route
):
    route("admincenter")
    user = anna(customer, agent_user)
    detail = text(agent.get(f"/customers/{customer.id}/"))
    # One banner for the customer's three routed tasks.
    assert detail.count('data-testid="routed"') == 1 and f'href="{base(AC, customer)}"' in detail
    assert "password reset and licence management are done in the admin center" in detail
    listing = text(agent.get(base(PC, customer)))
    assert POINTER in listing and 'data-testid="new-user"' not in listing and "anna@kunde.example" in listing
    page = text(agent.get(f"{base(PC, customer)}{user.id}/"))
    assert POINTER in page and f'href="{base(AC, customer)}{user.id}/"' in page
    assert 'data-testid="reset-password"' not in page and 'data-testid="delete-user"' not in page
    assert 'data-testid="save-licences"' not in page
    form = agent.get(f"{base(PC, customer)}new")
    assert form.status_code == 200 and "done in the admin center" in text(form)
    # Every write refuses and changes nothing.
    posts = [
        (f"{base(PC, customer)}new", {"upn": "neu@kunde.example", "display_name": "Neu"}),
        (f"{base(PC, customer)}{user.id}/", {"display_name": "Changed", "usage_location": "DE"}),
        (f"{base(PC, customer)}{user.id}/licences", {"sku": ["WORKPLACE-BASIC"]}),
        (f"{base(PC, customer)}{user.id}/reset-password", {}),
        (f"{base(PC, customer)}{user.id}/delete", {}),
    ]
    password = user.password
    for url, data in posts:
        r = agent.post(url, data)
        assert r.status_code == 403, url
        assert "In this instance," in text(r) and "/admin-center/" in text(r)
    user.refresh_from_db()
    assert user.deleted_at is None and user.display_name == "Anna" and user.password == password
    assert not User.objects.filter(upn="neu@kunde.example").exists()
    assert not LicenceAssignment.objects.filter(user=user).exists()
    # Partner users too.
    assert POINTER in text(ga.get("/partner-users/"))
    assert (
        ga.post("/partner-users/new", {"upn": f"x@{partner.domain}", "display_name": "X"}).status_code == 403
    )
    assert ga.post(f"/partner-users/{admin.id}/", {"roles": []}).status_code == 403
    assert ga.post(f"/partner-users/{agent_user.id}/active", {"active": "0"}).status_code == 403
    agent_user.refresh_from_db()
    assert agent_user.is_active and set(admin.role_assignments.values_list("role", flat=True)) == {
        "global_admin"
    }
    # The admin center works.
    assert POINTER not in text(agent.get(f"{base(AC, customer)}{user.id}/"))
    r = agent.post(f"{base(AC, customer)}new", {"upn": "neu@kunde.example", "display_name": "Neu"})
    assert r.status_code == 201
    assert (
        agent.post(f"{base(AC, customer)}{user.id}/licences", {"sku": ["WORKPLACE-BASIC"]}).status_code == 302
    )
    assert LicenceAssignment.objects.filter(user=user).exists()
    assert (
        agent.post(f"{base(AC, customer)}{user.id}/reset-password", {"confirmed": "yes"}).status_code == 200
    )
    customer_user_delete(actor=principal_of(admin), customer_id=customer.id, user_id=user.id)
    assert agent.post(f"{base(PC, customer)}{user.id}/restore").status_code == 403
    assert agent.post(f"{base(AC, customer)}{user.id}/restore").status_code == 302
    assert ga.post(f"{AC}/partner-users/{agent_user.id}/active", {"active": "0"}).status_code == 302
    agent_user.refresh_from_db()
    assert not agent_user.is_active


def test_routed_to_partner_center_both_work(agent, customer, route):
    route("partnercenter")
    detail = text(agent.get(f"/customers/{customer.id}/"))
    assert 'data-testid="users-and-licences"' in detail and POINTER not in detail
    assert POINTER not in text(agent.get(base(PC, customer)))
    for i, shell in enumerate(SHELLS):
        r = agent.post(f"{base(shell, customer)}new", {"upn": f"u{i}@kunde.example", "display_name": "U"})
        assert r.status_code == 201
    assert User.objects.filter(tenant=customer.tenant).exclude(upn=ADMIN_UPN).count() == 2


def test_partner_users_nav_entry(ga, agent):
    assert 'href="/partner-users/"' in text(ga.get("/customers/"))
    assert 'href="/partner-users/"' not in text(agent.get("/customers/"))
