from django.urls import path

from . import review_views, views

app_name = "assessments"
urlpatterns = [
    path("", review_views.assessment_list, name="list"),
    path("revue/", review_views.review_queue, name="review_queue"),
    path("<int:pk>/", views.questionnaire, name="questionnaire"),
    path("<int:pk>/axes/<str:code>/", views.answer_save, name="answer_save"),
    path("<int:pk>/axes/<str:code>/preuves/", views.evidence_add, name="evidence_add"),
    path("<int:pk>/preuves/<int:evidence_pk>/", views.evidence_download, name="evidence_download"),
    path("<int:pk>/preuves/<int:evidence_pk>/supprimer/", views.evidence_delete, name="evidence_delete"),
    path("<int:pk>/soumettre/", views.submit, name="submit"),
    path("<int:pk>/fiche/", views.fiche, name="fiche"),
    path("<int:pk>/fiche.pdf", views.fiche_pdf, name="fiche_pdf"),
    path("<int:pk>/revue/", review_views.review, name="review"),
    path("<int:pk>/valider/", review_views.validate, name="validate"),
    path("<int:pk>/renvoyer/", review_views.return_for_correction, name="return"),
    # Review (assignment, bulk validation, threads per axis)
    path("revue/valider/", review_views.review_bulk_validate, name="review_bulk_validate"),
    path("<int:pk>/attribuer/", review_views.review_assign, name="review_assign"),
    path("<int:pk>/axes/<str:code>/commentaires/", review_views.axis_comment_add, name="axis_comment_add"),
]

# Who may reach each URL (docs/development.md): objects outside the acting organisation are 404.
ACCESS_POLICY = {
    "list": "member",
    "review_queue": "agency",
    "questionnaire": "member",
    "answer_save": "declarant",
    "evidence_add": "declarant",
    "evidence_download": "member",
    "evidence_delete": "declarant",
    "submit": "declarant",
    "fiche": "member",
    "fiche_pdf": "member",
    "review": "agency",
    "validate": "agency",
    "return": "agency",
    "review_bulk_validate": "agency",
    "review_assign": "agency",
    # The agency (acting for it) and the subject's own organisation; a region reading another
    # body's service: 404.
    "axis_comment_add": "member",
}
