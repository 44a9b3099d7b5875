"""A closed campaign is frozen: no answer, evidence or submission by any path (web, API,
services), and its report does not move. The agency may still validate a submitted assessment."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from convergence.analytics.engine import report_as_dict
from convergence.api.services import token_create
from convergence.assessments import campaigns, services
from convergence.assessments.models import Answer, Assessment, Campaign, Evidence
from convergence.assessments.validation import AnswerInput

from .test_evidence import PDF_BYTES

pytestmark = pytest.mark.django_db

CLOSED_MESSAGE = "is closed: its assessments are frozen and can no longer be changed nor submitted."


def answer_all(assessment, user, level=1) -> None:
    for code in ("AX00", "AX01", "AX02"):
        assessment.refresh_from_db()
        services.answer_save(
            assessment=assessment,
            answer=AnswerInput(axis=code, level=level),
            expected_version=assessment.version,
            user=user,
        )


@pytest.fixture
def closed(world):
    """The other vendor's product submitted; ACME's product complete but still a draft (it could
    be submitted were the campaign open); then the agency closes the campaign."""
    answer_all(world.other_assessment, world.other_user, level=2)
    other = Assessment.objects.get(pk=world.other_assessment.pk)
    services.assessment_submit(assessment=other, expected_version=other.version, user=world.other_user)
    answer_all(world.product_assessment, world.vendor_user, level=1)
    campaigns.campaign_close(campaign=world.campaign, user=world.analyst)
    return world


def products_report(world) -> dict:
    return report_as_dict(campaign=world.campaign.code, scope="products")


def frozen_state(world) -> tuple:
    assessment = Assessment.objects.get(pk=world.product_assessment.pk)
    levels = sorted(Answer.objects.filter(assessment=assessment).values_list("axis__code", "level"))
    return assessment.status, assessment.version, levels, Evidence.objects.count()


def api_client(user, organisation) -> APIClient:
    _token, raw = token_create(user=user, organisation=organisation, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_an_answer_saved_or_submitted_on_the_web_is_refused_and_the_report_is_unchanged(
    client, closed, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    report, state = products_report(closed), frozen_state(closed)
    assert report["subjects"]["total"] == 1  # the other vendor's submitted product
    pk, version = closed.product_assessment.pk, state[1]
    client.force_login(closed.vendor_user)

    response = client.post(
        reverse("assessments:answer_save", args=[pk, "AX00"]), {"version": version, "level": "3"}, follow=True
    )
    assert CLOSED_MESSAGE in response.content.decode()
    response = client.post(reverse("assessments:submit", args=[pk]), {"version": version}, follow=True)
    assert CLOSED_MESSAGE in response.content.decode()
    response = client.post(
        reverse("assessments:evidence_add", args=[pk, "AX00"]),
        {"version": version, "file": SimpleUploadedFile("preuve.pdf", PDF_BYTES)},
        follow=True,
    )
    assert CLOSED_MESSAGE in response.content.decode()

    assert frozen_state(closed) == state
    assert products_report(closed) == report


def test_the_questionnaire_of_a_closed_campaign_is_read_only(client, closed):
    client.force_login(closed.vendor_user)
    page = client.get(reverse("assessments:questionnaire", args=[closed.product_assessment.pk]))
    assert page.status_code == 200 and 'name="level"' not in page.content.decode()
    assert CLOSED_MESSAGE in page.content.decode()


def test_an_answer_saved_or_submitted_through_the_api_is_refused_and_the_report_is_unchanged(closed):
    report, state = products_report(closed), frozen_state(closed)
    api = api_client(closed.vendor_user, closed.vendor)
    api.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the message is compared in English
    pk, etag = closed.product_assessment.pk, f'"{state[1]}"'

    response = api.put(
        f"/api/assessments/{pk}/answers/AX00/", {"level": 3}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 409
    [error] = response.json()["errors"]
    assert error["field"] == "campaign" and CLOSED_MESSAGE in error["message"]
    response = api.post(f"/api/assessments/{pk}/submit/", HTTP_IF_MATCH=etag)
    assert response.status_code == 409 and response.json()["errors"][0]["field"] == "campaign"

    assert frozen_state(closed) == state
    assert products_report(closed) == report


def test_the_services_refuse_a_closed_campaign_even_on_a_stale_copy(closed):
    """The state is checked again on the locked row: a copy loaded while the campaign was open
    cannot slip a write in after it closed."""
    stale = Assessment.objects.select_related("campaign__referential", "subject").get(
        pk=closed.product_assessment.pk
    )
    stale.campaign.status = "open"  # as it was when the page was loaded
    state = frozen_state(closed)
    with pytest.raises(services.AssessmentReadOnly) as refused:
        services.answer_save(
            assessment=stale,
            answer=AnswerInput(axis="AX00", level=3),
            expected_version=stale.version,
            user=closed.vendor_user,
        )
    assert refused.value.problems[0].field == "campaign"
    with pytest.raises(services.AssessmentReadOnly):
        services.assessment_submit(assessment=stale, expected_version=stale.version, user=closed.vendor_user)
    assert frozen_state(closed) == state


def test_evidence_cannot_be_removed_from_a_closed_campaign(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.vendor_user)
    pk = world.product_assessment.pk
    client.post(
        reverse("assessments:evidence_add", args=[pk, "AX00"]),
        {"version": 1, "file": SimpleUploadedFile("preuve.pdf", PDF_BYTES)},
    )
    evidence = Evidence.objects.get()
    Campaign.objects.filter(pk=world.campaign.pk).update(status="closed")
    response = client.post(
        reverse("assessments:evidence_delete", args=[pk, evidence.pk]), {"version": 2}, follow=True
    )
    assert CLOSED_MESSAGE in response.content.decode()
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_the_agency_validates_but_no_longer_returns_in_a_closed_campaign(client, closed):
    other = Assessment.objects.get(pk=closed.other_assessment.pk)
    report = products_report(closed)
    client.force_login(closed.analyst)
    page = client.get(reverse("assessments:review", args=[other.pk])).content.decode()
    assert "no longer returned" in page
    assert reverse("assessments:return", args=[other.pk]) not in page
    assert reverse("assessments:validate", args=[other.pk]) in page
    response = client.post(
        reverse("assessments:return", args=[other.pk]), {"version": other.version, "reason": "À revoir"}
    )
    assert response.status_code == 422
    assert "can still be validated, no longer returned" in response.content.decode()
    other.refresh_from_db()
    assert other.status == "submitted"

    response = client.post(reverse("assessments:validate", args=[other.pk]), {"version": other.version})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.status == "validated"
    assert products_report(closed)["subjects"] == report["subjects"]


def test_the_same_draft_is_submitted_while_the_campaign_is_open(world):
    """The control: what the closed campaign refuses does change the report when it is open."""
    answer_all(world.product_assessment, world.vendor_user)
    before = products_report(world)["subjects"]["total"]
    assessment = Assessment.objects.get(pk=world.product_assessment.pk)
    services.assessment_submit(
        assessment=assessment, expected_version=assessment.version, user=world.vendor_user
    )
    assert products_report(world)["subjects"]["total"] == before + 1
