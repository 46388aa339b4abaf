"""The migration over real HTTP between two live instances (docs/migration.md), each a ``hanse
serve`` and a ``hanse worker`` on its own database: every kind of object arrives exactly once,
both sides' checksums match, and a moved user signs in at the target with the old password and
its TOTP. Then, while 50 customers move, the source's web process, the source's worker and the
target are ``kill -9``ed at eleven distinct points of the work and once at a moment of nobody's
choosing, each restarted, and the run ends as an undisturbed one would, every record once."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django_otp.oath import TOTP

from tests.live import token_for
from tests.migration.instances import PASSWORD, TOTP_KEY, Process, pair, run_step, wait_web
from tests.test_process import free_port, hanse

pytestmark = pytest.mark.process

PARTNER = "contoso-de.example"


@dataclass
class Live:
    data: Path
    de: str
    eu: str
    de_web: Process
    de_worker: Process
    eu_web: Process
    customers: list[str]

    @property
    def de_toml(self) -> Path:
        return self.data / "de.toml"

    @property
    def eu_toml(self) -> Path:
        return self.data / "eu.toml"


def _instances(data: Path, *, customers: int, users: int, batch_size: int) -> Iterator[Live]:
    port = free_port()
    seeded = hanse("demo", "--data-dir", str(data), "--seed-only", "--port-base", str(port))
    assert seeded.returncode == 0, seeded.stderr
    de = data / "de.toml"  # the demo's: the partner records its customers' written consent
    de.write_text(
        de.read_text().replace("retention_days = 30\n", f"retention_days = 30\nbatch_size = {batch_size}\n")
    )
    assert f"batch_size = {batch_size}" in de.read_text() and 'consent = "partner-attested"' in de.read_text()
    made = run_step("seed", data / "de.toml", PARTNER, str(customers), str(users))["customers"]
    token = run_step("peer-token", data / "eu.toml", "admin@contoso-eu.example", "hanse-de")
    run_step("link", data / "de.toml", f"admin@{PARTNER}", json.dumps(token))
    with ExitStack() as stack:
        de_web, de_worker, de = stack.enter_context(pair(data / "de.toml", port))
        eu_web, _eu_worker, eu = stack.enter_context(pair(data / "eu.toml", port + 1))
        yield Live(data, de, eu, de_web, de_worker, eu_web, made)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    yield from _instances(tmp_path_factory.mktemp("migrate"), customers=5, users=3, batch_size=500)


def states(inst: Live) -> dict[str, int]:
    return run_step("counts", inst.de_toml)["states"]


def sign_in(base: str, upn: str, password: str, code: str | None) -> httpx.Response:
    """The sign-in form over HTTP, as a browser sends it; the answer after its redirects."""
    with httpx.Client(base_url=base, follow_redirects=True, timeout=20) as client:
        page = client.get("/signin")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        r = client.post(
            "/signin", data={"csrfmiddlewaretoken": token.group(1), "username": upn, "password": password}
        )
        if code is not None:
            assert r.url.path == "/signin/verify", r.url
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text)
            assert token
            r = client.post("/signin/verify", data={"csrfmiddlewaretoken": token.group(1), "code": code})
        return r


def totp_now() -> str:
    return f"{TOTP(bytes.fromhex(TOTP_KEY), step=30, t0=0, digits=6).token():06d}"


def test_every_object_arrives_once_checksums_match_and_users_sign_in_there(live: Live) -> None:
    chosen = [arg for cid in live.customers for arg in ("--customer", cid)]  # not the demo's own
    run = hanse("migration", "run", "--config", str(live.de_toml), "--partner", PARTNER, *chosen)
    assert run.returncode == 0, run.stderr
    assert "5 customer(s) start moving to eu" in run.stdout
    assert states(live) == {"cut_over": 5}

    de, eu = run_step("counts", live.de_toml), run_step("counts", live.eu_toml)
    for kind, n in (("customers", 5), ("users", 15), ("subscriptions", 10), ("licences", 15), ("totp", 5)):
        assert de[kind] == eu[kind] == n, kind
    assert eu["active_tenants"] == 5 and eu["duplicate_sources"] == 0
    assert eu["hashes"] == de["hashes"] and all(h.startswith("argon2$argon2id$") for h in eu["hashes"])
    assert de["offers"] == ["ENTERPRISE-E3_DE", "MAIL-PLAN-1_DE"] and eu["offers"] == [
        "ENTERPRISE-E3",
        "MAIL-PLAN-1",
    ]
    assert (
        de["audit"]["migration.export"]
        == de["batches_total"]
        == eu["batches_applied"]
        == eu["audit"]["migration.import"]
    )
    assert de["audit"]["migration.cutover"] == eu["audit"]["migration.cutover"] == 5
    # Billing: the source accrues a moved subscription up to its cutover day, the target from that
    # day on, with the same seats: each seat-day accrues once, at one instance.
    assert set(de["seats"]) == set(eu["seats"]) and len(de["seats"]) == 10
    for key, source in de["seats"].items():
        (day, seats), *later = eu["seats"][key]
        assert later == [] and seats > 0, key
        assert source[-1] == [day, 0] and source[-2][1] == seats, key
        assert all(d <= day for d, _ in source), key

    verified = hanse("migration", "verify", "--config", str(live.de_toml))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.count(": identical (") == 5

    token = token_for(live.de_toml, f"admin@{PARTNER}")
    moves = httpx.get(f"{live.de}/v1/migrations", headers={"Authorization": f"Bearer {token}"}).json()
    moved = [m for m in moves["items"] if m["state"] == "cut_over"]
    assert len(moved) == 5 and all(m["checksum"] == m["targetChecksum"] != "" for m in moved)
    assert all(m["counts"] == m["targetCounts"] and m["counts"]["user"] == 3 for m in moved)

    # The user with TOTP signs in at eu with its old password and its authenticator's code; the
    # one who had to change its password still has to.
    first = sign_in(live.eu, "user0@umzug-000.example", PASSWORD, totp_now())
    assert first.status_code == 200 and first.url.path == "/", first.url
    forced = sign_in(live.eu, "user1@umzug-000.example", PASSWORD, None)
    assert forced.url.path == "/account/password"
    wrong = sign_in(live.eu, "user2@umzug-000.example", PASSWORD + "x", None)
    assert "The user name or password is not correct." in wrong.text
    # At de, the moved tenant's users are told where it lives now, and are not signed in.
    there = sign_in(live.de, "user2@umzug-000.example", PASSWORD, None)
    assert there.url.path == "/signin" and 'data-testid="tenant-moved"' in there.text
    assert live.eu in there.text

    # The source's copy is read-only: a change is refused with the code that says where it went.
    subs = httpx.get(
        f"{live.de}/v1/customers/{live.customers[0]}/subscriptions",
        headers={"Authorization": f"Bearer {token}"},
    ).json()["items"]
    refused = httpx.patch(
        f"{live.de}/v1/customers/{live.customers[0]}/subscriptions/{subs[0]['id']}",
        headers={"Authorization": f"Bearer {token}"},
        json={"quantity": subs[0]["quantity"] + 1},
    )
    assert refused.status_code == 409 and refused.json()["code"] == 9602


# --- kill -9 at every step ----------------------------------------------------------------------

# (process, crash point, at its n-th passage), in the order the work reaches them.
FAULTS = [
    ("de_worker", "source.frozen", 2),
    ("eu_web", "target.batch.applied", 3),  # mid-batch: its rows written, not committed
    ("de_worker", "source.batch.acked", 4),  # between batches: the target has it, the source not
    ("eu_web", "target.batch.committed", 4),  # committed there, never answered
    ("de_worker", "source.batch.before_send", 5),
    ("eu_web", "target.summary", 2),  # during verification
    ("de_worker", "source.verify.fetched", 2),
    ("eu_web", "target.cutover.written", 2),  # during cutover, before its commit
    ("de_worker", "source.cutover.acked", 2),  # cut over there, not yet here
    ("eu_web", "target.cutover.committed", 2),
]


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    yield from _instances(tmp_path_factory.mktemp("faults"), customers=50, users=2, batch_size=4)


def _restart(inst: Live, name: str, *, ready: bool = True, **env: str) -> None:
    proc: Process = getattr(inst, name)
    if proc.alive():
        proc.stop()
    proc.start(**env)
    if ready and name != "de_worker":
        wait_web(inst.de if name == "de_web" else inst.eu, proc)


def _crash(inst: Live, name: str, point: str, n: int) -> None:
    """Restart ``name`` armed to kill itself at ``point``; wait for it; restart it unarmed."""
    _restart(inst, name, ready=False, HANSE_CRASH_AT=f"{point}:{n}")  # it may die before it is ready
    proc: Process = getattr(inst, name)
    assert proc.wait_dead(120), f"{name} never reached {point}"
    assert f"crash point {point} reached" in proc.log()
    _restart(inst, name)


def test_kill_9_of_each_process_at_each_step_loses_and_duplicates_nothing(crowd: Live) -> None:
    inst = crowd
    token = token_for(inst.de_toml, f"admin@{PARTNER}")
    start = {
        "url": f"{inst.de}/v1/migrations",
        "headers": {"Authorization": f"Bearer {token}"},
        "json": {"customerIds": inst.customers},  # not the demo's own customers
    }

    # The source's web process dies inside the request that starts the run: nothing started.
    _restart(inst, "de_web", HANSE_CRASH_AT="source.run.started_one:3")
    with pytest.raises(httpx.TransportError):
        httpx.post(**start, timeout=60)
    assert inst.de_web.wait_dead(30) and "crash point source.run.started_one reached" in inst.de_web.log()
    assert states(inst) == {}
    _restart(inst, "de_web")

    _restart(inst, "de_worker", HANSE_CRASH_AT=f"{FAULTS[0][1]}:{FAULTS[0][2]}")
    started = httpx.post(**start, timeout=60)
    assert started.status_code == 202 and started.json()["totalCount"] == 50
    proc = inst.de_worker
    assert proc.wait_dead(120) and f"crash point {FAULTS[0][1]} reached" in proc.log()
    _restart(inst, "de_worker")
    for name, point, n in FAULTS[1:]:
        _crash(inst, name, point, n)

    # And once where nobody chose: the worker, a moment after it resumed.
    time.sleep(0.7)
    inst.de_worker.kill9()
    _restart(inst, "de_worker")

    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and states(inst) != {"cut_over": 50}:
        time.sleep(1)
    assert states(inst) == {"cut_over": 50}

    de, eu = run_step("counts", inst.de_toml), run_step("counts", inst.eu_toml)
    for kind, n in (
        ("customers", 50),
        ("users", 100),
        ("subscriptions", 100),
        ("licences", 100),
        ("totp", 50),
    ):
        assert de[kind] == eu[kind] == n, kind
    assert eu["active_tenants"] == 50 and eu["duplicate_sources"] == 0 and eu["hashes"] == de["hashes"]
    # Each batch recorded once on each side, whatever was sent again.
    assert de["audit"]["migration.export"] == de["batches_total"] == eu["batches_applied"]
    assert eu["audit"]["migration.import"] == eu["batches_applied"]
    assert de["audit"]["migration.cutover"] == eu["audit"]["migration.cutover"] == 50
    verified = hanse("migration", "verify", "--config", str(inst.de_toml))
    assert verified.returncode == 0 and verified.stdout.count(": identical (") == 50, verified.stdout
    for toml in (inst.de_toml, inst.eu_toml):
        intact = hanse("audit", "verify", "--config", str(toml))
        assert intact.returncode == 0, intact.stderr
