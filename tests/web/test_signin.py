"""Sign-in, MFA, forced password change, throttling, cookies and secure headers (Django test client)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.directory.models import Tenant
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _reset_axes(db):
    from axes.utils import reset

    reset()


def signin(client: Client, upn: str, password: str = PASSWORD, **extra):
    return client.post("/signin", {"username": upn, "password": password}, **extra)


def code_for(device: TOTPDevice, drift: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + drift * device.step
    return f"{totp.token():0{device.digits}d}"


def test_cookie_names_carry_the_instance_id():
    assert django_settings.SESSION_COOKIE_NAME == "hanse_test_session"
    assert django_settings.CSRF_COOKIE_NAME == "hanse_test_csrftoken"


def test_secure_headers(client, db):
    r = client.get("/signin")
    assert r["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in r["Content-Security-Policy"]
    assert "default-src 'self'" in r["Content-Security-Policy"]
    assert r["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in r  # plain HTTP


@override_settings(SECURE_HSTS_SECONDS=31536000)
def test_hsts_over_tls(client, db):
    assert "max-age=31536000" in client.get("/signin", secure=True)["Strict-Transport-Security"]


def test_csrf_is_enforced(partner, make_user, db):
    user = make_user(partner.tenant, Role.SALES_AGENT)
    strict = Client(enforce_csrf_checks=True)
    assert signin(strict, user.upn).status_code == 403


def test_sales_agent_signs_in_without_mfa(partner, make_user, client):
    user = make_user(partner.tenant, Role.SALES_AGENT)
    r = signin(client, user.upn)
    assert r.status_code == 302
    assert client.get("/").url == "/csp/"
    page = client.get("/csp/")
    assert page.status_code == 200 and user.upn.encode() in page.content


def test_wrong_password_is_refused(partner, make_user, client):
    user = make_user(partner.tenant, Role.SALES_AGENT)
    r = signin(client, user.upn, "wrong-password-123")
    assert r.status_code == 200 and b"not correct" in r.content
    assert client.get("/csp/").status_code == 302


def test_upn_is_case_insensitive(partner, make_user, client):
    user = make_user(partner.tenant, Role.SALES_AGENT)
    assert signin(client, user.upn.upper()).status_code == 302


def test_admin_must_enrol_mfa_first(partner, make_user, client):
    user = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    signin(client, user.upn)
    assert client.get("/csp/").url == "/account/mfa?next=%2Fcsp%2F"  # the page asked for is kept
    page = client.get("/account/mfa?next=%2Fcsp%2F")
    assert page.status_code == 200 and b"data-secret" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post("/account/mfa", {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    ok = client.post("/account/mfa?next=%2Fcsp%2F", {"code": code_for(device)})
    assert ok.status_code == 302 and ok.url == "/csp/"
    assert client.get("/csp/").status_code == 200
    assert AuditRecord.objects.filter(action="user.mfa_enrol", target_id=str(user.id)).exists()


def test_mfa_requirement_is_configurable(partner, make_user, client, swap_instance):
    swap_instance(mfa_required_roles=())
    user = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    signin(client, user.upn)
    assert client.get("/csp/").status_code == 200


def test_enrolled_user_is_asked_for_a_code(partner, make_user, client):
    user = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    r = signin(client, user.upn)
    assert r.url == "/signin/verify"
    assert client.get("/csp/").status_code == 302  # not signed in yet
    bad = client.post("/signin/verify", {"code": "12345x"})
    assert bad.status_code == 200
    good = client.post("/signin/verify", {"code": code_for(device)})
    assert good.status_code == 302
    assert client.get("/csp/").status_code == 200


def session_writes(queries) -> list[str]:
    return [
        q["sql"].split()[0]
        for q in queries
        if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")
    ]


def test_a_sign_in_writes_its_session_once_under_a_new_key(partner, make_user, client):
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = make_user(partner.tenant, Role.SALES_AGENT)
    with CaptureQueriesContext(connection) as queries:
        assert signin(client, user.upn).status_code == 302
    assert session_writes(queries.captured_queries) == ["INSERT"]  # not INSERT, then UPDATE
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert Session.objects.get(session_key=key).get_decoded()["_auth_user_id"] == str(user.id)
    assert client.get("/csp/").status_code == 200


def test_the_session_before_the_code_is_not_the_one_after(partner, make_user, client):
    # A key known before sign-in (one an attacker planted, say) is worth nothing after it.
    from django.contrib.sessions.models import Session

    user = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    assert signin(client, user.upn).url == "/signin/verify"
    before = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=before).exists()  # it holds the sign-in half done
    assert client.post("/signin/verify", {"code": code_for(device)}).status_code == 302
    after = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert after != before and not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()["_auth_user_id"] == str(user.id)
    planted = Client()
    planted.cookies[django_settings.SESSION_COOKIE_NAME] = before
    assert planted.get("/csp/").status_code == 302


def test_forced_password_change(partner, make_user, client):
    user = make_user(partner.tenant, Role.SALES_AGENT, must_change_password=True)
    signin(client, user.upn)
    assert client.get("/csp/").url == "/account/password?next=%2Fcsp%2F"
    weak = client.post("/account/password", {"current": PASSWORD, "new": "12345678", "confirm": "12345678"})
    assert weak.status_code == 200
    user.refresh_from_db()
    assert user.must_change_password and user.check_password(PASSWORD)
    new = "a-much-better-passphrase-9"
    ok = client.post("/account/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert ok.status_code == 302 and ok.url == "/"  # nothing asked for: home
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password(new)
    assert client.get("/csp/").status_code == 200  # the session survived the change
    assert AuditRecord.objects.filter(action="user.change_password", target_id=str(user.id)).exists()


def test_throttling_after_five_failures(partner, make_user, client):
    user = make_user(partner.tenant, Role.SALES_AGENT)
    for _ in range(5):
        signin(client, user.upn, "wrong-password-123")
    locked = signin(client, user.upn)  # even the right password
    assert locked.status_code == 429 and b"locked-out" in locked.content
    other = make_user(partner.tenant, Role.SALES_AGENT)
    assert signin(Client(), other.upn).status_code == 302  # other accounts are unaffected


def test_a_sign_in_clears_its_failures_and_the_expired_ones(partner, make_user, client):
    from datetime import timedelta

    from axes.models import AccessAttempt

    user, other = make_user(partner.tenant, Role.SALES_AGENT), make_user(partner.tenant, Role.SALES_AGENT)
    for _ in range(4):
        signin(client, user.upn, "wrong-password-123")
    signin(Client(REMOTE_ADDR="192.0.2.9"), other.upn, "wrong-password-123")
    old = AccessAttempt.objects.get(username=other.upn)
    old.attempt_time -= django_settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    old.save()
    assert signin(client, user.upn).status_code == 302
    assert not AccessAttempt.objects.exists()  # its own four failures, and the expired one
    for _ in range(4):
        signin(Client(), user.upn, "wrong-password-123")
    assert signin(Client(), user.upn).status_code == 302  # four more are allowed, not one


def test_every_spelling_of_a_name_shares_one_lock(partner, make_user, client):
    user = make_user(partner.tenant, Role.SALES_AGENT, upn=f"bf3@{partner.domain}")
    spellings = [user.upn.upper(), user.upn.title(), f" {user.upn} ", user.upn.swapcase(), user.upn]
    for spelling in spellings[:4]:
        assert signin(client, spelling, "wrong-password-123").status_code == 200
    assert signin(client, spellings[4], "wrong-password-123").status_code == 429  # the fifth locks
    for spelling in (user.upn, user.upn.upper(), user.upn.capitalize()):
        locked = signin(client, spelling)  # the right password, in any spelling
        assert locked.status_code == 429 and b"locked-out" in locked.content


def test_one_address_cannot_try_many_accounts(partner, make_user):
    from hanse.web.throttle import ADDRESS_FAILURE_LIMIT

    attacker, neighbour = Client(REMOTE_ADDR="192.0.2.7"), Client(REMOTE_ADDR="192.0.2.8")
    for i in range(ADDRESS_FAILURE_LIMIT):
        signin(attacker, f"guess{i}@{partner.domain}", "wrong-password-123")  # 1 try per account
    fresh = make_user(partner.tenant, Role.SALES_AGENT)
    assert signin(attacker, fresh.upn).status_code == 429  # not even a fresh account's right password
    assert signin(neighbour, fresh.upn).status_code == 302  # another address is not affected


def test_behind_a_trusted_proxy_each_client_is_its_own_address(partner, make_user, swap_instance):
    from ipaddress import ip_network

    swap_instance(trusted_proxies=(ip_network("10.0.0.0/8"),))
    user = make_user(partner.tenant, Role.SALES_AGENT)
    via_proxy = {"REMOTE_ADDR": "10.1.2.3"}
    for _ in range(5):
        signin(Client(), user.upn, "wrong-password-123", HTTP_X_FORWARDED_FOR="198.51.100.9", **via_proxy)
    refused = signin(Client(), user.upn, HTTP_X_FORWARDED_FOR="198.51.100.9", **via_proxy)
    assert refused.status_code == 429
    # Another client behind the same proxy is not locked out with the first one...
    other = Client()
    assert signin(other, user.upn, HTTP_X_FORWARDED_FOR="203.0.113.5", **via_proxy).status_code == 302
    # A client that writes its own X-Forwarded-For is not believed when it is not a proxy.
    liar = Client(REMOTE_ADDR="198.51.100.9")
    assert signin(liar, user.upn, HTTP_X_FORWARDED_FOR="203.0.113.77").status_code == 429


def test_inactive_user_and_suspended_tenant_cannot_sign_in(partner, make_user, client):
    user = make_user(partner.tenant, Role.SALES_AGENT)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert signin(client, user.upn).status_code == 200
    other = make_user(partner.tenant, Role.SALES_AGENT)
    Tenant.objects.filter(pk=partner.tenant.pk).update(state=Tenant.State.SUSPENDED)
    assert signin(Client(), other.upn).status_code == 200


def test_signout_needs_post(partner, make_user, client):
    user = make_user(partner.tenant, Role.SALES_AGENT)
    signin(client, user.upn)
    assert client.get("/signout").status_code == 405
    client.post("/signout")
    assert client.get("/csp/").status_code == 302


def test_open_redirect_is_refused(partner, make_user, client):
    user = make_user(partner.tenant, Role.SALES_AGENT)
    r = client.post("/signin", {"username": user.upn, "password": PASSWORD, "next": "https://evil.example/"})
    assert r.url == "/"


def test_language_switch_sets_the_instance_cookie(client, db):
    r = client.post("/i18n/setlang/", {"language": "de", "next": "/signin"})
    assert r.status_code == 302
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "de"
    page = client.get("/signin")
    assert b'<html lang="de">' in page.content


def test_overview_shows_state_region_and_counts(partner, make_user, client, swap_instance):
    swap_instance(mfa_required_roles=())
    user = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    make_user(partner.tenant, Role.SALES_AGENT)
    client.force_login(user, backend="hanse.directory.auth.UpnBackend")
    page = client.get("/csp/").content.decode()
    assert 'data-testid="account-state">Active' in page
    assert "Amsterdam (eu-west)" in page
    assert 'data-testid="user-count">2<' in page
    assert 'data-testid="customer-count">0<' in page


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("198.51.100.9", "203.0.113.1", "198.51.100.9"),  # not a proxy: its header is ignored
        ("10.1.2.3", "203.0.113.1", "203.0.113.1"),
        ("10.1.2.3", "203.0.113.66, 203.0.113.1", "203.0.113.1"),  # the client wrote the first hop
        ("10.1.2.3", "203.0.113.1, 10.9.9.9", "203.0.113.1"),  # two proxies in a row
        ("10.1.2.3", "not-an-address", "10.1.2.3"),
        ("10.1.2.3", "", "10.1.2.3"),
    ],
)
def test_client_address_reads_x_forwarded_for_only_from_trusted_proxies(
    swap_instance, remote, forwarded, expected
):
    from ipaddress import ip_network

    from django.test import RequestFactory

    from hanse.clientaddr import client_address

    swap_instance(trusted_proxies=(ip_network("10.0.0.0/8"),))
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_audit_records_the_client_behind_the_proxy(partner, make_user, api_for, swap_instance):
    from ipaddress import ip_network

    swap_instance(trusted_proxies=(ip_network("10.0.0.0/8"),))
    client = api_for(make_user(partner.tenant, Role.GLOBAL_ADMIN))
    r = client.post_json(
        "/v1/tokens", {"label": "proxy"}, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert r.status_code == 201
    assert (
        AuditRecord.objects.get(action="token.issue", target_id=r.json()["id"]).client_address
        == "203.0.113.5"
    )


def test_a_fresh_sign_in_asked_by_an_authorization_request_signs_the_current_user_out(
    partner, make_user, client
):
    """prompt=login brings a signed-in user to the sign-in page with ``next`` the authorize URL:
    the client asked for a fresh sign-in, perhaps as someone else. Any other ``next`` just goes on."""
    user = make_user(partner.tenant, Role.SALES_AGENT)
    client.force_login(user)
    r = client.get("/signin", {"next": "/csp/"})
    assert r.status_code == 302 and r["Location"] == "/csp/"
    r = client.get("/signin", {"next": "/oauth/authorize/?client_id=x&response_type=code"})
    assert r.status_code == 200 and b'name="password"' in r.content
    assert "_auth_user_id" not in client.session


def test_the_browser_finds_the_favicon(client: Client) -> None:
    """Every page links it, and a browser that asks for /favicon.ico anyway gets it, not a 404."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/signin").content.decode()
