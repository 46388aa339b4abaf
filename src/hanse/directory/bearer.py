"""What a bearer token acts as, kept in the web process between requests.

Verifying a token read the token, its user and tenant, the user's roles and the partner account:
three queries and about 4 ms on every API call. A process now keeps the result for a token
(its credential and principal) for at most ``KEPT_FOR``, and never past the token's expiry. Every
request first reads the credential epoch (``hanse.directory.revocation``, one primary-key
lookup) and uses what it kept only if the epoch is the one it read before verifying: a
revocation, a role change or a suspension anywhere changes the epoch in its own transaction, so
that no process acts on a principal from before it once it has committed.

Operators' principals are not kept: they carry the trustee's grants active at this instant,
which end by the clock (docs/trustee.md).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from hanse import clock
from hanse.access.principal import Kind, Principal
from hanse.directory.revocation import epoch
from hanse.directory.selectors import Credential, credential_for_bearer, principal_of_credential

KEPT_FOR = timedelta(seconds=60)
MAX_KEPT = 10_000  # tokens per process; the least recently used goes first


@dataclass(frozen=True)
class Bearer:
    credential: Credential
    principal: Principal | None  # None: a valid token that acts as nobody (a peer's, unlinked)


@dataclass(frozen=True)
class _Kept:
    bearer: Bearer
    epoch: int
    until: datetime


_kept: OrderedDict[tuple[str, bool], _Kept] = OrderedDict()
_lock = threading.Lock()


def bearer_for(token: str, *, writing: bool) -> Bearer | None:
    """The credential and principal of a bearer token, or None for a token that is not valid."""
    key = (hashlib.sha256(token.encode()).hexdigest(), writing)
    current = epoch()  # read before verifying: a change committed after it is seen next time
    now = clock.now()
    with _lock:
        kept = _kept.get(key)
        if kept is not None and kept.epoch == current and now < kept.until:
            _kept.move_to_end(key)
            return kept.bearer
    credential = credential_for_bearer(token)
    if credential is None:
        forget(key)
        return None
    bearer = Bearer(credential, principal_of_credential(credential, writing=writing))
    if bearer.principal is not None and bearer.principal.kind == Kind.OPERATOR:
        return bearer
    with _lock:
        _kept[key] = _Kept(bearer, current, min(now + KEPT_FOR, credential.expires_at))
        _kept.move_to_end(key)
        while len(_kept) > MAX_KEPT:
            _kept.popitem(last=False)
    return bearer


def forget(key: tuple[str, bool] | None = None) -> None:
    """Drop what is kept for a token (or everything: tests)."""
    with _lock:
        if key is None:
            _kept.clear()
        else:
            _kept.pop(key, None)
