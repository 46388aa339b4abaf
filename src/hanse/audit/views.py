from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hanse import clock
from hanse.access.guards import require_action
from hanse.access.roles import Action
from hanse.audit import keys
from hanse.audit.export import export_tenant
from hanse.audit.selectors import AuditFilter, audit_page, audit_record, audit_records, tenant_records
from hanse.audit.sentences import action_choices, describe
from hanse.audit.services import checkpoint_write
from hanse.errors import Conflict
from hanse.web.downloads import csv_response

CSV_CHUNK = 500


class AuditFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    actor = forms.CharField(label=_("By"), max_length=254, required=False)
    customer = forms.CharField(label=_("Customer"), max_length=200, required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    q = forms.CharField(label=_("Search"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = action_choices()
        self.fields["actor"].widget.attrs["placeholder"] = _("name or e-mail")
        self.fields["customer"].widget.attrs["placeholder"] = _("name or id")
        self.fields["q"].widget.attrs["placeholder"] = _("an id, a name, a value")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end is before the start."))
        return data

    def audit_filter(self) -> AuditFilter:
        """The filter the valid fields make; a field in error filters nothing (the page says so)."""
        f = self.cleaned_data  # the valid fields only (is_valid has run)
        return AuditFilter(
            start=_day(f.get("start")),
            end=_day(f.get("end"), end=True),
            action=f.get("action") or "",
            actor=(f.get("actor") or "").strip(),
            customer=(f.get("customer") or "").strip(),
            text=(f.get("q") or "").strip(),
        )


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


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, AuditFilter, str]:
    form = AuditFilterForm(request.GET)
    form.is_valid()
    kept = urlencode({k: v for k, v in request.GET.items() if k in form.fields and v})
    return form, form.audit_filter(), kept


@require_action(Action.AUDIT_VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    """The log for people: a sentence per record, filters, the CSV of what is filtered."""
    principal = request.principal  # type: ignore[attr-defined]
    form, f, kept = _filtered(request)
    p = audit_page(principal=principal, size=50, token=request.GET.get("after") or None, f=f)
    context = {"page": p, "entries": describe(principal, p.items), "form": form, "kept": kept}
    return render(request, "audit/list.html", context)


@require_action(Action.AUDIT_VIEW)
def audit_detail(request: HttpRequest, seq: int) -> HttpResponse:
    """The exact record: every field the hash covers, as stored, and what changed."""
    principal = request.principal  # type: ignore[attr-defined]
    record = audit_record(principal, seq)
    (entry,) = describe(principal, [record])
    before, after = record.before or {}, record.after or {}
    changes = [
        {"field": key, "before": before.get(key), "after": after.get(key)}
        for key in sorted({*before, *after})
        if before.get(key) != after.get(key)
    ]
    context = {
        "entry": entry,
        "r": record,
        "changes": changes,
        "before": json.dumps(record.before, indent=2, ensure_ascii=False, sort_keys=True),
        "after": json.dumps(record.after, indent=2, ensure_ascii=False, sort_keys=True),
    }
    return render(request, "audit/detail.html", context)


@require_action(Action.AUDIT_VIEW)
def audit_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered records as CSV, streamed a chunk at a time, so that memory stays flat."""
    principal = request.principal  # type: ignore[attr-defined]
    _form, f, _kept = _filtered(request)
    # The log as it stands now: reading it under a grant adds records (access.read), which the
    # download must not chase.
    until = audit_records(principal, f).order_by("-seq").values_list("seq", flat=True).first() or 0
    header = [
        _("Sequence"),
        _("Time (UTC)"),
        _("Description"),
        _("Action"),
        _("Action code"),
        _("By"),
        _("Customer"),
        _("Customer id"),
        _("Resource type"),
        _("Resource id"),
        _("Request id"),
        _("Record hash"),
    ]

    def chunks() -> Iterator[list[tuple[object, ...]]]:
        after = 0
        while True:
            window = audit_records(principal, f).filter(seq__gt=after, seq__lte=until)
            chunk = list(window.order_by("seq")[:CSV_CHUNK])
            if not chunk:
                return
            yield [
                (
                    e.record.seq,
                    e.record.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    e.text,
                    e.label,
                    e.record.action,
                    e.record.actor_upn,
                    e.customer.text if e.customer else "",
                    getattr(e.record, "customer_ref", None) or "",
                    e.record.target_type,
                    e.record.target_id,
                    e.record.request_id,
                    e.record.hash,
                )
                for e in describe(principal, chunk)
            ]
            after = chunk[-1].seq

    stamp = clock.now().strftime("%Y%m%d-%H%M")
    return csv_response(header, chunks(), filename=f"audit-{stamp}.csv")
