from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hanse.access.guards import require_action
from hanse.access.roles import Action
from hanse.audit.selectors import audit_page


@require_action(Action.AUDIT_VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    p = audit_page(principal=request.principal, size=50, token=request.GET.get("after") or None)  # type: ignore[attr-defined]
    return render(request, "audit/list.html", {"page": p})
