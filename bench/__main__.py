"""Hanse's benchmark suite. Each figure is measured against a baseline in the same run, target and
baseline alternated (A B B A in each round), and reported as the median ratio over the rounds with
its spread; the results go to ``bench/results/<date>.json``.

    .venv/bin/python -m bench [--quick] [--database-url postgresql://…/hanse_bench]

``--quick`` (1,000 customers, short rounds) takes under a minute. The load comes from a separate
process on loopback (``bench.load``) against ``hanse serve`` with its production settings, and
against ``bench.baseline``, a bare WSGI app on the same gunicorn settings. On PostgreSQL the
database named in the URL is dropped and created afresh: its name must start with ``hanse_bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from tests.procs import descendants

from bench.world import ROOT, Instance, Seeded, make_instance, seed

PYTHON = sys.executable
HANSE = str(Path(PYTHON).with_name("hanse"))


@dataclass
class Figure:
    name: str
    measure: str  # what the ratio compares
    target: str
    unit: str
    rounds: list[dict[str, float]] = field(default_factory=list)  # each: value, baseline, ratio

    @property
    def ratio(self) -> float:
        return statistics.median(r["ratio"] for r in self.rounds)

    def row(self) -> str:
        value = statistics.median(r["value"] for r in self.rounds)
        base = statistics.median(r["baseline"] for r in self.rounds)
        ratios = [r["ratio"] for r in self.rounds]
        return (
            f"{self.name:<34} {value:>10.2f} {base:>10.2f} {self.unit:<6} {self.ratio:>7.2f}"
            f"  ({min(ratios):.2f} to {max(ratios):.2f})  target {self.target}"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def server(
    args: list[str], ready: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})}
    )
    try:
        wait_for(ready)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def load(
    url: str, *, connections: int, seconds: float, headers: dict[str, str], body: str = ""
) -> dict[str, Any]:
    cmd = [PYTHON, "-m", "bench.load", "--url", url, "--connections", str(connections)]
    cmd += ["--seconds", str(seconds), "--body", body]
    for k, v in headers.items():
        cmd += ["--header", f"{k}: {v}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    result: dict[str, Any] = json.loads(out)
    if set(result["statuses"]) - {"200", "201", "404"}:
        raise RuntimeError(f"unexpected statuses from {url}: {result['statuses']}")
    return result


def alternate(
    figure: Figure,
    rounds: int,
    target: Callable[[], float],
    baseline: Callable[[], float],
    ratio: Callable[[float, float], float],
) -> None:
    for _ in range(rounds):
        a1, b1 = target(), baseline()
        b2, a2 = baseline(), target()
        value, base = (a1 + a2) / 2, (b1 + b2) / 2
        figure.rounds.append({"value": value, "baseline": base, "ratio": ratio(value, base)})
        print(f"  {figure.row()}", file=sys.stderr)


def same_json(a: str, b: str, headers: dict[str, str]) -> None:
    """The baseline answers what the API answers (links aside: the baseline has no next page)."""

    def get(url: str, h: dict[str, str]) -> Any:
        req = urllib.request.Request(url, headers=h)
        body = json.loads(urllib.request.urlopen(req, timeout=30).read())
        body.pop("links", None)
        return body

    ours, theirs = get(a, headers), get(b, {})
    if ours != theirs:
        first = next(
            (
                i
                for i, (x, y) in enumerate(zip(ours.get("items", []), theirs.get("items", []), strict=False))
                if x != y
            ),
            None,
        )
        shown = (ours["items"][first], theirs["items"][first]) if first is not None else (ours, theirs)
        raise RuntimeError(
            f"the baseline's JSON differs from the API's at {a}:\n{shown[0]}\n{shown[1]}"[:3000]
        )


def http_figures(inst: Instance, seeded: Seeded, opts: argparse.Namespace) -> list[Figure]:
    port, base_port = free_port(), free_port()
    hanse = f"http://127.0.0.1:{port}"
    bare = f"http://127.0.0.1:{base_port}"
    auth = {"Authorization": f"Bearer {seeded.token}"}
    serve = [HANSE, "serve", "--config", str(inst.config), "--port", str(port)]
    baseline = [PYTHON, "-m", "bench.baseline", "--database-url", inst.database_url]
    baseline += ["--partner", seeded.partner_id, "--port", str(base_port)]
    figures = []
    with (
        server(serve, f"{hanse}/v1/openapi.json"),
        server(baseline, f"{bare}/v1/nope", {"PYTHONPATH": str(ROOT)}),
    ):
        paths = {
            "GET /v1/customers?size=100": "/v1/customers?size=100",
            "GET /v1/customers/{id}/subscriptions": f"/v1/customers/{seeded.customer_id}/subscriptions",
        }
        for name, path in paths.items():
            same_json(hanse + path, bare + path, auth)
            # Every server thread's first request (its connection, its caches) is not the figure.
            load(hanse + path, connections=16, seconds=1, headers=auth)
            load(bare + path, connections=16, seconds=1, headers={})
            runs: dict[str, list[dict[str, Any]]] = {"value": [], "baseline": []}

            def run(url: str, into: list[dict[str, Any]], headers: dict[str, str]) -> Callable[[], float]:
                def once() -> float:
                    result = load(url, connections=8, seconds=opts.seconds, headers=headers)
                    into.append(result)
                    return float(result["rps"])

                return once

            rps = Figure(f"{name} throughput, 8 connections", "API / baseline", "≥ 0.50", "req/s")
            alternate(
                rps,
                opts.rounds,
                run(hanse + path, runs["value"], auth),
                run(bare + path, runs["baseline"], {}),
                lambda v, b: v / b,
            )
            p99 = Figure(f"{name} p99, 8 connections", "API / baseline", "≤ 2", "ms")
            for i in range(0, len(runs["value"]), 2):
                v = statistics.mean(r["p99_ms"] for r in runs["value"][i : i + 2])
                b = statistics.mean(r["p99_ms"] for r in runs["baseline"][i : i + 2])
                p99.rounds.append({"value": v, "baseline": b, "ratio": v / b})
            figures += [rps, p99]

        def latency(headers: dict[str, str]) -> Callable[[], float]:
            def once() -> float:
                return float(
                    load(hanse + "/v1/nope", connections=1, seconds=opts.seconds, headers=headers)["p50_ms"]
                )

            return once

        bearer = Figure("bearer call / unauthenticated (/v1/nope)", "bearer / none", "≤ 1.2", "ms p50")
        alternate(bearer, opts.rounds, latency(auth), latency({}), lambda v, b: v / b)
        figures.append(bearer)

        def creating(connections: int) -> Callable[[], float]:
            def once() -> float:
                result = load(
                    hanse + "/v1/customers",
                    connections=connections,
                    seconds=opts.seconds,
                    headers=auth,
                    body=NEW,
                )
                return float(result["p99_ms"])

            return once

        writers = Figure("POST /v1/customers p99, 4 clients / 1", "4 clients / 1", "≤ 4", "ms p99")
        alternate(writers, opts.rounds, creating(4), creating(1), lambda v, b: v / b)
        figures.append(writers)
    return figures


def signin_figure(seeded: Seeded, opts: argparse.Namespace) -> Figure:
    """Password sign-ins (``POST /signin`` through the whole web stack, in this process, each in
    a new session) against argon2id verifying the same stored hash with its own parameters, on
    the same core."""
    from argon2 import PasswordHasher
    from argon2.low_level import Type
    from django.test import Client

    from bench.world import PASSWORD
    from hanse.directory.models import User

    stored = User.objects.get(upn=seeded.upn).password.removeprefix("argon2")
    params = dict(p.split("=") for p in stored.split("$")[3].split(","))
    hasher = PasswordHasher(
        time_cost=int(params["t"]), memory_cost=int(params["m"]), parallelism=int(params["p"]), type=Type.ID
    )
    n = 10 if opts.quick else 40

    client = Client(HTTP_HOST="127.0.0.1")  # one handler, as a server process has

    def signins() -> float:
        started = time.perf_counter()
        for _ in range(n):
            client.cookies.clear()  # each sign-in in a new session
            response = client.post("/signin", {"username": seeded.upn, "password": PASSWORD})
            assert response.status_code == 302, response.status_code
        return n / (time.perf_counter() - started)

    def verifications() -> float:
        started = time.perf_counter()
        for _ in range(n):
            hasher.verify(stored, PASSWORD)
        return n / (time.perf_counter() - started)

    figure = Figure("password sign-ins / argon2id alone", "sign-ins / verifications", "≥ 0.85", "per s")
    alternate(figure, opts.rounds, signins, verifications, lambda v, b: v / b)
    return figure


def audit_figure(opts: argparse.Namespace) -> Figure:
    """``hanse audit verify`` (verify_chain, in this process) against SHA-256 alone over the same
    bytes: each record's previous hash and canonical JSON, built beforehand, outside the timing."""
    import hashlib

    from hanse.audit.chain import HASHED_FIELDS, OPTIONAL_FIELDS, canonical_bytes
    from hanse.audit.models import AuditRecord
    from hanse.audit.verify import verify_chain

    fields = ("prev_hash", *HASHED_FIELDS, *OPTIONAL_FIELDS)
    data = [
        canonical_bytes(dict(zip(fields[1:], row[1:], strict=True)), row[0])
        for row in AuditRecord.objects.order_by("seq").values_list(*fields)
    ]

    def verify() -> float:
        started = time.perf_counter()
        result = verify_chain()
        assert result.ok and result.checked == len(data), result
        return result.checked / (time.perf_counter() - started)

    def sha() -> float:
        started = time.perf_counter()
        for b in data:
            hashlib.sha256(b).hexdigest()
        return len(data) / (time.perf_counter() - started)

    figure = Figure(f"audit verify, {len(data)} records", "verify / SHA-256", "≥ 0.30", "rec/s")
    alternate(figure, opts.rounds, verify, sha, lambda v, b: v / b)
    return figure


