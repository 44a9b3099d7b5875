from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("calcul/<int:pk>/", views.run_status, name="run_status"),
    path("export/", views.export, name="export"),
    path("benchmark/", views.benchmark, name="benchmark"),
    path("publier/", views.publish, name="publish"),
    path("observatoire/", views.observatory, name="observatory"),
    path("observatoire/schema/convergence-report-1.schema.json", views.report_schema, name="report_schema"),
    path("observatoire/<int:pk>/", views.observatory_detail, name="observatory_detail_short"),
    path("observatoire/<int:pk>/<slug:slug>/", views.observatory_detail, name="observatory_detail"),
    path("observatoire/<int:pk>/donnees.<str:fmt>", views.observatory_download, name="observatory_download"),
    path("observatoire/<int:pk>/tables/<slug:table>.csv", views.observatory_table, name="observatory_table"),
]

# Who may reach each URL (docs/development.md). Dashboards: the agency (every region) and ARS /
# GRADeS members (their region); the benchmark: vendors (their own products); the observatory:
# anyone, public-mode snapshots only.
ACCESS_POLICY = {
    "dashboard": "member",
    "run_status": "region-or-agency",
    "export": "region-or-agency",
    "benchmark": "vendor",
    "publish": "agency",
    "observatory": "public",
    "report_schema": "public",
    "observatory_detail_short": "public",
    "observatory_detail": "public",
    "observatory_download": "public",
    "observatory_table": "public",
}
