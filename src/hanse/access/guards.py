"""The one guard that views use: sign-in, then the declared action from the matrix."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hanse.access.roles import Action
from hanse.errors import DomainError, NotFound

View = Callable[..., HttpResponse]


def require_action(action: Action) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            principal = getattr(request, "principal", None)
            if principal is None:
                return redirect_to_login(request.get_full_path())
            if not principal.can(action):
                return render(request, "web/error.html", {"status": 403, "action": action}, status=403)
            try:
                return view(request, *args, **kwargs)
            except NotFound as e:
                return render(
                    request, "web/error.html", {"status": 404, "message": e.description}, status=404
                )
            except DomainError as e:
                return render(
                    request, "web/error.html", {"status": e.status, "message": e.description}, status=e.status
                )

        wrapped.hanse_action = action  # type: ignore[attr-defined]
        return wrapped

    return decorate
