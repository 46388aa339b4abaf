"""Bearer authentication for ninja: the middleware already resolved the token to a principal."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from hanse.access.principal import Principal


class BearerAuth(HttpBearer):
    openapi_description = "A token from the instance's OAuth 2.0 token endpoint or from `hanse token issue`."

    def __call__(self, request: HttpRequest) -> Any:
        return getattr(request, "principal", None)

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        return getattr(request, "principal", None)
