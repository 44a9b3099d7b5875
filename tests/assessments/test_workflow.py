"""Workflow: draft → submitted → returned (with a reason) → resubmitted → validated."""

import datetime

import pytest
from django.urls import reverse

from convergence.assessments import services
from convergence.assessments.validation import AnswerInput, MilestoneInput

from .conftest import FUTURE

pytestmark = pytest.mark.django_db


def fill(world, assessment, user):
    version = assessment.version
    codes = ["AX00", "AX01"] if assessment.subject.kind == "service" else ["AX00", "AX01", "AX02"]
    for code in codes:
        services.answer_save(
            assessment=assessment,
            answer=AnswerInput(
                axis=code, level=1, milestones=[MilestoneInput(2, FUTURE)], blockers=["visibilite"]
            ),
            expected_version=version,
            user=user,
        )
        version += 1
    return version


def test_the_whole_cycle_through_the_pages(client, world):
    assessment = world.product_assessment
    version = fill(world, assessment, world.vendor_user)
    client.force_login(world.vendor_user)
    client.post(reverse("assessments:submit", args=[assessment.pk]), {"version": version})
    assessment.refresh_from_db()
    assert assessment.status == "submitted"

    client.force_login(world.analyst)
    queue = client.get(reverse("assessments:review_queue")).content.decode()
    assert "ACME DPI" in queue and "Other DPI" not in queue  # only submitted ones by default
    review = client.get(reverse("assessments:review", args=[assessment.pk]))
    assert review.status_code == 200
    response = client.post(
        reverse("assessments:return", args=[assessment.pk]), {"version": assessment.version, "reason": "  "}
    )
    assert response.status_code == 422 and 'id="id_reason-error"' in response.content.decode()
    response = client.post(
        reverse("assessments:return", args=[assessment.pk]),
        {"version": assessment.version, "reason": "Le jalon AX00 manque de preuve."},
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "returned" and assessment.reviewed_by == world.analyst

    client.force_login(world.vendor_user)
    page = client.get(reverse("assessments:questionnaire", args=[assessment.pk])).content.decode()
    assert "Le jalon AX00 manque de preuve." in page and 'name="level"' in page  # editable again
    client.post(
        reverse("assessments:answer_save", args=[assessment.pk, "AX00"]),
        {"version": assessment.version, "level": "2", "milestone-0-level": "3", "milestone-0-due_on": FUTURE},
    )
    assessment.refresh_from_db()
    client.post(reverse("assessments:submit", args=[assessment.pk]), {"version": assessment.version})
    assessment.refresh_from_db()
    assert assessment.status == "submitted"

    client.force_login(world.analyst)
    client.post(reverse("assessments:validate", args=[assessment.pk]), {"version": assessment.version})
    assessment.refresh_from_db()
    assert assessment.status == "validated"
    # Validated: read-only for the organisation.
    with pytest.raises(services.AssessmentReadOnly):
        services.answer_save(
            assessment=assessment,
            answer=AnswerInput(axis="AX00", level=3),
            expected_version=assessment.version,
            user=world.vendor_user,
        )
    assert assessment.history.count() >= 4  # every transition is audited


def test_a_vendor_cannot_review_its_own_assessment(client, world):
    assessment = world.product_assessment
    version = fill(world, assessment, world.vendor_user)
    services.assessment_submit(assessment=assessment, expected_version=version, user=world.vendor_user)
    client.force_login(world.vendor_user)
    assert client.get(reverse("assessments:review_queue")).status_code == 403
    response = client.post(
        reverse("assessments:validate", args=[assessment.pk]), {"version": assessment.version}
    )
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


def test_review_actions_need_a_submitted_assessment(world):
    assessment = world.product_assessment
    with pytest.raises(services.TransitionRefused):
        services.assessment_validate(
            assessment=assessment, expected_version=1, user=world.analyst, organisation=world.agency
        )
    with pytest.raises(services.TransitionRefused):
        services.assessment_return(
            assessment=assessment,
            reason="x",
            expected_version=1,
            user=world.analyst,
            organisation=world.agency,
        )


def test_two_writers_from_the_same_version_only_one_wins(world):
    assessment = world.product_assessment
    services.answer_save(
        assessment=assessment,
        answer=AnswerInput(axis="AX00", level=1),
        expected_version=1,
        user=world.vendor_user,
    )
    with pytest.raises(services.AssessmentConflict):
        services.answer_save(
            assessment=assessment,
            answer=AnswerInput(axis="AX00", level=3),
            expected_version=1,
            user=world.vendor_user,
        )
    assert assessment.answers.get().level == 1


def test_the_review_page_shows_the_previous_campaign_side_by_side(client, world):
    from tests import factories as f

    previous_campaign = f.CampaignFactory(
        referential=world.referential,
        code="2025-s2",
        opens_on=datetime.date(2025, 7, 1),
        closes_on=datetime.date(2025, 12, 31),
    )
    previous = f.AssessmentFactory(
        campaign=previous_campaign, subject=world.product_assessment.subject, status="validated"
    )
    f.AnswerFactory(assessment=previous, axis=world.axes[0], level=0)
    assessment = world.product_assessment
    version = fill(world, assessment, world.vendor_user)
    services.assessment_submit(assessment=assessment, expected_version=version, user=world.vendor_user)
    client.force_login(world.analyst)
    html = client.get(reverse("assessments:review", args=[assessment.pk])).content.decode()
    assert "Level before" in html and previous_campaign.title in html
