"""Collection filters in the two dialects Hanse answers: Partner Center's JSON ``filter`` (``/v1``)
and OData's ``$filter`` (the admin center's Graph-shaped API). Both parse into one ``Match`` that
selectors apply, so a search means the same thing whichever API or page asked for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from django.db.models import Q
from django.utils.translation import gettext as _

from hanse.api import errors as api_errors
from hanse.errors import InvalidInput

MAX_VALUE = 200


Op = Literal["startswith", "eq", "contains"]
_SUFFIX = {"startswith": "istartswith", "eq": "iexact", "contains": "icontains"}


@dataclass(frozen=True)
class Match:
    field: str  # a name the selector knows; "both" where one search box covers several fields
    value: str
    op: Op = "startswith"

    def q(self, lookups: Mapping[str, tuple[str, ...]]) -> Q:
        """The condition on the model fields that ``lookups`` gives for this match's field (any
        of them matching), ignoring case."""
        condition = Q()
        for name in lookups[self.field]:
            condition |= Q(**{f"{name}__{_SUFFIX[self.op]}": self.value})
        return condition


def _bad(param: str, expected: str) -> InvalidInput:
    return InvalidInput(api_errors.INVALID_REQUEST, data=[{"field": f"query.{param}", "message": expected}])


# Partner Center's operator names.
PARTNER_CENTER_OPS: dict[str, Op] = {"starts_with": "startswith", "equals": "eq", "substring": "contains"}


def partner_center_filter(raw: str | None, fields: Mapping[str, tuple[str, str]]) -> Match | None:
    """``{"Field": "CompanyName", "Value": "con", "Operator": "starts_with"}``; ``fields`` maps
    Partner Center's field names (any case) to the selector's name and the one operator that
    Partner Center documents for that field."""
    if not raw:
        return None
    shapes = " or ".join(
        f'{{"Field": "{name}", "Value": 1-{MAX_VALUE}, "Operator": "{op}"}}'
        for name, (_field, op) in fields.items()
    )
    bad = _bad("filter", _("expected %(shape)s") % {"shape": shapes})
    lowered = {k.lower(): v for k, v in fields.items()}
    try:
        spec = json.loads(raw)
        field, operator = lowered[str(spec["Field"]).lower()]
        value = str(spec["Value"])
        given = str(spec.get("Operator", operator)).lower()
    except (ValueError, KeyError, TypeError, AttributeError):
        raise bad from None
    if given != operator or not 1 <= len(value) <= MAX_VALUE:
        raise bad
    return Match(field, value, PARTNER_CENTER_OPS[operator])


_QUOTED = r"'((?:[^']|'')*)'"  # OData doubles a quote inside a string literal
_STARTSWITH = re.compile(rf"startswith\(\s*(\w+)\s*,\s*{_QUOTED}\s*\)", re.IGNORECASE)
_EQ = re.compile(rf"(\w+)\s+eq\s+{_QUOTED}", re.IGNORECASE)


def odata_filter(raw: str | None, fields: tuple[str, ...]) -> Match | None:
    """One OData clause: ``startswith(displayName,'Ann')`` or ``userPrincipalName eq 'a@b.example'``,
    on one of ``fields`` (Graph's property names). Anything else is refused rather than ignored, so
    a client never takes an unfiltered list for a filtered one."""
    if not raw:
        return None
    names = ", ".join(fields)
    bad = _bad(
        "$filter",
        _("expected startswith(property,'text') or property eq 'text', with property one of %(names)s")
        % {"names": names},
    )
    text = raw.strip()
    found = _STARTSWITH.fullmatch(text)
    op: Op = "startswith"
    if found is None:
        found, op = _EQ.fullmatch(text), "eq"
    if found is None:
        raise bad
    field = {f.lower(): f for f in fields}.get(found.group(1).lower())
    value = found.group(2).replace("''", "'")
    if field is None or not 1 <= len(value) <= MAX_VALUE:
        raise bad
    return Match(field, value, op)
