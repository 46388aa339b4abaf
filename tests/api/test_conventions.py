"""API-wide conventions (docs/architecture.md §10): error body, locale, correlation, idempotency,
rate limit, bodies, OpenAPI."""

from __future__ import annotations

import json

import pytest

from hanse import clock
from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.directory.models import ApiToken
from hanse.directory.services import token_issue, token_revoke
from tests.conftest import SYSTEM, ApiClient

ERROR_KEYS = {"code", "description", "data", "source"}


def assert_error(response, status: int, code: int | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS and body["source"] == "hanse"
    assert isinstance(body["code"], int) and body["description"]
    if code is not None:
        assert body["code"] == code
    return body


def test_no_token_is_401_with_error_body(db):
    r = ApiClient().get("/v1/profiles/partner")
    assert_error(r, 401, 1401)
    assert r["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", ["nonsense", "hns_forged", "Bearer", ""])
def test_bad_tokens_are_401(db, token):
    assert_error(ApiClient(token or None).get("/v1/profiles/partner"), 401)


def test_expired_and_revoked_tokens_are_401(admin, settings, monkeypatch):
    issued = token_issue(actor=SYSTEM, user=admin, ttl_seconds=60)
    client = ApiClient(issued.token)
    assert client.get("/v1/profiles/partner").status_code == 200  # verified, and kept by the process
    expiry = issued.record.expires_at
    monkeypatch.setattr(clock, "now", lambda: expiry)
    assert_error(client.get("/v1/profiles/partner"), 401)
    monkeypatch.undo()
    fresh = token_issue(actor=SYSTEM, user=admin, ttl_seconds=60)
    token_revoke(actor=SYSTEM, token_id=fresh.record.id)
    assert_error(ApiClient(fresh.token).get("/v1/profiles/partner"), 401)


def test_revoking_a_token_revokes_every_token_minted_with_it(admin):
    parent = token_issue(actor=SYSTEM, user=admin, ttl_seconds=3600)
    child = ApiClient(parent.token).post_json("/v1/tokens", {"label": "child"}).json()
    grandchild = ApiClient(child["token"]).post_json("/v1/tokens", {"label": "grandchild"}).json()
    sibling = token_issue(actor=SYSTEM, user=admin, ttl_seconds=3600)  # minted by nobody
    for token in (child["token"], grandchild["token"], sibling.token):
        assert ApiClient(token).get("/v1/profiles/partner").status_code == 200
    assert ApiClient(sibling.token).delete(f"/v1/tokens/{parent.record.id}").status_code == 204
    for token in (parent.token, child["token"], grandchild["token"]):
        assert_error(ApiClient(token).get("/v1/profiles/partner"), 401)
    assert ApiClient(sibling.token).get("/v1/profiles/partner").status_code == 200
    revoked = AuditRecord.objects.filter(action="token.revoke").values_list("target_id", flat=True)
    assert sorted(revoked) == sorted([str(parent.record.id), child["id"], grandchild["id"]])


def test_inactive_user_token_is_401(admin, api_for):
    client = api_for(admin)
    admin.is_active = False
    admin.save(update_fields=["is_active"])
    assert_error(client.get("/v1/profiles/partner"), 401)


def test_unknown_path_and_method(admin, api_for):
    client = api_for(admin)
    assert_error(client.get("/v1/does-not-exist"), 404, 1004)
    assert_error(client.put("/v1/profiles/partner"), 405, 1005)


def test_validation_error_names_the_field(admin, api_for):
    body = assert_error(api_for(admin).get("/v1/auditrecords?size=0"), 400, 1001)
    assert body["data"][0]["field"] == "query.size"


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b'{"ttlSeconds": "many"}',
        b'{"ttlSeconds": 5}',
        b'{"label": "' + b"x" * 500 + b'"}',
        b"[]",
    ],
)
def test_bad_bodies_are_4xx_and_change_nothing(admin, api_for, payload):
    client = api_for(admin)
    before = ApiToken.objects.count()
    r = client.post("/v1/tokens", data=payload, content_type="application/json")
    assert 400 <= r.status_code < 500
    assert_error(r, r.status_code)
    assert ApiToken.objects.count() == before


def test_malformed_json_has_its_own_code(admin, api_for):
    assert_error(api_for(admin).post("/v1/tokens", data=b"{oops", content_type="application/json"), 400, 1002)


