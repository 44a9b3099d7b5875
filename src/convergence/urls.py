from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("convergence.web.urls")),
    path("referentiels/", include("convergence.referential.urls")),
    path("organisations/", include("convergence.organisations.urls")),
    path("catalogue/", include("convergence.catalog.urls")),
    path("evaluations/", include("convergence.assessments.urls")),
    path("campagnes/", include("convergence.assessments.campaign_urls")),
    path("rapports/", include("convergence.analytics.urls")),
    path("echanges/", include("convergence.exchange.urls")),
    path("api/", include("convergence.api.urls")),
    path("notifications/", include("convergence.notifications.urls")),
    path("referencement/", include("convergence.referencing.urls")),
    # Before allauth's: OpenID Connect callbacks that always verify the ID token signature.
    path("comptes/oidc/", include("convergence.organisations.oidc_urls")),
    path("comptes/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("convergence.ops.urls")),
]
# Stored files (evidence) are never served from MEDIA_URL, whatever the profile: downloads go only
# through the permission-checked views. A 404 or 500 under /api/ answers the API's JSON error shape.
handler404 = "convergence.api.errors.page_not_found"
handler500 = "convergence.api.errors.server_error"
