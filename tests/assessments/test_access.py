"""Another organisation's assessment is a 404 for every view and action; nothing changes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from convergence.assessments.models import Answer, Evidence
from convergence.assessments.urls import ACCESS_POLICY

from .test_evidence import PDF_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(world, settings, tmp_path):
    """The other vendor's assessment, with an answer and an evidence file."""
    settings.MEDIA_ROOT = tmp_path
    assessment = world.other_assessment
    answer = Answer.objects.create(assessment=assessment, axis=world.axes[0], level=1)
    evidence = Evidence(answer=answer, original_name="secret.pdf", content_type="application/pdf", size=10)
    evidence.file.save("secret.pdf", SimpleUploadedFile("secret.pdf", PDF_BYTES), save=True)
    return assessment, evidence


def requests_for(assessment, evidence):
    pk = assessment.pk
    return [
        ("get", reverse("assessments:questionnaire", args=[pk]), {}),
        ("post", reverse("assessments:answer_save", args=[pk, "AX00"]), {"version": 1, "level": "3"}),
        (
            "post",
            reverse("assessments:evidence_add", args=[pk, "AX00"]),
            {"version": 1, "file": SimpleUploadedFile("x.pdf", PDF_BYTES)},
        ),
        ("get", reverse("assessments:evidence_download", args=[pk, evidence.pk]), {}),
        ("post", reverse("assessments:evidence_delete", args=[pk, evidence.pk]), {"version": 1}),
        ("post", reverse("assessments:submit", args=[pk]), {"version": 1}),
        ("get", reverse("assessments:fiche", args=[pk]), {}),
        ("get", reverse("assessments:fiche_pdf", args=[pk]), {}),
        ("get", reverse("assessments:review", args=[pk]), {}),
        ("post", reverse("assessments:validate", args=[pk]), {"version": 1}),
        ("post", reverse("assessments:return", args=[pk]), {"version": 1, "reason": "x"}),
        ("post", reverse("assessments:review_assign", args=[pk]), {"reviewer": ""}),
        ("post", reverse("assessments:axis_comment_add", args=[pk, "AX00"]), {"body": "x"}),
    ]


def test_every_object_url_is_covered_here():
    covered = {
        "questionnaire",
        "answer_save",
        "evidence_add",
        "evidence_download",
        "evidence_delete",
        "submit",
        "fiche",
        "fiche_pdf",
        "review",
        "validate",
        "return",
        "review_assign",
        "axis_comment_add",
    }
    assert set(ACCESS_POLICY) - covered == {"list", "review_queue", "review_bulk_validate"}


@pytest.mark.parametrize("who", ["vendor_user", "grades_user"])
def test_another_organisations_assessment_is_a_404_and_stays_unchanged(client, world, target, who):
    assessment, evidence = target
    client.force_login(getattr(world, who))
    for method, url, data in requests_for(assessment, evidence):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
    assessment.refresh_from_db()
    assert assessment.version == 1 and assessment.status == "draft"
    assert list(assessment.answers.values_list("level", flat=True)) == [1]
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert Evidence.objects.count() == 1


def test_a_region_reads_the_services_of_its_region_but_cannot_change_them(client, world):
    from tests import factories as f

    ars = f.OrganisationFactory(ars=True, code="ars-occ")
    reader = f.MembershipFactory(organisation=ars).user
    client.force_login(reader)
    assessment = world.service_assessment
    page = client.get(reverse("assessments:questionnaire", args=[assessment.pk]))
    assert page.status_code == 200 and 'name="level"' not in page.content.decode()
    response = client.post(
        reverse("assessments:answer_save", args=[assessment.pk, "AX00"]), {"version": 1, "level": "3"}
    )
    assert response.status_code == 404
    assert not assessment.answers.exists()


def test_anonymous_users_are_sent_to_the_login_page(client, world):
    response = client.get(reverse("assessments:questionnaire", args=[world.product_assessment.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
