from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from convergence.referencing import api as referencing_api

from . import pages, views

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("referentials", views.ReferentialViewSet, basename="referential")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("subjects", views.SubjectViewSet, basename="subject")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("referencing/programmes", referencing_api.ProgrammeViewSet, basename="referencing-programme")
router.register("referencing/dossiers", referencing_api.DossierViewSet, basename="referencing-dossier")

urlpatterns = [
    # The schema and its documentation pages are public: they describe, they hold no data.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[AllowAny]),
        name="docs",
    ),
    # Redoc always loads its logo from its vendor's CDN (a third-party request that our CSP
    # blocks, logged as an error) and needs blob: workers: the Swagger UI page documents the
    # same schema with local files only, so the old address leads there.
    path("redoc/", RedirectView.as_view(pattern_name="api:docs", permanent=True), name="redoc"),
    path("jetons/", pages.token_list, name="tokens"),
    path("jetons/<int:pk>/revoquer/", pages.token_revoke, name="token_revoke"),
    path("", pages.api_index, name="index"),
    path("referencing/register/", referencing_api.RegisterView.as_view(), name="referencing-register"),
    path("", include(router.urls)),
]

ACCESS_POLICY = {
    "index": "public",
    "schema": "public",
    "docs": "public",
    "redoc": "public",
    "tokens": "authenticated",
    "token_revoke": "authenticated",
    "referential-list": "token",
    "referential-detail": "token",
    "organisation-list": "token",
    "organisation-detail": "token",
    "subject-list": "token",
    "subject-detail": "token",
    "campaign-list": "token",
    "campaign-detail": "token",
    "campaign-report": "token",
    "assessment-list": "token",
    "assessment-detail": "token",
    "assessment-answer": "token",
    "assessment-submit": "token",
    "referencing-programme-list": "token",
    "referencing-programme-detail": "token",
    "referencing-programme-dossiers": "token",
    "referencing-dossier-list": "token",
    "referencing-dossier-detail": "token",
    "referencing-register": "public",
}
