"""Real processes: ``hanse demo --seed-only``, then ``hanse serve`` and ``hanse worker``, called over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from hanse.access.roles import PARTNER_ROLES
from tests.procs import alive, descendants

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


def test_the_demo_has_months_of_issued_invoices_that_a_rerun_leaves_alone(demo):
    today = datetime.now(UTC).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    for instance, partner in (("de", "contoso-de.example"), ("eu", "fabrikam-eu.example")):
        with sqlite3.connect(demo / f"{instance}.sqlite3") as db:
            rows = db.execute(
                "SELECT i.number, i.period_start, i.invoice_date, i.buyer FROM billing_invoice i"
                " JOIN partners_partneraccount a ON a.id = i.partner_id"
                " JOIN directory_tenant t ON t.id = a.tenant_id WHERE t.domain = ? ORDER BY i.number",
                (partner,),
            ).fetchall()
        months = sorted({start[:7] for _, start, _, _ in rows})
        assert len(months) >= 2 and months[-1] == last_month, (instance, months)
        assert all(issued > start for _, start, issued, _ in rows)  # issued after its month
        assert json.loads(rows[-1][3])["address"], "the partner's billing profile addresses it"
        rerun = hanse(
            "billing", "run", "--config", str(demo / f"{instance}.toml"), "--period", last_month, "--json"
        )
        assert rerun.returncode == 0, rerun.stderr
        out = json.loads(rerun.stdout)
        assert out["issued"] == 0 and out["alreadyIssued"] >= 1, out
    with sqlite3.connect(demo / "de.sqlite3") as db:
        numbers = [n.split("-") for (n,) in db.execute("SELECT number FROM billing_invoice ORDER BY number")]
    for year in {y for _, y, _ in numbers}:
        seqs = [int(seq) for de, y, seq in numbers if y == year and de == "de"]
        assert seqs == list(range(1, len(seqs) + 1)), f"gapless in {year}"


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


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_demo_stops_every_child_and_each_server_has_its_own_control_socket(demo, tmp_path, stop):
    from tests.test_postgres_process import wait_ready

    if not Path("/proc/self/stat").exists():
        pytest.skip("reads the process tree from /proc (Linux)")
    base = free_port()
    home = tmp_path / "home"  # where gunicorn's shared default socket would go
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("HANSE_CONFIG", "DJANGO_SETTINGS_MODULE")}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(home))
    children: set[int] = set()
    run = subprocess.Popen(
        [sys.executable, "-m", "hanse", "demo", "--data-dir", str(demo), "--port-base", str(base)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for port in (base, base + 1):
            wait_ready(f"http://127.0.0.1:{port}", run)
        sockets = sorted(str(p.relative_to(demo)) for p in demo.glob("*-data/gunicorn-*.ctl"))
        assert sockets == [f"de-data/gunicorn-{base}.ctl", f"eu-data/gunicorn-{base + 1}.ctl"]
        assert not any(home.rglob("*.ctl"))
        children = descendants(run.pid)
        assert len(children) >= 4  # two servers (with their workers) and two workers
        run.send_signal(stop)  # to the demo alone, as a service manager or `kill` sends it
        assert run.wait(timeout=60) == 0
        deadline = time.monotonic() + 20
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in children if alive(pid)] == []
        assert not list(demo.glob("*-data/gunicorn-*.ctl"))  # each server removed its own socket
    finally:
        # Whatever failed above, leave no server behind.
        for pid in children | descendants(run.pid) | ({run.pid} if run.poll() is None else set()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_the_rate_limit_holds_across_web_processes(demo):
    """Each request on its own connection, so gunicorn's three workers share them; the limit is
    the instance's, not each process's."""
    from tests.test_postgres_process import wait_ready

    limited = demo / "eu-limited.toml"
    limited.write_text((demo / "eu.toml").read_text() + "\n[api]\nrate_limit_per_minute = 12\n")
    users = json.loads((demo / "demo-users.json").read_text())
    admin = next(u for u in users if u["instance"] == "eu" and "global_admin" in u["roles"])
    for counts in (demo / "eu-data").glob("ratelimit.counters"):
        counts.unlink()  # earlier tests' calls by the same partner this minute
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("HANSE_CONFIG", "DJANGO_SETTINGS_MODULE")}
    cmd = ["serve", "--config", str(limited), "--port", str(port), "--workers", "3"]
    server = subprocess.Popen([sys.executable, "-m", "hanse", *cmd], env=env, stdout=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, server)
        issued = hanse("token", "issue", "--config", str(limited), "--user", admin["upn"])
        assert issued.returncode == 0, issued.stderr
        headers = {"Authorization": f"Bearer {issued.stdout.strip()}"}
        if time.gmtime().tm_sec >= 50:  # keep the 20 calls inside one counting minute
            time.sleep(61 - time.gmtime().tm_sec)
        statuses = [
            httpx.get(f"{base}/v1/profiles/partner", headers=headers, timeout=10).status_code
            for _ in range(20)
        ]
        assert statuses == [200] * 12 + [429] * 8
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_acknowledged_writes_survive_kill_9_exactly_once(demo):
    """Fault injection: a write load on a real server, kill -9 of every server process mid-load,
    a restart, and a retry (same MS-RequestId, same body) of everything. Every acknowledged write
    exists once with its acknowledged id, every other exists once after its retry, no claim is
    left in progress, and the audit chain verifies."""
    import sqlite3
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from tests.test_postgres_process import wait_ready

    users = json.loads((demo / "demo-users.json").read_text())
    admin = next(u for u in users if u["instance"] == "eu" and "global_admin" in u["roles"])
    config = str(demo / "eu.toml")
    env = {k: v for k, v in os.environ.items() if k not in ("HANSE_CONFIG", "DJANGO_SETTINGS_MODULE")}
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def start() -> subprocess.Popen:
        cmd = [
            sys.executable,
            "-m",
            "hanse",
            "serve",
            "--config",
            config,
            "--port",
            str(port),
            "--workers",
            "2",
        ]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        wait_ready(base, proc)
        return proc

    server = start()
    issued = hanse("token", "issue", "--config", config, "--user", admin["upn"], "--ttl", "3600")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    run = uuid.uuid4().hex[:8]

    def request(i: int) -> tuple[dict, dict]:
        headers = {"Authorization": f"Bearer {token}", "MS-RequestId": f"crash-{run}-{i}"}
        body = {
            "companyProfile": {"domain": f"crash-{run}-{i}.example"},
            "billingProfile": {
                "firstName": "Kim",
                "lastName": "Kill",
                "email": f"kim@crash-{run}-{i}.example",
                "companyName": f"Crash {i}",
                "defaultAddress": {
                    "country": "AT",
                    "city": "Wien",
                    "postalCode": "1010",
                    "addressLine1": "Ring 1",
                },
            },
        }
        return headers, body

    n = 40
    acknowledged: dict[int, str] = {}
    lock = threading.Lock()

    def send(i: int) -> None:
        headers, body = request(i)
        try:
            r = httpx.post(f"{base}/v1/customers", headers=headers, json=body, timeout=30)
        except httpx.TransportError:
            return  # no answer: the server died under it
        if r.status_code == 201:
            with lock:
                acknowledged[i] = r.json()["id"]

    try:
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(send, i) for i in range(n)]
            while len(acknowledged) < 8 and not all(f.done() for f in futures):
                time.sleep(0.05)
            os.killpg(server.pid, signal.SIGKILL)  # the master and its workers, mid-load
            server.wait(timeout=10)
        assert 8 <= len(acknowledged) < n, len(acknowledged)  # it died with writes unanswered

        server = start()
        final: dict[int, str] = {}
        for i in range(n):
            headers, body = request(i)
            r = httpx.post(f"{base}/v1/customers", headers=headers, json=body, timeout=30)
            assert r.status_code == 201, (i, r.status_code, r.text)
            final[i] = r.json()["id"]
            if i in acknowledged:  # a replay of what was acknowledged, never a second customer
                assert r.headers.get("MS-Idempotent-Replay") == "true" and final[i] == acknowledged[i]
        assert len(set(final.values())) == n
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)

    with sqlite3.connect(demo / "eu.sqlite3") as db:
        domains = [
            d
            for (d,) in db.execute(
                "SELECT domain FROM directory_tenant WHERE domain LIKE ?", (f"crash-{run}-%",)
            )
        ]
        assert sorted(domains) == sorted(f"crash-{run}-{i}.example" for i in range(n))  # each exactly once
        stuck = db.execute("SELECT count(*) FROM api_idempotentrequest WHERE status = 0").fetchone()[0]
        assert stuck == 0
    verified = hanse("audit", "verify", "--config", config)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_an_import_job_survives_kill_9_of_its_worker(demo):
    """A large import runs in `hanse worker`; kill -9 of the worker mid-import and a new worker
    finish it: every row done exactly once, each created user's password in the report."""
    from tests.test_postgres_process import wait_ready

    users = json.loads((demo / "demo-users.json").read_text())
    admin = next(u for u in users if u["instance"] == "eu" and "global_admin" in u["roles"])
    config = str(demo / "eu.toml")
    env = {k: v for k, v in os.environ.items() if k not in ("HANSE_CONFIG", "DJANGO_SETTINGS_MODULE")}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "hanse", "serve", "--config", config, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )

    def worker() -> subprocess.Popen:
        cmd = [sys.executable, "-m", "hanse", "worker", "--config", config, "--interval", "0.2"]
        return subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )

    running = worker()
    try:
        wait_ready(base, server)
        issued = hanse("token", "issue", "--config", config, "--user", admin["upn"])
        headers = {"Authorization": f"Bearer {issued.stdout.strip()}"}
        customer = httpx.get(f"{base}/v1/customers?size=1", headers=headers, timeout=10).json()["items"][0]
        domain = customer["companyProfile"]["domain"]
        run = uuid.uuid4().hex[:6]
        n = 120
        csv = "userPrincipalName,displayName\n" + "".join(f"imp{run}{i}@{domain},Row {i}\n" for i in range(n))
        posted = httpx.post(
            f"{base}/v1/customers/{customer['id']}/users/import",
            headers={**headers, "Content-Type": "text/csv"},
            content=csv.encode(),
            timeout=30,
        )
        assert posted.status_code == 202, posted.text
        progress_url = base + posted.headers["Location"]

        def progress() -> dict:
            # Read without taking the passwords: only while the job runs.
            return httpx.get(progress_url, headers=headers, timeout=10).json()

        deadline = time.monotonic() + 120
        while progress()["processedRows"] < 15:
            assert time.monotonic() < deadline and running.poll() is None, "the worker did not start"
            time.sleep(0.2)
        os.killpg(running.pid, signal.SIGKILL)
        running.wait(timeout=10)
        stopped = progress()
        assert stopped["status"] != "done" and 15 <= stopped["processedRows"] < n
        time.sleep(1)
        assert progress()["processedRows"] == stopped["processedRows"]  # nothing runs it now

        running = worker()
        while (report := progress())["status"] != "done":
            assert time.monotonic() < deadline and running.poll() is None, "the import did not finish"
            time.sleep(0.3)
        assert report["processedRows"] == n and report["refused"] == []
        created = {row["userPrincipalName"]: row["password"] for row in report["created"]}
        assert sorted(created) == sorted(f"imp{run}{i}@{domain}" for i in range(n))  # each row once
        assert all(created.values())  # no password lost with the first worker
    finally:
        for proc in (running, server):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
