"""Readable, translated messages for the schema errors of both APIs.

pydantic's own messages are English and quote raw regular expressions; a client deserves to read
what is wrong with a field in its ``X-Locale``. The machine-readable ``type`` stays pydantic's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from hanse import validators as v


def _pattern(ctx: Mapping[str, Any]) -> str | None:
    messages = {
        v.NOT_BLANK: _("must not be blank or contain the NUL character"),
        v.TWO_NOT_BLANK: _("must have at least two characters that are not blank, and no NUL character"),
        v.NO_NUL: _("must not contain the NUL character (U+0000)"),
        v.UPN_PATTERN: _("must look like name@domain"),  # the e-mail pattern is the same
        v.DOMAIN_PATTERN: _("must be a domain name such as contoso.example"),
    }
    return messages.get(str(ctx.get("pattern", "")))


def _n(ctx: Mapping[str, Any], key: str) -> dict[str, int]:
    return {"n": int(ctx.get(key, 0))}


MESSAGES: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "missing": lambda ctx: _("is required"),
    "string_type": lambda ctx: _("must be a string"),
    "string_too_short": lambda ctx: (
        ngettext_lazy("must have at least %(n)s character", "must have at least %(n)s characters", "n")
        % _n(ctx, "min_length")
    ),
    "string_too_long": lambda ctx: (
        ngettext_lazy("must have at most %(n)s character", "must have at most %(n)s characters", "n")
        % _n(ctx, "max_length")
    ),
    "string_pattern_mismatch": _pattern,
    "too_short": lambda ctx: (
        ngettext_lazy("must have at least %(n)s item", "must have at least %(n)s items", "n")
        % _n(ctx, "min_length")
    ),
    "too_long": lambda ctx: (
        ngettext_lazy("must have at most %(n)s item", "must have at most %(n)s items", "n")
        % _n(ctx, "max_length")
    ),
    "int_type": lambda ctx: _("must be a whole number"),
    "int_parsing": lambda ctx: _("must be a whole number"),
    "int_from_float": lambda ctx: _("must be a whole number"),
    "greater_than_equal": lambda ctx: _("must be %(n)s or more") % {"n": ctx.get("ge")},
    "less_than_equal": lambda ctx: _("must be %(n)s or less") % {"n": ctx.get("le")},
    "bool_type": lambda ctx: _("must be true or false"),
    "bool_parsing": lambda ctx: _("must be true or false"),
    "uuid_type": lambda ctx: _("must be an id (UUID)"),
    "uuid_parsing": lambda ctx: _("must be an id (UUID)"),
    "literal_error": lambda ctx: _("must be one of %(values)s") % {"values": ctx.get("expected", "")},
    "enum": lambda ctx: _("must be one of %(values)s") % {"values": ctx.get("expected", "")},
    "datetime_type": lambda ctx: _("must be a date and time (ISO 8601)"),
    "datetime_parsing": lambda ctx: _("must be a date and time (ISO 8601)"),
    "datetime_from_date_parsing": lambda ctx: _("must be a date and time (ISO 8601)"),
    "list_type": lambda ctx: _("must be a list"),
    "dict_type": lambda ctx: _("must be an object"),
    "model_type": lambda ctx: _("must be an object"),
    "model_attributes_type": lambda ctx: _("must be an object"),
    "extra_forbidden": lambda ctx: _("is not a property this operation takes"),
}


def message(error: Mapping[str, Any]) -> str:
    """The translated message for one pydantic error, or pydantic's own where none is known."""
    known = MESSAGES.get(str(error.get("type", "")))
    text = known(error.get("ctx") or {}) if known else None
    return text or str(error.get("msg", ""))
