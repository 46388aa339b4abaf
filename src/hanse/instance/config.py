"""The instance's TOML configuration (docs/operators.md; docs/architecture.md §11), validated on load.

A bad file is answered with the file, the key and what is wrong, so that an operator can fix it
without reading code.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from hanse.instance.markets import is_european, parse_markets

TASKS = ("partner_users", "customer_users", "password_reset", "licences")
TASK_PLACES = ("partnercenter", "admincenter")
KINDS = ("sovereign", "public")


class ConfigError(Exception):
    def __init__(self, file: str, key: str, message: str) -> None:
        self.file, self.key, self.message = file, key, message
        super().__init__(f"{file}: {key}: {message}")


GEOGRAPHIES = ("europe", "americas", "asia-pacific", "middle-east-africa", "other")


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    country: str
    european: bool
    geography: str = "europe"  # "not in a European region" is this, a fact of the config


@dataclass(frozen=True)
class Peer:
    id: str
    url: str
    name: str = ""
    # This instance's OAuth client at the peer (``hanse oauth client add`` there): the secret is
    # read from a file or an environment variable, never written in the config itself.
    client_id: str = ""
    client_secret_file: Path | None = None
    client_secret_env: str = ""

    def client_secret(self) -> str:
        if self.client_secret_file is not None:
            return self.client_secret_file.read_text().strip()
        return os.environ.get(self.client_secret_env, "") if self.client_secret_env else ""


CONSENTS = ("customer", "partner-attested")


@dataclass(frozen=True)
class MigrationPolicy:
    """How customers move to a peer (docs/migration.md): who consents, how long the source keeps
    a moved customer's data, the offer mapping's override file and the size of a pushed batch."""

    consent: str = "customer"
    retention_days: int = 30
    offer_map_file: Path | None = None
    batch_size: int = 500


@dataclass(frozen=True)
class BillingPolicy:
    """Who sells to the partners on their invoices (docs/billing.md): the seller's name, address,
    country and VAT number, and an optional file of VAT rates that replaces the bundled one."""

    seller_name: str = ""
    seller_address: tuple[str, ...] = ()
    seller_country: str = ""
    seller_vat_id: str = ""
    vat_rates_file: Path | None = None


@dataclass(frozen=True)
class AuditPolicy:
    """The verifiable log (docs/audit.md): the log's origin line and key, how often a checkpoint is
    signed, and the witnesses whose cosignatures the instance accepts (their verifier keys)."""

    origin: str = ""
    key_file: Path | None = None  # the Ed25519 key's PEM; else generated into data_dir
    retired_keys: tuple[str, ...] = ()  # verifier keys of keys rotated out, still trusted
    checkpoint_every: int = 1000
    checkpoint_minutes: int = 60
    witnesses: tuple[str, ...] = ()


APPROVALS = ("trustee", "customer", "trustee+customer")
REASONS = (
    "customer_support",
    "incident_response",
    "service_maintenance",
    "legal_demand",
    "fraud_investigation",
)


@dataclass(frozen=True)
class TrusteePolicy:
    """Who approves an operator's access to customer data, and for how long (docs/trustee.md)."""

    approval: str = "trustee"
    max_grant_hours: int = 8
    decision_hours: int = 12
    denied_reasons: tuple[str, ...] = ()
    break_glass: bool = False

    @property
    def approvers(self) -> tuple[str, ...]:
        """The parties that approve, in turn."""
        return tuple(self.approval.split("+"))


