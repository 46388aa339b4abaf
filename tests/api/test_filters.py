"""The two filter dialects: Partner Center's JSON ``filter`` and OData's ``$filter``."""

from __future__ import annotations

import json

import pytest

from hanse.api.filters import Match, odata_filter, partner_center_filter
from hanse.errors import InvalidInput

PC_FIELDS = {
    "DisplayName": ("displayName", "starts_with"),
    "UserPrincipalName": ("userPrincipalName", "starts_with"),
}
GRAPH = ("displayName", "userPrincipalName")


def pc(field: str, value: object, operator: str = "starts_with") -> str:
    return json.dumps({"Field": field, "Value": value, "Operator": operator})


def test_partner_center_filter_maps_fields_in_any_case() -> None:
    assert partner_center_filter(pc("displayname", "An"), PC_FIELDS) == Match("displayName", "An")
    assert partner_center_filter(pc("UserPrincipalName", "a@"), PC_FIELDS) == Match("userPrincipalName", "a@")
    no_operator = json.dumps({"Field": "DisplayName", "Value": "An"})
    assert partner_center_filter(no_operator, PC_FIELDS) == Match("displayName", "An")
    assert partner_center_filter(None, PC_FIELDS) is None and partner_center_filter("", PC_FIELDS) is None


def test_partner_center_filter_takes_each_fields_own_operator() -> None:
    fields = {"UserState": ("state", "equals"), "CustomerName": ("customerName", "substring")}
    state = partner_center_filter(pc("userstate", "Inactive", "Equals"), fields)
    assert state == Match("state", "Inactive", "eq")
    assert partner_center_filter(pc("CustomerName", "ab", "substring"), fields) == Match(
        "customerName", "ab", "contains"
    )
    for wrong in (pc("UserState", "Inactive", "starts_with"), pc("CustomerName", "ab", "equals")):
        with pytest.raises(InvalidInput):
            partner_center_filter(wrong, fields)


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        '"DisplayName"',
        json.dumps({"Value": "An"}),
        pc("CompanyName", "An"),
        pc("DisplayName", "An", "equals"),
        pc("DisplayName", ""),
        pc("DisplayName", "x" * 201),
    ],
)
def test_partner_center_filter_refuses_what_it_cannot_apply(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        partner_center_filter(raw, PC_FIELDS)
    assert refused.value.data == [
        {
            "field": "query.filter",
            "message": 'expected {"Field": "DisplayName", "Value": 1-200, "Operator": "starts_with"}'
            ' or {"Field": "UserPrincipalName", "Value": 1-200, "Operator": "starts_with"}',
        }
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("startswith(displayName,'An')", Match("displayName", "An")),
        ("  StartsWith( userprincipalname , 'anna@' )  ", Match("userPrincipalName", "anna@")),
        ("startswith(displayName,'O''Brien')", Match("displayName", "O'Brien")),
        ("userPrincipalName eq 'anna@kunde.example'", Match("userPrincipalName", "anna@kunde.example", "eq")),
        ("displayName EQ 'Anna Maria'", Match("displayName", "Anna Maria", "eq")),
    ],
)
def test_odata_filter_reads_one_clause(raw: str, expected: Match) -> None:
    assert odata_filter(raw, GRAPH) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "startswith(mail,'a')",  # a property Hanse does not filter on
        "contains(displayName,'a')",
        "startswith(displayName,'a') and startswith(userPrincipalName,'b')",
        "startswith(displayName,a)",
        "startswith(displayName,'it's')",  # an undoubled quote
        "displayName ne 'a'",
        "startswith(displayName,'')",
        "startswith(displayName,'" + "x" * 201 + "')",
        "accountEnabled eq true",
    ],
)
def test_odata_filter_refuses_rather_than_ignores(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        odata_filter(raw, GRAPH)
    assert refused.value.data[0]["field"] == "query.$filter"
    assert "displayName, userPrincipalName" in refused.value.data[0]["message"]
