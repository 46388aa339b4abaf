"""Readable, translated messages for the schema errors of both APIs.

pydantic's own messages are English and quote raw regular expressions; a client deserves to read
what is wrong with a field in its ``X-Locale``. The machine-readable ``type`` stays pydantic's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from hanse import validators as v

# Lazy: built once, translated into the language of each request when read.
PATTERNS: dict[str, Promise] = {
    v.NOT_BLANK: _("must not be blank or contain the NUL character"),
    v.TWO_NOT_BLANK: _("must have at least two characters that are not blank, and no NUL character"),
    v.NO_NUL: _("must not contain the NUL character (U+0000)"),
    v.UPN_PATTERN: _("must look like name@domain"),  # the e-mail pattern is the same
    v.DOMAIN_PATTERN: _("must be a domain name such as contoso.example"),
    v.PHONE_PATTERN: _("must be a phone number: digits, spaces and + ( ) - . /"),
}

Message = Callable[[Mapping[str, Any]], str | None]


def _fixed(text: Promise) -> Message:
    return lambda ctx: str(text)


def _counted(text: Promise, key: str) -> Message:
    """``text`` is an ngettext_lazy with the number named "n", taken from ``ctx[key]``."""
    return lambda ctx: str(text % {"n": int(ctx.get(key, 0))})


def _with(text: Promise, name: str, key: str) -> Message:
    return lambda ctx: str(text) % {name: ctx.get(key, "")}


def _pattern(pattern: str) -> str | None:
    if pattern in PATTERNS:
        return str(PATTERNS[pattern])
    if pattern in v.ANY_CASE:
        words = ", ".join(v.ANY_CASE[pattern])
        return str(_("must be one of %(values)s, in any letter case")) % {"values": words}
    return None


WHOLE_NUMBER = _fixed(_("must be a whole number"))
TRUE_OR_FALSE = _fixed(_("must be true or false"))
UUID = _fixed(_("must be an id (UUID)"))
ONE_OF = _with(_("must be one of %(values)s"), "values", "expected")
DATE_TIME = _fixed(_("must be a date and time (ISO 8601)"))
OBJECT = _fixed(_("must be an object"))

MESSAGES: dict[str, Message] = {
    "missing": _fixed(_("is required")),
    "string_type": _fixed(_("must be a string")),
    "string_too_short": _counted(
        ngettext_lazy("must have at least %(n)s character", "must have at least %(n)s characters", "n"),
        "min_length",
    ),
    "string_too_long": _counted(
        ngettext_lazy("must have at most %(n)s character", "must have at most %(n)s characters", "n"),
        "max_length",
    ),
    "string_pattern_mismatch": lambda ctx: _pattern(str(ctx.get("pattern", ""))),
    "too_short": _counted(
        ngettext_lazy("must have at least %(n)s item", "must have at least %(n)s items", "n"), "min_length"
    ),
    "too_long": _counted(
        ngettext_lazy("must have at most %(n)s item", "must have at most %(n)s items", "n"), "max_length"
    ),
    "int_type": WHOLE_NUMBER,
    "int_parsing": WHOLE_NUMBER,
    "int_from_float": WHOLE_NUMBER,
    "greater_than_equal": _with(_("must be %(n)s or more"), "n", "ge"),
    "less_than_equal": _with(_("must be %(n)s or less"), "n", "le"),
    "bool_type": TRUE_OR_FALSE,
    "bool_parsing": TRUE_OR_FALSE,
    "uuid_type": UUID,
    "uuid_parsing": UUID,
    "literal_error": ONE_OF,
    "enum": ONE_OF,
    "datetime_type": DATE_TIME,
    "datetime_parsing": DATE_TIME,
    "datetime_from_date_parsing": DATE_TIME,
    "list_type": _fixed(_("must be a list")),
    "dict_type": OBJECT,
    "model_type": OBJECT,
    "model_attributes_type": OBJECT,
    "extra_forbidden": _fixed(_("is not a property this operation takes")),
    "none_required": _fixed(_("is set by Hanse: send null or leave it out")),
    "contact_name_missing": _fixed(_("give firstName and lastName, here or both in defaultAddress")),
    "duplicate_property": _with(
        _("the property %(name)s is given twice, in different cases"), "name", "name"
    ),
}


def message(error: Mapping[str, Any]) -> str:
    """The translated message for one pydantic error, or pydantic's own where none is known."""
    known = MESSAGES.get(str(error.get("type", "")))
    text = known(error.get("ctx") or {}) if known else None
    return text or str(error.get("msg", ""))
