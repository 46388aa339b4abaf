"""The instance as an OpenID Connect provider, tested with a standard client library (Authlib)
over real HTTP: discovery, the authorization code flow with PKCE S256, the ID token's RS256
signature and claims checked against the published JWKS, and userinfo (docs/oidc.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken
from django.test import Client

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.directory.oauth_clients import oauth_client_add
from hanse.errors import Conflict, InvalidInput
from tests.conftest import SYSTEM

REDIRECT = "http://127.0.0.1:9/link/callback"


@pytest.fixture
def registered(transactional_db: None) -> Any:
    return oauth_client_add(actor=SYSTEM, name="de", redirect_uris=[REDIRECT])


def _authorize(user: Any, url: str) -> str:
    """The user's browser at the authorize endpoint, signed in: the redirect back, with the code."""
    browser = Client()
    browser.force_login(user)
    parts = urlsplit(url)
    r = browser.get(f"{parts.path}?{parts.query}")
    assert r.status_code == 302, r.content
    return r["Location"]


def test_discovery_pkce_id_token_and_userinfo(live_server, registered, partner, make_user, swap_instance):
    swap_instance(mfa_required_roles=())
    admin = make_user(partner.tenant, Role.GLOBAL_ADMIN, Role.ADMIN_AGENT)
    base = live_server.url
    meta = httpx.get(f"{base}/.well-known/openid-configuration").json()
    assert meta["issuer"] == base
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
    assert {"tid", "tenant_domain", "tenant_region", "tenant_geography", "roles", "csp_account_state"} <= set(
        meta["claims_supported"]
    )

    app = registered.application
    client = OAuth2Client(
        app.client_id,
        registered.client_secret,
        scope="openid",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    back = _authorize(admin, url)
    assert back.startswith(REDIRECT) and f"state={state}" in back
    token = client.fetch_token(meta["token_endpoint"], authorization_response=back, code_verifier=verifier)

    keys = JsonWebKey.import_key_set(httpx.get(meta["jwks_uri"]).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": meta["issuer"]}},
        claims_params={"nonce": nonce, "client_id": app.client_id, "access_token": token["access_token"]},
    )
    claims.validate()  # issuer, audience, expiry, nonce, at_hash
    assert jwt.decode(token["id_token"], keys).header["alg"] == "RS256"
    assert claims["sub"] == str(admin.id) and claims["upn"] == admin.upn
    assert claims["tid"] == str(partner.tenant.id) and claims["tenant_domain"] == partner.domain
    assert (claims["tenant_region"], claims["tenant_geography"]) == ("eu-west", "europe")
    assert claims["roles"] == ["admin_agent", "global_admin"]
    assert claims["csp_account_state"] == "active" and claims["tenant_kind"] == "partner"
    assert claims["csp_account_id"] == str(partner.account.id)

    info = client.get(meta["userinfo_endpoint"]).json()
    assert {k: info[k] for k in ("sub", "upn", "tid", "roles")} == {
        k: claims[k] for k in ("sub", "upn", "tid", "roles")
    }


def test_plain_pkce_and_no_pkce_are_refused(live_server, registered, partner, make_user, swap_instance):
    swap_instance(mfa_required_roles=())
    user = make_user(partner.tenant, Role.SALES_AGENT)
    app = registered.application
    browser = Client()
    browser.force_login(user)
    common = f"response_type=code&client_id={app.client_id}&redirect_uri={REDIRECT}&scope=openid&state=s1"
    plain = browser.get(
        f"/oauth/authorize/?{common}&code_challenge=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG&code_challenge_method=plain"
    )
    none = browser.get(f"/oauth/authorize/?{common}")
    # Each is sent back to the client with OAuth's error, and no code.
    for r, why in ((plain, "Unsupported+%22plain%22"), (none, "Code+challenge+required")):
        assert r.status_code == 302
        back = r["Location"]
        assert back.startswith(f"{REDIRECT}?error=invalid_request&") and why in back
        assert "code=" not in back and back.endswith("&state=s1")


def test_registering_a_client_is_audited_and_checked(db):
    with pytest.raises(InvalidInput):
        oauth_client_add(actor=SYSTEM, name="x", redirect_uris=["javascript:alert(1)"])
    with pytest.raises(InvalidInput):
        oauth_client_add(actor=SYSTEM, name="x", redirect_uris=[])
    added = oauth_client_add(actor=SYSTEM, name="eu", redirect_uris=["https://eu.example/link/callback"])
    with pytest.raises(Conflict):
        oauth_client_add(actor=SYSTEM, name="eu", redirect_uris=["https://eu.example/link/callback"])
    rec = AuditRecord.objects.get(action="oauth.client_add")
    assert rec.target_id == added.application.client_id and added.client_secret not in str(rec.after)
    assert added.application.client_secret != added.client_secret  # stored hashed