@dataclass(frozen=True)
class InstanceConfig:
    id: str
    name: str
    kind: str
    data_boundary: tuple[str, ...]
    accepts_new_customers: bool
    accepts_new_services: bool
    trustee_required: bool
    markets_spec: str
    regions: tuple[Region, ...]
    database_url: str
    task_routing: dict[str, str]
    peers: tuple[Peer, ...]
    data_dir: Path
    source: str = "<defaults>"
    secret_key: str = ""
    public_url: str = ""
    mfa_required_roles: tuple[str, ...] = ()
    # Addresses of the TLS proxies in front of the instance: only their X-Forwarded-For is read.
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    rate_limit_per_minute: int = 500
    auto_activate_partners: bool = False
    markets: dict[str, tuple[str, str]] = field(default_factory=dict)
    trustee: TrusteePolicy = field(default_factory=TrusteePolicy)
    oidc_key_file: Path | None = None  # the RS256 key's PEM; else generated into data_dir
    migration: MigrationPolicy = field(default_factory=lambda: MigrationPolicy())
    audit: AuditPolicy = field(default_factory=lambda: AuditPolicy())
    billing: BillingPolicy = field(default_factory=lambda: BillingPolicy())

    @property
    def is_sovereign(self) -> bool:
        return self.kind == "sovereign"

    def region(self, region_id: str) -> Region | None:
        return next((r for r in self.regions if r.id == region_id), None)

    def task_place(self, task: str) -> str:
        return self.task_routing[task]


DEFAULT_MFA_ROLES = (
    "global_admin",
    "user_management_admin",
    "admin_agent",
    "billing_admin",
    "customer_global_admin",
    "operator",
    "trustee_officer",
)


class _Reader:
    """Typed access to one TOML table that reports errors with the dotted key."""

    def __init__(self, file: str, table: dict[str, Any], prefix: str) -> None:
        self.file, self.table, self.prefix = file, table, prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, message: str) -> ConfigError:
        return ConfigError(self.file, self.key(name), message)

    def get(
        self, name: str, kind: type | tuple[type, ...], default: Any = ..., required: bool = False
    ) -> Any:
        if name not in self.table:
            if required or default is ...:
                raise self.fail(name, "is required")
            return default
        value = self.table[name]
        # bool is an int in Python; a flag written as 1 or a count written as true is a mistake.
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(name, f"must be {_article(expected)}, got {value!r}")
        return value

    def text(self, name: str, default: Any = ...) -> str:
        value = self.get(name, str, default)
        if isinstance(value, str) and not value.strip() and default is ...:
            raise self.fail(name, "must not be empty")
        return value

    def unknown(self, allowed: set[str]) -> None:
        extra = sorted(set(self.table) - allowed)
        if extra:
            raise self.fail(extra[0], f"is not a known setting (known: {', '.join(sorted(allowed))})")


def _article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _parse_db_url(file: str, url: str, base: Path) -> str:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path is relative to the config file; sqlite:////abs is absolute.
        raw = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not raw:
            raise ConfigError(file, "database.url", "a SQLite URL looks like sqlite:///data/instance.sqlite3")
        path = Path(raw)
        return f"sqlite:///{path if path.is_absolute() else (base / path).resolve()}"
    if parsed.scheme in ("postgres", "postgresql"):
        if not parsed.path.strip("/"):
            raise ConfigError(file, "database.url", "a PostgreSQL URL must name the database")
        return url
    raise ConfigError(
        file, "database.url", f"scheme {parsed.scheme!r} is not supported; use sqlite or postgresql"
    )


