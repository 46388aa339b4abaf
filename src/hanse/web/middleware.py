"""Request context, secure headers, and what a signed-in user must do before anything else."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from hanse import context
from hanse.clientaddr import client_address
from hanse.directory.selectors import principal_for

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# The OAuth consent form redirects to the client's registered redirect URI (checked by the
# provider), which form-action 'self' would block in the browser.
CSP_CONSENT = CSP.replace("form-action 'self'; ", "")
# The API docs page (Swagger UI, served locally by ninja) needs inline script and style.
CSP_DOCS = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def _clean_id(value: str) -> str:
    value = value.strip()
    return value[:64] if value and all(c.isalnum() or c in "-_.:" for c in value) else ""


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = context.RequestContext(
            request_id=_clean_id(request.headers.get("MS-RequestId", "")) or str(uuid.uuid4()),
            correlation_id=_clean_id(request.headers.get("MS-CorrelationId", "")) or str(uuid.uuid4()),
            client_address=client_address(request)[:64],
        )
        with context.bind(ctx):
            return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = (
            CSP_DOCS
            if request.path in ("/v1/docs", "/admin-center/api/v1.0/docs")
            else CSP_CONSENT
            if request.path == "/oauth/authorize/"
            else CSP
        )
        response.setdefault("Content-Security-Policy", policy)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


# Pages a signed-in user can still reach while they owe a password change or MFA enrolment.
OPEN_PATHS = ("/signout", "/account/password", "/account/mfa", "/i18n/", "/static/")


class SignInRequirementsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from hanse.api.middleware import is_api

        if is_api(request):
            return self.get_response(request)  # the APIs authenticate by bearer token only
        request.principal = None  # type: ignore[attr-defined]
        if not request.user.is_authenticated:
            return self.get_response(request)
        user = request.user
        request.principal = principal = principal_for(user)  # type: ignore[attr-defined, arg-type]
        if request.path.startswith(OPEN_PATHS):
            return self.get_response(request)
        if user.must_change_password:  # type: ignore[union-attr]
            return redirect(_owed("web:password_change", request))
        from hanse.web.mfa import has_confirmed_device, mfa_required

        if mfa_required(principal) and not has_confirmed_device(user):
            return redirect(_owed("web:mfa_enrol", request))
        return self.get_response(request)


def _owed(view: str, request: HttpRequest) -> str:
    """The page that settles what the user owes, carrying the page they asked for: an OAuth
    authorization request must survive a forced password change or MFA enrolment."""
    url = reverse(view)
    if request.method == "GET" and request.path != "/":
        url += "?" + urlencode({"next": request.get_full_path()})
    return url
