"""The instance's Ed25519 log key (docs/audit.md): it signs checkpoints and trustee decisions.

The key is the configured PEM file, else one generated on first use into the data directory
(mode 0600). ``rotate`` replaces a generated key and keeps its public half among the retired
keys, so that what the old key signed still verifies.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanse.audit.notes import Signer, Verifier, parse_vkey
from hanse.instance.config import InstanceConfig
from hanse.instance.current import instance

KEY_FILE = "audit-ed25519.pem"
RETIRED_FILE = "audit-keys-retired.txt"


class KeyConfigError(Exception):
    pass


def _write_new(path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.close(fd)
        with contextlib.suppress(FileExistsError):  # another process wrote it first: it wins
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


@functools.lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int, name: str) -> Signer:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigError(f"{path}: not an Ed25519 private key")
    return Signer(name, key)


def key_path(cfg: InstanceConfig) -> Path:
    return cfg.audit.key_file or cfg.data_dir / KEY_FILE


def signer(cfg: InstanceConfig | None = None) -> Signer:
    """The current log key, named by the log's origin."""
    cfg = cfg or instance()
    path = key_path(cfg)
    if cfg.audit.key_file is None and not path.exists():
        _write_new(path)
    return _load(path, path.stat().st_mtime_ns, cfg.audit.origin)


def retired(cfg: InstanceConfig | None = None) -> list[Verifier]:
    cfg = cfg or instance()
    lines = list(cfg.audit.retired_keys)
    path = cfg.data_dir / RETIRED_FILE
    if path.exists():
        lines += [line for line in path.read_text().splitlines() if line.strip()]
    return [parse_vkey(line) for line in dict.fromkeys(lines)]


def verifiers(cfg: InstanceConfig | None = None) -> list[Verifier]:
    """Every key the log has signed with: the current one first, then the retired ones."""
    current = signer(cfg).verifier
    return [current, *(v for v in retired(cfg) if v != current)]


def witnesses(cfg: InstanceConfig | None = None) -> list[Verifier]:
    cfg = cfg or instance()
    return [parse_vkey(v) for v in cfg.audit.witnesses]


def rotate(cfg: InstanceConfig | None = None) -> tuple[Verifier, Verifier]:
    """Retire the generated key and generate its successor: (old, new)."""
    cfg = cfg or instance()
    if cfg.audit.key_file is not None:
        raise KeyConfigError(
            "the key is the configured [audit] key_file: replace that file, and add the old key's "
            "verifier key to [audit] retired_keys"
        )
    old = signer(cfg).verifier
    with (cfg.data_dir / RETIRED_FILE).open("a") as f:
        f.write(old.vkey + "\n")
    path = key_path(cfg)
    replacement = path.with_name(path.name + ".new")
    replacement.unlink(missing_ok=True)
    _write_new(replacement)
    os.replace(replacement, path)
    return old, signer(cfg).verifier
