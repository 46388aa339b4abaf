"""The ``hanse`` command: init, serve, worker, user create, token issue, audit verify, demo."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A failure the operator can fix; printed without a traceback."""


def setup_django(config: str | None) -> None:
    """Validate the config file, then start Django against that instance's database."""
    if not config:
        raise CliError("--config FILE is required (or set HANSE_CONFIG)")
    from hanse.instance.config import load_config

    load_config(config)  # fail here, naming the file and key, before Django hides it in a traceback
    os.environ["HANSE_CONFIG"] = str(Path(config).resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hanse.settings")
    import django

    django.setup()


def _ensure_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as e:  # a database that cannot be reached at all
        raise CliError(f"cannot open the database: {e}") from None
    if pending:
        raise CliError(
            "the database is not initialised or not up to date: run `hanse init --config FILE` first"
        )


def cmd_init(args: argparse.Namespace) -> int:
    setup_django(args.config)
    from django.core.management import call_command

    from hanse.instance.current import instance

    inst = instance()
    inst.data_dir.mkdir(parents=True, exist_ok=True)
    (inst.data_dir / "static").mkdir(exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    print(f"instance {inst.id} ({inst.name}): database ready at {_redact(inst.database_url)}")
    return EXIT_OK


def _redact(url: str) -> str:
    from urllib.parse import urlparse

    p = urlparse(url)
    return url.replace(f":{p.password}@", ":***@") if p.password else url


UNIX_SOCKET_PATH_MAX = 104  # sun_path: 108 bytes on Linux, 104 on the BSDs and macOS


def cmd_serve(args: argparse.Namespace) -> int:
    setup_django(args.config)
    _ensure_migrated()
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from hanse.instance.current import instance
    from hanse.wsgi import application

    connections.close_all()  # workers are forked from this process: none may inherit a connection

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 10)
            # 0: gunicorn's own ceiling (1 MiB) instead of 4094 bytes, answered with HTML; the API
            # refuses a URL over its limit itself, with its JSON error body (api.middleware).
            self.cfg.set("limit_request_line", 0)
            self.cfg.set("accesslog", "-" if args.access_log else None)
            self.cfg.set("proc_name", f"hanse-{instance().id}")
            # gunicorn's default control socket is one per user (~/.gunicorn/gunicorn.ctl): a
            # server stopping removes the socket of every other. Each server gets its own, or
            # none where the path is too long for a Unix socket.
            ctl = instance().data_dir / f"gunicorn-{args.port}.ctl"
            if len(str(ctl).encode()) < UNIX_SOCKET_PATH_MAX:
                self.cfg.set("control_socket", str(ctl))
            else:
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            return application

    print(
        f"hanse {instance().id}: serving http://{args.host}:{args.port}/ with {args.workers} worker(s)",
        flush=True,
    )
    Server().run()
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    setup_django(args.config)
    _ensure_migrated()
    from django.core.management import call_command

    from hanse.audit.tasks import start_timer
    from hanse.billing.tasks import start_timer as start_billing_timer
    from hanse.directory.tasks import resume_user_imports
    from hanse.migration.engine import resume as resume_migrations

    # A job whose worker died stays "running" in the queue: import jobs are queued again, and
    # run from their first row not done (each row commits with the job's progress); each move
    # under way goes on from its persisted state.
    resume_user_imports()
    resume_migrations()
    start_timer()  # the log's timed checkpoint (docs/audit.md)
    start_billing_timer()  # the monthly billing run (docs/billing.md)
    argv = ["--no-reload", "--queue-name", "*", "--interval", str(args.interval)]
    if args.batch:
        argv.append("--batch")
    call_command("db_worker", *argv)
    return EXIT_OK


def _read_password() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    return line or None


def cmd_user_create(args: argparse.Namespace) -> int:
    setup_django(args.config)
    _ensure_migrated()
    from hanse.access.principal import system_principal
    from hanse.directory import services as directory
    from hanse.directory.selectors import tenant_by_domain
    from hanse.instance.current import instance
    from hanse.partners.models import PartnerAccount
    from hanse.partners.services import partner_account_create

    actor = system_principal("cli")
    roles = directory.parse_roles(args.role)
    kinds = {directory.ROLE_TENANT_KINDS[r] for r in roles}
    if len(kinds) > 1:
        raise CliError("these roles belong to different kinds of tenant; create one user per kind")
    from django.db import transaction

    password = _read_password()
    with transaction.atomic():
        tenant = tenant_by_domain(args.tenant)
        created_tenant = tenant is None
        if tenant is None:
            region = args.region or instance().regions[0].id
            tenant = directory.tenant_create(
                actor=actor,
                domain=args.tenant,
                name=args.tenant_name or args.tenant,
                kind=kinds.pop(),
                region=region,
                country=args.country,
            )
            if tenant.kind == "partner":
                # An operator enrolling a partner by hand vouches for it: the account starts active.
                partner_account_create(
                    actor=actor, tenant=tenant, company_name=tenant.name, state=PartnerAccount.State.ACTIVE
                )
        created = directory.user_create(
            actor=actor,
            tenant=tenant,
            upn=args.upn,
            display_name=args.display_name or "",
            roles=roles,
            password=password,
            must_change_password=not args.no_password_change,
        )
    if created_tenant:
        print(f"created tenant {tenant.domain} ({tenant.kind}, region {tenant.home_region})")
    print(f"created user {created.user.upn} with role(s) {', '.join(r.value for r in roles)}")
    if created.generated:
        print(f"password (shown once): {created.password}")
    return EXIT_OK


def cmd_token_issue(args: argparse.Namespace) -> int:
    setup_django(args.config)
    _ensure_migrated()
    from hanse.access.principal import system_principal
    from hanse.directory import errors as directory_errors
    from hanse.directory import services as directory
    from hanse.directory.selectors import user_by_upn
    from hanse.errors import NotFound

    user = user_by_upn(args.user)
    if user is None:
        raise NotFound(directory_errors.USER_NOT_FOUND, upn=args.user)
    issued = directory.token_issue(
        actor=system_principal("cli"), user=user, ttl_seconds=args.ttl, label=args.label or "cli"
    )
    print(issued.token)
    return EXIT_OK


def cmd_oauth_client_add(args: argparse.Namespace) -> int:
    setup_django(args.config)
    _ensure_migrated()
    from hanse.access.principal import system_principal
    from hanse.directory.oauth_clients import oauth_client_add

    client = oauth_client_add(
        actor=system_principal("cli"),
        name=args.name,
        redirect_uris=args.redirect_uri,
        client_id=args.client_id,
    )
    print(f"client_id: {client.application.client_id}")
    if args.secret_file:
        # Written for the other instance's client_secret_file, readable by its owner only.
        fd = os.open(args.secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(client.client_secret + "\n")
        print(f"client_secret: written to {args.secret_file}")
    else:
        print(f"client_secret (shown once): {client.client_secret}")
    print(
        "Keep both in the other instance's [[peers]] entry: client_id, and the secret in a file "
        "(client_secret_file) or an environment variable (client_secret_env), never in the config."
    )
    return EXIT_OK


def cmd_link_status(args: argparse.Namespace) -> int:
    setup_django(args.config)
    _ensure_migrated()
    from hanse.access.principal import system_principal
    from hanse.links.selectors import tenant_link_for

    link = tenant_link_for(system_principal("cli"), args.partner)
    if link is None:
        print(f"{args.partner}: not linked")
        return EXIT_OK
    print(f"{args.partner}: linked to {link.target_domain} at {link.peer} ({link.target_region})")
    print(f"  target tenant {link.target_tenant_id}, CSP account {link.target_account_state} when linked")
    print(f"  linked by {link.linked_by.upn} at {link.linked_at.isoformat(timespec='seconds')}")
    print(f"  signed in at {link.peer} as {link.target_user}")
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    if args.export:
        from hanse.audit.cli import verify_offline

        return _audit_command(verify_offline)(args)
    setup_django(args.config)
    _ensure_migrated()
    from hanse.audit.verify import verify_chain

    result = verify_chain()
    if result.ok:
        print(f"audit log intact: {result.checked} record(s) verified")
        return EXIT_OK
    where = f"record #{result.bad_seq}" + (f" (id {result.bad_id})" if result.bad_id else "")
    print(
        f"audit log BROKEN at {where}: {result.reason}; {result.checked} record(s) before it are intact",
        file=sys.stderr,
    )
    return EXIT_FAIL


def cmd_catalog_load(args: argparse.Namespace) -> int:
    setup_django(args.config)
    _ensure_migrated()
    from hanse.access.principal import system_principal
    from hanse.catalog.services import catalog_load

    loaded = catalog_load(actor=system_principal("cli"), path=Path(args.file))
    print(f"loaded {len(loaded)} offer(s)")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from hanse.demo import run_demo

    return run_demo(data_dir=Path(args.data_dir), port_base=args.port_base, seed_only=args.seed_only)


def cmd_demo_seed(args: argparse.Namespace) -> int:
    setup_django(args.config)
    _ensure_migrated()
    from hanse.demo_seed import seed

    seed(out=Path(args.out))
    return EXIT_OK


def _audit_command(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from hanse.audit.cli import AuditCliError

        if fn.__name__ not in ("verify_offline", "witness"):
            setup_django(args.config)
            _ensure_migrated()
        try:
            return fn(args)
        except AuditCliError as e:
            raise CliError(str(e)) from None

    return run


def _django_command(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        setup_django(args.config)
        _ensure_migrated()
        return fn(args)

    return run


def _migration_command(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        setup_django(args.config)
        _ensure_migrated()
        from hanse.migration.cli import MigrationCliError

        try:
            return fn(args)
        except MigrationCliError as e:
            raise CliError(str(e)) from None

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hanse", description="Hanse: a partner center for sovereign clouds."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        name: str,
        help_: str,
        fn: Callable[[argparse.Namespace], int],
        *,
        parent: Any = sub,
        config: bool = True,
    ) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_, description=help_)
        if config:
            p.add_argument(
                "--config",
                default=os.environ.get("HANSE_CONFIG"),
                metavar="FILE",
                help="the instance's TOML file (default: $HANSE_CONFIG)",
            )
        p.set_defaults(fn=fn)
        return p

    command("init", "Create or upgrade the instance's database (safe to repeat).", cmd_init)

    p = command("serve", "Serve the web UI, the API and static files (gunicorn).", cmd_serve)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")
    p.add_argument("--threads", type=int, default=4, help="threads per worker process (default: 4)")
    p.add_argument("--access-log", action="store_true", help="log each request to stdout")

    p = command("worker", "Run durable background jobs from the database queue.", cmd_worker)
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
    p.add_argument("--batch", action="store_true", help="run what is queued, then exit")

    user = sub.add_parser("user", help="Manage users.", description="Manage users.")
    user_sub = user.add_subparsers(dest="user_command", metavar="COMMAND", required=True)
    p = command(
        "create",
        "Create a user; the password is read from stdin, or generated and printed once.",
        cmd_user_create,
        parent=user_sub,
    )
    p.add_argument(
        "--tenant", required=True, metavar="DOMAIN", help="the tenant's domain (created if missing)"
    )
    p.add_argument("--upn", required=True, help="user principal name, e.g. admin@contoso.example")
    p.add_argument(
        "--role",
        required=True,
        action="append",
        help="role to grant (repeatable): global_admin, user_management_admin, admin_agent, sales_agent, "
        "billing_admin, helpdesk_agent, customer_global_admin, operator, trustee_officer",
    )
    p.add_argument("--display-name", default="")
    p.add_argument("--tenant-name", default="", help="name of a new tenant (default: its domain)")
    p.add_argument("--region", default="", help="home region of a new tenant (default: the first region)")
    p.add_argument("--country", default=None, help="country of a new tenant (default: the region's)")
    p.add_argument(
        "--no-password-change", action="store_true", help="do not force a password change at first sign-in"
    )

    token = sub.add_parser("token", help="Manage API tokens.", description="Manage API tokens.")
    token_sub = token.add_subparsers(dest="token_command", metavar="COMMAND", required=True)
    p = command(
        "issue",
        "Print a bearer token for the API (stored hashed, expiring, revocable).",
        cmd_token_issue,
        parent=token_sub,
    )
    p.add_argument("--user", required=True, metavar="UPN")
    p.add_argument("--ttl", type=int, default=3600, metavar="SECONDS", help="lifetime (default: 3600)")
    p.add_argument("--label", default="")

    oauth = sub.add_parser(
        "oauth", help="OAuth / OpenID Connect clients.", description="OAuth / OpenID Connect clients."
    )
    oauth_sub = oauth.add_subparsers(dest="oauth_command", metavar="COMMAND", required=True)
    oauth_client = oauth_sub.add_parser("client", help="Clients of this instance's OpenID provider.")
    client_sub = oauth_client.add_subparsers(dest="client_command", metavar="COMMAND", required=True)
    p = command(
        "add",
        "Register another instance as a client; prints its client id and secret (shown once).",
        cmd_oauth_client_add,
        parent=client_sub,
    )
    p.add_argument("--name", required=True, help="the client's name, e.g. the peer's instance id")
    p.add_argument(
        "--redirect-uri", required=True, action="append", help="its callback URL (repeatable), exactly"
    )
    p.add_argument("--client-id", default="", help="a client id of your choosing (default: generated)")
    p.add_argument("--secret-file", default="", help="write the secret to this file (mode 0600), not stdout")

    link = sub.add_parser(
        "link", help="Links of partner accounts to another instance.", description="Tenant links."
    )
    link_sub = link.add_subparsers(dest="link_command", metavar="COMMAND", required=True)
    p = command(
        "status", "Show whether a partner's account is linked, and to what.", cmd_link_status, parent=link_sub
    )
    p.add_argument("--partner", required=True, metavar="DOMAIN", help="the partner tenant's domain")

    from hanse.migration.cli import add_commands

    add_commands(sub, command, _migration_command)

    from hanse.billing.cli import add_commands as add_billing_commands

    add_billing_commands(sub, command, _django_command)

    from hanse.customers.cli import add_commands as add_customer_commands

    add_customer_commands(sub, command, _django_command)

    audit = sub.add_parser("audit", help="The audit log.", description="The audit log.")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    p = command(
        "verify",
        "Exit 0 if the audit log is intact; else exit 1 naming the first bad record. With --export, "
        "check an export offline, without the database.",
        cmd_audit_verify,
        parent=audit_sub,
    )
    p.add_argument("--export", metavar="DIR", help="an export of `hanse audit export` (no --config needed)")
    p.add_argument(
        "--checkpoint", metavar="FILE", action="append", help="a checkpoint held from elsewhere (repeat)"
    )
    from hanse.audit.cli import add_commands as add_audit_commands

    add_audit_commands(audit_sub, command, _audit_command)

    catalog = sub.add_parser(
        "catalog", help="The instance's catalogue.", description="The instance's catalogue."
    )
    catalog_sub = catalog.add_subparsers(dest="catalog_command", metavar="COMMAND", required=True)
    p = command(
        "load",
        "Load offers from a JSON file (all or nothing). The first load is the instance's existing catalogue; "
        "after that each offer is a new service, refused where the instance deploys no new services.",
        cmd_catalog_load,
        parent=catalog_sub,
    )
    p.add_argument("--file", required=True, help="a JSON list of offers (see src/hanse/catalog/data/)")

    p = command(
        "demo",
        "Run both demo instances (sovereign 'de' and public 'eu') with demo data.",
        cmd_demo,
        config=False,
    )
    p.add_argument("--data-dir", default="demo-data", metavar="DIR", help="where configs and data go")
    p.add_argument("--port-base", type=int, default=8000, help="de on this port, eu on the next")
    p.add_argument("--seed-only", action="store_true", help="write configs and seed, then exit")

    p = command("demo-seed", argparse.SUPPRESS, cmd_demo_seed)
    p.add_argument("--out", required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from hanse.errors import DomainError
    from hanse.instance.config import ConfigError

    try:
        return args.fn(args)
    except ConfigError as e:
        print(f"hanse: configuration error: {e.file}: {e.key}: {e.message}", file=sys.stderr)
        return EXIT_USAGE
    except CliError as e:
        print(f"hanse: {e}", file=sys.stderr)
        return EXIT_FAIL
    except DomainError as e:
        print(f"hanse: {e.description} (code {e.code})", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
