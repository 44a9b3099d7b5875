from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("import/", views.import_upload, name="import"),
    path("import/<str:token>/", views.import_detail, name="import_detail"),
    path("import/<str:token>/etat/", views.import_status, name="import_status"),
    path("import/<str:token>/confirmer/", views.import_confirm, name="import_confirm"),
    path("import/<str:token>/annuler/", views.import_cancel, name="import_cancel"),
    path("import/<str:token>/relancer/", views.import_retry, name="import_retry"),
    path("modele/", views.template_download, name="template"),
    path("exports/", views.exports, name="exports"),
    path("exports/telecharger/", views.export_download, name="export_download"),
]

# Who may reach each URL (docs/development.md). Every member imports and exports their own
# organisation's data; the agency any organisation's (checked in the views, not by URL).
ACCESS_POLICY = {
    "import": "member",
    "import_detail": "member",
    "import_status": "member",
    "import_confirm": "member",
    "import_cancel": "member",
    "import_retry": "member",
    "template": "member",
    "exports": "member",
    "export_download": "member",
}
