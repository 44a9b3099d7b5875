"""My assessments and the agency's review queue: filters, pagination, completion in SQL."""

import datetime

import pytest
from django.urls import reverse

from convergence.assessments.models import Answer, Milestone
from tests import factories as f

pytestmark = pytest.mark.django_db


def many_assessments(world, count):
    subjects = [
        f.SubjectFactory(
            organisation=world.vendor, name=f"Produit {i:02d}", code=f"p-{i}", type_or_category="dpi"
        )
        for i in range(count)
    ]
    return [f.AssessmentFactory(campaign=world.campaign, subject=s, status="submitted") for s in subjects]


def test_my_list_shows_only_my_assessments_with_completion(client, world):
    Answer.objects.create(assessment=world.product_assessment, axis=world.axes[0], level=1)
    Answer.objects.create(
        assessment=world.product_assessment,
        axis=world.axes[1],
        not_applicable=True,
        not_applicable_reason="x",
    )
    client.force_login(world.vendor_user)
    html = client.get(reverse("assessments:list")).content.decode()
    assert "ACME DPI" in html and "Other DPI" not in html and "ROR Occitanie" not in html
    assert "2 / 3" in html


def test_my_list_paginates_and_filters_with_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    many_assessments(world, 30)
    client.force_login(world.vendor_user)
    with django_assert_max_num_queries(20):
        first = client.get(reverse("assessments:list")).content.decode()
    assert "31 assessments" in first or "31 évaluations" in first
    second = client.get(reverse("assessments:list"), {"page": 2}).content.decode()
    assert "Produit 29" in second
    filtered = client.get(reverse("assessments:list"), {"status": "draft"}).content.decode()
    assert "ACME DPI" in filtered and "Produit 01" not in filtered
    by_name = client.get(reverse("assessments:list"), {"q": "produit 07"}).content.decode()
    assert "Produit 07" in by_name and "ACME DPI" not in by_name


def test_the_review_queue_filters_by_region_type_and_late_milestones(
    client, world, django_assert_max_num_queries
):
    many_assessments(world, 30)
    service = world.service_assessment
    service.status = "submitted"
    service.save()
    answer = Answer.objects.create(assessment=service, axis=world.axes[0], level=1)
    Milestone.objects.create(answer=answer, level=2, due_on=datetime.date(2021, 1, 1))
    client.force_login(world.analyst)
    url = reverse("assessments:review_queue")
    with django_assert_max_num_queries(20):
        html = client.get(url).content.decode()
    assert "31 assessments" in html or "31 évaluations" in html  # submitted ones by default
    html = client.get(url, {"region": "76"}).content.decode()
    assert "ROR Occitanie" in html and "Produit 01" not in html
    html = client.get(url, {"late": "on"}).content.decode()
    assert "ROR Occitanie" in html and "Produit 01" not in html
    html = client.get(url, {"type_or_category": "dpi", "status": "submitted"}).content.decode()
    assert "ROR Occitanie" not in html and "Produit 01" in html
    html = client.get(url, {"status": "draft"}).content.decode()
    assert "ACME DPI" in html and "Other DPI" in html and "Produit 01" not in html
    html = client.get(url, {"campaign": "nope"}).content.decode()  # unknown choice: form error, no crash
    assert "fr-error-text" in html
