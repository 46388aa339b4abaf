from django.urls import include, path
from oauth2_provider.urls import base_urlpatterns

from hanse.api.api import api
from hanse.partners import views as partner_views

urlpatterns = [
    path("v1/", api.urls),
    path("admin-center/", include("hanse.admincenter.urls")),
    # Only the protocol endpoints (authorize, token, revoke, introspect): applications are
    # registered by the operator, never through DOT's self-service pages.
    path("oauth/", include((base_urlpatterns, "oauth2_provider"), namespace="oauth2_provider")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("csp/", include("hanse.partners.urls")),
    path("enrol", partner_views.enrol, name="enrol"),
    path("operator/", include("hanse.partners.operator_urls")),
    path("customers/", include("hanse.customers.urls")),
    # Users and licences in the partner center (where the instance's task routing allows them).
    path("", include("hanse.admincenter.partnercenter_urls")),
    path("catalog/", include("hanse.catalog.urls")),
    path("audit/", include("hanse.audit.urls")),
    path("access/", include("hanse.trustee.urls")),
    path("", include("hanse.web.urls")),
]

handler404 = "hanse.web.views.not_found"
handler500 = "hanse.web.views.server_error"
