"""Request context, secure headers, and what a signed-in user must do before anything else."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from hanse import context
from hanse.access.principal import SAFE_METHODS
from hanse.clientaddr import client_address
from hanse.db import BUSY_RETRY_SECONDS, is_busy
from hanse.directory.selectors import principal_for
from hanse.instance.current import instance

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


def _form_targets() -> str:
    """Where a form may lead: this instance, and its peers. The tenant link's Next posts here and
    is redirected to a peer's sign-in, and that sign-in's form ends at this instance's callback;
    the browser checks form-action along the whole redirect chain."""
    origins = sorted({f"{urlsplit(p.url).scheme}://{urlsplit(p.url).netloc}" for p in instance().peers})
    return " ".join(["'self'", *origins])


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
            place="admincenter" if request.path_info.startswith("/admin-center/") else "partnercenter",
        )
        with context.bind(ctx):
            return self.get_response(request)


class BodyLimitMiddleware:
    """A request whose declared body is over ``MAX_REQUEST_BODY`` is refused (413) before anything
    reads it: a multipart upload to /signin would otherwise be spooled to disk first. The API
    paths have answered already, with their JSON error body (api.middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.MAX_REQUEST_BODY:
            limit = settings.MAX_REQUEST_BODY // (1024 * 1024)
            text = _("The request is too large: at most %(limit)s MB.") % {"limit": limit}
            return HttpResponse(text, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class DatabaseBusyMiddleware:
    """A page whose database stayed locked past the busy timeout: 503 with Retry-After, which a
    browser or proxy may retry, never the 500 of a fault. (The API answers its own, in JSON.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_busy(exception):
            return None
        text = _("Hanse is busy. Retry in %(retry)s seconds.") % {"retry": BUSY_RETRY_SECONDS}
        response = HttpResponse(text, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(BUSY_RETRY_SECONDS)
        return response


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
        if policy is CSP:
            policy = policy.replace("form-action 'self'", f"form-action {_form_targets()}")
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
        request.principal = principal = principal_for(user, writing=request.method not in SAFE_METHODS)  # type: ignore[attr-defined, arg-type]
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