@pytest.mark.parametrize("path", ["/v1/tokens", "/admin-center/api/v1.0/partner/users"])
def test_deeply_nested_json_is_a_400_not_a_500(admin, api_for, path):
    client = api_for(admin)
    before = (ApiToken.objects.count(), AuditRecord.objects.count())
    for depth in (5000, 33):  # Python's parser gives up on the first; the second parses
        body = b'{"label": ' + b"[" * depth + b"]" * depth + b"}"
        r = client.post(path, data=body, content_type="application/json")
        assert r.status_code == 400, (depth, r.content)
        text = json.dumps(r.json())
        assert "1006" in text and "32 levels" in text
    assert (ApiToken.objects.count(), AuditRecord.objects.count()) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_json_by_its_type_is_415(admin, api_for, content_type):
    client = api_for(admin)
    r = client.generic("POST", "/v1/tokens", b'{"label": "x"}', content_type=content_type)
    assert_error(r, 415, 1415)
    assert not ApiToken.objects.filter(label="x").exists()
    ok = client.post("/v1/tokens", data=b'{"label": "x"}', content_type="application/json; charset=utf-8")
    assert ok.status_code == 201


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/tokens", {"ttlSeconds": "3600"}, "ttlSeconds"),
        ("/v1/tokens", {"ttlSeconds": True}, "ttlSeconds"),
        ("/v1/tokens", {"ttlSeconds": 3600.5}, "ttlSeconds"),
        ("/v1/tokens", {"label": 7}, "label"),
    ],
)
def test_values_have_their_json_type(admin, api_for, path, body, field):
    r = api_for(admin).post_json(path, body)
    refused = assert_error(r, 400, 1001)
    assert refused["data"][0]["field"] == field
    assert ApiToken.objects.filter(user=admin).count() == 1  # only the client's own


def test_bodies_over_the_limit_get_the_json_error_before_they_are_read(admin, api_for, settings):
    client = api_for(admin)
    big = b'{"label": "' + b"x" * (settings.MAX_REQUEST_BODY + 10) + b'"}'
    body = assert_error(client.post("/v1/tokens", data=big, content_type="application/json"), 413, 1413)
    assert str(settings.MAX_REQUEST_BODY) in body["description"]
    graph = client.post("/admin-center/api/v1.0/partner/users", data=big, content_type="application/json")
    assert graph.status_code == 413 and graph.json()["error"]["innerError"]["hanseCode"] == 1413


