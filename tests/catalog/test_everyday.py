"""Everyday friction on the product pages (issue 12): the history says what a retirement was,
the list fits the screen with labels rather than codes, and a product declared after a campaign
opened says why it has no assessment and how it gets one."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from convergence.assessments.models import Assessment
from convergence.catalog import services
from convergence.catalog.models import Subject
from tests import factories as f

from .test_subjects import manager_of

pytestmark = pytest.mark.django_db


def history_cell(body: str) -> str:
    return body[body.index("Change history") :]


def test_retiring_a_product_loaded_in_bulk_says_it_was_retired(client, referential, vendor_member):
    # Loaded by an import (bulk SQL): no history record of its declaration to compare with.
    [subject] = Subject.objects.bulk_create(
        [
            Subject(
                code="bulk-dpi",
                kind="product",
                name="Bulk DPI",
                organisation=vendor_member.organisation,
                type_or_category="dpi",
            )
        ]
    )
    manager = manager_of(vendor_member.organisation)
    services.subject_retire(actor=manager, subject=subject)
    client.force_login(manager)
    history = history_cell(client.get(reverse("catalog:detail", args=[subject.pk])).content.decode())
    assert "Saved without change" not in history
    assert "Retired" in history


def test_retiring_shows_the_status_labels_old_and_new(client, referential, vendor_member):
    manager = manager_of(vendor_member.organisation)
    subject = services.subject_create(
        actor=manager, organisation=vendor_member.organisation, name="ACME DPI", type_or_category="dpi"
    )
    services.subject_retire(actor=manager, subject=subject)
    services.subject_reactivate(actor=manager, subject=subject)
    client.force_login(manager)
    history = history_cell(client.get(reverse("catalog:detail", args=[subject.pk])).content.decode())
    assert "Status: Active → Retired" in history and "Status: Retired → Active" in history
    assert "Reactivated" in history
    assert subject.history.filter(history_change_reason="Retired").count() == 1


def test_the_list_shows_category_labels_not_codes(client, referential, vendor_member):
    f.SubjectFactory(organisation=vendor_member.organisation, type_or_category="dpi")
    client.force_login(vendor_member.user)
    body = client.get(reverse("catalog:list")).content.decode()
    table = body[body.index('id="subjects-table"') :]
    label = referential.product_categories.get(code="dpi").name
    assert f"Product · {label}" in table


@pytest.fixture
def campaign(referential):
    today = timezone.localdate()
    return f.CampaignFactory(
        code="2026-S2",
        title="Campagne 2026 S2",
        referential=referential,
        status="open",
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=60),
    )


def test_a_product_declared_after_the_opening_says_why_it_has_no_assessment(client, campaign, vendor_member):
    subject = services.subject_create(
        actor=vendor_member.user,
        organisation=vendor_member.organisation,
        name="Late DPI",
        type_or_category="dpi",
    )
    client.force_login(vendor_member.user)
    body = client.get(reverse("catalog:detail", args=[subject.pk])).content.decode()
    assert 'id="no-assessment-2026-S2"' in body
    assert "declared after the campaign opened" in body
    assert reverse("campaigns:open", args=[campaign.pk]) not in body  # a vendor cannot add it


def test_the_agency_adds_the_missing_assessment_through_the_campaign_service(client, campaign, vendor_member):
    subject = services.subject_create(
        actor=vendor_member.user,
        organisation=vendor_member.organisation,
        name="Late DPI",
        type_or_category="dpi",
    )
    analyst = f.MembershipFactory(organisation=f.OrganisationFactory(agency=True), role="analyste").user
    client.force_login(analyst)
    body = client.get(reverse("catalog:detail", args=[subject.pk])).content.decode()
    assert reverse("campaigns:open", args=[campaign.pk]) in body
    client.post(reverse("campaigns:open", args=[campaign.pk]))
    assessment = Assessment.objects.get(campaign=campaign, subject=subject)
    client.force_login(vendor_member.user)
    body = client.get(reverse("catalog:detail", args=[subject.pk])).content.decode()
    assert reverse("assessments:questionnaire", args=[assessment.pk]) in body
    assert 'id="no-assessment-2026-S2"' not in body


def test_a_retired_product_says_that_only_active_ones_are_assessed(client, campaign, vendor_member):
    subject = f.SubjectFactory(organisation=vendor_member.organisation, status="retired")
    client.force_login(vendor_member.user)
    body = client.get(reverse("catalog:detail", args=[subject.pk])).content.decode()
    assert "only active products and services are assessed" in body
