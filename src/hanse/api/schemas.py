"""Shapes shared by every resource: attributes, collections and continuation links."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import ConfigDict, model_validator
from pydantic_core import PydanticCustomError


class Body(Schema):
    """A ``/v1`` request body, read as Partner Center reads one: property names match whatever
    their case (its documented bodies are PascalCase: ``LicensesToAssign``, ``CompanyProfile``),
    and a property the operation does not take is refused, never silently dropped. Values have
    their JSON type: ``"1"`` or ``true`` is no quantity (``strict``; the few fields whose JSON
    form is a string, ids and times, say ``strict=False``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _names_in_any_case(cls, data: Any) -> Any:
        if isinstance(data, DjangoGetter):  # ninja's own wrapper, around what the client sent
            data = data._obj
        if not isinstance(data, dict):
            return data
        names: dict[str, str] = {}
        for name, info in cls.model_fields.items():
            names[name.lower()] = info.alias or name
            if info.alias:
                names[info.alias.lower()] = info.alias
        out: dict[Any, Any] = {}
        for key, value in data.items():
            known = names.get(key.lower(), key) if isinstance(key, str) else key
            if known in out:
                # A type of its own, so that api.validation gives the translated message.
                raise PydanticCustomError(
                    "duplicate_property", "property {name} given twice", {"name": known}
                )
            out[known] = value
        return out


class ObjectTypeIn(Body):
    """The ``attributes`` Partner Center's documented bodies carry: read, and otherwise unused."""

    objectType: str = Field(..., max_length=64, pattern=r"^[^\x00]*$")


class Attributes(Schema):
    objectType: str
    etag: str | None = None


class LinkHeader(Schema):
    key: str
    value: str


class Link(Schema):
    uri: str
    method: str
    headers: list[LinkHeader] = []


class CollectionLinks(Schema):
    next: Link | None = None
    self: Link | None = None


class ErrorBody(Schema):
    code: int
    description: str
    data: list[object] = []
    source: str = "hanse"


class GraphInnerError(Schema):
    hanseCode: int
    request_id: str = Field(..., alias="request-id")
    client_request_id: str = Field(..., alias="client-request-id")
    date: str
    data: list[object] | None = None


class GraphErrorDetail(Schema):
    code: str
    message: str
    target: str | None = None


class GraphError(Schema):
    code: str
    message: str
    innerError: GraphInnerError
    details: list[GraphErrorDetail] | None = None


class GraphErrorBody(Schema):
    """Microsoft Graph's error body, used by the admin center's API."""

    error: GraphError
