"""The one search box of the list pages: what was asked, and the query string of the next page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest

from hanse.api.filters import Match
from hanse.api.paging import Page


@dataclass(frozen=True)
class Search:
    form: forms.Form
    q: str  # the stripped text; "" when none or invalid

    @property
    def match(self) -> Match | None:
        """Every field the box covers ("both"), starting with the text, ignoring case."""
        return Match("both", self.q) if self.q else None

    def next_query(self, page: Page[Any]) -> str:
        """The query string of the next page, keeping the search; "" on the last page."""
        if not page.next_token:
            return ""
        return urlencode({"after": page.next_token, **({"q": self.q} if self.q else {})})


def search(request: HttpRequest, form_class: type[forms.Form]) -> Search:
    """``form_class`` has one field ``q``."""
    form = form_class(request.GET)
    return Search(form, form.cleaned_data["q"].strip() if form.is_valid() else "")
