"""The agency's review queue: sort, filters (assignment too), reviewer assignment, "next in
queue" after a decision, bulk validation with its confirmation, labels and localised figures."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from convergence.assessments import services
from convergence.assessments.models import Answer, Assessment, ReviewAssignment
from convergence.organisations.models import AuditEntry
from convergence.organisations.tenancy import SESSION_KEY
from tests import factories as f

from .review_helpers import fill_and_submit, submitted_products

pytestmark = pytest.mark.django_db


def queue(client, **params) -> str:
    return client.get(reverse("assessments:review_queue"), params).content.decode()


def order_of(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=html.index)


def colleague(world):
    return f.MembershipFactory(
        organisation=world.agency,
        user=f.UserFactory(username="colleague", first_name="Camille", last_name="Durand"),
    ).user


# --- Permissions: reviewing only while acting for the agency, in the rules -------------------------


def test_review_permissions_are_checked_on_the_acting_organisation(world):
    world.analyst.memberships.create(organisation=world.vendor, role="salarie")
    assert world.analyst.has_perm("assessments.review_assessment", world.agency)
    assert world.analyst.has_perm("assessments.assign_reviewer", world.agency)
    # The same person acting for the vendor reviews nothing.
    assert not world.analyst.has_perm("assessments.review_assessment", world.vendor)
    assert not world.analyst.has_perm("assessments.assign_reviewer", world.vendor)
    assert not world.vendor_user.has_perm("assessments.review_assessment", world.vendor)
    employee = f.MembershipFactory(organisation=world.agency, role="contributeur").user
    assert not employee.has_perm("assessments.review_assessment", world.agency)


def test_the_validate_service_refuses_an_analyst_acting_for_a_vendor(world):
    assessment = fill_and_submit(
        world, world.product_assessment, {"AX00": 1, "AX01": 1, "AX02": 1}, world.vendor_user
    )
    world.analyst.memberships.create(organisation=world.vendor, role="salarie")
    with pytest.raises(PermissionDenied):
        services.assessment_validate(
            assessment=assessment,
            expected_version=assessment.version,
            user=world.analyst,
            organisation=world.vendor,
        )
    with pytest.raises(PermissionDenied):
        services.assessment_return(
            assessment=assessment,
            reason="x",
            expected_version=assessment.version,
            user=world.analyst,
            organisation=world.vendor,
        )
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


# --- Sort and filters ---------------------------------------------------------------------------------


def test_the_queue_sorts_by_subject_organisation_submission_completion_and_due_date(client, world):
    rows = submitted_products(world, 3)
    other = f.SubjectFactory(
        organisation=world.other_vendor, name="Zeta Other", code="zeta", type_or_category="dpi"
    )
    rows.append(f.AssessmentFactory(campaign=world.campaign, subject=other, status="submitted"))
    now = timezone.now()
    for days, assessment in zip([3, 1, 2, 4], rows, strict=True):
        Assessment.objects.filter(pk=assessment.pk).update(submitted_at=now - datetime.timedelta(days=days))
    # Completion: Produit 01 has 2 of 3 axes, Produit 02 1 of 3, the others none.
    for axis in world.axes[:2]:
        Answer.objects.create(assessment=rows[1], axis=axis, level=1)
    Answer.objects.create(assessment=rows[2], axis=world.axes[0], level=1)
    f.MilestoneFactory(
        answer=Answer.objects.get(assessment=rows[2], axis=world.axes[0]),
        level=3,
        due_on=datetime.date.today() - datetime.timedelta(days=1),
    )
    names = ["Produit 00", "Produit 01", "Produit 02", "Zeta Other"]
    client.force_login(world.analyst)

    assert order_of(queue(client, sort="subject"), names) == names
    assert order_of(queue(client, sort="-subject"), names) == names[::-1]
    by_org = order_of(queue(client, sort="-organisation"), names)
    assert by_org[0] == "Zeta Other"  # "Other Soft" after "ACME Santé"
    assert order_of(queue(client, sort="submitted"), names) == [
        "Zeta Other",
        "Produit 00",
        "Produit 02",
        "Produit 01",
    ]
    assert order_of(queue(client, sort="-completion"), names)[:2] == ["Produit 01", "Produit 02"]
    assert order_of(queue(client, sort="due"), names)[0] == "Produit 02"  # late milestones first
    page = queue(client, sort="subject")
    assert 'aria-sort="ascending"' in page
    # The headers keep the filters and reverse the current sort.
    filtered = queue(client, sort="subject", q="produit")
    assert "sort=-subject" in filtered and "q=produit" in filtered


def test_an_unknown_sort_keeps_the_default_order(client, world):
    submitted_products(world, 2)
    client.force_login(world.analyst)
    assert client.get(reverse("assessments:review_queue"), {"sort": "evil;drop"}).status_code == 200


def test_the_queue_filters_by_assignment_and_keeps_the_other_filters(client, world):
    mine, theirs, nobody = submitted_products(world, 3)
    other = colleague(world)
    services.review_assign(
        assessment=mine, reviewer=world.analyst, user=world.analyst, organisation=world.agency
    )
    services.review_assign(assessment=theirs, reviewer=other, user=world.analyst, organisation=world.agency)
    client.force_login(world.analyst)
    assigned_to_me = queue(client, assigned="me")
    assert (
        "Produit 00" in assigned_to_me
        and "Produit 01" not in assigned_to_me
        and "Produit 02" not in assigned_to_me
    )
    unassigned = queue(client, assigned="unassigned")
    assert "Produit 02" in unassigned and "Produit 00" not in unassigned and "Produit 01" not in unassigned
    to_others = queue(client, assigned="others")
    assert "Produit 01" in to_others and "Camille Durand" in to_others
    assert "Produit 00" not in queue(client, assigned="me", q="produit 01")
    assert "Produit 00" in queue(client, assigned="me", type_or_category="dpi")


# --- Assignment ---------------------------------------------------------------------------------------


def test_an_analyst_assigns_a_colleague_then_themselves_and_each_change_is_audited(client, world):
    (assessment,) = submitted_products(world, 1)
    other = colleague(world)
    client.force_login(world.analyst)
    url = reverse("assessments:review_assign", args=[assessment.pk])
    response = client.post(url, {"reviewer": other.pk})
    assert response.status_code == 302
    assert ReviewAssignment.objects.get(assessment=assessment).reviewer == other
    client.post(url, {"reviewer": world.analyst.pk})
    assignment = ReviewAssignment.objects.get(assessment=assessment)
    assert assignment.reviewer == world.analyst and assignment.assigned_by == world.analyst
    client.post(url, {"reviewer": ""})
    assert not ReviewAssignment.objects.filter(assessment=assessment).exists()
    entries = AuditEntry.objects.filter(object_type="assessments.reviewassignment")
    assert entries.count() == 3
    assert set(entries.values_list("acting_organisation_id", flat=True)) == {world.agency.pk}


def test_a_review_cannot_be_given_to_someone_outside_the_agencys_reviewers(client, world):
    (assessment,) = submitted_products(world, 1)
    with pytest.raises(ValidationError):
        services.review_assign(
            assessment=assessment, reviewer=world.vendor_user, user=world.analyst, organisation=world.agency
        )
    client.force_login(world.analyst)
    client.post(
        reverse("assessments:review_assign", args=[assessment.pk]), {"reviewer": world.vendor_user.pk}
    )
    assert not ReviewAssignment.objects.exists()


def test_an_analyst_acting_for_a_vendor_cannot_assign(client, world):
    (assessment,) = submitted_products(world, 1)
    f.MembershipFactory(organisation=world.vendor, user=world.analyst, role="salarie")
    client.force_login(world.analyst)
    session = client.session
    session[SESSION_KEY] = world.vendor.pk
    session.save()
    response = client.post(
        reverse("assessments:review_assign", args=[assessment.pk]), {"reviewer": world.analyst.pk}
    )
    assert response.status_code == 403
    assert not ReviewAssignment.objects.exists()


# --- Next in queue ------------------------------------------------------------------------------------


def test_validating_opens_the_next_assessment_of_the_same_sorted_filtered_queue(client, world):
    rows = submitted_products(world, 4)  # Produit 00..03
    client.force_login(world.analyst)
    queue_query = "sort=-subject&q=produit"
    page = queue(client, sort="-subject", q="produit")
    link = re.search(rf'href="([^"]*/{rows[2].pk}/revue/\?queue=[^"]+)"', page).group(1)
    assert "queue=sort%3D-subject%26q%3Dprodui" in link
    response = client.post(
        reverse("assessments:validate", args=[rows[2].pk]), {"version": rows[2].version, "queue": queue_query}
    )
    # Sorted by name descending: after Produit 02 comes Produit 01.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("assessments:review", args=[rows[1].pk]))
    assert "queue=" in response["Location"]
    rows[2].refresh_from_db()
    assert rows[2].status == "validated"


def test_returning_the_last_one_opens_the_first_and_an_empty_queue_goes_back_to_it(client, world):
    rows = submitted_products(world, 2)
    client.force_login(world.analyst)
    response = client.post(
        reverse("assessments:return", args=[rows[1].pk]),
        {"version": rows[1].version, "reason": "Preuves manquantes", "queue": "sort=subject"},
    )
    assert response["Location"].startswith(reverse("assessments:review", args=[rows[0].pk]))
    response = client.post(
        reverse("assessments:validate", args=[rows[0].pk]),
        {"version": rows[0].version, "queue": "sort=subject"},
    )
    assert response["Location"] == reverse("assessments:review_queue") + "?sort=subject"


# --- Bulk validation ----------------------------------------------------------------------------------


def test_bulk_validation_asks_for_a_confirmation_listing_what_will_be_validated(client, world):
    rows = submitted_products(world, 2)
    client.force_login(world.analyst)
    url = reverse("assessments:review_bulk_validate")
    page = client.get(url, {"ids": [rows[0].pk, rows[1].pk, world.product_assessment.pk]}).content.decode()
    assert "Produit 00" in page and "Produit 01" in page
    # The draft is listed apart, with the reason it cannot be validated.
    refused = page[page.index('id="bulk-refused"') :]
    assert "ACME DPI" in refused
    assert Assessment.objects.filter(status="validated").count() == 0  # a GET validates nothing


def test_bulk_validation_validates_each_through_the_service_and_audits_it(client, world):
    rows = submitted_products(world, 3)
    client.force_login(world.analyst)
    data = {"ids": [a.pk for a in rows], **{f"version-{a.pk}": a.version for a in rows}}
    response = client.post(reverse("assessments:review_bulk_validate"), data)
    assert response.status_code == 200
    for assessment in rows:
        assessment.refresh_from_db()
        assert assessment.status == "validated" and assessment.reviewed_by == world.analyst
        assert assessment.history.filter(status="validated").exists()
    html = response.content.decode()
    assert html.count('fr-badge--success">') >= 3


def test_a_conflict_in_a_bulk_validation_validates_nothing_and_says_which_and_why(client, world):
    rows = submitted_products(world, 3)
    client.force_login(world.analyst)
    data = {"ids": [a.pk for a in rows], **{f"version-{a.pk}": a.version for a in rows}}
    # Meanwhile a colleague returned the second one.
    services.assessment_return(
        assessment=rows[1],
        reason="x",
        expected_version=rows[1].version,
        user=world.analyst,
        organisation=world.agency,
    )
    response = client.post(reverse("assessments:review_bulk_validate"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert set(Assessment.objects.filter(pk__in=[a.pk for a in rows]).values_list("status", flat=True)) == {
        "submitted",
        "returned",
    }
    html = response.content.decode()
    result = html[html.index('id="bulk-result"') :]
    row_of = {a.pk: result[result.index(f'data-assessment="{a.pk}"') :][:600] for a in rows}
    assert "Only a submitted assessment can be validated." in row_of[rows[1].pk]
    assert "the batch was cancelled" in row_of[rows[0].pk] and "the batch was cancelled" in row_of[rows[2].pk]


def test_a_stale_version_in_a_bulk_validation_is_a_conflict(world):
    rows = submitted_products(world, 2)
    outcome = services.assessments_validate_many(
        targets=[(rows[0], rows[0].version), (rows[1], rows[1].version + 5)],
        user=world.analyst,
        organisation=world.agency,
    )
    assert not outcome.applied
    assert "changed by someone else" in outcome.rows[1].message
    assert not Assessment.objects.filter(status="validated").exists()


def test_a_vendor_cannot_bulk_validate(client, world):
    rows = submitted_products(world, 1)
    client.force_login(world.vendor_user)
    response = client.post(
        reverse("assessments:review_bulk_validate"),
        {"ids": [rows[0].pk], f"version-{rows[0].pk}": rows[0].version},
    )
    assert response.status_code == 403
    assert not Assessment.objects.filter(status="validated").exists()


# --- Labels and localisation --------------------------------------------------------------------------


def test_the_queue_shows_labels_and_localised_dates_and_figures(client, world, django_assert_max_num_queries):
    rows = submitted_products(world, 25)
    Answer.objects.create(assessment=rows[0], axis=world.axes[0], level=1)
    Answer.objects.create(assessment=rows[0], axis=world.axes[1], level=1)
    Assessment.objects.filter(pk=rows[0].pk).update(
        submitted_at=timezone.make_aware(datetime.datetime(2026, 3, 9, 10))
    )
    service = world.service_assessment
    Assessment.objects.filter(pk=service.pk).update(status="submitted")
    client.force_login(world.analyst)
    with django_assert_max_num_queries(25):
        french = client.get(
            reverse("assessments:review_queue"), {"sort": "subject"}, HTTP_ACCEPT_LANGUAGE="fr"
        )
    html = french.content.decode()
    assert "<code>" not in html
    assert "Catégorie dpi" in html and "Type ror" in html and "Occitanie" in html
    assert "09/03/2026" in html and "2026-03-09" not in html.replace('datetime="2026-03-09', "")
    assert "31/12/2026" in html  # the campaign's closing date
    assert "67&nbsp;%" in html
    english = client.get(reverse("assessments:review_queue"), {"sort": "subject"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "03/09/2026" in english.content.decode()


def test_my_list_shows_labels_localised_dates_and_completion_rates(client, world):
    Answer.objects.create(assessment=world.product_assessment, axis=world.axes[0], level=1)
    client.force_login(world.vendor_user)
    html = client.get(reverse("assessments:list"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Catégorie dpi" in html
    assert "31/12/2026" in html
    assert "33&nbsp;%" in html
