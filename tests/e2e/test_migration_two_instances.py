"""The migration in Chromium across two live instances, the demo's ``de`` (``hanse serve`` and
``hanse worker``) and ``eu`` (docs/migration.md): link, the plan with its blockers, the dry run at
eu, Run migration, the dashboard updating itself while customers move, a customer's details, and
a moved user signing in at eu with the password it had at de, and pointed there from de."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import chromium
from tests.e2e.test_link_two_instances import (
    Instances,
    confirm_and_check,
    next_and_sign_in_there,
    signed_in_source,
)
from tests.migration.instances import pair
from tests.test_process import free_port, hanse

pytestmark = [pytest.mark.process, pytest.mark.django_db]


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instances]:
    data = tmp_path_factory.mktemp("move")
    base = free_port()
    seeded = hanse("demo", "--data-dir", str(data), "--seed-only", "--port-base", str(base))
    assert seeded.returncode == 0, seeded.stderr
    with (data / "eu.toml").open("a") as f:
        f.write("\n[security]\nmfa_required_roles = []\n")
    with ExitStack() as stack:
        _, _, de = stack.enter_context(pair(data / "de.toml", base))
        _, _, eu = stack.enter_context(pair(data / "eu.toml", base + 1))
        yield Instances(data, de, eu)


@pytest.fixture(scope="module")
def page(instances: Instances) -> Iterator[Page]:
    with chromium(timeout_ms=20_000, console_clean=True) as pg:
        expect.set_options(timeout=60_000)  # the board's moves take their time
        yield pg


def customer_user(inst: Instances, domain: str) -> dict[str, Any]:
    return next(u for u in inst.users if u["instance"] == "de" and u["tenant"] == domain)


def test_link_plan_run_watch_and_sign_in_at_eu(instances: Instances, page: Page) -> None:
    inst = instances
    signed_in_source(page, inst)
    next_and_sign_in_there(page, inst, inst.user("eu", "contoso-eu.example"))
    confirm_and_check(page, inst, "contoso-eu.example")
    page.get_by_test_id("view-dashboard").click()
    expect(page).to_have_url(f"{inst.de}/csp/link/customers")
    expect(page.locator('[data-testid=plan-row][data-domain="alpenblick-hotels.example"]')).to_have_attribute(
        "data-movable", "yes"
    )
    expect(
        page.locator('[data-testid=plan-row][data-domain="weingut-ahrtal.example"] [data-testid=blocker]')
    ).to_have_attribute("data-code", "9611")
    expect(
        page.locator('[data-testid=plan-row][data-domain="baeckerei-hoffmann.example"] [data-testid=blocker]')
    ).to_have_attribute("data-code", "9613")
    # The dry run asks eu: the customer that signed up there itself collides.
    page.get_by_test_id("dry-run").click()
    expect(page.get_by_test_id("target-checked")).to_be_visible()
    stadtwerke = page.locator('[data-testid=plan-row][data-domain="stadtwerke-lindenau.example"]')
    expect(stadtwerke).to_have_attribute("data-movable", "no")
    expect(stadtwerke.locator('[data-testid=blocker][data-code="9615"]').first).to_contain_text(
        "anna.schmidt@stadtwerke-lindenau.example"
    )
    movable = page.locator('[data-testid=plan-row][data-movable="yes"]').count()
    assert movable >= 10

    page.get_by_test_id("run-migration").click()
    expect(page.get_by_test_id("board")).to_be_visible()
    # No reload from here: the board polls itself until every move has ended.
    expect(page.locator('[data-testid=move][data-state="cut_over"]')).to_have_count(movable, timeout=120_000)
    expect(page.get_by_test_id("done-count")).to_have_text(f"{movable} / {movable}")
    expect(page.get_by_test_id("progress-chart")).to_be_visible()
    page.locator(
        '[data-testid=move][data-domain="alpenblick-hotels.example"] [data-testid=move-details]'
    ).click()
    expect(page.get_by_test_id("move-state")).to_have_attribute("data-state", "cut_over")
    checksum = page.get_by_test_id("checksum").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", checksum)
    expect(page.get_by_test_id("target-checksum")).to_have_text(checksum)
    expect(page.get_by_test_id("timeline")).to_contain_text("Cut over")

    # A moved user signs in at eu with the password from demo-users.json…
    anna = customer_user(inst, "alpenblick-hotels.example")
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{inst.eu}/csp/")  # signed in there since the link, as contoso-eu's admin
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{inst.eu}/signin")
    page.fill("#id_username", anna["upn"])
    page.fill("#id_password", anna["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert "/signin" not in page.url
    page.get_by_role("button", name="Sign out").click()
    # …and at de is told where its tenant lives now.
    page.goto(f"{inst.de}/signin")
    page.fill("#id_username", anna["upn"])
    page.fill("#id_password", anna["password"])
    page.get_by_role("button", name="Sign in").click()
    moved = page.get_by_test_id("tenant-moved")
    expect(moved).to_contain_text("has moved to the instance eu")
    expect(moved.get_by_role("link")).to_have_attribute("href", f"{inst.eu}/signin")
