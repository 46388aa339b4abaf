"""The permission matrix, walked whole: every role x every action, allowed and denied.

``EXPECTED`` is read from the table in docs/roles.md, independently of the code's MATRIX, so a
change to either one without the other fails here.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from hanse.access.principal import Principal
from hanse.access.roles import MATRIX, Action, Role
from hanse.access.scope import require
from hanse.errors import NotPermitted

ROLES_DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def _expected_from_doc() -> dict[Action, set[Role]]:
    """action -> the roles that may perform it, from the matrix table of docs/roles.md."""
    rows = [line for line in ROLES_DOC.read_text().splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    by_label = {role.label: role for role in Role}
    columns = [by_label[name] for name in header[1:-1]]  # between "action" and "source"
    expected: dict[Action, set[Role]] = {}
    for row in rows[1:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if not cells[0].startswith("`"):
            continue
        action = Action(cells[0].strip("`"))
        expected[action] = {role for role, mark in zip(columns, cells[1:-1], strict=True) if mark == "✓"}
    return expected


EXPECTED = _expected_from_doc()

CASES = [(role, action) for role in Role for action in Action]


def test_expected_covers_every_action_and_role():
    assert set(EXPECTED) == set(Action)
    assert set(MATRIX) == set(Role)


@pytest.mark.parametrize(("role", "action"), CASES, ids=[f"{r.value}-{a.value}" for r, a in CASES])
def test_role_action(role, action):
    principal = Principal(
        user_id=uuid.uuid4(),
        upn="x@y.example",
        tenant_id=None,
        tenant_kind="partner",
        roles=frozenset({role}),
    )
    if role in EXPECTED[action]:
        require(principal, action)
        assert principal.can(action)
    else:
        with pytest.raises(NotPermitted) as e:
            require(principal, action)
        assert e.value.code == 3001 and e.value.status == 403
        assert not principal.can(action)


def test_no_roles_may_do_nothing():
    nobody = Principal(user_id=uuid.uuid4(), upn="n@y.example", tenant_id=None, tenant_kind="partner")
    assert not any(nobody.can(a) for a in Action)
