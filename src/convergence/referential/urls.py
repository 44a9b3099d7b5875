from django.urls import path

from . import views

app_name = "referential"
urlpatterns = [
    path("", views.referential_list_view, name="list"),
    # Before <code>/: "comparer" is a valid referential code.
    path("comparer/", views.referential_compare_view, name="compare"),
    path("<str:code>/", views.referential_detail_view, name="detail"),
]

# Who may reach each URL (docs/development.md). Drafts are shown to agency members only.
ACCESS_POLICY = {
    "list": "public",
    "detail": "public",
    "compare": "public",
}
