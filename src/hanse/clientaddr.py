"""The client's address, as audit records, sign-in throttling and rate limits see it.

Behind the TLS proxy that the operator's guide recommends, ``REMOTE_ADDR`` is the proxy's: every
client would share one address, and one of them could lock all the others out. ``X-Forwarded-For``
is read only when the request comes from one of ``[security] trusted_proxies``; from anyone else
it is a header the client wrote, and ignored.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

from django.http import HttpRequest

from hanse.instance.current import instance


def _parsed(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


def _trusted(addr: IPv4Address | IPv6Address) -> bool:
    return any(addr in network for network in instance().trusted_proxies)


def client_address(request: HttpRequest) -> str:
    """``REMOTE_ADDR``, or, from a trusted proxy, the nearest address in ``X-Forwarded-For`` that
    is not itself a trusted proxy (each proxy appends the address it was reached from)."""
    remote = request.META.get("REMOTE_ADDR", "")
    peer = _parsed(remote)
    if peer is None or not _trusted(peer):
        return remote
    chain = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(chain):
        addr = _parsed(hop)
        if addr is None:
            return remote  # a malformed chain says nothing reliable beyond the proxy
        if not _trusted(addr):
            return str(addr)
    return str(_parsed(chain[0])) if chain else remote
