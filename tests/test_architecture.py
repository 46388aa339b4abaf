"""Rules of docs/architecture.md that no other test keeps: one clock, typed errors."""

from __future__ import annotations

import ast
from pathlib import Path

import polib
import pytest

import hanse
from hanse.errors import REGISTRY

SRC = Path(hanse.__file__).resolve().parent


def _modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_one_clock():
    """§5: every "now" comes from hanse.clock, the one place that may read the system's."""
    offenders = []
    for path in _modules():
        if path == SRC / "clock.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                if (name, node.func.attr) in {
                    ("timezone", "now"),
                    ("datetime", "now"),
                    ("datetime", "utcnow"),
                    ("date", "today"),
                }:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_error_codes_are_unique_and_translated():
    """§4: each code has one meaning, one status, and its message in German and French."""
    import importlib

    from django.utils import translation

    from hanse.errors import ErrorSpec

    specs = []
    for path in _modules():
        if path.name == "errors.py":
            module = importlib.import_module("hanse." + ".".join(path.relative_to(SRC).with_suffix("").parts))
            specs += [value for value in vars(module).values() if isinstance(value, ErrorSpec)]
    assert len(specs) > 50
    for spec in specs:
        assert REGISTRY[spec.code] is spec or REGISTRY[spec.code].message == spec.message, spec.code
        assert 400 <= spec.status <= 599
    with translation.override("en"):
        msgids = {spec.code: str(spec.message) for spec in specs}
    for lang in ("de", "fr"):
        catalogue = polib.pofile(str(SRC / "locale" / lang / "LC_MESSAGES" / "django.po"))
        translated = {e.msgid for e in catalogue if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}
        assert sorted(code for code, msgid in msgids.items() if msgid not in translated) == [], lang


# Each rule of policy, by the name that only its service may read (§7): a page may show what the
# service would answer, through the function the service itself calls, but never decide it again.
POLICY_READ_ONLY_IN = {
    "accepts_new_customers": {
        "customers/services.py",
        "partners/services.py",
        "instance/config.py",
        "demo.py",
    },
    "ensure_partner_center(": {
        "directory/customer_users.py",
        "directory/partner_users.py",
        "licensing/services.py",
        "instance/routing.py",
    },
    "trustee_required": {
        "instance/config.py",
        "directory/services.py",  # the CLI mints no token for a customer's user under the trustee
        "demo.py",
        "demo_seed.py",
        "settings.py",
    },
}


@pytest.mark.parametrize("name", sorted(POLICY_READ_ONLY_IN))
def test_policy_is_kept_in_its_service(name):
    """§7: task routing, the closure to new business and the trustee's gate are each read in the
    service that keeps them, so that no new entry point can miss one."""
    readers = {str(p.relative_to(SRC)) for p in _modules() if name in p.read_text()}
    assert readers <= POLICY_READ_ONLY_IN[name], sorted(readers - POLICY_READ_ONLY_IN[name])
    assert readers & {f for f in POLICY_READ_ONLY_IN[name] if "services" in f or "routing" in f}
