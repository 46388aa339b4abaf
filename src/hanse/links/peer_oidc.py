"""This instance as an OpenID Connect client of a peer (docs/oidc.md): the authorization request
with state, nonce and PKCE S256; the code exchange; the ID token checked against the peer's
published keys (signature, issuer, audience, nonce, expiry, on the one clock). Everything goes
over HTTP to the peer's own endpoints, never to its database."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from hanse import clock
from hanse.errors import DomainError, NotFound
from hanse.instance.config import Peer
from hanse.instance.current import instance
from hanse.links import errors

TIMEOUT = httpx.Timeout(10.0)
# openid: who signed in at the peer (the link); migration: the peer's import API, for moving the
# partner's customers (docs/migration.md).
SCOPE = "openid migration"


def peer(peer_id: str) -> Peer:
    found = next((p for p in instance().peers if p.id == peer_id), None)
    if found is None:
        raise NotFound(errors.PEER_UNKNOWN, peer=peer_id[:40])
    if not found.client_id or not found.client_secret():
        raise DomainError(errors.PEER_NOT_CONFIGURED, peer=found.id)
    return found


def _get(p: Peer, url: str) -> dict[str, Any]:
    try:
        r = httpx.get(url, timeout=TIMEOUT)
        r.raise_for_status()
        return r.json()
    except (httpx.HTTPError, ValueError):
        raise DomainError(errors.PEER_UNREACHABLE, peer=p.id) from None


def discovery(p: Peer) -> dict[str, Any]:
    """The peer's provider metadata; its issuer must be the peer's configured address."""
    meta = _get(p, f"{p.url}/.well-known/openid-configuration")
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if any(not isinstance(meta.get(k), str) for k in needed) or meta["issuer"].rstrip("/") != p.url:
        raise DomainError(errors.PEER_UNREACHABLE, peer=p.id)
    return meta


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    verifier: str  # PKCE: kept here (the session), only its S256 hash goes to the peer


def authorization_request(
    p: Peer, meta: dict[str, Any], redirect_uri: str, **extra: str
) -> AuthorizationRequest:
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": p.client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return AuthorizationRequest(
        f"{meta['authorization_endpoint']}?{urlencode(query)}", state, nonce, verifier
    )


def exchange(p: Peer, meta: dict[str, Any], *, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
    """The code for the peer's tokens (client secret by HTTP Basic, as RFC 6749 prefers)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    return _token_request(p, meta, form, id_token=True)


def _token_request(p: Peer, meta: dict[str, Any], form: dict[str, str], *, id_token: bool) -> dict[str, Any]:
    try:
        r = httpx.post(
            meta["token_endpoint"], data=form, auth=(p.client_id, p.client_secret()), timeout=TIMEOUT
        )
    except httpx.HTTPError:
        raise DomainError(errors.PEER_UNREACHABLE, peer=p.id) from None
    try:
        body = r.json()
    except ValueError:
        raise DomainError(errors.PEER_UNREACHABLE, peer=p.id) from None
    if r.status_code != 200:
        # A replayed or forged code, or a used refresh token: the peer says invalid_grant.
        raise DomainError(errors.PROVIDER_ERROR, peer=p.id, error=str(body.get("error", r.status_code))[:80])
    if id_token and not isinstance(body.get("id_token"), str):
        raise DomainError(errors.ID_TOKEN_INVALID, peer=p.id, reason="no ID token")
    if not isinstance(body.get("access_token"), str):
        raise DomainError(errors.PROVIDER_ERROR, peer=p.id, error="no access token")
    return body


def refresh(p: Peer, meta: dict[str, Any], *, refresh_token: str) -> dict[str, Any]:
    """New tokens for a refresh token (RFC 6749 §6), the client authenticated as for the code."""
    return _token_request(
        p, meta, {"grant_type": "refresh_token", "refresh_token": refresh_token}, id_token=False
    )


def validate_id_token(
    token: str, *, keys: dict[str, Any], issuer: str, client_id: str, nonce: str, peer_id: str
) -> dict[str, Any]:
    """The ID token's claims, once its RS256 signature verifies with one of the peer's keys and its
    issuer, audience, nonce and expiry hold (valid before ``exp``, not at it)."""

    def refuse(reason: str) -> DomainError:
        return DomainError(errors.ID_TOKEN_INVALID, peer=peer_id, reason=reason)

    try:
        decoded = jwt.decode(token, KeySet.import_key_set(keys), algorithms=["RS256"])
    except (JoseError, ValueError, TypeError):
        raise refuse("signature") from None
    claims = decoded.claims
    now = int(clock.now().timestamp())
    registry = JWTClaimsRegistry(
        now=lambda: now,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as e:
        raise refuse(getattr(e, "claim", "") or e.error) from None
    if not isinstance(claims.get("exp"), int) or now >= claims["exp"]:
        raise refuse("exp")  # the one clock decides exactly: expired at exp, not a second later
    return claims


def sign_in_result(
    p: Peer, *, code: str, redirect_uri: str, verifier: str, nonce: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The code exchanged and its ID token checked: (claims, tokens)."""
    meta = discovery(p)
    tokens = exchange(p, meta, code=code, redirect_uri=redirect_uri, verifier=verifier)
    claims = validate_id_token(
        tokens["id_token"],
        keys=_get(p, meta["jwks_uri"]),
        issuer=meta["issuer"],
        client_id=p.client_id,
        nonce=nonce,
        peer_id=p.id,
    )
    return claims, tokens
