"""The audit log for people, in Chromium (issue 14, point 5): a partner filters by action and
customer, reads a sentence, follows its link to the subscription, opens the exact record, and
downloads what it filtered as CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hanse.access.roles import Role
from hanse.commerce.models import Subscription
from hanse.commerce.services import LineItem, SubscriptionChange, order_create, subscription_update
from tests.conftest import PASSWORD, person, principal_of
from tests.e2e.conftest import path_is, sign_in

pytestmark = pytest.mark.browser


def test_filter_read_follow_and_download(
    page: Page, partner: Any, make_customer: Any, swap_instance: Any, offers: Any, tmp_path: Path
) -> None:
    swap_instance(mfa_required_roles=())
    anna = person(partner.tenant, "Anna Schmidt", Role.ADMIN_AGENT)
    admin = person(partner.tenant, "Gerda Global", Role.GLOBAL_ADMIN)
    contoso, other = make_customer(partner, name="Contoso GmbH"), make_customer(partner, name="Tailspin AG")
    for customer in (contoso, other):
        order_create(actor=principal_of(anna), customer_id=customer.id, lines=[LineItem("ENTERPRISE-E3", 10)])
        sub = Subscription.objects.get(customer=customer)
        subscription_update(
            actor=principal_of(anna),
            customer_id=customer.id,
            subscription_id=sub.id,
            change=SubscriptionChange(quantity=12),
            if_match=None,
        )
    sub = Subscription.objects.get(customer=contoso)

    sign_in(page, admin.upn, PASSWORD)
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").select_option(label="Subscription changed")
    page.get_by_label("Customer").fill("Contoso")
    page.get_by_role("button", name="Filter").click()
    entries = page.get_by_test_id("audit-entry")
    expect(entries).to_have_count(1)
    expect(entries.get_by_test_id("audit-sentence")).to_have_text(
        "Anna Schmidt changed the quantity of Enterprise E3 for Contoso GmbH from 10 to 12"
    )
    expect(page.get_by_test_id("audit-count")).to_have_text("1 record")

    with page.expect_download() as download:
        page.get_by_test_id("audit-csv").click()
    saved = tmp_path / "audit.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [(r["Action code"], r["Customer"]) for r in rows] == [("subscription.update", "Contoso GmbH")]

    entries.get_by_test_id("audit-record-link").click()
    expect(page.get_by_test_id("record-action")).to_have_text("subscription.update")
    expect(page.get_by_test_id("record-target")).to_have_text(str(sub.id))
    expect(page.get_by_test_id("record-changes")).to_contain_text("quantity")
    page.get_by_test_id("audit-sentence").get_by_role("link", name="Enterprise E3").click()
    expect(page).to_have_url(path_is(f"/customers/{contoso.id}/subscriptions/{sub.id}/"))
