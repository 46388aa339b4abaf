"""Two live instances for the migration's tests: the demo's ``de`` and ``eu``, each a ``hanse
serve`` and a ``hanse worker`` on its own database, and de's partner linked to its European
tenant with a token that eu's own authorization server issued to de's client.

The link's browser flow has its own tests (tests/e2e/test_link_two_instances.py); here the token is
minted in eu's database as its token endpoint would, and the link created at de by its service,
so that the test spends its time on the migration itself, all of which goes over HTTP.

Run as a script, it does the instance-side steps: ``python -m tests.migration.instances STEP
CONFIG [ARGS]``, each in a process of its own set up for that instance."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.procs import group_members

PASSWORD = "Umzug-nach-Europa-2026!"  # every seeded migrating user's, to sign in at eu after
TOTP_KEY = "3132333435363738393031323334353637383930"  # one user's TOTP device (hex), kept across


def run_step(step: str, config: Path, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if k not in ("HANSE_CONFIG", "DJANGO_SETTINGS_MODULE")}
    env["HANSE_CONFIG"] = str(config)
    done = subprocess.run(
        [sys.executable, "-m", "tests.migration.instances", step, str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, f"{step}: {done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None


class Process:
    """A ``hanse`` process that a test may kill -9 and start again."""

    def __init__(self, *argv: str, log: Path) -> None:
        self.argv, self.log_path = argv, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, **extra: str) -> Process:
        """Start it (again), with ``extra`` in its environment (``HANSE_CRASH_AT``)."""
        env = {k: v for k, v in os.environ.items() if k not in ("HANSE_CONFIG", "DJANGO_SETTINGS_MODULE")}
        env.update(extra)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hanse", *self.argv],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_dead(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                if self.proc is not None:
                    self.proc.wait(timeout=30)
                    self._group_gone()
                return True
            time.sleep(0.1)
        return False

    def _group_gone(self, timeout: float = 30) -> None:
        """Wait until no process of its group is left. A server's master can exit before a worker
        that is finishing a request; that worker still holds the listening socket, and the next
        start on the same port would fail with "Address already in use"."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while group_members(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if group_members(self.proc.pid):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)  # gunicorn's workers with their master
        self.proc.wait(timeout=30)
        self._group_gone()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
            self._group_gone()


@contextmanager
def pair(config: Path, port: int) -> Iterator[tuple[Process, Process, str]]:
    """``hanse serve`` and ``hanse worker`` of one instance; yields both and the base URL."""
    web = Process(
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
        "--workers",
        "2",
        log=config.parent / f"serve-{port}.log",
    )
    worker = Process(
        "worker", "--config", str(config), "--interval", "0.2", log=config.parent / f"worker-{port}.log"
    )
    base = f"http://127.0.0.1:{port}"
    web.start()
    worker.start()
    try:
        assert web.proc is not None
        wait_ready(base, web.proc)
        yield web, worker, base
    finally:
        worker.stop()
        web.stop()


def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            if httpx.get(f"{base}/v1/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not start")


def wait_web(base: str, proc: Process) -> None:
    assert proc.proc is not None
    wait_ready(base, proc.proc)


# --- the steps, each run inside an instance's own process -------------------------------------------


def _setup(config: str) -> None:
    os.environ["HANSE_CONFIG"] = config
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hanse.settings")
    import django

    django.setup()


def step_peer_token(upn: str, client_id: str) -> dict[str, Any]:
    """At eu: a token of the openid and migration scopes for ``upn``, issued to de's client, and
    the claims its ID token would carry."""
    import secrets
    from datetime import timedelta

    from oauth2_provider.models import AccessToken, Application, RefreshToken, set_token_value

    from hanse import clock
    from hanse.directory.models import User
    from hanse.directory.oidc import tenant_claims

    user = User.objects.get(upn=upn)
    app = Application.objects.get(client_id=client_id)
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    at = AccessToken(
        user=user, application=app, scope="openid migration", expires=clock.now() + timedelta(hours=1)
    )
    set_token_value(at, access)
    at.save()
    rt = RefreshToken(user=user, application=app, access_token=at)
    set_token_value(rt, refresh)
    rt.save()
    return {
        "tokens": {"access_token": access, "refresh_token": refresh, "expires_in": 3600},
        "claims": tenant_claims(user),
    }


def step_link(upn: str, payload: str) -> dict[str, Any]:
    """At de: the partner's Global admin links its account (the link flow's last step)."""
    from hanse.directory.models import User
    from hanse.directory.selectors import principal_for
    from hanse.links.services import tenant_link_create

    data = json.loads(payload)
    admin = principal_for(User.objects.get(upn=upn))
    link = tenant_link_create(actor=admin, peer="eu", claims=data["claims"], tokens=data["tokens"])
    return {"link": str(link.id)}


