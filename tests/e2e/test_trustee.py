"""The trustee's gate in Chromium (docs/trustee.md): an operator requests access to a customer's
users; the trustee approves; the operator reads them; the customer's admin sees exactly that read;
the trustee revokes; the operator is refused."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from hanse.audit.offline import verify_export
from hanse.directory.models import User
from hanse.instance.config import TrusteePolicy
from hanse.trustee.models import AccessRequest
from tests.conftest import PASSWORD
from tests.e2e.conftest import path_is, sign_in, sign_out
from tests.trustee.conftest import World
from tests.trustee.conftest import world as world


def test_request_approve_read_see_revoke_refuse(
    page: Page, world: World, swap_instance: Any, tmp_path: Path
) -> None:
    w = world
    swap_instance(mfa_required_roles=(), trustee=TrusteePolicy(approval="trustee"))
    w.admin_a.set_password(PASSWORD)
    w.admin_a.save()

    # The operator holds no grant: the customer's users are closed to it.
    sign_in(page, w.operator.upn, PASSWORD)
    page.goto(f"/customers/{w.a.id}/users/")
    expect(page.locator("main")).to_contain_text("Not allowed")
    page.goto("/access/")
    page.get_by_test_id("new-request").click()
    page.fill("#id_customer", w.a.tenant.domain)
    page.get_by_label("Users").check()
    page.select_option("#id_reason", "customer_support")
    page.fill("#id_justification", "Ticket 4711: the customer's users cannot sign in.")
    page.fill("#id_case_ref", "CASE-4711")
    page.fill("#id_hours", "2")
    page.get_by_test_id("file-request").click()
    expect(page.get_by_test_id("request-state")).to_have_text("Pending")
    req = AccessRequest.objects.get()
    sign_out(page)

    sign_in(page, w.officer.upn, PASSWORD)
    page.goto("/access/")
    pending = page.get_by_test_id("requests-pending")
    expect(pending).to_contain_text("Alpha GmbH")
    pending.get_by_role("link", name="Alpha GmbH").click()
    page.fill("#id_note", "Matches the customer's ticket.")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("request-state")).to_have_text("Approved")
    expect(page.get_by_test_id("time-left")).to_contain_text("1 h 59 min")
    # The decision is signed with the instance's key, and the page checked the signature.
    expect(page.get_by_test_id("decision-signature")).to_have_attribute("data-signed", "yes")
    page.goto("/access/")
    expect(page.get_by_test_id("log-status")).to_be_visible()
    sign_out(page)

    sign_in(page, w.operator.upn, PASSWORD)
    page.goto(f"/customers/{w.a.id}/users/")
    expect(page.locator("main")).to_contain_text(w.admin_a.upn)
    page.goto(f"/customers/{w.b.id}/users/")
    expect(page.locator("main")).to_contain_text("Not found")  # a grant for A opens nothing of B
    sign_out(page)

    sign_in(page, w.admin_a.upn, PASSWORD)
    page.goto("/access/")
    expect(page.get_by_test_id("admin-center-bar")).to_be_visible()
    page.get_by_test_id("requests-active").get_by_role("link", name="Alpha GmbH").click()
    expect(page).to_have_url(path_is(f"/access/{req.id}/"))
    objects = page.locator(
        '[data-testid=access-row][data-action="access.read"] [data-testid=accessed-object]'
    )
    expect(objects.first).to_be_visible()
    seen = set(objects.all_inner_texts())
    users_a = {f"User {u}" for u in User.objects.filter(tenant=w.a.tenant).values_list("id", flat=True)}
    # Each user read is named, and nothing was read but users and the customer's row they hang from.
    assert users_a <= seen and {s.split()[0] for s in seen} == {"User", "Customer"}
    # The customer's admin downloads its records with their proofs, and they verify offline.
    page.goto("/access/")
    with page.expect_download() as download:
        page.get_by_test_id("download-records").click()
    download.value.save_as(tmp_path / "mine.zip")
    zipfile.ZipFile(tmp_path / "mine.zip").extractall(tmp_path / "mine")
    verified = verify_export(tmp_path / "mine")
    assert verified.scope == "tenant" and verified.records == verified.inclusion > 0
    sign_out(page)

    sign_in(page, w.officer.upn, PASSWORD)
    page.goto(f"/access/{req.id}/")
    page.fill("#id_note", "The ticket is closed.")
    page.get_by_test_id("revoke").click()
    expect(page.get_by_test_id("request-state")).to_have_text("Revoked")
    expect(page.get_by_test_id("revocation-signature")).to_have_attribute("data-signed", "yes")
    sign_out(page)

    sign_in(page, w.operator.upn, PASSWORD)
    page.goto(f"/customers/{w.a.id}/users/")
    expect(page.locator("main")).to_contain_text("Not allowed")
    expect(page.locator("main")).not_to_contain_text(w.admin_a.upn)
