"""API-wide conventions (docs/architecture.md §10) for every ``/v1`` and admin-center API request.

Order: language (``X-Locale``), bearer authentication, per-tenant rate limit, ``MS-RequestId``
idempotency; on the way out, ``MS-CorrelationId`` is echoed and any error is given the standard
body, whatever raised it (an unknown path, a wrong method, a failed CSRF check). Under
``/admin-center/api/`` that body is then rendered in Microsoft Graph's error shape, and Graph's
``client-request-id`` is echoed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

from hanse import clock, context
from hanse.access.principal import SAFE_METHODS, Kind, Principal
from hanse.api import errors, ratelimit
from hanse.api.models import IdempotentRequest
from hanse.api.responses import as_graph_error, error_response
from hanse.db import is_busy
from hanse.directory.bearer import bearer_for
from hanse.instance.current import instance

log = logging.getLogger("hanse.api")

API_PREFIX = "/v1/"
GRAPH_PREFIX = "/admin-center/api/"
UNAUTHENTICATED_PATHS = ("/v1/openapi.json", "/v1/docs")
IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_REQUEST_ID = 64  # as stored with the audit record and echoed
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]+")
# Operations that commit row by row (see ApiMiddleware._claimed), and how long a claim may be in
# progress before it is taken for one whose process died: gunicorn ends a request after 60 s.
ROW_BY_ROW = "/users/import"
STALE_CLAIM = timedelta(minutes=5)
# The longest path and query an API request may have. gunicorn is told to take longer request
# lines (up to its own 1 MiB), so that a longer one gets this API's error body, not gunicorn's HTML.
MAX_URL_BYTES = 8190
# The deepest nesting of objects and lists a body may have: Partner Center's deepest is 4.
MAX_DEPTH = 32
# The largest request body, checked from Content-Length before it is read.
MAX_BODY_BYTES = settings.MAX_REQUEST_BODY
# Headers that carry meaning for the client when an error body replaces a framework's response.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith((API_PREFIX, GRAPH_PREFIX)) or request.path == "/v1"


def is_graph(request: HttpRequest) -> bool:
    """The admin center's API, whose errors take Microsoft Graph's shape."""
    return request.path.startswith(GRAPH_PREFIX)


def _clean_id(value: str) -> str:
    value = value.strip()
    return value[:64] if value and all(c.isalnum() or c in "-_.:" for c in value) else ""


def _locale(request: HttpRequest) -> str | None:
    raw = request.headers.get("X-Locale", "").strip()
    if not raw:
        return None
    lang = raw.replace("_", "-").split("-")[0].lower()
    return lang if lang in {"en", "de", "fr"} else None


def _check_query(request: HttpRequest) -> HttpResponse | None:
    """A parameter the operation does not declare (``?sise=10``) is an error, not silently ignored."""
    if not request.GET:
        return None
    if any("\x00" in name or any("\x00" in v for v in request.GET.getlist(name)) for name in request.GET):
        return _nul_refused("query")
    if any(not name.strip() for name in request.GET):
        return error_response(
            errors.INVALID_REQUEST, data=[{"field": "query", "message": _("unnamed parameter")}]
        )
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None  # the 404 answers it
    from hanse.api.api import query_parameters

    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", match.route)
    allowed = query_parameters().get((path, request.method or "GET"))
    if allowed is None:
        return None  # a method the path does not have: the 405 answers it
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        return error_response(
            errors.INVALID_REQUEST,
            data=[
                {"field": f"query.{name[:50]}", "message": _("unknown parameter")} for name in unknown[:10]
            ],
        )
    return None


def _nul_refused(where: str) -> HttpResponse:
    # PostgreSQL cannot store U+0000 in text (SQLite can): refused up front, the same on both.
    return error_response(
        errors.INVALID_REQUEST,
        data=[{"field": where, "message": _("the NUL character (U+0000) is not allowed")}],
    )


def _check_headers(request: HttpRequest) -> HttpResponse | None:
    """``MS-RequestId`` is stored with the idempotency record; other headers never reach the database."""
    if "\x00" in request.headers.get("MS-RequestId", ""):
        return _nul_refused("header.MS-RequestId")
    return None


def _depth(value: object) -> int:
    """How deeply objects and lists nest in a parsed body (iterative: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        if children:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


# The one operation whose body is text/plain: a witness's tlog-cosignature line (docs/audit.md).
TEXT_BODIES = re.compile(r"^/v1/auditlog/checkpoints/[^/]+/cosignatures$")


def _check_body(request: HttpRequest) -> HttpResponse | None:
    """Every request body of this API is a JSON object; anything else is refused before routing."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.body:
        return None
    if request.content_type == "text/csv" or (
        request.content_type == "text/plain" and TEXT_BODIES.match(request.path)
    ):
        return None  # the CSV import and a witness's cosignature read it as text (and refuse a NUL)
    if request.content_type != "application/json" and not request.content_type.endswith("+json"):
        return error_response(errors.UNSUPPORTED_MEDIA)
    try:
        parsed = json.loads(request.body)
    except RecursionError:
        return error_response(errors.TOO_DEEP, limit=MAX_DEPTH)
    except (ValueError, UnicodeDecodeError):
        return error_response(errors.MALFORMED_BODY)
    if not isinstance(parsed, dict):
        return error_response(errors.BODY_NOT_OBJECT)
    if _depth(parsed) > MAX_DEPTH:
        return error_response(errors.TOO_DEEP, limit=MAX_DEPTH)
    # U+0000 in a body field is refused by that field's pattern (validators.NO_NUL), in the schema
    # where clients can see it; properties the operation does not take are ignored, NUL or not.
    return None


def _redacted(response: HttpResponse, fields: tuple[str, ...]) -> bytes:
    """The body kept for replays, without secrets: a retry learns the resource, not its secret."""
    if not fields:
        return response.content
    try:
        body = json.loads(response.content)
    except ValueError:
        return response.content
    if isinstance(body, dict):
        body.update({f: None for f in fields if f in body})
    return json.dumps(body).encode()


GRAPH_ROOT = GRAPH_PREFIX + "v1.0/"
TENANT_ROOTED = ("users", "subscribedSkus", "directory")


def _root_in_own_tenant(request: HttpRequest, principal: Principal) -> None:
    """Graph's tenant-rooted paths (``/users``, ``/me``, ``/subscribedSkus``, ``/directory/…``) for
    a customer's own token, which names its tenant: the same operations as under
    ``/customers/{id}``, since a customer's id is its tenant id. Scope still decides what is seen."""
    if principal.tenant_kind != "customer" or not request.path_info.startswith(GRAPH_ROOT):
        return
    rest = request.path_info[len(GRAPH_ROOT) :]
    head = rest.split("/", 1)[0]
    if head == "me":
        rest = f"users/{principal.user_id}{rest[2:]}"
    elif head not in TENANT_ROOTED:
        return
    request.path_info = request.path = f"{GRAPH_ROOT}customers/{principal.tenant_id}/{rest}"


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request):
            return self.get_response(request)
        lang = _locale(request)
        if lang:
            translation.activate(lang)
            request.LANGUAGE_CODE = lang
        request.principal = None  # type: ignore[attr-defined]
        if len(request.get_full_path().encode()) > MAX_URL_BYTES:
            response: HttpResponse = error_response(errors.URI_TOO_LONG, limit=MAX_URL_BYTES)
        elif _declared_length(request) > MAX_BODY_BYTES:
            response = error_response(errors.TOO_LARGE, limit=MAX_BODY_BYTES)
        else:
            try:
                response = self._handle(request)
            except RequestDataTooBig:  # a body without (or lying in) its Content-Length
                response = error_response(errors.TOO_LARGE, limit=MAX_BODY_BYTES)
            except Exception as e:  # this middleware's own failure: still the API's error body
                from hanse.api.api import busy_response

                if is_busy(e):
                    response = busy_response()
                else:
                    log.exception("unhandled error in %s %s", request.method, request.path)
                    response = error_response(errors.INTERNAL)
        if response.status_code >= 400 and not getattr(response, "hanse_error", False):
            spec = errors.BY_STATUS.get(response.status_code, errors.BAD_REQUEST)
            if response.status_code >= 500:
                spec = errors.INTERNAL
            kept = {h: response[h] for h in KEPT_HEADERS if response.has_header(h)}
            status = response.status_code if response.status_code in errors.BY_STATUS else spec.status
            response = error_response(spec, status=status)
            for header, value in kept.items():
                response[header] = value
        ctx = context.current()
        response["MS-CorrelationId"] = ctx.correlation_id
        response["MS-RequestId"] = ctx.request_id
        if is_graph(request):
            client_request_id = _clean_id(request.headers.get("client-request-id", "")) or ctx.request_id
            response["request-id"] = ctx.request_id
            response["client-request-id"] = client_request_id
            if response.status_code >= 400:
                as_graph_error(response, request_id=ctx.request_id, client_request_id=client_request_id)
        if lang:
            response["Content-Language"] = lang
        return response

    def _handle(self, request: HttpRequest) -> HttpResponse:
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer " and auth[7:].strip():
            bearer = bearer_for(auth[7:].strip(), writing=request.method not in SAFE_METHODS)
            if bearer is not None:
                request.principal = bearer.principal  # type: ignore[attr-defined]
                request.api_user = bearer.credential.user  # type: ignore[attr-defined]
                request.credential = bearer.credential  # type: ignore[attr-defined]
        principal = request.principal  # type: ignore[attr-defined]
        if principal is None or principal.tenant_id is None:
            return self.get_response(request)  # unauthenticated: the endpoint answers 401
        if is_graph(request):
            _root_in_own_tenant(request, principal)
        malformed = _check_query(request) or _check_body(request) or _check_headers(request)
        if malformed is not None:
            return malformed
        # A peer moving customers here sends one batch after another as fast as the database
        # takes them; the partners' per-minute limit would turn a move of thousands into hours.
        limited = None if principal.kind == Kind.PEER else self._rate_limit(principal.tenant_id)
        if limited is not None:
            return limited
        request_id = request.headers.get("MS-RequestId", "").strip()
        if request.method == "POST" and request_id:
            return self._idempotent(request, principal.tenant_id, principal.user_id, request_id)
        return self.get_response(request)

    def _rate_limit(self, tenant_id: object) -> HttpResponse | None:
        limit = instance().rate_limit_per_minute
        verdict = ratelimit.hit(f"api:{tenant_id}", limit=limit)
        if verdict.allowed:
            return None
        response = error_response(errors.RATE_LIMITED, limit=limit, retry=verdict.retry_after)
        response["Retry-After"] = str(verdict.retry_after)
        return response

    def _idempotent(
        self, request: HttpRequest, tenant_id: object, user_id: object, request_id: str
    ) -> HttpResponse:
        """A POST with ``MS-RequestId`` happens once: its outcome is stored in the same transaction
        as its work, so that it either happened, with the response recorded for every retry, or
        did not happen at all (a crash, a 5xx). A retry while the first runs waits for it."""
        if len(request_id) > MAX_REQUEST_ID or not _REQUEST_ID.fullmatch(request_id):
            return error_response(
                errors.INVALID_REQUEST,
                data=[
                    {
                        "field": "header.MS-RequestId",
                        "message": _("at most %(n)s letters, digits and - _ . :") % {"n": MAX_REQUEST_ID},
                    }
                ],
            )
        who = {"tenant_id": tenant_id, "user_id": user_id, "request_id": request_id}
        fingerprint = _fingerprint(request)
        IdempotentRequest.objects.filter(created_at__lt=clock.now() - IDEMPOTENCY_TTL).delete()
        if request.path_info.endswith(ROW_BY_ROW):
            return self._claimed(request, who, fingerprint)
        try:
            with transaction.atomic():
                claim = _claim(request, who, fingerprint)
                response = self.get_response(request)
                if response.status_code >= 500 or response.streaming:
                    # Not an outcome: the work is undone with the claim, and a retry may succeed.
                    transaction.set_rollback(True)
                    return response
                _record(claim, request, response)
            return response
        except IntegrityError:  # the same key committed first: this is a retry
            return self._replay(request, who, fingerprint)

    def _claimed(self, request: HttpRequest, who: dict[str, object], fingerprint: str) -> HttpResponse:
        """For the operations that commit row by row (imports, each row its own transaction, so as
        not to hold the write lock): a claim taken first and completed after. A claim left by a
        process that died is older than any request may run, and is taken over."""
        stale = clock.now() - STALE_CLAIM
        IdempotentRequest.objects.filter(**who, status=0, created_at__lt=stale).delete()
        try:
            with transaction.atomic():
                claim = _claim(request, who, fingerprint)
        except IntegrityError:
            return self._replay(request, who, fingerprint)
        response = self.get_response(request)
        if response.status_code >= 500 or response.streaming:
            claim.delete()
            return response
        _record(claim, request, response)
        return response

    def _replay(self, request: HttpRequest, who: dict[str, object], fingerprint: str) -> HttpResponse:
        prior = IdempotentRequest.objects.filter(**who).first()
        if prior is None or prior.status == 0:
            return error_response(errors.IDEMPOTENCY_IN_PROGRESS)
        if prior.fingerprint != fingerprint:
            return error_response(errors.IDEMPOTENCY_MISMATCH, method=prior.method, path=prior.path)
        replay = HttpResponse(bytes(prior.body), status=prior.status, content_type=prior.content_type)
        replay["MS-Idempotent-Replay"] = "true"
        if prior.status >= 400:
            replay.hanse_error = True  # type: ignore[attr-defined]
        return replay


def _claim(request: HttpRequest, who: dict[str, object], fingerprint: str) -> IdempotentRequest:
    """The key taken for this request; an IntegrityError when another holds it."""
    return IdempotentRequest.objects.create(
        **who,
        method=request.method or "",
        path=request.path[:512],
        fingerprint=fingerprint,
        created_at=clock.now(),
    )


def _fingerprint(request: HttpRequest) -> str:
    """The request a key stands for: the same key with another method, path or body is refused."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _record(claim: IdempotentRequest, request: HttpRequest, response: HttpResponse) -> None:
    claim.status = response.status_code
    claim.body = _redacted(response, getattr(request, "idempotency_redact", ()))
    claim.content_type = response.get("Content-Type", "application/json")
    claim.save(update_fields=["status", "body", "content_type"])
