"""The services check the actor's permissions (assessments.rules) themselves; the review pages
need `assessments.review_assessment` while acting for the agency."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from convergence.assessments import campaigns, services
from convergence.assessments.models import Assessment, Campaign
from convergence.assessments.validation import AnswerInput
from convergence.organisations.tenancy import SESSION_KEY
from tests import factories as f

pytestmark = pytest.mark.django_db


def submitted(world) -> Assessment:
    assessment = world.product_assessment
    for code in ("AX00", "AX01", "AX02"):
        assessment.refresh_from_db()
        services.answer_save(
            assessment=assessment,
            answer=AnswerInput(axis=code, level=1),
            expected_version=assessment.version,
            user=world.vendor_user,
        )
    assessment.refresh_from_db()
    return services.assessment_submit(
        assessment=assessment, expected_version=assessment.version, user=world.vendor_user
    )


def test_a_declarant_cannot_validate_its_own_assessment_through_the_service(world):
    assessment = submitted(world)
    with pytest.raises(PermissionDenied):
        services.assessment_validate(
            assessment=assessment, expected_version=assessment.version, user=world.vendor_user
        )
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


def test_the_agency_cannot_answer_for_an_organisation(world):
    with pytest.raises(PermissionDenied):
        services.answer_save(
            assessment=world.product_assessment,
            answer=AnswerInput(axis="AX00", level=3),
            expected_version=1,
            user=world.analyst,
        )
    assert not world.product_assessment.answers.exists()


def test_only_the_agency_opens_and_closes_campaigns_through_the_services(world):
    draft = f.CampaignFactory(referential=world.referential, code="draft-c", status="draft")
    with pytest.raises(PermissionDenied):
        campaigns.campaign_open(campaign=draft, user=world.vendor_user)
    with pytest.raises(PermissionDenied):
        campaigns.campaign_close(campaign=world.campaign, user=world.grades_user)
    assert set(Campaign.objects.values_list("code", "status")) == {("draft-c", "draft"), ("2026-s1", "open")}
    assert not Assessment.objects.filter(campaign=draft).exists()


def test_an_analyst_acting_for_a_vendor_does_not_review(client, world):
    assessment = submitted(world)
    f.MembershipFactory(organisation=world.vendor, user=world.analyst, role="salarie")
    client.force_login(world.analyst)
    session = client.session
    session[SESSION_KEY] = world.vendor.pk
    session.save()
    assert client.get(reverse("assessments:review_queue")).status_code == 403
    assert client.get(reverse("assessments:review", args=[assessment.pk])).status_code == 403
    response = client.post(
        reverse("assessments:validate", args=[assessment.pk]), {"version": assessment.version}
    )
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


def test_a_vendor_cannot_review_its_own_assessment(client, world):
    assessment = submitted(world)
    client.force_login(world.vendor_user)
    for name in ("validate", "return"):
        response = client.post(
            reverse(f"assessments:{name}", args=[assessment.pk]),
            {"version": assessment.version, "reason": "x"},
        )
        assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


def test_the_review_queue_lists_campaigns_of_every_state_for_the_agency(client, world):
    f.CampaignFactory(referential=world.referential, code="draft-c", title="En préparation", status="draft")
    client.force_login(world.analyst)
    page = client.get(reverse("assessments:review_queue")).content.decode()
    assert "En préparation" in page


def test_a_vendors_campaign_filter_lists_no_draft_campaign(client, world):
    draft = f.CampaignFactory(
        referential=world.referential, code="draft-c", title="En préparation", status="draft"
    )
    # Even with an assessment (e.g. left by an earlier opening), a draft campaign stays hidden.
    f.AssessmentFactory(campaign=draft, subject=world.product_assessment.subject)
    client.force_login(world.vendor_user)
    form = client.get(reverse("assessments:list")).context["form"]
    assert [code for code, _label in form.fields["campaign"].choices if code] == [world.campaign.code]
