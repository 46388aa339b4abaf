"""Migration throughput against a raw copy of the same rows, measured in the same run.

Run: .venv/bin/python bench/bench_migration.py [--customers 200] [--users 10] [--source-workers 2]

Two real instances (the demo's de and eu, each ``hanse serve`` on its own SQLite database, de with
its ``hanse worker``) and de's partner linked to eu. ``--customers`` customers of 10 users, 3
subscriptions and a licence per user are moved with ``hanse migration run``: the figure is the wall
time from the run's start, by ``POST /v1/migrations`` as a partner's script would, until the last
one is cut over (planned, frozen, pushed, verified on both sides and cut over: its ``cutoverAt`` as
the source recorded it; the bench asks once a second), in customers per second. The baseline
copies the same rows (tenant, customer, users, roles, TOTP devices, orders, subscriptions, line
items, licences, audit history) from de's database into a copy of eu's with plain SQL, one
transaction per customer (the median of three fresh copies). Prints both and the ratio migration
time / raw copy time (the target is at most 10).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.migration.instances import pair, run_step  # noqa: E402
from tests.test_process import free_port  # noqa: E402

# (table, how its rows are chosen for a set of tenant ids), parents before children.
TABLES = [
    ("directory_tenant", "id IN ({t})"),
    ("customers_customer", "tenant_id IN ({t})"),
    ("directory_user", "tenant_id IN ({t})"),
    ("access_roleassignment", "user_id IN (SELECT id FROM directory_user WHERE tenant_id IN ({t}))"),
    ("otp_totp_totpdevice", "user_id IN (SELECT id FROM directory_user WHERE tenant_id IN ({t}))"),
    ("commerce_order", "customer_id IN ({t})"),
    ("commerce_subscription", "customer_id IN ({t})"),
    ("commerce_orderlineitem", "order_id IN (SELECT id FROM commerce_order WHERE customer_id IN ({t}))"),
    ("licensing_licenceassignment", "customer_id IN ({t})"),
    ("audit_auditrecord", "tenant_id IN ({t})"),
]


def hanse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hanse", *args], capture_output=True, text=True, check=False)


def raw_copy(source: Path, target: Path, tenants: list[str]) -> float:
    """Seconds to copy every row of the tenants, one transaction per customer."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    # The audit table's seq is unique per instance: the copy keeps the source's history apart, as
    # the migration does (ImportedAuditRecord), so it goes to a table of its own here.
    dst.execute("CREATE TABLE copied_audit AS SELECT * FROM audit_auditrecord WHERE 0")
    started = time.perf_counter()
    for tenant in tenants:
        t = "'" + tenant.replace("-", "") + "'"
        with dst:
            for table, where in TABLES:
                rows = src.execute(f"SELECT * FROM {table} WHERE {where.format(t=t)}").fetchall()
                if not rows:
                    continue
                into = "copied_audit" if table == "audit_auditrecord" else table
                marks = ",".join("?" * len(rows[0]))
                dst.executemany(f"INSERT INTO {into} VALUES ({marks})", rows)
    elapsed = time.perf_counter() - started
    src.close()
    dst.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the instances' directory")
    parser.add_argument(
        "--source-workers", type=int, default=1, help="`hanse worker` processes at the source (default 1)"
    )
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="hanse-bench-migration-"))
    port = free_port()
    seeded = hanse("demo", "--data-dir", str(data), "--seed-only", "--port-base", str(port))
    assert seeded.returncode == 0, seeded.stderr
    print(f"seeding {args.customers} customers of {args.users} users…", flush=True)
    made = run_step("seed", data / "de.toml", "contoso-de.example", str(args.customers), str(args.users), "3")
    token = run_step("peer-token", data / "eu.toml", "admin@contoso-eu.example", "hanse-de")
    run_step("link", data / "de.toml", "admin@contoso-de.example", json.dumps(token))
    # The raw copy takes a fraction of a second: its median of three fresh copies.
    copies = []
    for n in range(3):
        shutil.copy(data / "eu.sqlite3", data / f"baseline{n}.sqlite3")
        copies.append(raw_copy(data / "de.sqlite3", data / f"baseline{n}.sqlite3", made["customers"]))
    raw = statistics.median(copies)
    with ExitStack() as stack:
        stack.enter_context(pair(data / "de.toml", port))
        stack.enter_context(pair(data / "eu.toml", port + 1))
        # More worker processes at the source: each takes the next move's step from the queue.
        more = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "hanse",
                    "worker",
                    "--config",
                    str(data / "de.toml"),
                    "--interval",
                    "0.2",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(args.source_workers - 1)
        ]
        for proc in more:
            stack.callback(proc.wait, 30)
            stack.callback(proc.terminate)
        token = hanse(
            "token", "issue", "--config", str(data / "de.toml"), "--user", "admin@contoso-de.example"
        )
        auth = {"Authorization": f"Bearer {token.stdout.strip()}"}
        base = f"http://127.0.0.1:{port}/v1/migrations"
        started = datetime.now(UTC)
        r = httpx.post(base, headers=auth, json={"customerIds": made["customers"]}, timeout=120)
        assert r.status_code == 202 and r.json()["totalCount"] == args.customers, r.text
        while True:
            # Seldom: the list of every move is itself work for the source's web process, on the
            # cores the move runs on. The time is the last cutover's, as the source recorded it.
            time.sleep(1.0)
            items = httpx.get(base, headers=auth, timeout=60).json()["items"]
            if all(m["state"] in ("cut_over", "failed", "rolled_back") for m in items):
                break
        last = max(datetime.fromisoformat(m["cutoverAt"]) for m in items if m["cutoverAt"])
        moved = (last - started).total_seconds()
    assert {m["state"] for m in items} == {"cut_over"}, {m["state"] for m in items}
    n = args.customers
    print(
        f"customers: {n}, users each: {args.users}, subscriptions each: 3,"
        f" source workers: {args.source_workers}"
    )
    each = ", ".join(f"{c:.2f}" for c in copies)
    print(f"raw copy:  {raw:8.2f} s  {n / raw:8.1f} customers/s  (of {each})")
    print(f"migration: {moved:8.2f} s  {n / moved:8.1f} customers/s")
    print(f"ratio migration/raw: {moved / raw:.1f}")
    if args.keep:
        print(f"kept: {data}")
    else:
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
