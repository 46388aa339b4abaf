"""Tokens a peer issued, encrypted at rest with a key of this instance (docs/oidc.md).

The key is derived from the instance's secret key (HKDF-SHA256, its own context), so that the
tokens are unreadable in a database copy without it, and changing the secret key makes them
unreadable (the link then asks for a new sign-in at the peer).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from hanse.errors import DomainError
from hanse.links import errors

CONTEXT = b"hanse tenant-link tokens v1"


def _fernet(secret_key: str | None = None) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CONTEXT).derive(
        (secret_key or settings.SECRET_KEY).encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(plain: str, *, secret_key: str | None = None) -> str:
    return _fernet(secret_key).encrypt(plain.encode()).decode()


def unseal(sealed: str, *, secret_key: str | None = None) -> str:
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise DomainError(errors.SEALED_INVALID) from None
