"""Neither organisation can read or change the other's objects: 404, and the object unchanged."""

import pytest

from convergence.assessments.models import Answer, Assessment
from convergence.catalog.models import Subject

pytestmark = pytest.mark.django_db


def test_lists_show_only_the_organisations_own_objects(world):
    subjects = world.client_a.get("/api/subjects/").json()["results"]
    assert [s["code"] for s in subjects] == ["product-a"]
    assessments = world.client_a.get("/api/assessments/").json()["results"]
    assert [a["subject"] for a in assessments] == ["product-a"]
    organisations = world.client_a.get("/api/organisations/").json()["results"]
    assert [o["code"] for o in organisations] == ["vendor-a"]


@pytest.mark.parametrize(
    "path",
    ["/api/subjects/{subject}/", "/api/assessments/{assessment}/", "/api/organisations/{organisation}/"],
)
def test_another_organisations_object_is_not_found(world, path):
    url = path.format(
        subject=world.subject_b.pk, assessment=world.assessment_b.pk, organisation=world.org_b.pk
    )
    response = world.client_a.get(url)
    assert response.status_code == 404
    assert response.json() == {
        "errors": [{"field": None, "message": response.json()["errors"][0]["message"]}]
    }
    assert world.client_b.get(url).status_code == 200


def test_another_organisations_subject_cannot_be_changed(world):
    response = world.client_a.patch(f"/api/subjects/{world.subject_b.pk}/", {"name": "Pirate"}, format="json")
    assert response.status_code == 404
    world.subject_b.refresh_from_db()
    assert world.subject_b.name == "Produit b"


def test_another_organisations_answers_cannot_be_written_nor_submitted(world):
    url = f"/api/assessments/{world.assessment_b.pk}/answers/INS/"
    response = world.client_a.put(url, {"level": 1}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 404
    response = world.client_a.post(f"/api/assessments/{world.assessment_b.pk}/submit/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 404
    assert not Answer.objects.filter(assessment=world.assessment_b).exists()
    assessment = Assessment.objects.get(pk=world.assessment_b.pk)
    assert (assessment.status, assessment.version) == ("draft", 1)


def test_a_subject_is_created_in_the_tokens_organisation(world):
    response = world.client_a.post(
        "/api/subjects/", {"name": "Nouveau DPI", "type_or_category": "dpi", "version": "2"}, format="json"
    )
    assert response.status_code == 201, response.json()
    subject = Subject.objects.get(pk=response.json()["id"])
    assert subject.organisation == world.org_a
    assert response.json()["organisation"] == "vendor-a"


def test_a_token_of_a_user_in_two_organisations_acts_for_its_own_only(world):
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.user_a, organisation=world.org_b, role="mandataire")
    assert world.client_a.get(f"/api/subjects/{world.subject_b.pk}/").status_code == 404
