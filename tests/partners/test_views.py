"""Partner pages (Django test client): enrolment, agreement, overview next steps and chart, operator."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.commerce.services import LineItem, order_create
from hanse.directory.models import Tenant, User
from hanse.instance.config import Peer, Region
from hanse.partners import agreement, services
from hanse.partners.models import AgreementSignature, PartnerAccount
from tests.conftest import principal_of

BACKEND = "hanse.directory.auth.UpnBackend"
STRONG = "a-long-and-unusual-passphrase-73"
P = PartnerAccount.State


@pytest.fixture(autouse=True)
def _reset_axes(db: None) -> None:
    from axes.utils import reset

    reset()


def enrol_data(**over: str) -> dict[str, str]:
    data = {
        "company_name": "Neu Partner GmbH",
        "domain": "neu-partner.example",
        "region": "de-west",
        "country": "DE",
        "admin_name": "Erika Admin",
        "admin_local_part": "erika",
        "password": STRONG,
        "confirm": STRONG,
    }
    data.update(over)
    return data


def counts() -> tuple[int, ...]:
    return (
        Tenant.objects.count(),
        User.objects.count(),
        PartnerAccount.objects.count(),
        AuditRecord.objects.count(),
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def sign(partner: Any, make_user: Any) -> AgreementSignature:
    admin = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    return services.agreement_sign(actor=principal_of(admin), name="Erika Admin", email="erika@p.example")


def flashed(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def no_mfa(swap_instance: Any) -> None:
    swap_instance(mfa_required_roles=())


@pytest.fixture
def operator(make_tenant: Any, make_user: Any, no_mfa: None) -> Client:
    return signed_in(make_user(make_tenant("provider"), Role.OPERATOR))


# --- Enrolment -------------------------------------------------------------------------------


def test_signin_page_links_to_enrolment(client, db, swap_instance):
    assert b'data-testid="enrol-link"' in client.get("/signin").content
    swap_instance(accepts_new_customers=False)
    assert b'data-testid="enrol-link"' not in client.get("/signin").content


def test_enrol_form_offers_european_regions_and_markets(client, db, swap_instance):
    swap_instance(regions=(*swap_instance().regions, Region("us-east", "Virginia", "US", european=False)))
    page = client.get("/enrol").content.decode()
    assert "Frankfurt (de-west)" in page and "Amsterdam (eu-west)" in page
    assert "us-east" not in page
    assert 'value="DE"' in page and 'value="CH"' in page and 'value="US"' not in page
    # Sorted by (translated) name: Austria comes before Germany, Germany before Switzerland.
    assert page.index('value="AT"') < page.index('value="DE"') < page.index('value="CH"')


def test_enrolment_creates_pending_partner_and_signs_in_its_global_admin(client, db):
    r = client.post("/enrol", enrol_data())
    assert r.status_code == 302 and r.url == "/csp/"
    tenant = Tenant.objects.get(domain="neu-partner.example")
    assert (tenant.kind, tenant.home_region, tenant.country) == (Tenant.Kind.PARTNER, "de-west", "DE")
    account = PartnerAccount.objects.get(tenant=tenant)
    assert account.state == P.PENDING and account.company_name == "Neu Partner GmbH"
    admin = User.objects.get(upn="erika@neu-partner.example")
    assert admin.check_password(STRONG) and not admin.must_change_password
    assert principal_of(admin).roles == frozenset({Role.GLOBAL_ADMIN})
    assert client.session["_auth_user_id"] == str(admin.pk)
    recorded = set(AuditRecord.objects.filter(tenant_id=tenant.id).values_list("action", flat=True))
    assert {"tenant.create", "partner.create", "user.create"} <= recorded
    # A Global admin must set up MFA before anything else.
    assert client.get("/csp/").url == "/account/mfa?next=%2Fcsp%2F"


def test_enrolled_admin_lands_on_the_overview_with_the_sign_step(client, db, no_mfa):
    client.post("/enrol", enrol_data())
    page = client.get("/csp/").content.decode()
    assert 'data-testid="account-state">Pending' in page
    assert 'data-testid="next-sign"' in page and 'href="/csp/agreement"' in page


def test_enrolment_is_closed_on_a_sovereign_instance(client, db, swap_instance):
    swap_instance(
        kind="sovereign",
        accepts_new_customers=False,
        peers=(Peer(id="eu", url="https://eu.hanse.example", name="Hanse Europe"),),
    )
    before = counts()
    r = client.get("/enrol")
    assert r.status_code == 403
    page = r.content.decode()
    assert 'data-testid="enrol-closed"' in page
    assert 'href="https://eu.hanse.example/enrol"' in page and "Hanse Europe" in page
    assert '<form method="post" novalidate>' not in page
    assert client.post("/enrol", enrol_data()).status_code == 403
    assert counts() == before


def test_sovereign_refusal_names_an_unnamed_peer_by_its_address(client, db, swap_instance):
    swap_instance(accepts_new_customers=False)  # tests/instance.toml: peer "de" at http://127.0.0.1:9
    page = client.get("/enrol").content.decode()
    assert 'href="http://127.0.0.1:9/enrol"' in page and ">de<" in page


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"domain": "taken.example"}, "already used by another tenant"),
        ({"domain": "not a domain"}, "not a valid domain name"),
        ({"region": "us-east"}, "Select a valid choice"),
        ({"region": "xx-nowhere"}, "Select a valid choice"),
        ({"country": "US"}, "Select a valid choice"),
        ({"password": "12345678", "confirm": "12345678"}, "not strong enough"),
        ({"password": "neu-partner-erika", "confirm": "neu-partner-erika"}, "not strong enough"),
        ({"confirm": STRONG + "x"}, "do not match"),
        ({"admin_local_part": "erika@elsewhere.example"}, "only the part before the @"),
        ({"company_name": ""}, "This field is required"),
    ],
    ids=[
        "domain-taken",
        "domain-invalid",
        "region-not-european",
        "region-unknown",
        "country-outside-markets",
        "password-weak",
        "password-like-user",
        "confirmation-mismatch",
        "local-part-with-domain",
        "company-missing",
    ],
)
def test_bad_enrolment_shows_an_error_and_creates_nothing(client, make_partner, swap_instance, over, message):
    make_partner(domain="taken.example")
    swap_instance(regions=(*swap_instance().regions, Region("us-east", "Virginia", "US", european=False)))
    before = counts()
    r = client.post("/enrol", enrol_data(**over))
    assert r.status_code == 200
    page = r.content.decode()
    assert message in page
    assert 'class="alert"' in page or 'class="error"' in page
    assert counts() == before
    assert "_auth_user_id" not in client.session


def test_signed_in_user_is_sent_home_from_enrolment(partner, make_user, no_mfa):
    client = signed_in(make_user(partner.tenant, Role.SALES_AGENT))
    assert client.get("/enrol").url == "/"


# --- Agreement -------------------------------------------------------------------------------


@pytest.fixture
def pending(make_partner: Any) -> Any:
    return make_partner(state=P.PENDING)


def test_agreement_page_shows_the_text_and_the_form_to_a_global_admin(pending, make_user, no_mfa):
    client = signed_in(make_user(pending.tenant, Role.GLOBAL_ADMIN))
    page = client.get("/csp/agreement").content.decode()
    assert agreement.VERSION in page
    assert "HANSE CLOUD SOLUTION PROVIDER AGREEMENT" in page
    assert 'data-testid="sign-form"' in page and 'type="checkbox"' in page


def test_agreement_text_follows_the_ui_language(pending, make_user, no_mfa):
    client = signed_in(make_user(pending.tenant, Role.GLOBAL_ADMIN))
    client.post("/i18n/setlang/", {"language": "de", "next": "/csp/agreement"})
    page = client.get("/csp/agreement").content.decode()
    first_line = agreement.text("de").splitlines()[0]
    assert first_line in page


def test_global_admin_signs_the_agreement(pending, make_user, no_mfa):
    admin = make_user(pending.tenant, Role.GLOBAL_ADMIN)
    client = signed_in(admin)
    r = client.post("/csp/agreement", {"name": "Erika Admin", "email": "erika@p.example", "accept": "on"})
    assert r.status_code == 302 and r.url == "/csp/agreement"
    sig = AgreementSignature.objects.get(account=pending.account)
    assert (sig.version, sig.signer_name, sig.signer_email) == (
        agreement.VERSION,
        "Erika Admin",
        "erika@p.example",
    )
    assert sig.signer_user_id == admin.id
    assert AuditRecord.objects.filter(
        action="partner.agreement_sign", target_id=str(pending.account.id)
    ).exists()
    page = client.get("/csp/agreement").content.decode()
    assert 'data-testid="signer">Erika Admin' in page and 'data-testid="sign-form"' not in page
    # Signing doesn't activate the account (unless the instance auto-activates).
    pending.account.refresh_from_db()
    assert pending.account.state == P.PENDING
    # A second POST is answered, not duplicated.
    again = client.post("/csp/agreement", {"name": "Other", "email": "o@p.example", "accept": "on"})
    assert again.status_code == 302 and "already signed" in " ".join(flashed(again))
    assert AgreementSignature.objects.filter(account=pending.account).count() == 1


def test_signing_auto_activates_when_the_instance_says_so(pending, make_user, swap_instance):
    swap_instance(mfa_required_roles=(), auto_activate_partners=True)
    client = signed_in(make_user(pending.tenant, Role.GLOBAL_ADMIN))
    client.post("/csp/agreement", {"name": "Erika Admin", "email": "erika@p.example", "accept": "on"})
    pending.account.refresh_from_db()
    assert pending.account.state == P.ACTIVE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Erika Admin", "email": "erika@p.example"}, "Tick the box"),
        ({"name": "Erika Admin", "email": "not-an-email", "accept": "on"}, "valid email address"),
        ({"name": "E", "email": "erika@p.example", "accept": "on"}, "full name"),
    ],
    ids=["not-accepted", "bad-email", "short-name"],
)
def test_incomplete_signature_is_refused(pending, make_user, no_mfa, data, message):
    client = signed_in(make_user(pending.tenant, Role.GLOBAL_ADMIN))
    before = AuditRecord.objects.count()
    r = client.post("/csp/agreement", data)
    assert r.status_code == 200 and message in r.content.decode()
    assert not AgreementSignature.objects.exists()
    assert AuditRecord.objects.count() == before


def test_sales_agent_sees_no_form_and_cannot_sign(pending, make_user, no_mfa):
    client = signed_in(make_user(pending.tenant, Role.SALES_AGENT))
    page = client.get("/csp/agreement")
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-testid="sign-form"' not in content and 'data-testid="sign-note"' in content
    before = AuditRecord.objects.count()
    r = client.post("/csp/agreement", {"name": "Sam Sales", "email": "sam@p.example", "accept": "on"})
    assert r.status_code == 403 and "Not allowed" in r.content.decode()
    assert not AgreementSignature.objects.exists()
    assert AuditRecord.objects.count() == before


def test_agreement_page_needs_sign_in(client, db):
    r = client.get("/csp/agreement")
    assert r.status_code == 302 and r.url.startswith("/signin")


# --- Overview: next steps and chart -------------------------------------------------------


def overview(user: User) -> str:
    r = signed_in(user).get("/csp/")
    assert r.status_code == 200
    return r.content.decode()


def test_next_step_for_a_pending_unsigned_account(pending, make_user, no_mfa):
    admin_page = overview(make_user(pending.tenant, Role.GLOBAL_ADMIN))
    assert 'data-testid="next-sign"' in admin_page
    sales_page = overview(make_user(pending.tenant, Role.SALES_AGENT))
    assert 'data-testid="next-sign"' not in sales_page and 'data-testid="next-sign-admin"' in sales_page
    assert 'data-testid="next-create-customer"' not in sales_page


def test_next_step_for_a_pending_signed_account(pending, make_user, no_mfa):
    sign(pending, make_user)
    page = overview(make_user(pending.tenant, Role.GLOBAL_ADMIN))
    assert 'data-testid="next-wait"' in page and 'data-testid="next-sign"' not in page


def test_next_steps_for_an_active_account(partner, make_user, no_mfa, swap_instance):
    sign(partner, make_user)
    admin = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    page = overview(admin)
    assert 'data-testid="next-create-customer"' in page and 'href="/customers/new"' in page
    assert 'data-testid="next-catalogue"' in page and 'href="/catalog/"' in page
    assert 'data-testid="next-resign"' not in page
    # Helpdesk agents don't create customers nor see prices.
    helpdesk = overview(make_user(partner.tenant, Role.HELPDESK_AGENT))
    assert (
        'data-testid="next-create-customer"' not in helpdesk
        and 'data-testid="next-catalogue"' not in helpdesk
    )
    # A sovereign instance that takes no new customers offers no "create a customer" step.
    swap_instance(accepts_new_customers=False)
    closed = overview(admin)
    assert 'data-testid="next-create-customer"' not in closed and 'data-testid="next-catalogue"' in closed


def test_active_account_without_current_signature_is_reminded(partner, make_user, no_mfa):
    page = overview(make_user(partner.tenant, Role.GLOBAL_ADMIN))
    assert 'data-testid="next-resign"' in page


def test_next_step_for_a_suspended_account(make_partner, make_user, no_mfa):
    suspended = make_partner(state=P.SUSPENDED)
    page = overview(make_user(suspended.tenant, Role.GLOBAL_ADMIN))
    assert 'data-testid="next-suspended"' in page
    assert 'data-testid="next-create-customer"' not in page


def test_seats_chart_is_empty_without_orders(partner, make_user, no_mfa):
    page = overview(make_user(partner.tenant, Role.GLOBAL_ADMIN))
    assert 'data-testid="seats-chart"' in page and 'data-testid="seats-empty"' in page
    assert 'data-testid="seats-bar"' not in page


def test_seats_chart_shows_seats_after_an_order(partner, make_user, make_customer, offers, no_mfa):
    customer = make_customer(partner)
    admin = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    order_create(
        actor=principal_of(admin),
        customer_id=customer.id,
        lines=[LineItem("WORKPLACE-BASIC", 5), LineItem("MAIL-PLAN-1", 20)],
    )
    page = overview(admin)
    chart = page[page.index('data-testid="seats-chart"') :]
    chart = chart[: chart.index("</figure>")]
    assert 'data-testid="seats-empty"' not in chart
    bars = re.findall(r'data-offer="([^"]+)" data-seats="(\d+)"', chart)
    assert bars == [("Mail Plan 1", "20"), ("Workplace Basic", "5")]  # most seats first
    # The label is text of the page (it wraps, never clipped); the bar is as long as its share.
    assert '<span class="label">Mail Plan 1</span>' in chart
    assert '<span class="label">Workplace Basic</span>' in chart
    widths = [float(w) for w in re.findall(r'<rect x="0" y="0" width="([\d.]+)"', chart)]
    assert widths == [100.0, 25.0]
    assert '<span class="count">20</span>' in chart and '<span class="count">5</span>' in chart
    assert "25 active seats" in chart


def test_seats_chart_only_for_roles_that_see_customers(partner, make_user, no_mfa):
    page = overview(make_user(partner.tenant, Role.BILLING_ADMIN))
    assert 'data-testid="seats-chart"' not in page


def test_overview_sends_no_inline_style(partner, make_user, make_customer, offers, no_mfa):
    customer = make_customer(partner)
    admin = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    order_create(actor=principal_of(admin), customer_id=customer.id, lines=[LineItem("WORKPLACE-BASIC", 3)])
    r = signed_in(admin).get("/csp/")
    assert "style-src 'self'" in r["Content-Security-Policy"]
    assert "style=" not in r.content.decode() and "<script" not in r.content.decode()


# --- Operator --------------------------------------------------------------------------------


REASON = "Unpaid invoices since September; see our letter of 2 November."


def state_post(client: Client, account: PartnerAccount, state: str, **extra: str) -> Any:
    return client.post(f"/operator/partners/{account.id}/state", {"state": state, **extra})


def test_operator_lists_all_partners(operator, make_partner, make_user):
    a = make_partner(state=P.PENDING)
    b = make_partner(state=P.ACTIVE)
    sign(b, make_user)
    page = operator.get("/operator/partners").content.decode()
    assert page.count('data-testid="partner-row"') == 2
    row_a = page[page.index(f'data-partner="{a.account.id}"') :].split("</tr>")[0]
    row_b = page[page.index(f'data-partner="{b.account.id}"') :].split("</tr>")[0]
    assert a.domain in row_a and "eu-west" in row_a
    assert 'data-testid="activate"' in row_a and 'data-testid="partner-signed">no<' in row_a
    assert 'data-testid="suspend"' in row_b and f"yes · {agreement.VERSION}" in row_b


def test_activation_needs_a_signed_agreement(operator, pending, make_user):
    r = state_post(operator, pending.account, "active")
    assert r.status_code == 302 and r.url == "/operator/partners"
    assert any("must be signed" in m for m in flashed(r))
    pending.account.refresh_from_db()
    assert pending.account.state == P.PENDING
    sign(pending, make_user)
    ok = state_post(operator, pending.account, "active")
    assert any("now active" in m for m in flashed(ok))
    pending.account.refresh_from_db()
    assert pending.account.state == P.ACTIVE and pending.account.activated_at is not None
    assert AuditRecord.objects.filter(action="partner.activated", target_id=str(pending.account.id)).exists()


def test_operator_message_is_shown_on_the_list(operator, pending):
    page = operator.post(
        f"/operator/partners/{pending.account.id}/state", {"state": "active"}, follow=True
    ).content.decode()
    assert 'class="error"' in page and "must be signed" in page


def test_suspend_and_reactivate(operator, partner, make_user):
    sign(partner, make_user)
    suspended = state_post(operator, partner.account, "suspended", confirmed="yes", reason=REASON)
    assert any("now suspended" in m for m in flashed(suspended))
    partner.account.refresh_from_db()
    assert partner.account.state == P.SUSPENDED and partner.account.suspension_reason == REASON
    page = operator.get("/operator/partners").content.decode()
    assert 'data-testid="reactivate"' in page
    assert any("now active" in m for m in flashed(state_post(operator, partner.account, "active")))
    partner.account.refresh_from_db()
    assert partner.account.state == P.ACTIVE
    actions = set(
        AuditRecord.objects.filter(target_id=str(partner.account.id)).values_list("action", flat=True)
    )
    assert {"partner.suspended", "partner.reactivated"} <= actions
    record = AuditRecord.objects.get(action="partner.suspended", target_id=str(partner.account.id))
    assert record.after["suspensionReason"] == REASON
    partner.account.refresh_from_db()
    assert partner.account.suspension_reason == ""  # reactivated: the reason is gone


def test_a_suspension_asks_for_a_reason_that_the_partner_then_reads(operator, partner, make_user, no_mfa):
    sign(partner, make_user)
    asked = state_post(operator, partner.account, "suspended").content.decode()
    assert 'data-testid="confirm"' in asked and "They see the reason you give here." in asked
    refused = state_post(operator, partner.account, "suspended", confirmed="yes", reason="  bad  ")
    assert refused.status_code == 400 and 'data-testid="reason-error"' in refused.content.decode()
    partner.account.refresh_from_db()
    assert partner.account.state == P.ACTIVE
    state_post(operator, partner.account, "suspended", confirmed="yes", reason=REASON)
    page = html.unescape(overview(make_user(partner.tenant, Role.GLOBAL_ADMIN)))
    assert f'data-testid="suspension-reason">The operator\'s reason: {REASON}<' in page


def test_invalid_state_changes_are_refused_with_a_message(operator, pending):
    assert any(
        "cannot be suspended" in m for m in flashed(state_post(operator, pending.account, "suspended"))
    )
    assert any("active or suspended" in m for m in flashed(state_post(operator, pending.account, "deleted")))
    missing = operator.post(
        "/operator/partners/00000000-0000-0000-0000-000000000000/state", {"state": "active"}
    )
    assert any("No CSP account" in m for m in flashed(missing))
    pending.account.refresh_from_db()
    assert pending.account.state == P.PENDING
    assert operator.get(f"/operator/partners/{pending.account.id}/state").status_code == 405


def test_partner_users_cannot_operate(partner, make_user, no_mfa):
    client = signed_in(make_user(partner.tenant, Role.GLOBAL_ADMIN))
    assert client.get("/operator/partners").status_code == 403
    r = state_post(client, partner.account, "suspended")
    assert r.status_code == 403
    partner.account.refresh_from_db()
    assert partner.account.state == P.ACTIVE


def test_operator_pages_need_sign_in(client, partner):
    assert client.get("/operator/partners").url.startswith("/signin")
    assert state_post(client, partner.account, "suspended").url.startswith("/signin")


def test_operator_has_no_partner_overview(operator):
    assert operator.get("/csp/").status_code == 403


def test_enrolled_admin_signs_in_later_with_the_chosen_password(client, db):
    client.post("/enrol", enrol_data(domain="login-check.example"))
    other = Client()
    wrong = other.post("/signin", {"username": "erika@login-check.example", "password": STRONG + "x"})
    assert wrong.status_code == 200
    assert (
        other.post("/signin", {"username": "erika@login-check.example", "password": STRONG}).status_code
        == 302
    )


def test_enrolment_is_throttled_per_address(db):
    from hanse.partners.views import ENROLMENTS_PER_HOUR

    client = Client(REMOTE_ADDR="192.0.2.50")
    for i in range(ENROLMENTS_PER_HOUR):
        data = enrol_data(domain=f"flood{i}.example")
        assert client.post("/enrol", data).status_code == 302
        client.logout()
    blocked = client.post("/enrol", enrol_data(domain="flood-extra.example"))
    assert blocked.status_code == 429 and b"Too many enrolments" in blocked.content
    assert not Tenant.objects.filter(domain="flood-extra.example").exists()
    # Another address is not affected.
    assert (
        Client(REMOTE_ADDR="192.0.2.51").post("/enrol", enrol_data(domain="other.example")).status_code == 302
    )
