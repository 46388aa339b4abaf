"""The API's encoder (orjson through ``hanse.api.responses.dumps``) writes the values django-ninja's
JSON encoder wrote: the bytes may differ in spacing and escaping, never in what they say."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy
from ninja import Schema
from ninja.responses import NinjaJSONEncoder

from hanse.api.responses import dumps


class Colour(StrEnum):
    RED = "red"


class Inner(Schema):
    at: datetime
    price: Decimal


def test_every_kind_of_value_reads_back_as_ninja_wrote_it():
    body = {
        "id": uuid.UUID("6f1c2b7e-8d7a-4b0e-9a55-0d1c2e3f4a5b"),
        "at": datetime(2026, 12, 4, 1, 2, 3, 456789, tzinfo=UTC),  # milliseconds and "Z"
        "day": date(2026, 12, 4),
        "price": Decimal("5.60"),
        "name": "Zürcher Treuhand AG — 東京",
        "lazy": gettext_lazy("required"),
        "colour": Colour.RED,
        "nested": [Inner(at=datetime(2026, 1, 1, tzinfo=UTC), price=Decimal("0.10"))],
        "none": None,
        "flag": True,
        "big": 2**53 + 1,
    }
    ours = json.loads(dumps(body))
    assert ours == json.loads(json.dumps(body, cls=NinjaJSONEncoder))
    assert ours["at"] == "2026-12-04T01:02:03.456Z" and ours["price"] == "5.60"
