"""This instance as an OpenID Connect client of a peer: the ID token's checks, each one on its
own; the whole code flow against a live provider over HTTP; and the tokens sealed at rest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from hanse import clock
from hanse.access.roles import Role
from hanse.directory.oauth_clients import oauth_client_add
from hanse.errors import DomainError
from hanse.instance.config import Peer
from hanse.links import errors, peer_oidc
from hanse.links.sealing import seal, unseal
from tests.conftest import SYSTEM

ISSUER = "https://eu.example"
CLIENT = "hanse-de"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER = RSAKey.generate_key(2048, parameters={"kid": "k1"})
EXP = 2_000_000_000


def token(key: RSAKey = KEY, **over: Any) -> str:
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "u1", "exp": EXP, "iat": EXP - 300, "nonce": "n1", **over}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def check(value: str, *, at: int = EXP - 60, nonce: str = "n1", monkeypatch: Any) -> dict[str, Any]:
    monkeypatch.setattr(clock, "now", lambda: datetime.fromtimestamp(at, tz=UTC))
    keys = KeySet([KEY]).as_dict(private=False)
    return peer_oidc.validate_id_token(
        value, keys=keys, issuer=ISSUER, client_id=CLIENT, nonce=nonce, peer_id="eu"
    )


def test_a_good_id_token_is_valid_until_just_before_it_expires(monkeypatch):
    assert check(token(), monkeypatch=monkeypatch)["sub"] == "u1"
    assert check(token(), at=EXP - 1, monkeypatch=monkeypatch)["sub"] == "u1"
    with pytest.raises(DomainError) as e:
        check(token(), at=EXP, monkeypatch=monkeypatch)
    assert e.value.spec is errors.ID_TOKEN_INVALID and "exp" in e.value.description


@pytest.mark.parametrize(
    ("make", "nonce", "reason"),
    [
        (lambda: token(OTHER), "n1", "signature"),  # signed with a key the peer does not publish
        (lambda: token(iss="https://evil.example"), "n1", "iss"),
        (lambda: token(aud="someone-else"), "n1", "aud"),
        (lambda: token(), "n2", "nonce"),  # a token from another sign-in
        (lambda: token(nonce=None), "n1", "nonce"),
        (lambda: token(exp=None), "n1", "exp"),
        (lambda: token(sub=None), "n1", "sub"),
        (lambda: token().rsplit(".", 1)[0] + ".AAAA", "n1", "signature"),  # tampered
        (lambda: "not-a-jwt", "n1", "signature"),
    ],
)
def test_each_bad_id_token_is_refused_with_its_reason(make, nonce, reason, monkeypatch):
    with pytest.raises(DomainError) as e:
        check(make(), nonce=nonce, monkeypatch=monkeypatch)
    assert e.value.spec is errors.ID_TOKEN_INVALID
    assert reason in e.value.description


def test_an_hs256_token_is_refused_even_with_the_public_key_as_secret(monkeypatch):
    from joserfc.jwk import OctKey

    forged = jwt.encode(
        {"alg": "HS256", "kid": "k1"},
        {"iss": ISSUER, "aud": CLIENT, "sub": "x", "exp": EXP, "nonce": "n1"},
        OctKey.import_key(b"x" * 32),
    )
    with pytest.raises(DomainError, match="signature"):
        check(forged, monkeypatch=monkeypatch)


def test_tokens_are_sealed_at_rest():
    sealed = seal("refresh-token-value")
    assert "refresh-token-value" not in sealed and unseal(sealed) == "refresh-token-value"
    with pytest.raises(DomainError) as e:
        unseal(sealed[:-4] + "AAAA")
    assert e.value.spec is errors.SEALED_INVALID
    with pytest.raises(DomainError):
        unseal(sealed, secret_key="another instance's key")


REDIRECT = "http://127.0.0.1:9/csp/link/callback"


def live_peer(
    live_server: Any, swap_instance: Any, monkeypatch: Any, **swaps: Any
) -> tuple[Peer, dict[str, Any]]:
    """The live server as the peer "eu", this instance registered there as its client."""
    registered = oauth_client_add(actor=SYSTEM, name="de", redirect_uris=[REDIRECT])
    monkeypatch.setenv("PEER_SECRET", registered.client_secret)
    client_id = registered.application.client_id
    eu = Peer(id="eu", url=live_server.url, client_id=client_id, client_secret_env="PEER_SECRET")
    swap_instance(peers=(eu,), mfa_required_roles=(), **swaps)
    p = peer_oidc.peer("eu")
    return p, peer_oidc.discovery(p)


def code_for(user: Any, url: str, live_server: Any) -> tuple[Client, str]:
    browser = Client()
    browser.force_login(user)
    return browser, parse_qs(urlsplit(browser.get(url.removeprefix(live_server.url))["Location"]).query)[
        "code"
    ][0]


def test_the_code_flow_against_a_live_provider(live_server, partner, make_user, swap_instance, monkeypatch):
    """The provider is this very instance, served by live_server: the client side talks to it over
    HTTP exactly as it talks to a peer."""
    p, meta = live_peer(live_server, swap_instance, monkeypatch)
    admin = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    request = peer_oidc.authorization_request(p, meta, REDIRECT)
    browser = Client()
    browser.force_login(admin)
    back = parse_qs(urlsplit(browser.get(request.url.removeprefix(live_server.url))["Location"]).query)
    assert back["state"] == [request.state]
    code = back["code"][0]
    done = {"redirect_uri": REDIRECT, "verifier": request.verifier, "nonce": request.nonce}
    claims, tokens = peer_oidc.sign_in_result(p, code=code, **done)
    assert claims["upn"] == admin.upn and claims["tid"] == str(partner.tenant.id)
    assert claims["roles"] == ["global_admin"] and claims["csp_account_state"] == "active"
    assert tokens["access_token"] and tokens["refresh_token"]
    # The same code again is refused by the provider: a replayed callback fails.
    with pytest.raises(DomainError) as e:
        peer_oidc.sign_in_result(p, code=code, **done)
    assert e.value.spec is errors.PROVIDER_ERROR and "invalid_grant" in e.value.description
    # A wrong verifier (someone else's code) is refused too.
    again = peer_oidc.authorization_request(p, meta, REDIRECT)
    _browser, code2 = code_for(admin, again.url, live_server)
    with pytest.raises(DomainError):
        peer_oidc.sign_in_result(
            p, code=code2, redirect_uri=REDIRECT, verifier=request.verifier, nonce=again.nonce
        )


def test_the_link_refreshes_an_expired_token_at_the_peer(
    live_server, admin, make_partner, make_user, swap_instance, monkeypatch
):
    """A linked account's peer token, once expired, is refreshed over HTTP and stored sealed; the
    refresh token used is rotated, so an old copy is worthless."""
    from hanse.links import services
    from hanse.links.models import TenantLink
    from tests.conftest import principal_of

    p, meta = live_peer(live_server, swap_instance, monkeypatch, accepts_new_customers=False)
    target = make_partner()
    target_admin = make_user(target.tenant, Role.GLOBAL_ADMIN)
    request = peer_oidc.authorization_request(p, meta, REDIRECT)
    _browser, code = code_for(target_admin, request.url, live_server)
    claims, tokens = peer_oidc.sign_in_result(
        p, code=code, redirect_uri=REDIRECT, verifier=request.verifier, nonce=request.nonce
    )
    actor = principal_of(admin)
    link = services.tenant_link_create(actor=actor, peer="eu", claims=claims, tokens=tokens)
    assert str(link.target_partner_id) == str(target.account.id)
    assert services.peer_access_token(actor=actor) == tokens["access_token"]  # not expired: as stored
    TenantLink.objects.filter(pk=link.pk).update(token_expires_at=clock.now())
    fresh = services.peer_access_token(actor=actor)
    assert fresh != tokens["access_token"]
    stored = TenantLink.objects.get(pk=link.pk)
    assert unseal(stored.access_token) == fresh and unseal(stored.refresh_token) != tokens["refresh_token"]
    assert stored.token_expires_at > clock.now()
    info = httpx.get(meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {fresh}"}).json()
    assert info["upn"] == target_admin.upn
    with pytest.raises(DomainError) as e:  # the old refresh token was rotated away
        peer_oidc.refresh(p, meta, refresh_token=tokens["refresh_token"])
    assert e.value.spec is errors.PROVIDER_ERROR


def test_a_peer_without_its_client_is_not_configured(swap_instance, db):
    swap_instance(peers=(Peer(id="eu", url="http://127.0.0.1:9"),))
    with pytest.raises(DomainError) as e:
        peer_oidc.peer("eu")
    assert e.value.spec is errors.PEER_NOT_CONFIGURED
    with pytest.raises(DomainError) as e:
        peer_oidc.peer("nowhere")
    assert e.value.spec is errors.PEER_UNKNOWN


def test_an_unreachable_peer_is_a_clear_error(swap_instance, monkeypatch, db):
    monkeypatch.setenv("S", "x")
    swap_instance(peers=(Peer(id="eu", url="http://127.0.0.1:9", client_id="c", client_secret_env="S"),))
    with pytest.raises(DomainError) as e:
        peer_oidc.discovery(peer_oidc.peer("eu"))  # nothing listens on port 9
    assert e.value.spec is errors.PEER_UNREACHABLE and e.value.status == 502