def peak_rss_mb(pid: int) -> float:
    """The largest peak resident set (VmHWM) of the server's processes: its busiest worker."""
    peaks = []
    for p in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
        peaks.append(kb / 1024)
    return max(peaks)


def at_size(inst: Instance, seeded: Seeded, opts: argparse.Namespace) -> list[dict[str, float]]:
    """Per round, at the customers there are now, on a server started afresh (so that its peak
    memory is this size's): the first page's p50 at one connection, customers created per second
    by one client, and, after the list load at 8 connections, the busiest worker's peak RSS."""
    port = free_port()
    hanse = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {seeded.token}"}
    first = hanse + "/v1/customers?size=100"
    serve = [HANSE, "serve", "--config", str(inst.config), "--port", str(port)]
    rounds = []
    with server(serve, f"{hanse}/v1/openapi.json") as proc:
        load(first, connections=16, seconds=1, headers=auth)
        for _ in range(opts.rounds):
            page = load(first, connections=1, seconds=opts.seconds, headers=auth)["p50_ms"]
            created = load(
                hanse + "/v1/customers", connections=1, seconds=opts.seconds, headers=auth, body=NEW
            )
            load(first, connections=8, seconds=opts.seconds, headers=auth)
            rounds.append({"page": page, "create": created["rps"], "rss": peak_rss_mb(proc.pid)})
            print(f"  {seeded.customers} customers: {rounds[-1]}", file=sys.stderr)
    return rounds


