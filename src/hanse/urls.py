from django.urls import include, path, re_path
from oauth2_provider import views as oauth
from oauth2_provider.urls import base_urlpatterns

from hanse.api.api import api
from hanse.audit import views as audit_views
from hanse.partners import views as partner_views

OAUTH_PATTERNS = [
    *[path(f"oauth/{p.pattern}", p.callback, name=p.name) for p in base_urlpatterns],
    # The issuer is the instance's root, so discovery is at /.well-known/openid-configuration.
    re_path(
        r"^\.well-known/openid-configuration$",
        oauth.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", oauth.JwksInfoView.as_view(), name="jwks-info"),
    path("oauth/userinfo/", oauth.UserInfoView.as_view(), name="user-info"),
]

urlpatterns = [
    path("v1/", api.urls),
    path(".well-known/hanse/audit-keys", audit_views.audit_keys, name="audit-keys"),
    path("admin-center/", include("hanse.admincenter.urls")),
    # Only the protocol endpoints (authorize, token, revoke, introspect, and OpenID Connect's
    # discovery, keys and userinfo): applications are registered by the operator
    # (`hanse oauth client add`), never through DOT's self-service pages.
    path("", include((OAUTH_PATTERNS, "oauth2_provider"), namespace="oauth2_provider")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("csp/link/", include("hanse.links.urls")),
    path("csp/migration/", include("hanse.migration.urls")),
    path("csp/", include("hanse.partners.urls")),
    path("enrol", partner_views.enrol, name="enrol"),
    path("operator/", include("hanse.partners.operator_urls")),
    path("customers/", include("hanse.customers.urls")),
    # Users and licences in the partner center (where the instance's task routing allows them).
    path("", include("hanse.admincenter.partnercenter_urls")),
    path("catalog/", include("hanse.catalog.urls")),
    path("billing/", include("hanse.billing.urls")),
    path("audit/", include("hanse.audit.urls")),
    path("access/", include("hanse.trustee.urls")),
    path("", include("hanse.web.urls")),
]

handler404 = "hanse.web.views.not_found"
handler500 = "hanse.web.views.server_error"