def test_a_large_upload_to_the_web_is_refused_before_it_is_read(client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    huge = SimpleUploadedFile("big.bin", b"\0" * (settings.MAX_REQUEST_BODY + 1))
    r = client.post("/signin", {"username": "a@b.example", "password": "x", "file": huge})
    assert r.status_code == 413 and b"at most 2 MB" in r.content


def test_x_locale_translates_error_descriptions(db):
    en = ApiClient().get("/v1/profiles/partner").json()["description"]
    de = ApiClient(**{"X-Locale": "de-DE"}).get("/v1/profiles/partner")
    fr = ApiClient(**{"X-Locale": "fr-FR"}).get("/v1/profiles/partner")
    assert de["Content-Language"] == "de"
    assert de.json()["description"] != en and fr.json()["description"] != en
    assert de.json()["code"] == fr.json()["code"] == 1401


def test_correlation_id_is_echoed_or_minted(admin, api_for):
    r = api_for(admin, **{"MS-CorrelationId": "c0ffee-42"}).get("/v1/profiles/partner")
    assert r["MS-CorrelationId"] == "c0ffee-42"
    minted = api_for(admin).get("/v1/profiles/partner")["MS-CorrelationId"]
    assert len(minted) == 36


def test_correlation_and_request_ids_reach_the_audit_log(admin, api_for):
    from hanse.audit.models import AuditRecord

    client = api_for(admin, **{"MS-CorrelationId": "corr-1", "MS-RequestId": "req-1"})
    created = client.post_json("/v1/tokens", {"label": "ci"}).json()
    rec = AuditRecord.objects.get(action="token.issue", target_id=created["id"])
    assert (rec.correlation_id, rec.request_id) == ("corr-1", "req-1")


def test_ms_request_id_makes_post_idempotent(admin, api_for):
    client = api_for(admin, **{"MS-RequestId": "7d0d7c1e-retry"})
    first = client.post_json("/v1/tokens", {"label": "deploy"})
    assert first.status_code == 201
    count = ApiToken.objects.count()
    retry = client.post_json("/v1/tokens", {"label": "deploy"})
    assert retry.status_code == 201
    assert retry["MS-Idempotent-Replay"] == "true"
    # The first result, minus its secret: replays are stored, and a token's secret never is.
    assert retry.json() == {**first.json(), "token": None}
    from hanse.api.models import IdempotentRequest

    assert first.json()["token"].encode() not in bytes(IdempotentRequest.objects.get().body)
    assert ApiToken.objects.count() == count
    other = api_for(admin, **{"MS-RequestId": "another"}).post_json("/v1/tokens", {"label": "deploy"})
    assert other.json()["id"] != first.json()["id"]


def test_request_id_reused_on_another_path_is_refused(admin, api_for):
    client = api_for(admin, **{"MS-RequestId": "same"})
    assert client.post_json("/v1/tokens", {}).status_code == 201
    assert_error(client.post_json("/v1/profiles/partner", {}), 422, 1031)


def test_idempotency_is_per_caller(make_partner, make_user, api_for):
    """Another partner, or another user of the same partner, never receives someone else's result."""
    a, b = make_partner(), make_partner()
    ua, ub = make_user(a.tenant, Role.GLOBAL_ADMIN), make_user(b.tenant, Role.GLOBAL_ADMIN)
    colleague = make_user(a.tenant, Role.GLOBAL_ADMIN)
    rc = api_for(colleague, **{"MS-RequestId": "shared-id"}).post_json("/v1/tokens", {})
    ra = api_for(ua, **{"MS-RequestId": "shared-id"}).post_json("/v1/tokens", {})
    rb = api_for(ub, **{"MS-RequestId": "shared-id"}).post_json("/v1/tokens", {})
    assert ra.status_code == rb.status_code == rc.status_code == 201
    assert len({ra.json()["id"], rb.json()["id"], rc.json()["id"]}) == 3


def test_rate_limit_per_partner_tenant(make_partner, make_user, api_for, swap_instance):
    swap_instance(rate_limit_per_minute=3)
    a, b = make_partner(), make_partner()
    client_a = api_for(make_user(a.tenant, Role.GLOBAL_ADMIN))
    for _ in range(3):
        assert client_a.get("/v1/profiles/partner").status_code == 200
    limited = client_a.get("/v1/profiles/partner")
    body = assert_error(limited, 429, 1029)
    assert 1 <= int(limited["Retry-After"]) <= 60 and "3" in body["description"]
    # Another partner's budget is its own.
    assert api_for(make_user(b.tenant, Role.GLOBAL_ADMIN)).get("/v1/profiles/partner").status_code == 200


def test_a_read_writes_nothing_to_the_database(admin, api_for):
    """Rate counting and bearer checks do not turn a GET into a write on the primary database,
    where, on SQLite, it would wait for the one write lock."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_for(admin)
    client.get("/v1/profiles/partner")  # the token's first use may record it
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert client.get("/v1/profiles/partner").status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_openapi_and_docs(db):
    client = ApiClient()
    schema = client.get("/v1/openapi.json")
    assert schema.status_code == 200
    doc = schema.json()
    assert doc["openapi"].startswith("3.1")
    assert {"/v1/profiles/partner", "/v1/auditrecords", "/v1/tokens"} <= set(doc["paths"])
    docs = client.get("/v1/docs")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_audit_records_paging_visits_each_once_while_rows_are_added(admin, api_for, make_tenant):
    client = api_for(admin)
    for i in range(7):
        make_tenant("customer", f"page{i}.example")  # partner-less records: not in the admin's scope
    from hanse.directory.services import token_issue as issue

    for _ in range(5):
        issue(actor=SYSTEM, user=admin, ttl_seconds=60)
    seen: list[int] = []
    url, headers = "/v1/auditrecords?size=2", {}
    while True:
        page = client.get(url, headers=headers).json()
        seen += [item["sequence"] for item in page["items"]]
        if len(seen) == 2:
            issue(actor=SYSTEM, user=admin, ttl_seconds=60)  # a row added mid-walk is still reached once
        nxt = page["links"].get("next")
        if not nxt:
            break
        url = nxt["uri"]
        headers = {h["key"]: h["value"] for h in nxt["headers"]}
    assert seen == sorted(set(seen))
    from hanse.audit.models import AuditRecord

    assert len(seen) == AuditRecord.objects.filter(partner_id=admin.tenant.partner_account.id).count()


def test_forged_continuation_token_is_400(admin, api_for):
    r = api_for(admin).get("/v1/auditrecords", headers={"MS-ContinuationToken": "forged"})
    assert_error(r, 400, 1010)


def test_tokens_list_and_revoke(admin, api_for):
    client = api_for(admin)
    capped = client.post_json("/v1/tokens", {"ttlSeconds": 7200}).json()
    caller = ApiToken.objects.exclude(id=capped["id"]).get(user=admin)
    issued = ApiToken.objects.get(id=capped["id"])
    assert issued.expires_at <= caller.expires_at  # never outlives the calling credential
    created = client.post_json("/v1/tokens", {"label": "x", "ttlSeconds": 120}).json()
    assert created["token"].startswith("hns_")
    listed = client.get("/v1/tokens").json()
    assert created["id"] in {t["id"] for t in listed["items"]}
    assert all(t["token"] is None for t in listed["items"])
    assert client.delete(f"/v1/tokens/{created['id']}").status_code == 204
    assert_error(ApiClient(created["token"]).get("/v1/profiles/partner"), 401)
    assert json.loads(client.get("/v1/tokens").content)["totalCount"] == 3


def test_unnamed_query_parameter_is_400(admin, api_for):
    assert_error(api_for(admin).get("/v1/auditrecords?=false"), 400, 1001)


@pytest.mark.parametrize(
    "query",
    [
        "startDate=0261-02-16T11:24:54-21:03",
        "endDate=0001-01-01T00:00:00%2B01:00",
        "startDate=0.5",
        "startDate=2026-13-01T00:00:00Z",
        "startDate=",
    ],
)
def test_odd_dates_are_400_or_normalised_never_500(admin, api_for, query):
    r = api_for(admin).get(f"/v1/auditrecords?{query}")
    assert r.status_code in (200, 400), r.content


def test_unknown_query_parameter_is_400(admin, api_for):
    body = assert_error(api_for(admin).get("/v1/auditrecords?sise=10"), 400, 1001)
    assert body["data"] == [{"field": "query.sise", "message": "unknown parameter"}]
    assert api_for(admin).get("/v1/auditrecords?size=10").status_code == 200
    german = assert_error(api_for(admin, **{"X-Locale": "de"}).get("/v1/auditrecords?sise=10"), 400, 1001)
    assert german["data"] == [{"field": "query.sise", "message": "unbekannter Parameter"}]
    bad_date = api_for(admin, **{"X-Locale": "fr"}).get("/v1/auditrecords?startDate=yesterday")
    assert (
        assert_error(bad_date, 400, 1001)["data"][0]["message"]
        == "doit être une date et une heure (RFC 3339)"
    )


@pytest.mark.django_db(transaction=True)
def test_a_database_locked_past_its_timeout_is_503_with_retry_after_not_500(admin, api_for, client):
    """A real lock, held by another connection while the request needs it: SQLite's write lock,
    or on PostgreSQL a lock on the users table, with a short lock timeout for the test."""
    from django.db import connection

    api = api_for(admin)
    before = ApiToken.objects.count()
    cfg = connection.settings_dict
    if connection.vendor == "sqlite":
        import sqlite3

        holder = sqlite3.connect(cfg["NAME"], timeout=1, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        wait, restore = "PRAGMA busy_timeout = 200", "PRAGMA busy_timeout = 30000"
    else:
        import psycopg

        holder = psycopg.connect(
            dbname=cfg["NAME"], user=cfg["USER"], password=cfg["PASSWORD"], host=cfg["HOST"], port=cfg["PORT"]
        )
        holder.execute("LOCK TABLE directory_user IN ACCESS EXCLUSIVE MODE")
        wait, restore = "SET lock_timeout = '200ms'", "SET lock_timeout = 0"
    with connection.cursor() as cursor:
        cursor.execute(wait)  # rather than the production timeout, for the test
    try:
        r = api.post_json("/v1/tokens", {"label": "busy"})
        body = assert_error(r, 503, 1503)
        assert r["Retry-After"] == "2" and "Retry in 2 seconds" in body["description"]
        page = client.post("/signin", {"username": admin.upn, "password": "x" * 12})
        assert page.status_code == 503 and page["Retry-After"] == "2"
    finally:
        holder.rollback() if connection.vendor != "sqlite" else holder.execute("ROLLBACK")
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute(restore)
    assert ApiToken.objects.count() == before
