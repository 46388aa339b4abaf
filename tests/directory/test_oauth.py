"""OAuth 2.0 (django-oauth-toolkit): authorization code with PKCE, then the token on ``/v1``.

The browser side runs through the real sign-in form and the real consent form with CSRF
checks enforced, so the sign-in middleware, CSRF and the login redirect are all exercised.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from hanse import clock
from hanse.access.roles import Role
from hanse.directory.services import user_set_active
from tests.conftest import PASSWORD, SYSTEM, ApiClient

REDIRECT_URI = "http://127.0.0.1:9/callback"
CLIENT_SECRET = "s3cret-" + "x" * 40
ERROR_KEYS = {"code", "description", "data", "source"}


@pytest.fixture(autouse=True)
def _reset_axes(db):
    from axes.utils import reset

    reset()


class _Inputs(HTMLParser):
    """The named ``<input>`` fields of a page, as a browser would submit them (last one wins)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.types: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        a = dict(attrs)
        name = a.get("name")
        if name:
            self.fields[name] = a.get("value") or ""
            self.types[name] = a.get("type") or "text"


def inputs(response: Any) -> _Inputs:
    parser = _Inputs()
    parser.feed(response.content.decode())
    return parser


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@pytest.fixture
def app(db) -> Application:
    application = Application(
        name="Partner tool",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
        client_secret=CLIENT_SECRET,
        skip_authorization=False,
    )
    application.save()
    return application


@pytest.fixture
def agent(partner, make_user):
    return make_user(partner.tenant, Role.SALES_AGENT)


def authorize_url(app: Application, challenge: str | None, state: str) -> str:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "partner",
        "state": state,
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return "/oauth/authorize/?" + urlencode(params)


