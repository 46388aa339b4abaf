"""``hanse demo``: two real instances, each a web and a worker process on its own database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DE_TOML = """# The sovereign German instance: closed to new business, operators under a data trustee.
[instance]
id = "de"
name = "Sovereign Cloud Germany"
kind = "sovereign"
data_boundary = ["DE"]
accepts_new_customers = false
accepts_new_services = false
trustee_required = true
markets = "EU+EFTA"
public_url = "http://127.0.0.1:{port}"

[[regions]]
id = "de-central"
name = "Frankfurt"
country = "DE"
european = true

[[regions]]
id = "de-northeast"
name = "Magdeburg"
country = "DE"
european = true

[database]
url = "sqlite:///de.sqlite3"

[paths]
data_dir = "de-data"

[task_routing]
partner_users = "admincenter"
customer_users = "admincenter"
password_reset = "admincenter"
licences = "admincenter"

# Operators reach customers' data under grants: the trustee approves, then the customer's
# Global admin (docs/trustee.md). Two operators together may open a one-hour break-glass grant.
[trustee]
approval = "trustee+customer"
max_grant_hours = 8
decision_hours = 12
break_glass = true

# Customers move to eu once they consent: their own Global admin in the admin center, or the
# partner recording their written consent (docs/migration.md). Moved data stays here 30 days.
[migration]
consent = "partner-attested"
retention_days = 30

# The seller on the partners' invoices (docs/billing.md). The worker bills each month on the 1st.
[billing]
seller_name = "Sovereign Cloud Germany GmbH"
seller_address = ["Theodor-Heuss-Allee 2", "60486 Frankfurt am Main", "Deutschland"]
seller_vat_id = "DE300000001"

# The data trustee's witness co-signs the checkpoints of this instance's audit log (docs/audit.md).
# The demo runs it at start; a trustee runs it from cron:
# `hanse audit witness --config trustee-witness.toml --instance http://127.0.0.1:{port}`.
[audit]
checkpoint_minutes = 10
witnesses = ["{witness}"]

[[peers]]
id = "eu"
name = "European Cloud"
url = "http://127.0.0.1:{peer_port}"
# This instance's OpenID Connect client at eu, registered there by the demo with
# `hanse oauth client add --config eu.toml --name de --client-id hanse-de --secret-file …`.
client_id = "hanse-de"
client_secret_file = "de-data/eu-client-secret"
"""

EU_TOML = """# The public European instance: open to new customers, several European regions.
[instance]
id = "eu"
name = "European Cloud"
kind = "public"
data_boundary = ["NL", "IE", "FR", "DE", "SE", "CH", "US"]
accepts_new_customers = true
accepts_new_services = true
trustee_required = false
markets = "EU+EFTA"
public_url = "http://127.0.0.1:{port}"

[[regions]]
id = "eu-west"
name = "Amsterdam"
country = "NL"

[[regions]]
id = "eu-north"
name = "Dublin"
country = "IE"

[[regions]]
id = "fr-central"
name = "Paris"
country = "FR"

[[regions]]
id = "de-west"
name = "Frankfurt (new German region)"
country = "DE"

[[regions]]
id = "se-central"
name = "Gävle"
country = "SE"

[[regions]]
id = "ch-north"
name = "Zürich"
country = "CH"

[[regions]]
id = "us-east"
name = "Virginia (outside Europe)"
country = "US"
geography = "americas"

# The seller on the partners' invoices (docs/billing.md). The worker bills each month on the 1st.
[billing]
seller_name = "European Cloud B.V."
seller_address = ["Gustav Mahlerplein 1", "1082 MS Amsterdam", "Nederland"]
seller_country = "NL"
seller_vat_id = "NL800000001B01"

[database]
url = "sqlite:///eu.sqlite3"

[paths]
data_dir = "eu-data"

[task_routing]
partner_users = "partnercenter"
customer_users = "partnercenter"
password_reset = "partnercenter"
licences = "partnercenter"

