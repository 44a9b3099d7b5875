"""Before opening a campaign on a new edition: the per-subject migration preview, which tells
exactly what the opening then does."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from convergence.assessments import campaigns
from convergence.assessments.models import Answer, Assessment
from tests import factories as f

from .test_campaign_open import TODAY, new_campaign, world  # noqa: F401 (the fixture)


def by_code(preview):
    return {s.code: s for s in preview.subjects}


def test_the_preview_tells_per_subject_what_carries_over_what_to_recheck_and_what_is_new_or_gone(world):  # noqa: F811
    campaign = new_campaign(world["new"])
    preview = campaigns.campaign_migration_preview(campaign=campaign, user=None)
    subjects = by_code(preview)
    assert set(subjects) == {"dpi", "lgc", "ror"}
    dpi, lgc, ror = subjects["dpi"], subjects["lgc"], subjects["ror"]
    assert (dpi.source_campaign, dpi.carried, dpi.recheck, dpi.gone, dpi.new) == (
        "2024-s2",
        ["INS"],
        ["DMP"],  # a level descriptor changed
        ["GONE"],  # the axis is gone from the new edition
        ["MSS"],  # applies now, nothing to carry
    )
    assert dpi.reached_changed == []
    # Same level 2, expected level raised from 2 to 3: flagged, and no longer "reached".
    assert (lgc.carried, lgc.recheck, lgc.reached_changed, lgc.new) == ([], ["INS"], ["INS"], [])
    assert (ror.source_campaign, ror.carried, ror.new) == (None, [], [])  # starts blank
    assert (
        preview.answers_carried,
        preview.answers_recheck,
        preview.answers_gone,
        preview.subjects_with_new_axes,
        preview.subjects_reached_changed,
        preview.starting_blank,
    ) == (1, 2, 1, 1, 1, 1)
    assert preview.source_referentials == ["ed-2019"] and preview.changes_edition
    # Nothing was written.
    assert not Assessment.objects.filter(campaign=campaign).exists()


def test_the_opening_does_what_the_preview_said(world):  # noqa: F811
    campaign = new_campaign(world["new"])
    preview = campaigns.campaign_migration_preview(campaign=campaign, user=None)
    result = campaigns.campaign_open(campaign=campaign, user=None, today=TODAY)
    assert result.answers == preview.answers_carried + preview.answers_recheck
    assert result.needs_recheck == preview.answers_recheck
    for subject in preview.subjects:
        answers = Answer.objects.filter(
            assessment__campaign=campaign, assessment__subject_id=subject.subject_id
        )
        assert sorted(answers.filter(needs_recheck=False).values_list("axis__code", flat=True)) == sorted(
            subject.carried
        )
        assert sorted(answers.filter(needs_recheck=True).values_list("axis__code", flat=True)) == sorted(
            subject.recheck
        )
    # Once opened, the subjects are no longer "to open".
    assert campaigns.campaign_migration_preview(campaign=campaign, user=None).subjects == []


def test_on_the_same_edition_everything_carries_over_unchanged(world):  # noqa: F811
    preview = campaigns.campaign_migration_preview(campaign=new_campaign(world["old"]), user=None)
    dpi = by_code(preview)["dpi"]
    assert (dpi.carried, dpi.recheck, dpi.gone, dpi.new) == (["INS", "DMP", "GONE"], [], [], [])
    assert preview.subjects_reached_changed == 0 and not preview.changes_edition


def test_the_preview_costs_a_fixed_number_of_queries(world, django_assert_max_num_queries):  # noqa: F811
    vendor = world["subjects"]["dpi"].organisation
    for n in range(30):
        subject = f.SubjectFactory(code=f"extra-{n}", organisation=vendor, type_or_category="dpi")
        validated = f.AssessmentFactory(campaign=world["past"], subject=subject, status="validated")
        f.AnswerFactory(assessment=validated, axis=world["old"].axes.get(code="INS"), level=2)
    campaign = new_campaign(world["new"])
    with django_assert_max_num_queries(10):
        preview = campaigns.campaign_migration_preview(campaign=campaign, user=None)
    assert preview.answers_carried == 31


def test_only_campaign_managers_see_the_preview_page(world, client):  # noqa: F811
    campaign = new_campaign(world["new"])
    vendor_user = f.MembershipFactory(organisation=world["subjects"]["dpi"].organisation).user
    with pytest.raises(PermissionDenied):
        campaigns.campaign_migration_preview(campaign=campaign, user=vendor_user)
    client.force_login(vendor_user)
    assert client.get(reverse("campaigns:migration", args=[campaign.pk])).status_code == 403
    analyst = f.MembershipFactory(organisation=f.OrganisationFactory(agency=True), role="analyste").user
    client.force_login(analyst)
    response = client.get(reverse("campaigns:migration", args=[campaign.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<p class="fr-h4 fr-mb-0" id="total-reached">1</p>' in page
    assert '<tr data-subject="lgc">' in page
    response = client.get(reverse("campaigns:migration", args=[campaign.pk]) + "?show=changes")
    assert '<tr data-subject="ror">' not in response.content.decode()  # starts blank: no change
    detail = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert reverse("campaigns:migration", args=[campaign.pk]) in detail
