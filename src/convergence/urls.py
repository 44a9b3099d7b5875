from django.conf import settings
from django.conf.urls.static import static
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
    # Before allauth's: OpenID Connect callbacks that always verify the ID token signature.
    path("comptes/oidc/", include("convergence.organisations.oidc_urls")),
    path("comptes/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
