"""The ``hanse`` command: help, config errors, user creation, tokens."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from hanse.access.roles import Role
from hanse.cli import build_parser, main
from hanse.directory.models import ApiToken, Tenant, User
from hanse.directory.selectors import user_for_bearer
from hanse.partners.models import PartnerAccount

CONFIG = str(Path(__file__).with_name("instance.toml"))
COMMANDS = [
    ["init"],
    ["serve"],
    ["worker"],
    ["user", "create"],
    ["token", "issue"],
    ["audit", "verify"],
    ["demo"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as e:
        main([*command, "--help"])
    assert e.value.code == 0
    assert "usage: hanse" in capsys.readouterr().out


def test_parser_lists_the_commands():
    text = build_parser().format_help()
    for name in ("init", "serve", "worker", "user", "token", "audit", "demo"):
        assert name in text


def test_bad_config_names_file_and_key(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[instance]\nid = "x"\nname = "X"\nkind = "galactic"\ndata_boundary = ["DE"]\n')
    assert main(["init", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "instance.kind" in err and "galactic" in err


def test_missing_config_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.delenv("HANSE_CONFIG", raising=False)
    assert main(["audit", "verify", "--config", "/nonexistent/x.toml"]) == 2
    assert "file not found" in capsys.readouterr().err


def test_user_create_reads_password_from_stdin(db, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-strong-operator-chosen-pass\n"))
    rc = main(
        [
            "user",
            "create",
            "--config",
            CONFIG,
            "--tenant",
            "newpartner.example",
            "--upn",
            "admin@newpartner.example",
            "--role",
            "global_admin",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "password (shown once)" not in out
    user = User.objects.get(upn="admin@newpartner.example")
    assert user.check_password("a-strong-operator-chosen-pass") and user.must_change_password
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert list(user.role_assignments.values_list("role", flat=True)) == [Role.GLOBAL_ADMIN.value]
    tenant = Tenant.objects.get(domain="newpartner.example")
    assert tenant.kind == "partner" and PartnerAccount.objects.get(tenant=tenant).state == "active"


def test_user_create_generates_and_prints_password_once(db, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert (
        main(
            [
                "user",
                "create",
                "--config",
                CONFIG,
                "--tenant",
                "gen.example",
                "--upn",
                "ops@gen.example",
                "--role",
                "sales_agent",
            ]
        )
        == 0
    )
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("password (shown once): "))
    password = line.split(": ", 1)[1]
    assert User.objects.get(upn="ops@gen.example").check_password(password)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--upn", "x@other.example", "--role", "sales_agent"], "must end with @cli.example"),
        (["--upn", "x@cli.example", "--role", "emperor"], "Unknown role emperor"),
        (["--upn", "not-an-upn", "--role", "sales_agent"], "not a valid user name"),
    ],
)
def test_user_create_refusals_change_nothing(db, monkeypatch, capsys, args, words):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-strong-operator-chosen-pass\n"))
    users, tenants = User.objects.count(), Tenant.objects.count()
    assert main(["user", "create", "--config", CONFIG, "--tenant", "cli.example", *args]) == 1
    assert words in capsys.readouterr().err
    assert (User.objects.count(), Tenant.objects.count()) == (users, tenants)


def test_weak_password_from_stdin_is_refused(db, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("12345\n"))
    assert (
        main(
            [
                "user",
                "create",
                "--config",
                CONFIG,
                "--tenant",
                "weak.example",
                "--upn",
                "a@weak.example",
                "--role",
                "sales_agent",
            ]
        )
        == 1
    )
    assert "not strong enough" in capsys.readouterr().err
    assert not Tenant.objects.filter(domain="weak.example").exists()


def test_token_issue_prints_a_working_token(admin, capsys):
    assert main(["token", "issue", "--config", CONFIG, "--user", admin.upn, "--ttl", "120"]) == 0
    token = capsys.readouterr().out.strip()
    assert user_for_bearer(token) == admin
    stored = ApiToken.objects.get(user=admin)
    assert token not in (stored.digest, stored.prefix) and len(stored.digest) == 64
    assert (stored.expires_at - stored.created_at).total_seconds() == 120


def test_token_issue_for_a_customer_user_on_a_trustee_instance_is_refused_and_audited(
    partner, make_customer, make_user, swap_instance, capsys
):
    """The operator's CLI does not act as a customer's user where the trustee gates access; a
    partner's user still gets its token (docs/trustee.md)."""
    from hanse.audit.models import AuditRecord

    customer = make_customer(partner)
    upn = f"admin@{customer.tenant.domain}"
    swap_instance(trustee_required=True)
    assert main(["token", "issue", "--config", CONFIG, "--user", upn]) == 1
    err = capsys.readouterr().err
    assert "2033" in err and upn in err and "trustee" in err
    assert not ApiToken.objects.filter(user__upn=upn).exists()
    refused = AuditRecord.objects.get(action="token.issue_refused")
    assert (refused.actor_upn, refused.tenant_id, refused.after["user"]) == ("cli", customer.tenant_id, upn)
    staff = make_user(partner.tenant, Role.ADMIN_AGENT)
    assert main(["token", "issue", "--config", CONFIG, "--user", staff.upn]) == 0
    assert user_for_bearer(capsys.readouterr().out.strip()) == staff
    swap_instance(trustee_required=False)
    assert main(["token", "issue", "--config", CONFIG, "--user", upn]) == 0


def test_oauth_client_add_prints_the_id_and_writes_the_secret_to_a_file(db, tmp_path, capsys):
    from oauth2_provider.models import Application

    secret_file = tmp_path / "secret"
    argv = ["oauth", "client", "add", "--config", CONFIG, "--name", "de", "--client-id", "hanse-de"]
    argv += ["--redirect-uri", "http://127.0.0.1:8000/csp/link/callback", "--secret-file", str(secret_file)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    secret = secret_file.read_text().strip()
    assert "client_id: hanse-de" in out and secret not in out and len(secret) > 40
    assert secret_file.stat().st_mode & 0o777 == 0o600
    app = Application.objects.get(client_id="hanse-de")
    assert app.algorithm == "RS256" and app.redirect_uris == "http://127.0.0.1:8000/csp/link/callback"
    assert main(argv) == 1  # a second client of that name is refused
    assert "2035" in capsys.readouterr().err


def test_token_issue_unknown_user_and_bad_ttl(db, admin, capsys):
    assert main(["token", "issue", "--config", CONFIG, "--user", "ghost@nowhere.example"]) == 1
    assert "ghost@nowhere.example" in capsys.readouterr().err
    assert main(["token", "issue", "--config", CONFIG, "--user", admin.upn, "--ttl", "5"]) == 1
    assert "lifetime" in capsys.readouterr().err


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "hanse", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "demo" in result.stdout
