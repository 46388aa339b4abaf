"""The migration's pages as their users see them (docs/migration.md): the partner's dashboard with
its plan and each move, polled by htmx while moves are under way; a customer's details; the
customer's consent page; the trustee's list of data leaving the boundary."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hanse import clock
from hanse.access.roles import Role
from hanse.migration import services
from hanse.migration.models import CustomerMigration, State
from tests.conftest import principal_of
from tests.migration.conftest import Source, arriving, customer_admin

BACKEND = "hanse.directory.auth.UpnBackend"


@pytest.fixture(autouse=True)
def _no_mfa(swap_instance: Any) -> None:
    swap_instance(mfa_required_roles=())


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def test_the_dashboard_shows_the_plan_runs_and_polls_while_moves_are_under_way(
    source: Source, make_user: Any
) -> None:
    client = signed_in(source.admin)
    page = client.get("/csp/link/customers").content.decode()  # the link flow's View dashboard
    assert 'data-testid="plan-row"' in page and 'data-movable="no"' in page and 'data-code="9610"' in page
    assert "hx-trigger" not in page  # nothing moves: nothing to poll
    services.consent_give(actor=principal_of(customer_admin(source.customer, make_user)))
    page = client.get("/csp/migration/").content.decode()
    assert 'data-movable="yes"' in page and 'data-testid="run-migration"' in page
    assert "ENTERPRISE-E3_DE" in page and "django_htmx/htmx-2" in page
    r = client.post("/csp/migration/run", {"customer": [str(source.customer.id)]})
    assert r.status_code == 302
    move = CustomerMigration.objects.get()
    assert move.state == State.PLANNED and move.job_id
    board = client.get("/csp/migration/board").content.decode()
    assert 'hx-get="/csp/migration/board"' in board and 'data-state="planned"' in board
    details = client.get(f"/csp/migration/{source.customer.id}/").content.decode()
    assert (
        'data-testid="timeline"' in details and "Planned" in details and 'data-testid="rollback"' in details
    )


def test_a_failed_move_shows_its_reason_and_a_retry(source: Source) -> None:
    now = clock.now()
    CustomerMigration.objects.create(
        customer=source.customer,
        partner=source.partner.account,
        peer="eu",
        target_url="http://127.0.0.1:9",
        state=State.FAILED,
        started_by="t",
        started_at=now,
        updated_at=now,
        frozen_at=now,
        error_code=9615,
        error_params={"upn": "eva@umzugskunde.example", "peer": "eu"},
    )
    page = signed_in(source.admin).get("/csp/migration/").content.decode()
    assert (
        "The user name eva@umzugskunde.example is already taken at eu" in page
        and 'data-testid="retry"' in page
    )


def test_only_the_partners_global_admin_sees_the_dashboard(source: Source, make_user: Any) -> None:
    agent = make_user(source.partner.tenant, Role.ADMIN_AGENT)
    assert signed_in(agent).get("/csp/migration/").status_code == 403


def test_the_customer_and_the_trustee_see_what_left_the_boundary(source: Source, make_user: Any) -> None:
    admin = customer_admin(source.customer, make_user)
    services.consent_give(actor=principal_of(admin))
    nav = signed_in(admin).get("/admin-center/", follow=True).content.decode()
    assert 'data-testid="nav-move"' in nav
    trustee_tenant = source.partner.tenant.__class__.objects.create(
        domain="trustee.test.example",
        name="Trustee",
        kind="trustee",
        home_region="eu-west",
        country="DE",
        created_at=clock.now(),
    )
    officer = make_user(trustee_tenant, Role.TRUSTEE_OFFICER)
    for who in (officer, admin):
        page = signed_in(who).get("/access/").content.decode()
        assert 'data-testid="boundary"' in page and 'data-action="migration.consent"' in page


def test_the_boards_figures_count_every_move(source: Source, make_customer: Any, swap_instance: Any) -> None:
    from hanse.migration.selectors import progress

    swap_instance(accepts_new_customers=True)
    second = make_customer(source.partner, name="Zweiter Kunde")
    now = clock.now()
    for customer, state, counts in (
        (source.customer, State.CUT_OVER, {"user": 2}),
        (second, State.COPYING, {"user": 3}),
    ):
        CustomerMigration.objects.create(
            customer=customer,
            partner=source.partner.account,
            peer="eu",
            target_url="http://127.0.0.1:9",
            state=state,
            started_by="t",
            started_at=now,
            updated_at=now,
            frozen_at=now,
            counts=counts,
            target_counts=counts,
        )
    figures = progress(principal_of(source.admin), source.partner.account.id)
    assert figures.by_state == {"cut_over": 1, "copying": 1} and (
        figures.total,
        figures.done,
        figures.failed,
    ) == (2, 1, 0)
    assert (figures.objects_moved, figures.objects_verified) == (2, 2)
    page = signed_in(source.admin).get("/csp/migration/board").content.decode()
    assert "1 / 2" in page


def test_the_moved_customers_admin_reads_its_history_at_the_target(
    source: Source, make_user: Any, tmp_path: Any
) -> None:
    """What the source exports of the history (records, their proofs, its checkpoint and keys),
    kept as the target keeps it: the page says it verifies, and its download verifies offline."""
    import io
    import zipfile

    from hanse.access.principal import system_principal
    from hanse.audit.models import AuditHead
    from hanse.audit.offline import verify_export
    from hanse.migration.export import export_items
    from hanse.migration.models import ImportedAuditRecord
    from tests.audit import spec_verifier

    admin = customer_admin(source.customer, make_user)
    client = signed_in(admin)
    assert 'data-testid="nav-history"' not in client.get("/access/").content.decode()
    until = AuditHead.objects.get(id=1).seq
    exported = export_items(system_principal("test"), source.customer, audit_until=until)
    (checkpoint,) = [i for i in exported if i["kind"] == "checkpoint"]
    history = [i for i in exported if i["kind"] == "audit"]
    assert history and all(i["path"] for i in history)
    imp = arriving(source, source_checkpoint=checkpoint["note"], source_log_keys=checkpoint["keys"])
    import uuid

    for item in history:
        ImportedAuditRecord.objects.create(
            imported=imp,
            customer=source.customer,
            source_id=uuid.UUID(item["id"]),
            seq=item["seq"],
            at=clock.now(),
            actor=item["record"]["actor_upn"],
            action=item["record"]["action"],
            record=item["record"],
            hash=item["hash"],
            prev_hash=item["prev_hash"],
            path=item["path"],
        )
    assert 'data-testid="nav-history"' in client.get("/access/").content.decode()
    page = client.get("/csp/migration/history").content.decode()
    first = history[0]
    assert f'data-action="{first["record"]["action"]}"' in page and f">{first['seq']}<" in page
    assert 'data-testid="history-proof" data-verified="yes"' in page
    download = client.get("/csp/migration/history.zip")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(download.content)).extractall(tmp_path / "history")
    result = verify_export(tmp_path / "history")
    assert (result.scope, result.records, result.inclusion) == ("tenant", len(history), len(history))
    assert spec_verifier.verify_export(tmp_path / "history")["records"] == len(history)
    # A record changed at the target no longer verifies, and the page says so.
    ImportedAuditRecord.objects.filter(seq=first["seq"]).update(record={**first["record"], "action": "x"})
    page = client.get("/csp/migration/history").content.decode()
    assert 'data-verified="no"' in page and f"record #{first['seq']}" in page
    assert signed_in(source.admin).get("/csp/migration/history").status_code == 403
