"""The source's calls to the target's import API (docs/migration.md), over HTTP with the link's
token of the ``migration`` scope. Never inside a transaction: a slow peer holds no lock here.

A peer that cannot be reached, times out or answers 5xx or 429 is *unavailable*: the engine waits
and tries again. Any other refusal is final for the attempt, with the peer's own description."""

from __future__ import annotations

import os
import uuid
from typing import Any

import httpx

from hanse.access.principal import Principal
from hanse.errors import DomainError
from hanse.links import errors as link_errors
from hanse.links.models import TenantLink
from hanse.links.peer_oidc import peer
from hanse.links.services import peer_access_token
from hanse.migration import errors

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
BASE = "/v1/migrationimports"


_client: tuple[int, httpx.Client] | None = None


def _http() -> httpx.Client:
    """The process's client: its TLS context is built once (building one costs more than a call
    to the peer) and its connections are kept alive between the calls of a move. A forked child
    makes its own."""
    global _client
    if _client is None or _client[0] != os.getpid():
        _client = (os.getpid(), httpx.Client(timeout=TIMEOUT))
    return _client[1]


class PeerUnavailable(Exception):
    """The peer did not answer; nothing is known to have happened there."""

    def __init__(self, peer_id: str, detail: str) -> None:
        self.peer_id, self.detail = peer_id, detail
        super().__init__(f"{peer_id}: {detail}")


def _call(
    reader: Principal, link: TenantLink, method: str, path: str, *, body: Any = None, params: Any = None
) -> dict[str, Any]:
    try:
        token = peer_access_token(actor=reader, partner_id=link.partner_id)
    except DomainError as e:
        if e.spec in (link_errors.PEER_UNREACHABLE,):
            raise PeerUnavailable(link.peer, "token refresh") from None
        raise
    url = f"{peer(link.peer).url}{BASE}{path}"
    try:
        r = _http().request(
            method,
            url,
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
    except httpx.HTTPError as e:
        raise PeerUnavailable(link.peer, type(e).__name__) from None
    if r.status_code >= 500 or r.status_code == 429:
        raise PeerUnavailable(link.peer, f"HTTP {r.status_code}")
    try:
        data = r.json()
    except ValueError:
        raise PeerUnavailable(link.peer, f"HTTP {r.status_code}, not JSON") from None
    if r.status_code >= 400:
        raise DomainError(
            errors.PEER_REFUSED,
            peer=link.peer,
            reason=str(data.get("description", r.status_code))[:300],
            data=[{"peerCode": data.get("code"), "status": r.status_code}],
        )
    return data


def check(reader: Principal, link: TenantLink, body: dict[str, Any]) -> dict[str, Any]:
    return _call(reader, link, "POST", "/check", body=body)


def send_batch(
    reader: Principal, link: TenantLink, customer_id: uuid.UUID, body: dict[str, Any]
) -> dict[str, Any]:
    return _call(reader, link, "POST", f"/{customer_id}/batches", body=body)


def summary(reader: Principal, link: TenantLink, customer_id: uuid.UUID) -> dict[str, Any]:
    return _call(reader, link, "GET", f"/{customer_id}")


def cutover(
    reader: Principal, link: TenantLink, customer_id: uuid.UUID, attempt: int, checksum: str
) -> dict[str, Any]:
    return _call(
        reader, link, "POST", f"/{customer_id}/cutover", body={"attempt": attempt, "checksum": checksum}
    )


def remove(reader: Principal, link: TenantLink, customer_id: uuid.UUID, attempt: int) -> dict[str, Any]:
    return _call(reader, link, "DELETE", f"/{customer_id}", params={"attempt": attempt})
