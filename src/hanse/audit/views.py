from __future__ import annotations

from datetime import datetime, time
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hanse.access.guards import require_action
from hanse.access.roles import Action
from hanse.audit.selectors import audit_page


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action starts with"), max_length=64, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _day(value: object, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    moment = datetime.combine(value, time.max if end else time.min)  # type: ignore[arg-type]
    return timezone.make_aware(moment, timezone.get_current_timezone())


@require_action(Action.AUDIT_VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    f = form.cleaned_data if form.is_valid() else {}
    p = audit_page(
        principal=request.principal,  # type: ignore[attr-defined]
        size=50,
        token=request.GET.get("after") or None,
        start=_day(f.get("start")),
        end=_day(f.get("end"), end=True),
        action_prefix=(f.get("action") or "").strip() or None,
    )
    kept = urlencode({k: v for k, v in request.GET.items() if k in form.fields and v})
    return render(request, "audit/list.html", {"page": p, "form": form, "kept": kept})
