from __future__ import annotations

import contextlib
from datetime import datetime, time
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hanse import clock
from hanse.access.guards import require_action
from hanse.access.roles import Action
from hanse.audit import keys
from hanse.audit.export import export_tenant
from hanse.audit.selectors import audit_page, tenant_records
from hanse.audit.services import checkpoint_write
from hanse.errors import Conflict


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action starts with"), max_length=64, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _day(value: object, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    moment = datetime.combine(value, time.max if end else time.min)  # type: ignore[arg-type]
    return timezone.make_aware(moment, timezone.get_current_timezone())


def audit_keys(request: HttpRequest) -> HttpResponse:
    """The log's verifier keys, current first, in the C2SP form ``name+keyid+base64``, one per
    line; then the witnesses' this instance accepts, after a line ``# witnesses``."""
    lines = [v.vkey for v in keys.verifiers()]
    witnesses = keys.witnesses()
    if witnesses:
        lines += ["# witnesses", *(w.vkey for w in witnesses)]
    response = HttpResponse("".join(line + "\n" for line in lines), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "max-age=300"
    return response


@require_POST
@require_action(Action.OWN_TENANT_ADMIN)
def my_records(request: HttpRequest) -> HttpResponse:
    """A customer's admin downloads its tenant's records with their proofs (docs/audit.md §6)."""
    principal = request.principal  # type: ignore[attr-defined]
    with contextlib.suppress(Conflict):  # a damaged log: the records go out as they are
        checkpoint_write()  # so that the newest records are proved too
    export = export_tenant(tenant_records(principal), principal.tenant_id)
    response = HttpResponse(export.zip(), content_type="application/zip")
    stamp = clock.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{principal.tenant_id}-{stamp}.zip"'
    return response


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
