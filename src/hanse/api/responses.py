"""The API's error body: ``{"code", "description", "data", "source"}`` on every 4xx/5xx; under
the admin center's API the same error in Microsoft Graph's shape
(``{"error": {"code", "message", "innerError": {...}}}``)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

from hanse import clock
from hanse.errors import DomainError, ErrorSpec

_ninja = NinjaJSONEncoder()


def _default(value: Any) -> Any:
    # What orjson leaves to Python: datetimes (passed through, for Django's form: milliseconds and
    # "Z"), decimals (as strings), pydantic models and lazy translations, as django-ninja encodes them.
    return _ninja.default(value)


def dumps(body: Any) -> bytes:
    """The API's JSON: the values django-ninja's encoder writes, written by orjson (UUIDs, strings
    and numbers without a call into Python for each)."""
    return orjson.dumps(body, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


class Renderer(BaseRenderer):
    """django-ninja's renderer for every ``/v1`` response, through ``dumps``."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return dumps(data)


def json_body(body: Any, *, status: int = 200) -> HttpResponse:
    """A response whose body is already in its schema's shape, encoded as django-ninja encodes
    (``Renderer``), without validating it again: for collections, whose items are built once as
    plain values (docs/architecture.md §10a, "Responses built once")."""
    return HttpResponse(dumps(body), status=status, content_type="application/json")


def error_response(
    spec: ErrorSpec, *, data: list[Any] | None = None, status: int | None = None, **params: Any
) -> JsonResponse:
    return domain_error_response(DomainError(spec, data=data, **params), status=status)


def domain_error_response(err: DomainError, *, status: int | None = None) -> JsonResponse:
    response = JsonResponse(
        {"code": err.code, "description": err.description, "data": err.data, "source": "hanse"},
        status=status or err.status,
    )
    response.hanse_error = True  # type: ignore[attr-defined]
    return response


# Graph's error code strings, by HTTP status.
GRAPH_CODES = {
    400: "Request_BadRequest",
    401: "InvalidAuthenticationToken",
    403: "Authorization_RequestDenied",
    404: "Request_ResourceNotFound",
    405: "Request_MethodNotAllowed",
    409: "Request_Conflict",
    412: "Request_PreconditionFailed",
    415: "Request_UnsupportedMediaType",
    422: "Request_UnprocessableEntity",
    429: "Request_Throttled",
}


def graph_code(status: int) -> str:
    if status >= 500:
        return "InternalServerError"
    return GRAPH_CODES.get(status, "Request_BadRequest")


def as_graph_error(response: HttpResponse, *, request_id: str, client_request_id: str) -> HttpResponse:
    """Re-render an error response (the standard body) in Graph's shape, in place (headers kept)."""
    if response.streaming:
        return response
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    if "error" in body:
        return response  # already Graph's shape
    data = body.get("data") or []
    inner: dict[str, Any] = {
        "hanseCode": body.get("code", 1500 if response.status_code >= 500 else 1400),
        "request-id": request_id,
        "client-request-id": client_request_id,
        "date": clock.now().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }
    if data:
        inner["data"] = data
    error: dict[str, Any] = {
        "code": graph_code(response.status_code),
        "message": str(body.get("description", "")),
        "innerError": inner,
    }
    details = [
        {
            "code": str(d.get("type") or "invalidValue"),
            "message": str(d.get("message", "")),
            "target": d["field"],
        }
        for d in data
        if isinstance(d, dict) and "field" in d
    ]
    if details:
        error["details"] = details
    response.content = json.dumps({"error": error}).encode()
    response["Content-Type"] = "application/json"
    if response.has_header("Content-Length"):
        # Set by an inner middleware for the body just replaced; a stale length cuts the new one.
        response["Content-Length"] = str(len(response.content))
    return response
