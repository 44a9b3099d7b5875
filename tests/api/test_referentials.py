"""Referential editions through the API follow the web's rule (referential.selectors):
published and retired ones for every token, drafts for the agency only."""

import pytest
from rest_framework.test import APIClient

from convergence.api.services import token_create
from tests.factories import MembershipFactory, OrganisationFactory, ReferentialFactory

pytestmark = pytest.mark.django_db


def listed(client) -> list[str]:
    response = client.get("/api/referentials/")
    assert response.status_code == 200
    return sorted(r["code"] for r in response.json()["results"])


def test_a_vendors_token_sees_published_and_retired_editions_but_no_draft(world):
    ReferentialFactory(code="retired-ed", status="retired")
    ReferentialFactory(code="draft-ed", status="draft", published_on=None)
    assert listed(world.client_a) == ["doctrine-api", "retired-ed"]
    assert world.client_a.get("/api/referentials/draft-ed/").status_code == 404


def test_the_agency_token_sees_drafts(world):
    ReferentialFactory(code="draft-ed", status="draft", published_on=None)
    membership = MembershipFactory(organisation=OrganisationFactory(agency=True, code="ans"), role="analyste")
    _token, raw = token_create(user=membership.user, organisation=membership.organisation, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert listed(client) == ["doctrine-api", "draft-ed"]
