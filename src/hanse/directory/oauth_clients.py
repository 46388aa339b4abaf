"""OAuth 2.0 / OpenID Connect clients of this instance, registered by its operator: another Hanse
instance (a peer) that signs its partners' users in here (docs/oidc.md)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlparse

from django.db import transaction
from oauth2_provider.models import Application

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import require
from hanse.audit import services as audit
from hanse.directory import errors
from hanse.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class RegisteredClient:
    application: Application
    client_secret: str  # shown once: only its hash is stored


@transaction.atomic
def oauth_client_add(
    *, actor: Principal, name: str, redirect_uris: list[str], client_id: str = ""
) -> RegisteredClient:
    """A confidential client of the authorization code flow (PKCE S256, RS256 ID tokens). A peer
    instance registered by the operator needs no consent page: the operator vouched for it."""
    require(actor, Action.INSTANCE_OPERATE)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(errors.OAUTH_CLIENT_INVALID, reason="name: 1 to 100 characters")
    for uri in redirect_uris:
        parsed = urlparse(uri)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.fragment:
            raise InvalidInput(errors.OAUTH_CLIENT_INVALID, reason=f"redirect URI {uri[:200]!r}")
    if not redirect_uris:
        raise InvalidInput(errors.OAUTH_CLIENT_INVALID, reason="at least one redirect URI")
    if client_id and (len(client_id) > 100 or not client_id.replace("-", "").isalnum()):
        raise InvalidInput(errors.OAUTH_CLIENT_INVALID, reason="client id: letters, digits and -")
    if Application.objects.filter(name=name).exists() or (
        client_id and Application.objects.filter(client_id=client_id).exists()
    ):
        raise Conflict(errors.OAUTH_CLIENT_EXISTS, name=name)
    secret = secrets.token_urlsafe(40)
    app = Application(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
        client_secret=secret,  # hashed on save
    )
    if client_id:
        app.client_id = client_id
    app.save()
    audit.record(
        actor=actor,
        action="oauth.client_add",
        target_type="Application",
        target_id=app.client_id,
        after={"name": name, "redirectUris": redirect_uris, "algorithm": app.algorithm},
    )
    return RegisteredClient(application=app, client_secret=secret)


def registered_return(url: str) -> str | None:
    """``url`` if it leads back to a registered client (the origin of one of its redirect URIs),
    else None: a return address on a public page that is no open redirect."""
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 2000:
        return None
    origin = (parsed.scheme, parsed.netloc)
    for uris in Application.objects.values_list("redirect_uris", flat=True):
        if any((urlparse(u).scheme, urlparse(u).netloc) == origin for u in uris.split()):
            return url
    return None
