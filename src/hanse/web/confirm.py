"""The confirmation step of a destructive action: the form's first POST answers with a page that
says what will happen; only the POST from that page (``confirmed=yes``) acts. It needs no
JavaScript, and a refusal on the second POST is shown as before."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

NOT_REPEATED = ("csrfmiddlewaretoken", "confirmed", "reason")
REASON_MIN, REASON_MAX = 10, 1000


@dataclass(frozen=True)
class Ask:
    title: str
    consequence: str  # what will happen, in the user's words
    confirm: str  # the button's label: the action, not "OK"
    cancel_url: str
    reason_label: str = ""  # a required reason, if the action takes one


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirmed") == "yes"


def ask(
    request: HttpRequest, question: Ask, *, base: str = "web/base.html", error: str = "", **ctx: object
) -> HttpResponse:
    """The page that asks; it posts the same fields again, with ``confirmed=yes``."""
    fields = [(k, v) for k, v in request.POST.items() if k not in NOT_REPEATED]
    context = {
        "ask": question,
        "fields": fields,
        "base": base,
        "error": error,
        "reason": request.POST.get("reason", ""),
        "reason_min": REASON_MIN,
        "reason_max": REASON_MAX,
        **ctx,
    }
    return render(request, "web/confirm.html", context, status=400 if error else 200)
