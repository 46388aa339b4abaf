"""Shapes shared by every resource: attributes, collections and continuation links."""

from __future__ import annotations

from ninja import Field, Schema


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
