"""Assessment writes: ETag = version, If-Match required (428), stale → 412, nothing overwritten."""

import pytest

from convergence.assessments.models import Answer

pytestmark = pytest.mark.django_db


def url(world, axis="INS"):
    return f"/api/assessments/{world.assessment_a.pk}/answers/{axis}/"


def test_reading_an_assessment_gives_its_etag(world):
    response = world.client_a.get(f"/api/assessments/{world.assessment_a.pk}/")
    assert response["ETag"] == '"1"'


def test_a_write_without_if_match_is_refused_with_428(world):
    response = world.client_a.put(url(world), {"level": 2}, format="json")
    assert response.status_code == 428
    assert not Answer.objects.exists()


def test_a_write_with_the_current_etag_saves_and_returns_the_next_one(world):
    response = world.client_a.put(
        url(world),
        {"level": 2, "milestones": [{"level": 3, "due_on": "2031-06-30"}]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    answer = Answer.objects.get(assessment=world.assessment_a, axis__code="INS")
    assert answer.level == 2
    assert list(answer.milestones.values_list("level", flat=True)) == [3]


def test_a_stale_write_is_refused_with_412_and_changes_nothing(world):
    world.client_a.put(url(world), {"level": 2}, format="json", HTTP_IF_MATCH='"1"')
    response = world.client_a.put(url(world), {"level": 0}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert response.json()["errors"][0]["field"] is None
    assert Answer.objects.get(assessment=world.assessment_a, axis__code="INS").level == 2


def test_an_invalid_answer_names_the_field(world):
    response = world.client_a.put(
        url(world),
        {"level": 2, "milestones": [{"level": 1, "due_on": "2031-06-30"}]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "milestones[0].level"


def test_submit_needs_every_axis_then_succeeds(world):
    response = world.client_a.post(f"/api/assessments/{world.assessment_a.pk}/submit/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert "DMP" in response.json()["errors"][0]["message"]
    world.client_a.put(url(world, "INS"), {"level": 3}, format="json", HTTP_IF_MATCH='"1"')
    world.client_a.put(
        url(world, "DMP"),
        {"not_applicable": True, "not_applicable_reason": "pas de données"},
        format="json",
        HTTP_IF_MATCH='"2"',
    )
    response = world.client_a.post(f"/api/assessments/{world.assessment_a.pk}/submit/", HTTP_IF_MATCH='"3"')
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted"
    again = world.client_a.put(url(world), {"level": 1}, format="json", HTTP_IF_MATCH='"4"')
    assert again.status_code == 409
