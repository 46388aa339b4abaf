"""The admin center's API, shaped like Microsoft Graph v1.0, at ``/admin-center/api/v1.0/``.

The same bearer tokens, services and selectors as the partner center's ``/v1`` API; only the entry
points differ. The admin center is where the instance's own admins work, so task routing never
refuses it; who may act on which tenant is decided by the roles and the scope helper alone.
Errors are rendered in Graph's shape by the API middleware (``hanse.api.middleware``).
"""

from __future__ import annotations

from hanse.api.api import ERROR_HANDLERS, HanseApi
from hanse.api.auth import BearerAuth
from hanse.api.schemas import GraphErrorBody

GRAPH_COMMON_ERRORS = {
    "400": "The request is not valid (Request_BadRequest)",
    "401": "No valid bearer token (InvalidAuthenticationToken)",
    "403": "The caller's roles do not permit this (Authorization_RequestDenied)",
    "404": "Not found, or outside the caller's scope (Request_ResourceNotFound)",
    "409": "The request conflicts with the resource's state (Request_Conflict)",
    "414": "The URL is longer than 8190 bytes (Request_BadRequest)",
    "429": "Rate limit exceeded; see Retry-After (Request_Throttled)",
    "500": "Internal error (InternalServerError)",
}


class GraphApi(HanseApi):
    error_schema = GraphErrorBody
    common_errors = GRAPH_COMMON_ERRORS


api = GraphApi(
    title="Hanse admin center API",
    version="1.0",
    description=(
        "The admin center API of one Hanse instance, shaped like Microsoft Graph v1.0: collections are "
        "`{@odata.context, value, @odata.nextLink}` paged with `$top` and `$skiptoken`; errors are "
        "`{error: {code, message, innerError: {hanseCode, request-id, client-request-id, date}}}`. "
        "`MS-RequestId` makes a POST idempotent, `client-request-id` is echoed and `X-Locale` picks "
        "the language of error messages."
    ),
    urls_namespace="admincenter:admincenter-api",  # included under the admincenter app
    auth=BearerAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

for _exc, _handler in ERROR_HANDLERS.items():
    api.add_exception_handler(_exc, _handler)


def _mount() -> None:
    from hanse.admincenter.graph import router

    api.add_router("/", router)


_mount()
