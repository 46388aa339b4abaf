"""Large CSV imports run as a job: 202 and a job to follow, row by row, each row once."""

from __future__ import annotations

import pytest

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.directory.customer_users import INLINE_ROWS, user_import_run
from hanse.directory.models import User, UserImport
from tests.api.test_conventions import assert_error

ROWS = INLINE_ROWS + 5


def csv_of(n: int, domain: str = "gross.example") -> bytes:
    lines = ["userPrincipalName,displayName,usageLocation"]
    lines += [f"u{i:03d}@{domain},User {i},DE" for i in range(n)]
    lines.append("bad@elsewhere.example,Elsewhere,DE")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def customer(partner, make_customer):
    return make_customer(partner, domain="gross.example")


@pytest.fixture
def agent(partner, make_user, api_for):
    return api_for(make_user(partner.tenant, Role.ADMIN_AGENT))


@pytest.mark.parametrize("base", ["/v1", "/admin-center/api/v1.0"])
def test_a_large_import_is_a_job_whose_report_gives_each_password_once(
    agent, customer, base, django_capture_on_commit_callbacks
):
    url = f"{base}/customers/{customer.id}/users/import"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        r = agent.post(url, data=csv_of(ROWS), content_type="text/csv")
    assert r.status_code == 202, r.content
    job = r.json()
    assert (job["status"], job["totalRows"], job["processedRows"]) == ("queued", ROWS + 1, 0)
    assert r["Location"] == f"{base}/customers/{customer.id}/users/imports/{job['id']}"
    assert len(queued) == 1  # the worker's job, enqueued once the import is committed
    assert User.objects.filter(tenant=customer.tenant).count() == 1  # only the admin so far
    queued_read = agent.get(r["Location"]).json()
    assert queued_read["status"] == "queued" and queued_read["created"] == []

    user_import_run(UserImport.objects.get().id)  # what the worker does

    done = agent.get(r["Location"])
    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    report = done.json()
    assert (report["status"], report["processedRows"]) == ("done", ROWS + 1)
    assert len(report["created"]) == ROWS and [x["userPrincipalName"] for x in report["refused"]] == [
        "bad@elsewhere.example"
    ]
    assert "elsewhere.example" in report["refused"][0]["reason"]
    for row in report["created"]:
        assert User.objects.get(upn=row["userPrincipalName"]).check_password(row["password"])
    again = agent.get(r["Location"]).json()
    assert {row["password"] for row in again["created"]} == {None}  # shown once
    assert AuditRecord.objects.filter(action="user.create", tenant_id=customer.tenant_id).count() == ROWS + 1


def test_a_job_resumes_where_its_worker_died_creating_no_row_twice(agent, customer):
    r = agent.post(f"/v1/customers/{customer.id}/users/import", data=csv_of(ROWS), content_type="text/csv")
    job = UserImport.objects.get(id=r.json()["id"])
    # A worker that stopped after row 10: those rows and the job's progress committed together.
    rows, job.rows = job.rows, job.rows[:10]
    user_import_run(job.id)
    UserImport.objects.filter(id=job.id).update(rows=rows, status=UserImport.Status.RUNNING, finished_at=None)
    user_import_run(job.id)
    user_import_run(job.id)  # run once more, as a retried task would: nothing changes
    job.refresh_from_db()
    assert job.next_row == ROWS + 1 and len(job.created) == ROWS and len(job.refused) == 1
    assert sorted(upn for _line, upn, _pw in job.created) == sorted(
        f"u{i:03d}@gross.example" for i in range(ROWS)
    )
    assert User.objects.filter(tenant=customer.tenant).count() == ROWS + 1


def test_another_partners_import_is_not_found(
    agent, customer, partner, make_partner, make_user, make_customer, api_for
):
    r = agent.post(f"/v1/customers/{customer.id}/users/import", data=csv_of(ROWS), content_type="text/csv")
    stranger = api_for(make_user(make_partner().tenant, Role.ADMIN_AGENT))
    assert_error(stranger.get(f"/v1/customers/{customer.id}/users/imports/{r.json()['id']}"), 404, 6001)
    other = make_customer(partner, domain="andere.example")
    assert_error(agent.get(f"/v1/customers/{other.id}/users/imports/{r.json()['id']}"), 404, 2031)


def test_the_admin_center_page_follows_the_job(partner, make_user, customer, swap_instance):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.customers.web import signed_in

    swap_instance(mfa_required_roles=())  # MFA at sign-in is tested elsewhere
    browser = signed_in(make_user(partner.tenant, Role.ADMIN_AGENT))
    upload = SimpleUploadedFile("users.csv", csv_of(ROWS), content_type="text/csv")
    r = browser.post(f"/admin-center/customers/{customer.id}/users/import", {"file": upload})
    assert r.status_code == 302 and "/imports/" in r.url, r.url
    job = UserImport.objects.get()
    assert r.status_code == 302 and r.url == f"/admin-center/customers/{customer.id}/users/imports/{job.id}"
    running = browser.get(r.url).content.decode()
    assert 'http-equiv="refresh"' in running and "0 of 26 rows so far" in running
    user_import_run(job.id)
    done = browser.get(r.url).content.decode()
    assert 'http-equiv="refresh"' not in done and done.count('data-testid="temp-password"') == ROWS
    assert browser.get(r.url).content.decode().count('data-testid="temp-password"') == 0
