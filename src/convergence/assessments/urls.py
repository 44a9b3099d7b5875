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
}
