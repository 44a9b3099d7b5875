from django.urls import path

from . import campaign_views as views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("nouvelle/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/modifier/", views.campaign_edit, name="edit"),
    path("<int:pk>/ouvrir/", views.campaign_open, name="open"),
    path("<int:pk>/migration/", views.campaign_migration, name="migration"),
    path("<int:pk>/clore/", views.campaign_close, name="close"),
]

# Who may reach each URL (docs/development.md). Campaigns are agency-wide objects.
ACCESS_POLICY = {
    "list": "agency",
    "create": "agency",
    "detail": "agency",
    "edit": "agency",
    "open": "agency",
    "migration": "agency",
    "close": "agency",
}
