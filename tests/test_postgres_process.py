"""Production shape: several web processes and a worker on one PostgreSQL database.

Skips with a reason when no PostgreSQL server is reachable; in CI (HANSE_REQUIRE_ALL=1) it fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import skip_or_fail
from tests.test_process import free_port, hanse

pytestmark = pytest.mark.process

SERVER = os.environ.get("HANSE_CI_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture(scope="module")
def pg_database():
    try:
        import psycopg

        admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=3)
    except Exception as e:  # no server, no auth: either way there is nothing to test against
        skip_or_fail(f"PostgreSQL is not reachable at {SERVER}: {e}")
    name = f"hanse_proc_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def wait_ready(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            if httpx.get(f"{base}/v1/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("server did not start")


def test_two_web_processes_share_one_postgres(pg_database, tmp_path: Path):
    cfg = tmp_path / "pg.toml"
    cfg.write_text(
        '[instance]\nid = "pg"\nname = "PG"\nkind = "public"\ndata_boundary = ["NL"]\n'
        '[[regions]]\nid = "eu-west"\nname = "Amsterdam"\ncountry = "NL"\n'
        f'[database]\nurl = "{pg_database}"\n'
    )
    assert hanse("init", "--config", str(cfg)).returncode == 0
    created = hanse(
        "user",
        "create",
        "--config",
        str(cfg),
        "--tenant",
        "pg-partner.example",
        "--upn",
        "admin@pg-partner.example",
        "--role",
        "global_admin",
        input="",
    )
    assert created.returncode == 0, created.stderr
    token = hanse("token", "issue", "--config", str(cfg), "--user", "admin@pg-partner.example").stdout.strip()

    env = {k: v for k, v in os.environ.items() if k not in ("HANSE_CONFIG", "DJANGO_SETTINGS_MODULE")}
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hanse",
                "serve",
                "--config",
                str(cfg),
                "--port",
                str(p),
                "--workers",
                "2",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    try:
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base, proc in zip(bases, procs, strict=True):
            wait_ready(base, proc)
        auth = {"Authorization": f"Bearer {token}"}
        for base in bases:
            assert httpx.get(f"{base}/v1/profiles/partner", headers=auth, timeout=10).status_code == 200
        # An idempotent POST retried against the other process returns the first result.
        headers = {**auth, "MS-RequestId": str(uuid.uuid4())}
        first = httpx.post(f"{bases[0]}/v1/tokens", json={"label": "pg"}, headers=headers, timeout=10)
        retry = httpx.post(f"{bases[1]}/v1/tokens", json={"label": "pg"}, headers=headers, timeout=10)
        assert first.status_code == retry.status_code == 201
        assert retry.json()["id"] == first.json()["id"] and retry.headers["MS-Idempotent-Replay"] == "true"
        listed = httpx.get(f"{bases[1]}/v1/tokens", headers=auth, timeout=10).json()
        assert listed["totalCount"] == 2  # the CLI token and the one POST, not three
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)
    worker = hanse("worker", "--config", str(cfg), "--batch")
    assert worker.returncode == 0, worker.stderr
    verify = hanse("audit", "verify", "--config", str(cfg))
    assert verify.returncode == 0 and "intact" in verify.stdout
