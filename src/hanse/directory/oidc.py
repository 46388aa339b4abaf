"""The instance as an OpenID Connect provider for its own tenants (docs/oidc.md): the claims of
the ID token and userinfo, which another Hanse instance reads to link a partner account to this
one. The signing key is ``instance.keys``'s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


def tenant_claims(user: Any) -> dict[str, Any]:
    from hanse.directory.models import Tenant
    from hanse.directory.selectors import principal_for
    from hanse.instance.current import instance

    tenant = user.tenant
    region = instance().region(tenant.home_region)
    account = getattr(tenant, "partner_account", None) if tenant.kind == Tenant.Kind.PARTNER else None
    return {
        "upn": user.upn,
        "name": user.display_name,
        "tid": str(tenant.id),
        "tenant_domain": tenant.domain,
        "tenant_kind": tenant.kind,
        "tenant_region": tenant.home_region,
        "tenant_geography": region.geography if region else "",
        "roles": sorted(r.value for r in principal_for(user).roles),
        "csp_account_state": account.state if account is not None else None,
        "csp_account_id": str(account.id) if account is not None else None,
    }


def _claim(name: str) -> Callable[[Any], Any]:
    def value(request: Any) -> Any:
        claims = getattr(request, "hanse_claims", None)
        if claims is None:  # once per request, however many claims read it
            claims = request.hanse_claims = tenant_claims(request.user)
        return claims[name]

    return value


CLAIMS = (
    "upn",
    "name",
    "tid",
    "tenant_domain",
    "tenant_kind",
    "tenant_region",
    "tenant_geography",
    "roles",
    "csp_account_state",
    "csp_account_id",
)


class HanseValidator(OAuth2Validator):
    # Every claim with the openid scope: they say who signed in and for which tenant, nothing more.
    oidc_claim_scope = None

    def get_additional_claims(self) -> dict[str, Callable[[Any], Any]]:
        return {name: _claim(name) for name in CLAIMS}
