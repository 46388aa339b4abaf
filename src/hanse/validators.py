"""Input rules shared by services (which enforce them) and API schemas (which document them)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from hanse.instance.markets import EFTA, EU27

# No look-ahead: API schemas are checked by a regex engine without it; lengths are checked apart.
DOMAIN_PATTERN = r"^([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
EMAIL_PATTERN = r"^[A-Za-z0-9._%+'-]{1,64}@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
UPN_PATTERN = r"^[A-Za-z0-9._%+'-]{1,64}@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
# PostgreSQL cannot store U+0000 in text (SQLite can): every free-text input refuses it, so that
# both databases answer the same 400 instead of one of them failing.
NO_NUL = r"^[^\x00]*$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ()./-]{2,39}$"
# White space in any of the dialects that read these patterns: Python (str.strip in the services),
# Rust (pydantic) and ECMAScript (OpenAPI clients, schemathesis) disagree on U+001C-U+001F, U+0085
# and U+FEFF, so those count as white space here.
_SOLID = r"[^\s\x00\x1c-\x1f\x85\ufeff]"
NOT_BLANK = rf"^[^\x00]*{_SOLID}[^\x00]*$"  # one character at least that is not white space, no NUL
# Empty (the field's default: not given), else NOT_BLANK: a schema's default must match its own pattern.
EMPTY_OR_NOT_BLANK = rf"^$|{NOT_BLANK}"
TWO_NOT_BLANK = rf"^[^\x00]*{_SOLID}[^\x00]*{_SOLID}[^\x00]*$"  # two such characters at least
# A catalogue or SKU id as a client sends it: an unknown one is answered by the service.
SkuId = Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]
DOMAIN_RE = re.compile(DOMAIN_PATTERN)


# Each pattern any_case made, with its words: the API's messages name the words, not the pattern.
ANY_CASE: dict[str, tuple[str, ...]] = {}


def any_case(*words: str) -> str:
    """A pattern for one of ``words`` in any letter case: ECMAScript, which OpenAPI clients use,
    has no inline case-insensitive flag, so each letter is a class of its two cases."""

    def spell(word: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)

    pattern = "^(" + "|".join(spell(w) for w in words) + ")$"
    ANY_CASE[pattern] = words
    return pattern


def is_domain(value: str) -> bool:
    return 3 <= len(value) <= 253 and bool(DOMAIN_RE.match(value))


EMAIL_RE = re.compile(EMAIL_PATTERN)

# Every country any instance can sell to; an instance's own markets may be fewer.
MarketCode = Literal[tuple(sorted({*EU27, *EFTA}))]  # type: ignore[valid-type]


def is_email(value: str) -> bool:
    return bool(EMAIL_RE.match(value or ""))


def _json_int(value: object) -> object:
    # JSON Schema's integer: 3 or 3.0, never "3" or true (which pydantic would otherwise read as 3).
    if isinstance(value, (bool, str)):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Last in an Annotated, after the bounds (``Annotated[int, Field(ge=1), AS_JSON_INT]``), so that
# the schema keeps them as minimum and maximum.
AS_JSON_INT = BeforeValidator(_json_int)
