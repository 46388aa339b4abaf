"""The instance's RS256 signing key for OpenID Connect (docs/oidc.md), read before Django starts."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FILE = "oidc-rs256.pem"


def signing_key(data_dir: Path, configured: Path | None = None) -> str:
    """The PEM of the instance's RS256 key: the configured file, else one generated once into the
    data directory (mode 0600). Every web process of the instance reads the same file; the first
    to start writes it whole (a link, which fails if another process won)."""
    if configured is not None:
        return configured.read_text()
    path = data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".oidc-")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, pem)
            os.close(fd)
            with contextlib.suppress(FileExistsError):  # another process wrote it first
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_text()
