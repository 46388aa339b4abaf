"""The trustee's witness (docs/audit.md §7): it checks that an instance's log only grows, and
co-signs each checkpoint it checked. It runs on the trustee's side with its own key and needs no
database and no Hanse instance of its own: a TOML file and a state directory."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanse.audit import merkle, notes

KEY_FILE = "witness-ed25519.pem"


class WitnessError(Exception):
    """The run could not finish (the instance unreachable, a bad answer): exit 2."""


class Inconsistent(Exception):
    """The log is not the one the witness co-signed before: exit 1."""


@dataclass(frozen=True)
class WitnessConfig:
    name: str
    state_dir: Path
    key_file: Path | None = None


def load_config(path: str | Path) -> WitnessConfig:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise WitnessError(f"{p}: {e}") from None
    w = data.get("witness")
    if not isinstance(w, dict):
        raise WitnessError(f"{p}: a [witness] table with name and state_dir is required")
    unknown = set(w) - {"name", "state_dir", "key_file"}
    if unknown:
        raise WitnessError(f"{p}: witness.{sorted(unknown)[0]}: unknown key")
    name = w.get("name")
    if not isinstance(name, str) or not notes.valid_name(name):
        raise WitnessError(
            f"{p}: witness.name: a name without spaces or '+', such as trustee.example/witness"
        )
    state = Path(str(w.get("state_dir", "witness-state")))
    key = w.get("key_file")
    return WitnessConfig(
        name=name,
        state_dir=state if state.is_absolute() else (p.parent / state).resolve(),
        key_file=(p.parent / str(key)).resolve() if key else None,
    )


def signer(cfg: WitnessConfig) -> notes.Signer:
    path = cfg.key_file or cfg.state_dir / KEY_FILE
    if not path.exists():
        if cfg.key_file is not None:
            raise WitnessError(f"{path}: no such key file")
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise WitnessError(f"{path}: not an Ed25519 private key")
    return notes.Signer(cfg.name, key, kind=notes.COSIGNATURE_V1)


@dataclass
class Run:
    origin: str
    size: int
    previous: int | None  # the size it co-signed before, if any
    published: bool
    note: str  # the checkpoint with this witness's cosignature


def _state_file(cfg: WitnessConfig, url: str) -> Path:
    return cfg.state_dir / "logs" / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".json")


def _get(client: httpx.Client, method: str, url: str, **kw: Any) -> httpx.Response:
    try:
        return client.request(method, url, **kw)
    except httpx.HTTPError as e:
        raise WitnessError(f"{url}: {e}") from None


def _error(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{body.get('code')}: {body.get('description')}"
    except ValueError:
        return f"HTTP {response.status_code}"


def _log_keys(client: httpx.Client, url: str, pinned: list[str]) -> list[str]:
    """The instance's log keys. The first run pins them; later runs take new ones (a rotation) only
    while a pinned key is still listed, so a swapped key set is refused."""
    response = _get(client, "GET", f"{url}/.well-known/hanse/audit-keys")
    if response.status_code != 200:
        raise WitnessError(f"{url}/.well-known/hanse/audit-keys: {_error(response)}")
    listed = []
    for line in response.text.splitlines():
        if line.startswith("#"):
            break
        if line.strip():
            listed.append(line.strip())
    if pinned and not set(pinned) & set(listed):
        raise Inconsistent("the instance no longer lists any log key this witness pinned")
    return list(dict.fromkeys([*pinned, *listed]))


def run(cfg: WitnessConfig, url: str, *, client: httpx.Client | None = None, now: int | None = None) -> Run:
    if client is None:
        with httpx.Client(timeout=30) as own:
            return _run(cfg, url.rstrip("/"), own, now)
    return _run(cfg, url.rstrip("/"), client, now)


def _run(cfg: WitnessConfig, url: str, client: httpx.Client, now: int | None) -> Run:
    path = _state_file(cfg, url)
    state: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    log_keys = _log_keys(client, url, state.get("log_keys", []))
    verifiers = [notes.parse_vkey(k) for k in log_keys]

    # The instance checks its stored log against its latest checkpoint and signs it as it stands.
    response = _get(client, "POST", f"{url}/v1/auditlog/checkpoint")
    if response.status_code == 409:
        raise Inconsistent(f"the instance refuses to sign its log: {_error(response)}")
    if response.status_code != 200:
        raise WitnessError(f"{url}/v1/auditlog/checkpoint: {_error(response)}")
    signed = response.text
    try:
        body, _ = notes.open_note(signed, verifiers)
        new = notes.parse_checkpoint(body)
    except notes.NoteError as e:
        raise Inconsistent(f"the checkpoint does not verify: {e}") from None
    if state.get("origin") and new.origin != state["origin"]:
        raise Inconsistent(f"the origin changed from {state['origin']!r} to {new.origin!r}")

    previous = None
    if state.get("checkpoint"):
        old = notes.parse_checkpoint(state["checkpoint"])
        previous = old.size
        if new.size < old.size:
            raise Inconsistent(f"the log shrank from {old.size} to {new.size} records")
        if new.size == old.size and new.root != old.root:
            raise Inconsistent(
                f"fork: a checkpoint of {new.size} records with another root than the one co-signed"
            )
        if new.size > old.size:
            response = _get(
                client,
                "GET",
                f"{url}/v1/auditlog/consistency",
                params={"first": old.size, "second": new.size},
            )
            if response.status_code != 200:
                raise Inconsistent(f"no consistency proof from {old.size} to {new.size}: {_error(response)}")
            try:
                proof = [base64.b64decode(x, validate=True) for x in response.text.split()]
                merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
            except (ValueError, merkle.ProofError) as e:
                raise Inconsistent(
                    f"checkpoint {new.size} is not an extension of checkpoint {old.size} it co-signed: {e}"
                ) from None

    me = signer(cfg)
    cosignature = notes.cosign(body, me, int(time.time()) if now is None else now)
    mine = f"{notes.DASH}{me.name} "
    # What it keeps, and what any verifier can hold against the log: the checkpoint, co-signed.
    note = (
        "".join(line + "\n" for line in signed.splitlines() if not line.startswith(mine)) + cosignature.line
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {"url": url, "origin": new.origin, "log_keys": log_keys, "checkpoint": body, "note": note},
            indent=2,
        )
    )
    published = _get(
        client,
        "POST",
        f"{url}/v1/auditlog/checkpoints/{new.size}/cosignatures",
        content=cosignature.line.encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    return Run(new.origin, new.size, previous, published.status_code == 201, note)
