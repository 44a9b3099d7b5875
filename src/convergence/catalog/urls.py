from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.subject_list, name="list"),
    path("nouveau/", views.subject_create, name="create"),
    path("<int:pk>/", views.subject_detail, name="detail"),
    path("<int:pk>/modifier/", views.subject_edit, name="edit"),
    path("<int:pk>/retirer/", views.subject_retire, name="retire"),
    path("<int:pk>/reactiver/", views.subject_reactivate, name="reactivate"),
    path("<int:pk>/variante/", views.subject_duplicate, name="duplicate"),
]

# Who may reach each URL (docs/development.md): objects outside the acting organisation are 404.
ACCESS_POLICY = {
    "list": "member",
    "create": "declarant",
    "detail": "member",
    "edit": "declarant",
    "retire": "account-manager",
    "reactivate": "account-manager",
    "duplicate": "vendor",
}