def step_seed(partner_domain: str, count: str, users: str, subscriptions: str = "2") -> dict[str, Any]:
    """At de: ``count`` more customers of the partner, each with ``users`` users (one password,
    hashed once), two subscriptions (or three) and a licence per user, one user with TOTP, all
    consented (partner-attested)."""
    from datetime import timedelta

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hanse import clock
    from hanse.access.principal import system_principal
    from hanse.commerce.services import LineItem, order_create
    from hanse.customers.services import BillingProfile, customer_import
    from hanse.directory.customer_users import NewUser, customer_user_create
    from hanse.directory.models import User
    from hanse.directory.selectors import principal_for
    from hanse.directory.services import hash_password
    from hanse.licensing.services import licence_update
    from hanse.migration.services import consent_attest
    from hanse.partners.models import PartnerAccount

    system = system_principal("test-seed")
    account = PartnerAccount.objects.get(tenant__domain=partner_domain)
    admin = principal_for(User.objects.get(upn=f"admin@{partner_domain}"))
    hashed = hash_password(PASSWORD, upn="x@y.example")
    made = []
    for i in range(int(count)):
        domain = f"umzug-{i:03d}.example"
        customer = customer_import(
            actor=system,
            partner=account,
            company_name=f"Umzug {i:03d} GmbH",
            domain=domain,
            billing=BillingProfile(
                first_name="Uma",
                last_name=f"Umzug{i}",
                email=f"uma@{domain}",
                country="DE",
                city="Köln",
                postal_code="50667",
                address_line1=f"Domplatz {i}",
            ),
            created_at=clock.now() - timedelta(days=30 + i),
        )
        order = order_create(
            actor=system,
            customer_id=customer.id,
            lines=[
                LineItem(offer_id="ENTERPRISE-E3_DE", quantity=int(users) + 2),
                LineItem(offer_id="MAIL-PLAN-1_DE", quantity=3),
                *([LineItem(offer_id="BACKUP-1TB_DE", quantity=1)] if subscriptions == "3" else []),
            ],
        )
        e3 = order.subscriptions.get(offer_id="ENTERPRISE-E3_DE")
        for k in range(int(users)):
            created = customer_user_create(
                actor=system,
                customer_id=customer.id,
                new=NewUser(
                    upn=f"user{k}@{domain}",
                    display_name=f"User {k} of {i}",
                    usage_location="DE",
                    password=hashed,
                    must_change_password=k == 1,
                ),
            )
            licence_update(
                actor=system, customer_id=customer.id, user_id=created.user.id, add=[e3.offer_id], remove=[]
            )
            if k == 0:
                TOTPDevice.objects.create(
                    user=created.user, name="authenticator", key=TOTP_KEY, confirmed=True
                )
        consent_attest(actor=admin, customer_id=customer.id, reference=f"signed letter {i:03d}")
        made.append(str(customer.id))
    return {"customers": made}


def step_counts(_: str = "") -> dict[str, Any]:
    """Every migrated object here, by kind, with the source ids where this is the target."""
    from django.db.models import Count
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hanse.commerce.models import Subscription
    from hanse.customers.models import Customer
    from hanse.directory.models import Tenant, User
    from hanse.licensing.models import LicenceAssignment
    from hanse.migration.models import CustomerMigration, ImportedObject

    def dupes(qs: Any, *fields: str) -> int:
        return qs.values(*fields).annotate(n=Count("id")).filter(n__gt=1).count()

    from hanse.audit.models import AuditRecord
    from hanse.billing.models import SeatChange
    from hanse.migration.models import ImportBatch

    umzug = Customer.objects.filter(tenant__domain__startswith="umzug-")
    moves = CustomerMigration.objects.all()
    seats: dict[str, list[list[object]]] = {}
    for domain, offer, day, n in (
        SeatChange.objects.filter(customer__in=umzug)
        .order_by("customer__tenant__domain", "subscription__offer_id", "day", "id")
        .values_list("customer__tenant__domain", "subscription__offer_id", "day", "seats")
    ):  # the offer as both instances name it: E3_DE here is E3 there
        seats.setdefault(f"{domain}/{offer.removesuffix('_DE')}", []).append([day.isoformat(), n])
    return {
        "seats": seats,
        "audit": dict(
            AuditRecord.objects.filter(action__startswith="migration.")
            .values("action")
            .annotate(n=Count("id"))
            .values_list("action", "n")
        ),
        "batches_total": sum(moves.values_list("batches_total", flat=True)),
        "batches_applied": ImportBatch.objects.count(),
        "customers": umzug.count(),
        "active_tenants": Tenant.objects.filter(domain__startswith="umzug-", state="active").count(),
        "users": User.objects.filter(tenant__domain__startswith="umzug-").count(),
        "hashes": sorted(
            set(User.objects.filter(tenant__domain__startswith="umzug-").values_list("password", flat=True))
        ),
        "subscriptions": Subscription.objects.filter(customer__in=umzug).count(),
        "licences": LicenceAssignment.objects.filter(customer__in=umzug).count(),
        "totp": TOTPDevice.objects.filter(user__tenant__domain__startswith="umzug-").count(),
        "duplicate_sources": dupes(
            ImportedObject.objects.all(), "imported__source_customer_id", "kind", "source_id"
        ),
        "states": dict(
            CustomerMigration.objects.values("state").annotate(n=Count("id")).values_list("state", "n")
        ),
        "offers": sorted(
            set(Subscription.objects.filter(customer__in=umzug).values_list("offer_id", flat=True))
        ),
    }


if __name__ == "__main__":
    name, config, *rest = sys.argv[1:]
    _setup(config)
    result = globals()[f"step_{name.replace('-', '_')}"](*rest)
    print(json.dumps(result))
