"""Per-request context that the audit log and the API read: request id, correlation id, client."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    correlation_id: str = ""
    client_address: str = ""
    # Where the request came in: "partnercenter", "admincenter", or "" (the CLI, jobs), so that a
    # service keeps the instance's task routing whatever the path (instance/routing.py).
    place: str = ""


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "hanse_request", default=None
)


def current() -> RequestContext:
    return _current.get() or _EMPTY


@contextmanager
def bind(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def new_id() -> str:
    return str(uuid.uuid4())
