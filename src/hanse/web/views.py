"""Sign-in (password, then TOTP), sign-out, forced password change, MFA enrolment, home."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from hanse import clock
from hanse.directory import services as directory
from hanse.directory.auth import signed_in_user
from hanse.errors import DomainError
from hanse.migration.selectors import migrated_tenant_for_upn
from hanse.web import throttle
from hanse.web.forms import CodeForm, PasswordChangeForm, SignInForm
from hanse.web.mfa import confirmed_device

PENDING_TTL = 300
BACKEND = "hanse.directory.auth.UpnBackend"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("web:home")


AUTHORIZE = "/oauth/authorize/"


def signin(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        if not _next(request).startswith(AUTHORIZE):
            return redirect(_next(request))
        # Only an authorization request with prompt=login sends a signed-in user here (DOT drops
        # the prompt from ``next``): the client asked for a fresh sign-in, perhaps as someone else.
        logout(request)
    if request.method == "POST" and throttle.address_locked(request):
        return locked_out(request)
    moved = migrated_tenant_for_upn(request.POST.get("username", "")) if request.method == "POST" else None
    if moved is not None:
        # The tenant lives at the peer now: its users sign in there, never here again.
        form = SignInForm(request)
        return render(request, "web/signin.html", {"form": form, "next": _next(request), "moved": moved})
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.user
        assert user is not None
        if confirmed_device(user) is not None:
            request.session["signin_pending"] = {
                "user": str(user.pk),
                "at": clock.now().timestamp(),
                "next": _next(request),
            }
            return redirect("web:signin_verify")
        login(request, user, backend=BACKEND)
        return redirect(_next(request))
    return render(request, "web/signin.html", {"form": form, "next": _next(request)})


def signin_verify(request: HttpRequest) -> HttpResponse:
    pending = request.session.get("signin_pending")
    if not pending or clock.now().timestamp() - pending["at"] > PENDING_TTL:
        request.session.pop("signin_pending", None)
        return redirect("web:signin")
    user = signed_in_user(pending["user"])
    device = confirmed_device(user) if user else None
    if user is None or device is None:
        request.session.pop("signin_pending", None)
        return redirect("web:signin")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _data = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["code"]):
            request.session.pop("signin_pending", None)
            login(request, user, backend=BACKEND)
            otp_login(request, device)
            return redirect(pending.get("next") or reverse("web:home"))
        form.add_error(
            "code", _("That code is not valid. Check your authenticator app's clock and try again.")
        )
    return render(request, "web/verify.html", {"form": form})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:signin")


def password_change(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:signin")
    forced = request.user.must_change_password  # type: ignore[union-attr]
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = directory.user_change_password(
                actor=request.principal,  # type: ignore[attr-defined]
                user=request.user,  # type: ignore[arg-type]
                current=form.cleaned_data["current"],
                new=form.cleaned_data["new"],
            )
        except DomainError as e:
            form.add_error(None, e.description)
        else:
            update_session_auth_hash(request, user)
            return redirect(_next(request))
    return render(request, "web/password.html", {"form": form, "forced": forced})


def _qr_svg(uri: str) -> str:
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def mfa_enrol(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:signin")
    user: Any = request.user
    device_id = request.session.get("mfa_device")
    device = (
        TOTPDevice.objects.filter(id=device_id, user=user, confirmed=False).first() if device_id else None
    )
    if device is None:
        device = directory.mfa_enrolment_start(user=user)
        request.session["mfa_device"] = device.id
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = directory.mfa_enrolment_confirm(
                actor=request.principal,
                user=user,
                device_id=device.id,  # type: ignore[attr-defined]
                code=form.cleaned_data["code"],
            )
        except DomainError as e:
            form.add_error("code", e.description)
        else:
            request.session.pop("mfa_device", None)
            otp_login(request, device)
            return redirect(_next(request))
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "web/mfa_enrol.html",
        {
            "form": form,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "secret_raw": secret,
            "qr": _qr_svg(device.config_url),
            "replacing": confirmed_device(user) is not None,
        },
    )


def home(request: HttpRequest) -> HttpResponse:
    principal = getattr(request, "principal", None)
    if principal is None:
        return redirect("web:signin")
    if principal.is_partner:
        return redirect("partners:overview")
    if principal.is_customer_admin:  # a customer's administrator works in the admin center
        return redirect("admincenter:home")
    return render(request, "web/home.html", {})


def account(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:signin")
    return render(request, "web/account.html", {"mfa": confirmed_device(request.user) is not None})


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "web/locked_out.html", {}, status=429)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from hanse.api.middleware import is_api

    if is_api(request):
        from hanse.api import errors
        from hanse.api.responses import error_response

        return error_response(errors.NOT_FOUND)
    return render(request, "web/error.html", {"status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    from hanse.api.middleware import is_api

    if is_api(request):
        from hanse.api import errors
        from hanse.api.responses import error_response

        return error_response(errors.INTERNAL)
    return render(request, "web/error.html", {"status": 500}, status=500)