[[peers]]
id = "de"
name = "Sovereign Cloud Germany"
url = "http://127.0.0.1:{peer_port}"
"""


WITNESS_TOML = "trustee-witness.toml"


def _hanse(*args: str) -> list[str]:
    return [sys.executable, "-m", "hanse", *args]


def _run(cmd: list[str]) -> None:
    result = subprocess.run(cmd, check=False)
    if result.returncode != 0:
        raise SystemExit(f"hanse demo: `{' '.join(cmd[2:])}` failed with exit code {result.returncode}")


def prepare(data_dir: Path, port_base: int) -> dict[str, Path]:
    data_dir.mkdir(parents=True, exist_ok=True)
    configs = {"de": data_dir / "de.toml", "eu": data_dir / "eu.toml"}
    ports = {"de": port_base, "eu": port_base + 1}
    witness = data_dir / WITNESS_TOML
    if not witness.exists():
        witness.write_text('[witness]\nname = "treuhand.example/witness"\nstate_dir = "witness-state"\n')
    shown = subprocess.run(
        _hanse("audit", "witness", "--config", str(witness), "--show-key"),
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        raise SystemExit(f"hanse demo: the trustee's witness key: {shown.stderr.strip()}")
    for iid, template in (("de", DE_TOML), ("eu", EU_TOML)):
        if not configs[iid].exists():  # an existing file may carry the operator's own edits
            peer = "eu" if iid == "de" else "de"
            text = template.format(port=ports[iid], peer_port=ports[peer], witness=shown.stdout.strip())
            configs[iid].write_text(text, encoding="utf-8")
    users_file = data_dir / "demo-users.json"
    seeded = users_file.exists()
    users: list[dict[str, object]] = json.loads(users_file.read_text()) if seeded else []
    for iid, cfg in configs.items():
        _run(_hanse("init", "--config", str(cfg)))
        if not seeded:
            part = data_dir / f".{iid}-users.json"
            _run(_hanse("demo-seed", "--config", str(cfg), "--out", str(part)))
            users += json.loads(part.read_text())
            part.unlink()
    if not seeded:
        (data_dir / "de-data").mkdir(exist_ok=True)
        callback = f"http://127.0.0.1:{ports['de']}/csp/link/callback"
        secret = data_dir / "de-data" / "eu-client-secret"
        _run(
            _hanse(
                "oauth",
                "client",
                "add",
                "--config",
                str(configs["eu"]),
                "--name",
                "de",
                "--client-id",
                "hanse-de",
                "--redirect-uri",
                callback,
                "--secret-file",
                str(secret),
            )
        )
        users_file.write_text(json.dumps(users, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(users_file, 0o600)
    return configs


def _print_signins(data_dir: Path, port_base: int) -> None:
    # Plain lines, never truncated: people copy these passwords.
    users = json.loads((data_dir / "demo-users.json").read_text())
    for iid, port in (("de", port_base), ("eu", port_base + 1)):
        print(f"\n== {iid}: http://127.0.0.1:{port}/   API docs: http://127.0.0.1:{port}/v1/docs")
        for u in users:
            if u["instance"] == iid:
                print(f"   {u['upn']:<42} {u['password']:<24} {', '.join(u['roles'])}")
    print(f"\nSign-ins are also in {data_dir / 'demo-users.json'}. Admin roles set up MFA at first sign-in.")
    print("Press Ctrl-C to stop both instances.", flush=True)


def _witness(data_dir: Path, port: int) -> None:
    """The trustee's witness, once: its checkpoint then shows co-signed in the trustee's portal."""
    cmd = _hanse(
        "audit", "witness", "--config", str(data_dir / WITNESS_TOML), "--instance", f"http://127.0.0.1:{port}"
    )
    for _ in range(20):  # the server may still be starting
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if run.returncode != 2:
            break
        time.sleep(1)
    print(f"\ntrustee's witness: {(run.stdout or run.stderr).strip()}", flush=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_demo(*, data_dir: Path, port_base: int, seed_only: bool) -> int:
    data_dir = data_dir.resolve()
    configs = prepare(data_dir, port_base)
    if seed_only:
        print(f"demo data ready in {data_dir}")
        return 0
    procs: list[subprocess.Popen[bytes]] = []
    # SIGTERM (a service manager, `kill`) stops the demo as Ctrl-C does: through the finally
    # below, which stops every child; Python's default would exit and leave them running.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for iid, port in (("de", port_base), ("eu", port_base + 1)):
            cfg = str(configs[iid])
            procs.append(
                subprocess.Popen(_hanse("serve", "--config", cfg, "--port", str(port), "--workers", "2"))
            )
            procs.append(subprocess.Popen(_hanse("worker", "--config", cfg)))
        time.sleep(2)
        _witness(data_dir, port_base)
        _print_signins(data_dir, port_base)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("hanse demo: a process stopped; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
