"""The ``/v1`` API: one NinjaAPI, bearer auth, the standard error body on every failure."""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import AuthorizationError as NinjaAuthorizationError

from hanse.api import errors, validation
from hanse.api.auth import BearerAuth
from hanse.api.responses import Renderer, domain_error_response, error_response
from hanse.api.schemas import ErrorBody
from hanse.db import BUSY_RETRY_SECONDS, is_busy
from hanse.errors import DomainError

log = logging.getLogger("hanse.api")

COMMON_ERRORS = {
    "400": "The request is not valid",
    "401": "No valid bearer token",
    "403": "The caller's roles do not permit this",
    "414": "The URL is longer than 8190 bytes",
    "429": "Rate limit exceeded; see Retry-After",
    "500": "Internal error",
}


# Fields typed as a market code (validators.MarketCode).
MARKET_FIELDS = {"country", "usageLocation"}


class HanseApi(NinjaAPI):
    """Documents the error body on every operation, since every operation can answer with it."""

    error_schema: type[Schema] = ErrorBody
    common_errors: dict[str, str] = COMMON_ERRORS

    def validation_error_from_error_contexts(self, error_contexts: list[Any]) -> ValidationError:
        # ninja drops each error's input; keep a refused country's, to name it in the message.
        error = super().validation_error_from_error_contexts(error_contexts)
        countries = [
            e.get("input")
            for context in error_contexts
            for e in context.pydantic_validation_error.errors(include_url=False)
            if e.get("loc") and e["loc"][-1] in MARKET_FIELDS and e.get("type") == "literal_error"
        ]
        error.refused_country = str(countries[0])[:10] if countries else None  # type: ignore[attr-defined]
        return error

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        name = self.error_schema.__name__
        ref = {"$ref": f"#/components/schemas/{name}"}
        body = self.error_schema.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(body.pop("$defs", {}))
        components[name] = body
        for ops in schema["paths"].values():
            for op in ops.values():
                # ninja keys an operation's own responses by int, OpenAPI by string: one key each,
                # or the document holds "401" twice and parsers refuse it.
                responses = op["responses"] = {str(k): v for k, v in op.get("responses", {}).items()}
                for status, text in self.common_errors.items():
                    responses.setdefault(
                        status, {"description": text, "content": {"application/json": {"schema": ref}}}
                    )
        return schema


api = HanseApi(
    title="Hanse partner API",
    version="1.0",
    description=(
        "The partner center API of one Hanse instance. Shapes follow the Partner Center REST API: "
        "resources carry `attributes.objectType`, collections page with `MS-ContinuationToken`, "
        "`MS-RequestId` makes a POST idempotent, `MS-CorrelationId` is echoed and `X-Locale` picks the "
        "language of error descriptions. Every error has the body `{code, description, data, source}`."
    ),
    urls_namespace="v1",
    auth=BearerAuth(),
    renderer=Renderer(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _validation_data(exc: ValidationError) -> list[object]:
    out = []
    for e in exc.errors:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "payload")]
        out.append({"field": ".".join(loc), "message": validation.message(e), "type": e.get("type", "")})
    return out


def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return domain_error_response(exc)


def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    data = _validation_data(exc)
    if any(d["type"] == "json_invalid" for d in data):  # type: ignore[index]
        return error_response(errors.MALFORMED_BODY, data=data)
    country = getattr(exc, "refused_country", None)
    if country is not None:
        # A country outside the markets gets the market rule's own translated message, not
        # pydantic's list of allowed values.
        from hanse.catalog.markets import market_currency

        try:
            market_currency(country)
        except DomainError as refusal:
            refusal.data = data
            return domain_error_response(refusal)
    return error_response(errors.INVALID_REQUEST, data=data)


def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(errors.UNAUTHENTICATED)
    response["WWW-Authenticate"] = 'Bearer realm="hanse"'
    return response


def on_forbidden(request: HttpRequest, exc: NinjaAuthorizationError) -> HttpResponse:
    return error_response(errors.FORBIDDEN)


def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(errors.NOT_FOUND)


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and "parse" in str(exc).lower():
        return error_response(errors.MALFORMED_BODY)
    spec = errors.BY_STATUS.get(exc.status_code, errors.BAD_REQUEST)
    return error_response(spec, status=exc.status_code)


def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    if is_busy(exc):
        return busy_response()
    log.exception("unhandled error in %s %s", request.method, request.path)
    return error_response(errors.INTERNAL)


def busy_response() -> HttpResponse:
    """The database stayed locked past its busy timeout: a 503 to retry, never a 500."""
    log.warning("database busy: answered 503")
    response = error_response(errors.BUSY, retry=BUSY_RETRY_SECONDS)
    response["Retry-After"] = str(BUSY_RETRY_SECONDS)
    return response


# Shared with the admin center's API, whose middleware re-renders the body in Graph's shape.
ERROR_HANDLERS: dict[type[Exception], Any] = {
    DomainError: on_domain_error,
    ValidationError: on_validation_error,
    AuthenticationError: on_unauthenticated,
    NinjaAuthorizationError: on_forbidden,
    Http404: on_not_found,
    HttpError: on_http_error,
    Exception: on_unexpected,
}
for _exc, _handler in ERROR_HANDLERS.items():
    api.add_exception_handler(_exc, _handler)


def _mount() -> None:
    from hanse.audit.api import router as audit_router
    from hanse.billing.api import router as billing_router
    from hanse.catalog.api import router as catalog_router
    from hanse.commerce.api import router as commerce_router
    from hanse.customers.api import router as customers_router
    from hanse.directory.api import router as tokens_router
    from hanse.directory.partner_users_api import router as partner_users_router
    from hanse.directory.users_api import router as users_router
    from hanse.links.api import router as links_router
    from hanse.migration.api import imports_router
    from hanse.migration.api import router as migration_router
    from hanse.partners.api import router as partners_router
    from hanse.trustee.api import router as trustee_router

    for router in (
        partners_router,
        customers_router,
        catalog_router,
        commerce_router,
        billing_router,
        users_router,
        partner_users_router,
        audit_router,
        tokens_router,
        trustee_router,
        links_router,
        migration_router,
        imports_router,
    ):
        api.add_router("/", router)


_mount()


@functools.cache
def query_parameters() -> dict[tuple[str, str], frozenset[str]]:
    """(OpenAPI path, method) -> the query parameters that operation declares, for every API of
    the instance (``/v1`` and the admin center's): their paths carry their own prefixes."""
    from hanse.admincenter.api import api as admincenter_api

    out = {}
    for each in (api, admincenter_api):
        for path, ops in each.get_openapi_schema()["paths"].items():
            for method, op in ops.items():
                names = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
                out[(path, method.upper())] = frozenset(names)
    return out