def sign_in_via_authorize(browser: Client, url: str, upn: str) -> Any:
    """Unauthenticated authorize → sign-in page → POST /signin → back to authorize: the consent page."""
    r = browser.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/signin?next="), r
    signin_page = browser.get(r["Location"])
    assert signin_page.status_code == 200
    form = inputs(signin_page).fields
    assert form["next"] == url  # the form carries the authorize request through sign-in
    r = browser.post("/signin", {**form, "username": upn, "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == url, r
    return browser.get(url)


def authorize(app: Application, upn: str, *, challenge: str, state: str) -> dict[str, list[str]]:
    """Sign in, accept the consent form; the query of the redirect back to the client."""
    browser = Client(enforce_csrf_checks=True)
    consent = sign_in_via_authorize(browser, authorize_url(app, challenge, state), upn)
    assert consent.status_code == 200, consent.content
    assert b'id="authorizationForm"' in consent.content
    assert b"Act on the partner center as the signed-in user" in consent.content  # scope description
    parsed = inputs(consent)
    hidden = {k: v for k, v in parsed.fields.items() if parsed.types[k] == "hidden"}
    assert hidden["code_challenge"] == challenge and hidden["code_challenge_method"] == "S256"
    assert hidden["state"] == state and hidden["scope"] == "partner"
    assert hidden["csrfmiddlewaretoken"]
    r = browser.post(authorize_url(app, challenge, state), {**hidden, "allow": "Authorize"})
    assert r.status_code == 302, r.content
    location = urlsplit(r["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return parse_qs(location.query)


def exchange(app: Application, code: str, verifier: str | None) -> Any:
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": app.client_id,
        "client_secret": CLIENT_SECRET,
    }
    if verifier is not None:
        body["code_verifier"] = verifier
    return Client().post("/oauth/token/", body)


def access_token_for(app: Application, upn: str) -> str:
    verifier, challenge = pkce_pair()
    query = authorize(app, upn, challenge=challenge, state="s")
    r = exchange(app, query["code"][0], verifier)
    assert r.status_code == 200, r.content
    return r.json()["access_token"]


def assert_401(response: Any) -> None:
    assert response.status_code == 401, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == 1401 and body["source"] == "hanse" and body["description"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_authorization_code_flow_with_pkce_reaches_the_api(app, agent, partner):
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    query = authorize(app, agent.upn, challenge=challenge, state=state)
    assert query["state"] == [state]
    assert len(query["code"]) == 1

    r = exchange(app, query["code"][0], verifier)
    assert r.status_code == 200, r.content
    issued = r.json()
    assert issued["token_type"] == "Bearer" and issued["scope"] == "partner"
    assert issued["access_token"] and issued["expires_in"] > 0

    profile = ApiClient(issued["access_token"]).get("/v1/profiles/partner")
    assert profile.status_code == 200, profile.content
    assert profile.json()["id"] == str(partner.account.id)
    token = AccessToken.objects.get()
    assert token.user_id == agent.pk and token.application_id == app.pk and token.scope == "partner"


def test_authorization_survives_a_forced_password_change_and_mfa_enrolment(app, partner, make_user):
    """A Global admin who owes a new password and an MFA enrolment settles both during the
    authorization and comes back to the same authorization request, not to the home page."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.web.test_signin import code_for

    admin = make_user(partner.tenant, Role.GLOBAL_ADMIN, must_change_password=True)
    verifier, challenge = pkce_pair()
    url = authorize_url(app, challenge, "st4te")
    browser = Client()
    r = browser.get(url)
    r = browser.post(
        "/signin", {**inputs(browser.get(r["Location"])).fields, "username": admin.upn, "password": PASSWORD}
    )
    assert r.status_code == 302 and r["Location"] == url
    owed = browser.get(url)
    assert owed.status_code == 302 and owed["Location"] == "/account/password?" + urlencode({"next": url})
    new_password = "another-correct-horse-77"
    r = browser.post(owed["Location"], {"current": PASSWORD, "new": new_password, "confirm": new_password})
    assert r.status_code == 302 and r["Location"] == url, r.content
    owed = browser.get(url)
    assert owed.status_code == 302 and owed["Location"] == "/account/mfa?" + urlencode({"next": url})
    browser.get(owed["Location"])
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    r = browser.post(owed["Location"], {"code": code_for(device)})
    assert r.status_code == 302 and r["Location"] == url
    consent = browser.get(url)
    assert consent.status_code == 200 and b'id="authorizationForm"' in consent.content
    hidden = {k: v for k, v in inputs(consent).fields.items() if inputs(consent).types[k] == "hidden"}
    r = browser.post(url, {**hidden, "allow": "Authorize"})
    query = parse_qs(urlsplit(r["Location"]).query)
    assert query["state"] == ["st4te"]
    assert exchange(app, query["code"][0], verifier).status_code == 200


def test_client_secret_is_stored_hashed(app):
    stored = Application.objects.get(pk=app.pk).client_secret
    assert stored != CLIENT_SECRET and stored.startswith(("argon2", "pbkdf2"))


def test_authorize_without_code_challenge_is_refused(app, agent):
    browser = Client()
    browser.post("/signin", {"username": agent.upn, "password": PASSWORD})
    r = browser.get(authorize_url(app, None, "s"))
    # PKCE_REQUIRED: the error goes back to the client, and no grant is created.
    assert r.status_code == 302
    query = parse_qs(urlsplit(r["Location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == ["s"]
    assert not Grant.objects.exists()


def test_token_request_without_code_verifier_is_refused(app, agent):
    verifier, challenge = pkce_pair()
    query = authorize(app, agent.upn, challenge=challenge, state="s")
    code = query["code"][0]

    r = exchange(app, code, None)
    assert r.status_code == 400, r.content
    assert r.json()["error"] == "invalid_request"
    assert "access_token" not in r.json()

    wrong = exchange(app, code, pkce_pair()[0])
    assert wrong.status_code == 400, wrong.content
    assert wrong.json()["error"] == "invalid_grant"

    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.exists()
    # The control: the same code with the right verifier is what makes the difference.
    assert exchange(app, code, verifier).status_code == 200


def test_expired_access_token_is_401(app, agent):
    token = access_token_for(app, agent.upn)
    client = ApiClient(token)
    assert client.get("/v1/profiles/partner").status_code == 200  # verified, and kept by the process
    expiry = AccessToken.objects.get().expires
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: expiry)
        assert_401(client.get("/v1/profiles/partner"))


def test_access_token_of_deactivated_user_is_401(app, agent):
    token = access_token_for(app, agent.upn)
    client = ApiClient(token)
    assert client.get("/v1/profiles/partner").status_code == 200
    user_set_active(actor=SYSTEM, user=agent, active=False)
    assert_401(client.get("/v1/profiles/partner"))


def test_tokens_are_stored_only_as_checksums(app, agent):
    token = access_token_for(app, agent.upn)
    row = AccessToken.objects.get()
    assert row.token == ""
    assert row.token_checksum == hashlib.sha256(token.encode()).hexdigest()
    assert not AccessToken.objects.filter(token=token).exists()
    refresh = RefreshToken.objects.get()
    assert refresh.token == ""
    assert refresh.token_checksum


def test_an_api_token_minted_with_an_oauth_token_ends_when_that_is_revoked(app, agent):
    access = access_token_for(app, agent.upn)
    minted = ApiClient(access).post_json("/v1/tokens", {"label": "from oauth"})
    assert minted.status_code == 201, minted.content
    api_token = minted.json()["token"]
    assert ApiClient(api_token).get("/v1/profiles/partner").status_code == 200
    assert ApiClient(access).get("/v1/profiles/partner").status_code == 200  # both kept by the process
    revoked = Client().post(
        "/oauth/revoke_token/",
        {"token": access, "client_id": app.client_id, "client_secret": CLIENT_SECRET},
    )
    assert revoked.status_code == 200, revoked.content
    assert_401(ApiClient(access).get("/v1/profiles/partner"))
    assert_401(ApiClient(api_token).get("/v1/profiles/partner"))
