"""Campaigns through the API: one visibility rule with the web (drafts are the agency's), and the
report action finds every campaign whatever the list's filters."""

import datetime
import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from convergence.api.services import token_create
from convergence.assessments.models import Answer, Assessment, Campaign
from convergence.catalog.models import Subject
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def token_client(user, organisation) -> APIClient:
    _token, raw = token_create(user=user, organisation=organisation, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def agency_client(world):
    membership = MembershipFactory(organisation=OrganisationFactory(agency=True, code="ans"), role="analyste")
    return token_client(membership.user, membership.organisation)


@pytest.fixture
def draft(world):
    return Campaign.objects.create(
        code="2031-S1",
        title="Campagne en préparation",
        referential=world.referential,
        opens_on=datetime.date(2031, 1, 1),
        closes_on=datetime.date(2031, 6, 30),
        status="draft",
    )


def codes(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [c["code"] for c in response.json()["results"]]


def test_a_vendors_token_neither_lists_nor_reads_a_draft_campaign(world, draft):
    assert codes(world.client_a.get("/api/campaigns/")) == ["2020-S2"]
    assert codes(world.client_a.get("/api/campaigns/", {"status": "draft"})) == []
    response = world.client_a.get(f"/api/campaigns/{draft.code}/")
    assert response.status_code == 404
    assert (
        world.client_a.get(f"/api/campaigns/{draft.code}/report/", {"scope": "products"}).status_code == 404
    )
    assert world.client_a.get("/api/campaigns/2020-S2/").status_code == 200
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_agency_token_sees_draft_campaigns(world, draft, agency_client):
    assert codes(agency_client.get("/api/campaigns/")) == ["2031-S1", "2020-S2"]
    assert agency_client.get(f"/api/campaigns/{draft.code}/").status_code == 200


def test_a_closed_campaign_stays_visible_to_every_organisation(world):
    world.campaign.status = "closed"
    world.campaign.save()
    assert codes(world.client_b.get("/api/campaigns/")) == ["2020-S2"]
    assert world.client_b.get("/api/campaigns/2020-S2/").json()["status"] == "closed"


@pytest.fixture
def services_data(world):
    """Two regional services with submitted assessments in the `both` campaign of the world."""
    grades = OrganisationFactory(grades=True, code="grades-occ")
    ins, dmp = world.referential.axes.get(code="INS"), world.referential.axes.get(code="DMP")
    for i, (level_ins, level_dmp) in enumerate([(2, 1), (3, 2)]):
        service = Subject.objects.create(
            code=f"ror-{i}",
            kind="service",
            name=f"ROR {i}",
            organisation=grades,
            type_or_category="ror",
            region="76",
        )
        assessment = Assessment.objects.create(campaign=world.campaign, subject=service, status="submitted")
        Answer.objects.create(assessment=assessment, axis=ins, level=level_ins)
        Answer.objects.create(assessment=assessment, axis=dmp, level=level_dmp)


@pytest.fixture
def report_command(tmp_path):
    def run(*args: str) -> dict:
        output = tmp_path / "report.json"
        call_command("report", *args, "-o", str(output))
        return json.loads(output.read_text())

    return run


def test_the_services_report_of_a_campaign_of_both_scopes_is_the_reports_commands(
    world, services_data, agency_client, report_command
):
    assert world.campaign.scope == "both"
    response = agency_client.get("/api/campaigns/2020-S2/report/", {"scope": "services"})
    assert response.status_code == 200, response.json()
    expected = report_command("--campaign", "2020-S2", "--scope", "services")
    assert response.json() == expected
    assert expected["subjects"]["total"] == 2  # the figures are not empty ones


def test_the_products_report_of_a_campaign_of_both_scopes_is_found_too(world, agency_client, report_command):
    response = agency_client.get("/api/campaigns/2020-S2/report/", {"scope": "products"})
    assert response.status_code == 200, response.json()
    assert response.json() == report_command("--campaign", "2020-S2", "--scope", "products")


def test_a_report_of_an_unknown_campaign_is_not_found(world, agency_client):
    assert agency_client.get("/api/campaigns/nope/report/", {"scope": "services"}).status_code == 404
