"""Real processes: ``hanse demo --seed-only``, then ``hanse serve`` and ``hanse worker``, called over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from hanse.access.roles import PARTNER_ROLES

pytestmark = pytest.mark.process


def hanse(*args: str, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("HANSE_CONFIG", "DJANGO_SETTINGS_MODULE")}
    return subprocess.run(
        [sys.executable, "-m", "hanse", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
        **kw,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("demo")
    result = hanse("demo", "--data-dir", str(data), "--seed-only", "--port-base", str(free_port()))
    assert result.returncode == 0, result.stderr
    return data


def test_demo_writes_configs_users_and_databases(demo):
    assert (demo / "de.toml").exists() and (demo / "eu.toml").exists()
    users = json.loads((demo / "demo-users.json").read_text())
    for instance in ("de", "eu"):
        mine = [u for u in users if u["instance"] == instance]
        roles = {r for u in mine for r in u["roles"]}
        assert {r.value for r in PARTNER_ROLES} <= roles, instance
        assert all(set(u) == {"instance", "kind", "tenant", "upn", "password", "roles"} for u in mine)
    assert any(u["instance"] == "de" and "trustee_officer" in u["roles"] for u in users)
    eu_partners = {u["tenant"] for u in users if u["instance"] == "eu" and u["kind"] == "partner"}
    assert len(eu_partners) >= 2
    de_text = (demo / "de.toml").read_text()
    assert 'kind = "sovereign"' in de_text and "accepts_new_customers = false" in de_text


def test_demo_rerun_reuses_the_directory(demo):
    before = (demo / "demo-users.json").read_text()
    result = hanse("demo", "--data-dir", str(demo), "--seed-only")
    assert result.returncode == 0, result.stderr
    assert (demo / "demo-users.json").read_text() == before


def test_init_is_idempotent(demo):
    for _ in range(2):
        result = hanse("init", "--config", str(demo / "eu.toml"))
        assert result.returncode == 0 and "database ready" in result.stdout


def test_serve_answers_the_api_with_a_cli_token(demo):
    users = json.loads((demo / "demo-users.json").read_text())
    admin = next(u for u in users if u["instance"] == "eu" and "global_admin" in u["roles"])
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("HANSE_CONFIG", "DJANGO_SETTINGS_MODULE")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hanse",
            "serve",
            "--config",
            str(demo / "eu.toml"),
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/v1/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.3)
        issued = hanse("token", "issue", "--config", str(demo / "eu.toml"), "--user", admin["upn"])
        assert issued.returncode == 0, issued.stderr
        headers = {"Authorization": f"Bearer {issued.stdout.strip()}", "MS-CorrelationId": "proc-test"}
        profile = httpx.get(f"{base}/v1/profiles/partner", headers=headers, timeout=10)
        assert profile.status_code == 200
        assert profile.json()["domain"] == admin["tenant"] and profile.json()["state"] == "active"
        assert profile.headers["MS-CorrelationId"] == "proc-test"
        audit_response = httpx.get(f"{base}/v1/auditrecords?size=5", headers=headers, timeout=10)
        assert audit_response.status_code == 200, audit_response.text
        audit = audit_response.json()
        assert audit["totalCount"] > 5 and len(audit["items"]) == 5 and "next" in audit["links"]
        # Request lines past gunicorn's default 4094 bytes reach the API, which answers in JSON.
        for size in (5000, 9000, 60000):
            long = httpx.get(f"{base}/v1/customers?filter={'x' * size}", headers=headers, timeout=10)
            assert long.headers["content-type"] == "application/json", (size, long.text[:200])
            assert long.json()["source"] == "hanse"
            assert (long.status_code, long.json()["code"]) == ((400, 1001) if size < 8190 else (414, 1414))
        # A Graph-shaped error from a view is re-rendered after it was measured: the length sent
        # is the new body's, or a client would read it cut short.
        graph_404 = httpx.get(f"{base}/admin-center/api/v1.0/customers/{uuid.uuid4()}/users", headers=headers)
        assert graph_404.status_code == 404
        assert int(graph_404.headers["content-length"]) == len(graph_404.content)
        assert graph_404.json()["error"]["code"] == "Request_ResourceNotFound"
        nobody = httpx.get(f"{base}/v1/profiles/partner", timeout=10)
        assert nobody.status_code == 401 and nobody.json()["source"] == "hanse"
        signin = httpx.get(f"{base}/signin", timeout=10)
        assert signin.status_code == 200 and "hanse_eu_csrftoken" in signin.headers.get("set-cookie", "")
        css = httpx.get(f"{base}/static/hanse/hanse.css", timeout=10)
        assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    verify = hanse("audit", "verify", "--config", str(demo / "eu.toml"))
    assert verify.returncode == 0 and "intact" in verify.stdout


def test_worker_runs_the_queue_and_exits_in_batch_mode(demo):
    result = hanse("worker", "--config", str(demo / "de.toml"), "--batch")
    assert result.returncode == 0, result.stderr


def test_serve_refuses_an_uninitialised_database(tmp_path):
    cfg = tmp_path / "fresh.toml"
    cfg.write_text(
        '[instance]\nid = "fresh"\nname = "F"\nkind = "public"\ndata_boundary = ["NL"]\n'
        '[[regions]]\nid = "eu-west"\nname = "Amsterdam"\ncountry = "NL"\n'
    )
    result = hanse("serve", "--config", str(cfg), "--port", str(free_port()))
    assert result.returncode == 1 and "hanse init" in result.stderr