def scale_figures(inst: Instance, seeded: Seeded, opts: argparse.Namespace) -> list[Figure]:
    """The same requests at ``--customers`` and at ``--scale-customers``: the big data set is
    the small one plus customers seeded in bulk through ``customers_seed`` (``hanse seed``)."""
    from django.db import connection, connections

    from hanse.access.principal import system_principal
    from hanse.customers.services import customers_seed

    small = at_size(inst, seeded, opts)
    started = time.perf_counter()
    more = opts.scale_customers - seeded.customers

    def progress(done: int, total: int) -> None:
        if done % 100_000 == 0 or done == total:
            print(f"  seeded {done} of {total} more ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    domain = "bench-partner.example"
    total = customers_seed(
        actor=system_principal("bench"), partner_domain=domain, count=more, progress=progress
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connections.close_all()
    print(
        f"seeded {more} customers in {time.perf_counter() - started:.0f} s ({total} in all)", file=sys.stderr
    )
    big = at_size(inst, Seeded(**{**asdict(seeded), "customers": total}), opts)
    size = f"{opts.scale_customers:,} / {seeded.customers:,}"
    figures = [
        Figure(f"customers created per s, {size}", "big / small", "≥ 0.80", "per s"),
        Figure(f"first page p50, {size}", "big / small", "≤ 1.5", "ms"),
        Figure(f"worker peak RSS, {size}", "big / small", "≤ 1.1", "MB"),
    ]
    for f, key in zip(figures, ("create", "page", "rss"), strict=True):
        for b, s in zip(big, small, strict=True):
            f.rounds.append({"value": b[key], "baseline": s[key], "ratio": b[key] / s[key]})
    return figures


# A new customer for each request ({n}: unique in the run), as Partner Center's documented body.
NEW = json.dumps(
    {
        "companyProfile": {"domain": "new-{n}.example", "companyName": "Neu Kunde GmbH"},
        "billingProfile": {
            "firstName": "Erika",
            "lastName": "Mustermann",
            "email": "erika@new-{n}.example",
            "culture": "de-DE",
            "language": "de",
            "companyName": "Neu Kunde GmbH",
            "defaultAddress": {
                "country": "DE",
                "city": "Berlin",
                "postalCode": "10115",
                "addressLine1": "Unter den Linden 1",
            },
        },
    }
)


def fresh_postgres(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    if not name.startswith("hanse_bench"):
        raise SystemExit(
            f"the benchmark drops and creates its database: {name!r} must start with hanse_bench"
        )
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--quick", action="store_true", help="1,000 customers, one short round (under a minute)"
    )
    parser.add_argument("--database-url", default="", help="PostgreSQL (default: a throw-away SQLite file)")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--rounds", type=int)
    parser.add_argument(
        "--only",
        default="signin,audit,http",
        help="a comma-separated choice of signin, audit, http, scale (default: all but scale)",
    )
    parser.add_argument(
        "--scale-customers",
        type=int,
        default=1_000_000,
        metavar="N",
        help="scale: the big data set's customers (default 1,000,000)",
    )
    opts = parser.parse_args()
    only = set(opts.only.split(","))
    opts.customers = opts.customers or (1000 if opts.quick else 10000)
    opts.seconds = opts.seconds or (2.0 if opts.quick else 8.0)
    opts.rounds = opts.rounds or (1 if opts.quick else 3)
    if opts.database_url:
        fresh_postgres(opts.database_url)
    started = time.perf_counter()
    inst = make_instance(opts.database_url)
    seeded = seed(opts.customers)
    engine = "PostgreSQL" if opts.database_url else "SQLite"
    print(
        f"seeded {opts.customers} customers on {engine} in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    figures = [signin_figure(seeded, opts)] if "signin" in only else []
    figures += [audit_figure(opts)] if "audit" in only else []
    from django.db import connections

    connections.close_all()
    figures += http_figures(inst, seeded, opts) if "http" in only else []
    figures += scale_figures(inst, seeded, opts) if "scale" in only else []
    print(f"\n{'figure':<34} {'value':>10} {'baseline':>10} {'unit':<6} {'ratio':>7}  (spread)")
    for f in figures:
        print(f.row())
    out = ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y-%m-%d}.json"
    out.parent.mkdir(exist_ok=True)
    runs = json.loads(out.read_text()) if out.exists() else []
    runs.append(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "engine": engine,
            "customers": opts.customers,
            "scale_customers": opts.scale_customers if "scale" in only else None,
            "seconds": opts.seconds,
            "rounds": opts.rounds,
            "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
        }
    )
    out.write_text(json.dumps(runs, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