def parse_config(data: dict[str, Any], *, source: str, base: Path) -> InstanceConfig:
    top = _Reader(source, data, "")
    top.unknown(
        {
            "instance",
            "regions",
            "database",
            "task_routing",
            "peers",
            "security",
            "api",
            "partners",
            "paths",
            "trustee",
            "oidc",
            "migration",
            "audit",
            "billing",
        }
    )

    inst = _Reader(source, top.get("instance", dict, required=True), "instance")
    inst.unknown(
        {
            "id",
            "name",
            "kind",
            "data_boundary",
            "accepts_new_customers",
            "accepts_new_services",
            "trustee_required",
            "markets",
            "secret_key",
            "public_url",
        }
    )
    iid = inst.text("id")
    if not iid.replace("-", "").isalnum() or not iid.islower() or len(iid) > 20:
        raise inst.fail("id", "must be 1-20 lower-case letters, digits or '-'")
    kind = inst.text("kind")
    if kind not in KINDS:
        raise inst.fail("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    boundary = inst.get("data_boundary", list)
    if not boundary or not all(isinstance(c, str) and len(c) == 2 for c in boundary):
        raise inst.fail("data_boundary", 'must be a non-empty list of ISO country codes such as ["DE"]')
    markets_spec = inst.get("markets", str, "EU+EFTA")
    try:
        markets = parse_markets(markets_spec)
    except ValueError as e:
        raise inst.fail("markets", str(e)) from None

    raw_regions = top.get("regions", list, required=True)
    if not raw_regions:
        raise top.fail("regions", "at least one region is required")
    regions = []
    for i, raw in enumerate(raw_regions):
        if not isinstance(raw, dict):
            raise top.fail(f"regions[{i}]", "must be a table")
        r = _Reader(source, raw, f"regions[{i}]")
        r.unknown({"id", "name", "country", "european", "geography"})
        country = r.text("country").upper()
        by_country = "europe" if r.get("european", bool, is_european(country)) else "other"
        geography = r.get("geography", str, by_country)
        if geography not in GEOGRAPHIES:
            raise r.fail("geography", f"must be one of {', '.join(GEOGRAPHIES)}, got {geography!r}")
        european = r.get("european", bool, geography == "europe")
        if european != (geography == "europe"):
            raise r.fail("european", f"contradicts geography = {geography!r}")
        regions.append(
            Region(
                id=r.text("id"), name=r.text("name"), country=country, european=european, geography=geography
            )
        )
    ids = [r.id for r in regions]
    if len(set(ids)) != len(ids):
        raise top.fail("regions", "region ids must be unique")
    outside = [r.id for r in regions if r.country not in {c.upper() for c in boundary}]
    if outside:
        raise top.fail("regions", f"region {outside[0]!r} lies outside the data boundary {boundary}")

    db = _Reader(source, top.get("database", dict, {}), "database")
    db.unknown({"url"})
    paths = _Reader(source, top.get("paths", dict, {}), "paths")
    paths.unknown({"data_dir"})
    data_dir = Path(paths.get("data_dir", str, "data"))
    data_dir = data_dir if data_dir.is_absolute() else (base / data_dir).resolve()
    db_url = _parse_db_url(source, db.get("url", str, f"sqlite:///{data_dir / (iid + '.sqlite3')}"), base)

    routing_raw = _Reader(source, top.get("task_routing", dict, {}), "task_routing")
    routing_raw.unknown(set(TASKS))
    default_place = "admincenter" if kind == "sovereign" else "partnercenter"
    routing = {}
    for t in TASKS:
        place = routing_raw.get(t, str, default_place)
        if place not in TASK_PLACES:
            raise routing_raw.fail(t, f"must be one of {', '.join(TASK_PLACES)}, got {place!r}")
        routing[t] = place

    peers = []
    for i, raw in enumerate(top.get("peers", list, [])):
        if not isinstance(raw, dict):
            raise top.fail(f"peers[{i}]", "must be a table")
        p = _Reader(source, raw, f"peers[{i}]")
        p.unknown(
            {"id", "url", "name", "client_id", "client_secret_file", "client_secret_env", "client_secret"}
        )
        url = p.text("url")
        if urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc:
            raise p.fail("url", f"must be an http(s) URL, got {url!r}")
        if "client_secret" in raw:
            raise p.fail(
                "client_secret", "is never written in the config: use client_secret_file or client_secret_env"
            )
        secret_file = p.get("client_secret_file", str, "")
        peers.append(
            Peer(
                id=p.text("id"),
                url=url.rstrip("/"),
                name=p.get("name", str, ""),
                client_id=p.get("client_id", str, ""),
                client_secret_file=((base / secret_file).resolve() if secret_file else None),
                client_secret_env=p.get("client_secret_env", str, ""),
            )
        )

    sec = _Reader(source, top.get("security", dict, {}), "security")
    sec.unknown({"mfa_required_roles", "trusted_proxies"})
    mfa_roles = sec.get("mfa_required_roles", list, list(DEFAULT_MFA_ROLES))
    proxies = []
    for value in sec.get("trusted_proxies", list, []):
        try:
            proxies.append(ip_network(str(value), strict=False))
        except ValueError:
            raise sec.fail("trusted_proxies", f"{value!r} is not an IP address or network") from None
    api = _Reader(source, top.get("api", dict, {}), "api")
    api.unknown({"rate_limit_per_minute"})
    rate = api.get("rate_limit_per_minute", int, 500)
    if rate < 1:
        raise api.fail("rate_limit_per_minute", "must be at least 1")
    partners = _Reader(source, top.get("partners", dict, {}), "partners")
    partners.unknown({"auto_activate"})
    trustee_required = inst.get("trustee_required", bool, kind == "sovereign")
    oidc = _Reader(source, top.get("oidc", dict, {}), "oidc")
    oidc.unknown({"private_key_file"})
    key_file = oidc.get("private_key_file", str, "")
    trustee = _trustee_policy(_Reader(source, top.get("trustee", dict, {}), "trustee"), trustee_required)
    migration = _migration_policy(_Reader(source, top.get("migration", dict, {}), "migration"), base)
    audit = _audit_policy(_Reader(source, top.get("audit", dict, {}), "audit"), base, iid)
    billing = _billing_policy(
        _Reader(source, top.get("billing", dict, {}), "billing"), base, inst.text("name"), boundary[0].upper()
    )

    return InstanceConfig(
        id=iid,
        name=inst.text("name"),
        kind=kind,
        data_boundary=tuple(c.upper() for c in boundary),
        accepts_new_customers=inst.get("accepts_new_customers", bool, kind == "public"),
        accepts_new_services=inst.get("accepts_new_services", bool, kind == "public"),
        trustee_required=trustee_required,
        markets_spec=markets_spec,
        markets=markets,
        regions=tuple(regions),
        database_url=db_url,
        task_routing=routing,
        peers=tuple(peers),
        data_dir=data_dir,
        source=source,
        secret_key=inst.get("secret_key", str, ""),
        public_url=inst.get("public_url", str, "").rstrip("/"),
        mfa_required_roles=tuple(mfa_roles),
        trusted_proxies=tuple(proxies),
        rate_limit_per_minute=rate,
        auto_activate_partners=partners.get("auto_activate", bool, False),
        trustee=trustee,
        oidc_key_file=(base / key_file).resolve() if key_file else None,
        migration=migration,
        audit=audit,
        billing=billing,
    )


def _billing_policy(b: _Reader, base: Path, name: str, country: str) -> BillingPolicy:
    b.unknown({"seller_name", "seller_address", "seller_country", "seller_vat_id", "vat_rates_file"})
    address = b.get("seller_address", list, [])
    if not all(isinstance(line, str) for line in address) or len(address) > 6:
        raise b.fail("seller_address", "must be a list of at most 6 lines of text")
    seller_country = b.get("seller_country", str, country).strip().upper()
    if len(seller_country) != 2 or not seller_country.isalpha():
        raise b.fail("seller_country", "must be an ISO country code such as DE")
    rates = b.get("vat_rates_file", str, "")
    return BillingPolicy(
        seller_name=b.get("seller_name", str, name).strip() or name,
        seller_address=tuple(line.strip() for line in address),
        seller_country=seller_country,
        seller_vat_id=b.get("seller_vat_id", str, "").strip(),
        vat_rates_file=(base / rates).resolve() if rates else None,
    )


def _audit_policy(a: _Reader, base: Path, iid: str) -> AuditPolicy:
    from hanse.audit.notes import COSIGNATURE_V1, ED25519, NoteError, parse_vkey, valid_name

    a.unknown({"origin", "key_file", "retired_keys", "checkpoint_every", "checkpoint_minutes", "witnesses"})
    origin = a.get("origin", str, f"hanse/{iid}/audit")
    if not valid_name(origin):
        raise a.fail("origin", "must be a name without spaces or '+', such as hanse.example/de/audit")
    every = a.get("checkpoint_every", int, 1000)
    if not 1 <= every <= 1_000_000:
        raise a.fail("checkpoint_every", "must be between 1 and 1000000 records")
    minutes = a.get("checkpoint_minutes", int, 60)
    if not 1 <= minutes <= 1440:
        raise a.fail("checkpoint_minutes", "must be between 1 and 1440 minutes")
    keys: dict[str, tuple[str, ...]] = {}
    for name, kind in (("retired_keys", ED25519), ("witnesses", COSIGNATURE_V1)):
        values = a.get(name, list, [])
        for value in values:
            try:
                verifier = parse_vkey(str(value))
            except NoteError as e:
                raise a.fail(name, str(e)) from None
            if verifier.kind != kind:
                raise a.fail(name, f"{verifier.name}: must be a key of type 0x{kind:02x}")
        keys[name] = tuple(str(v).strip() for v in values)
    key_file = a.get("key_file", str, "")
    return AuditPolicy(
        origin=origin,
        key_file=(base / key_file).resolve() if key_file else None,
        retired_keys=keys["retired_keys"],
        checkpoint_every=every,
        checkpoint_minutes=minutes,
        witnesses=keys["witnesses"],
    )


def _migration_policy(m: _Reader, base: Path) -> MigrationPolicy:
    m.unknown({"consent", "retention_days", "offer_map_file", "batch_size"})
    consent = m.get("consent", str, "customer")
    if consent not in CONSENTS:
        raise m.fail("consent", f"must be one of {', '.join(CONSENTS)}, got {consent!r}")
    retention = m.get("retention_days", int, 30)
    if not 0 <= retention <= 3650:
        raise m.fail("retention_days", "must be between 0 and 3650 days")
    batch = m.get("batch_size", int, 500)
    if not 1 <= batch <= 1000:  # a batch must fit in the peer's 2 MiB request body
        raise m.fail("batch_size", "must be between 1 and 1000 objects")
    map_file = m.get("offer_map_file", str, "")
    return MigrationPolicy(
        consent=consent,
        retention_days=retention,
        offer_map_file=(base / map_file).resolve() if map_file else None,
        batch_size=batch,
    )


def _trustee_policy(t: _Reader, trustee_required: bool) -> TrusteePolicy:
    t.unknown({"approval", "max_grant_hours", "decision_hours", "denied_reasons", "break_glass"})
    approval = t.get("approval", str, "trustee" if trustee_required else "customer")
    if approval not in APPROVALS:
        raise t.fail("approval", f"must be one of {', '.join(APPROVALS)}, got {approval!r}")
    if trustee_required and "trustee" not in approval:
        raise t.fail(
            "approval", "a trustee instance needs the trustee's approval: trustee or trustee+customer"
        )
    hours = {}
    for name, default, ceiling in (("max_grant_hours", 8, 72), ("decision_hours", 12, 96)):
        hours[name] = t.get(name, int, default)
        if not 1 <= hours[name] <= ceiling:
            raise t.fail(name, f"must be between 1 and {ceiling} hours")
    denied = t.get("denied_reasons", list, [])
    unknown = [r for r in denied if r not in REASONS]
    if unknown:
        raise t.fail("denied_reasons", f"{unknown[0]!r} is not a reason code (known: {', '.join(REASONS)})")
    return TrusteePolicy(
        approval=approval,
        denied_reasons=tuple(denied),
        break_glass=t.get("break_glass", bool, False),
        **hours,
    )


def load_config(path: str | Path) -> InstanceConfig:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(str(p), "-", "file not found")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(p), "-", f"not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(str(p), "-", "not UTF-8 text") from None
    return parse_config(data, source=str(p), base=p.resolve().parent)


DEFAULT_TOML = """
[instance]
id = "dev"
name = "Hanse development instance"
kind = "public"
data_boundary = ["DE", "FR", "NL", "IE"]

[[regions]]
id = "eu-west"
name = "Amsterdam"
country = "NL"
"""
