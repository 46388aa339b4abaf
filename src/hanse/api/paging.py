"""Continuation-token paging on a unique ordering key.

Keyset paging is stable while rows are added (each row is visited once) and costs the same at
any depth. The token is opaque to clients: base64 of the last key seen, signed so that a forged
token is a clear 400, not a crash.

``totalCount`` is counted once per walk, on its first page, and carried in the token: every page
of a walk answers the number of items there were when the walk began. Counting on every page
cost 98 ms a page at a million customers. Where a count is kept (a partner's customers,
``CustomerCount``), the first page reads it instead of counting.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.core import signing
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from ninja import Header, Query

from hanse.errors import ErrorSpec, InvalidInput

M = TypeVar("M", bound=Model)
T = TypeVar("T")

BAD_TOKEN = ErrorSpec(1010, 400, _("The continuation token is not valid. Start again from the first page."))
BAD_SIZE = ErrorSpec(1011, 400, _("size must be between 1 and %(max)s."))

MAX_SIZE = 500
_signer = signing.Signer(salt="hanse.paging")

# The parameters of every paged collection, as Partner Center names them: the first page is
# ``?size=N``; each next one repeats the ``links.next`` request (``seekOperation=Next`` and the
# ``MS-ContinuationToken`` header).
SIZE = Query(100, ge=1, le=MAX_SIZE)
# The token alone says where the next page starts: Next without one reads the first page.
SEEK = Query(
    None,
    pattern=r"^[Nn][Ee][Xx][Tt]$",
    description="Next: the page after the one whose continuation token is in MS-ContinuationToken",
)
CONTINUATION = Header(None, alias="MS-ContinuationToken")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    next_token: str | None


def _encode(values: Sequence[Any]) -> str:
    raw = json.dumps([str(v) for v in values]).encode()
    return _signer.sign(base64.urlsafe_b64encode(raw).decode())


def _decode(token: str, n: int) -> list[str]:
    try:
        raw = _signer.unsign(token)
        values = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidInput(BAD_TOKEN) from None
    if not isinstance(values, list) or len(values) != n:
        raise InvalidInput(BAD_TOKEN)
    return values


def page(
    qs: QuerySet[M],
    *,
    keys: tuple[str, ...],
    size: int,
    token: str | None,
    coerce: Sequence[Callable[[str], Any]],
    values: Sequence[str] = (),
    count: Callable[[], int] | None = None,
) -> Page[Any]:
    """``keys``: ascending, unique together (end with the primary key). ``values``: the page's
    items are these fields of each row as a dict (which must include the keys), not model
    objects: a page of 100 customers spent half its time making objects it then read once.
    ``count``: the number of rows of ``qs``, kept elsewhere, for the first page's ``totalCount``
    instead of a ``COUNT``."""
    if not 1 <= size <= MAX_SIZE:
        raise InvalidInput(BAD_SIZE, max=MAX_SIZE)
    ordered: QuerySet[Any] = qs.order_by(*keys)
    if token:
        *raw, counted = _decode(token, len(keys) + 1)
        try:
            after = [c(v) for c, v in zip(coerce, raw, strict=True)]
            total = int(counted)
        except (ValueError, TypeError):
            raise InvalidInput(BAD_TOKEN) from None
        # (k1, k2, ...) > (v1, v2, ...) spelled out for databases without row comparison; the
        # leading k1 >= v1 lets the index start the scan at the previous page's end.
        cond = Q(pk__in=[])
        for i in range(len(keys)):
            eq = {keys[j]: after[j] for j in range(i)}
            cond |= Q(**eq, **{f"{keys[i]}__gt": after[i]})
        ordered = ordered.filter(Q(**{f"{keys[0]}__gte": after[0]}) & cond)
    else:
        total = count() if count is not None else qs.count()
    if values:
        ordered = ordered.values(*values)
    rows = list(ordered[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_token = None
    if more and rows:
        last = rows[-1]
        next_token = _encode([*(last[k] if values else getattr(last, k) for k in keys), total])
    return Page(items=rows, total=total, next_token=next_token)


def page_of(items: Sequence[T], *, size: int, token: str | None) -> Page[T]:
    """A page of a list computed afresh for each request, in an order that does not change
    between requests: the token holds the position of the next item."""
    if not 1 <= size <= MAX_SIZE:
        raise InvalidInput(BAD_SIZE, max=MAX_SIZE)
    start = 0
    if token:
        try:
            start = int(_decode(token, 1)[0])
        except ValueError:
            raise InvalidInput(BAD_TOKEN) from None
        if not 0 <= start <= len(items):
            raise InvalidInput(BAD_TOKEN)
    rows = list(items[start : start + size])
    more = start + size < len(items)
    return Page(items=rows, total=len(items), next_token=_encode([start + size]) if more else None)


def unpaged(items: list[Any]) -> dict[str, Any]:
    """A collection sent whole, in one response: Partner Center's shape without ``links``."""
    return {
        "totalCount": len(items),
        "items": items,
        "attributes": {"objectType": "Collection", "etag": None},
    }


def _link(path: str, query: dict[str, Any], token: str | None) -> dict[str, Any]:
    headers = [{"key": "MS-ContinuationToken", "value": token}] if token else []
    return {"uri": f"{path}?{urlencode(query)}", "method": "GET", "headers": headers}


def collection(
    page_: Page[Any],
    items: list[Any],
    *,
    path: str,
    size: int,
    extra: dict[str, str] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """Partner Center's collection: ``links.self`` repeats this page's request (``token``: the
    continuation it was read from), ``links.next`` asks for the following one."""
    query = {**(extra or {}), "size": size}
    seek = {**query, "seekOperation": "Next"}
    links: dict[str, Any] = {"self": _link(path, seek if token else query, token)}
    if page_.next_token:
        links["next"] = _link(path, seek, page_.next_token)
    return {
        "totalCount": page_.total,
        "items": items,
        "links": links,
        "attributes": {"objectType": "Collection", "etag": None},
    }
