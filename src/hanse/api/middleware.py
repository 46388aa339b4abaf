"""API-wide conventions (DESIGN §6) for every ``/v1`` and admin-center API request.

Order: language (``X-Locale``), bearer authentication, per-tenant rate limit, ``MS-RequestId``
idempotency; on the way out, ``MS-CorrelationId`` is echoed and any error is given the standard
body, whatever raised it (an unknown path, a wrong method, a failed CSRF check). Under
``/admin-center/api/`` that body is then rendered in Microsoft Graph's error shape, and Graph's
``client-request-id`` is echoed.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

from hanse import clock, context
from hanse.access.principal import Principal
from hanse.api import errors, ratelimit
from hanse.api.models import IdempotentRequest
from hanse.api.responses import as_graph_error, error_response
from hanse.directory.selectors import credential_for_bearer, principal_for
from hanse.instance.current import instance

log = logging.getLogger("hanse.api")

API_PREFIX = "/v1/"
GRAPH_PREFIX = "/admin-center/api/"
UNAUTHENTICATED_PATHS = ("/v1/openapi.json", "/v1/docs")
IDEMPOTENCY_TTL = timedelta(hours=24)
# The longest path and query an API request may have. gunicorn is told to take longer request
# lines (up to its own 1 MiB), so that a longer one gets this API's error body, not gunicorn's HTML.
MAX_URL_BYTES = 8190
# Headers that carry meaning for the client when an error body replaces a framework's response.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


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


def _check_body(request: HttpRequest) -> HttpResponse | None:
    """Every request body of this API is a JSON object; anything else is refused before routing."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.body:
        return None
    if request.content_type == "text/csv":
        return None  # the CSV import reads it as text (and refuses a NUL itself)
    try:
        parsed = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return error_response(errors.MALFORMED_BODY)
    if not isinstance(parsed, dict):
        return error_response(errors.BODY_NOT_OBJECT)
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
        else:
            response = self._handle(request)
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
            credential = credential_for_bearer(auth[7:].strip())
            if credential is not None:
                request.principal = principal_for(credential.user)  # type: ignore[attr-defined]
                request.api_user = credential.user  # type: ignore[attr-defined]
                request.credential = credential  # type: ignore[attr-defined]
        principal = request.principal  # type: ignore[attr-defined]
        if principal is None or principal.tenant_id is None:
            return self.get_response(request)  # unauthenticated: the endpoint answers 401
        if is_graph(request):
            _root_in_own_tenant(request, principal)
        malformed = _check_query(request) or _check_body(request) or _check_headers(request)
        if malformed is not None:
            return malformed
        limited = self._rate_limit(principal.tenant_id)
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
        key = request_id[:128]
        now = clock.now()
        IdempotentRequest.objects.filter(created_at__lt=now - IDEMPOTENCY_TTL).delete()
        try:
            with transaction.atomic():
                claim = IdempotentRequest.objects.create(
                    tenant_id=tenant_id,
                    user_id=user_id,
                    request_id=key,
                    method=request.method or "",
                    path=request.path[:512],
                    created_at=now,
                )
        except IntegrityError:
            prior = IdempotentRequest.objects.filter(
                tenant_id=tenant_id, user_id=user_id, request_id=key
            ).first()
            if prior is None:
                return error_response(errors.IDEMPOTENCY_IN_PROGRESS)
            if prior.path != request.path[:512] or prior.method != request.method:
                return error_response(errors.IDEMPOTENCY_MISMATCH, method=prior.method, path=prior.path)
            if prior.status == 0:
                return error_response(errors.IDEMPOTENCY_IN_PROGRESS)
            replay = HttpResponse(bytes(prior.body), status=prior.status, content_type=prior.content_type)
            replay["MS-Idempotent-Replay"] = "true"
            if prior.status >= 400:
                replay.hanse_error = True  # type: ignore[attr-defined]
            return replay
        response = self.get_response(request)
        # Server errors are not final: a retry must be able to succeed.
        if response.status_code >= 500 or response.streaming:
            claim.delete()
            return response
        IdempotentRequest.objects.filter(pk=claim.pk).update(
            status=response.status_code,
            body=_redacted(response, getattr(request, "idempotency_redact", ())),
            content_type=response.get("Content-Type", "application/json"),
        )
        return response
