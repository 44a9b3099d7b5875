from django.urls import path

from . import consultation_views, views

app_name = "referential"
urlpatterns = [
    path("", views.referential_list_view, name="list"),
    # Before <code>/: "comparer" and "importer" are valid referential codes (do not use them).
    path("comparer/", views.referential_compare_view, name="compare"),
    path("importer/", views.referential_upload_view, name="upload"),
    path("importer/<int:pk>/", views.referential_upload_preview_view, name="upload_preview"),
    path("<str:code>/", views.referential_detail_view, name="detail"),
    path("<str:code>/classeur.xlsx", views.referential_workbook_view, name="workbook"),
    path("<str:code>/publier/", views.referential_publish_view, name="publish"),
    path("<str:code>/consultation/", consultation_views.consultation_view, name="consultation"),
    path(
        "<str:code>/consultation/ouvrir/", consultation_views.consultation_open_view, name="consultation_open"
    ),
    path(
        "<str:code>/consultation/commenter/",
        consultation_views.consultation_comment_view,
        name="consultation_comment",
    ),
    path(
        "<str:code>/consultation/commentaires/<int:pk>/modifier/",
        consultation_views.consultation_comment_edit_view,
        name="consultation_comment_edit",
    ),
    path(
        "<str:code>/consultation/commentaires/<int:pk>/repondre/",
        consultation_views.consultation_comment_answer_view,
        name="consultation_comment_answer",
    ),
    path(
        "<str:code>/consultation/synthese.<str:format>",
        consultation_views.consultation_summary_view,
        name="consultation_summary",
    ),
]

# Who may reach each URL (docs/development.md). Drafts are shown to agency members only.
ACCESS_POLICY = {
    "list": "public",
    "detail": "public",
    "compare": "public",
    "workbook": "public",
    "upload": "agency",
    "upload_preview": "agency",
    "publish": "agency",
    # Members of vendors and regions read a draft under consultation and comment on it.
    "consultation": "member",
    "consultation_open": "agency",
    "consultation_comment": "declarant",
    "consultation_comment_edit": "declarant",
    "consultation_comment_answer": "agency",
    "consultation_summary": "agency",
}
