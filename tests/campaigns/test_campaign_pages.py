"""Campaign pages: agency only; create, edit, open, close; progress."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from convergence.assessments.models import Assessment, Campaign
from tests import factories as f


@pytest.fixture
def referential(db):
    referential = f.ReferentialFactory(code="ed-2023", published_on=datetime.date(2023, 6, 1))
    f.ProductCategoryFactory(referential=referential, code="dpi")
    return referential


@pytest.fixture
def analyst(db):
    return f.MembershipFactory(
        organisation=f.OrganisationFactory(agency=True, code="ans"), role="analyste"
    ).user


@pytest.fixture
def vendor_user(db):
    return f.MembershipFactory(organisation__kind="vendor").user


FORM = {
    "code": "2025-s2",
    "title": "Campagne 2025 S2",
    "scope": "products",
    "opens_on": "2025-09-01",
    "closes_on": "2025-12-15",
    "instructions": "Merci de remplir avant la date limite.",
}


def test_an_analyst_creates_opens_and_closes_a_campaign(client, referential, analyst):
    for n in range(3):
        f.SubjectFactory(code=f"p{n}", type_or_category="dpi")
    f.SubjectFactory(code="gone", status="retired")
    client.force_login(analyst)
    response = client.post(reverse("campaigns:create"), {**FORM, "referential": referential.pk})
    campaign = Campaign.objects.get(code="2025-s2")
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    page = client.get(response["Location"]).content.decode()
    assert "3 active subjects are in scope" in page
    client.post(reverse("campaigns:open", args=[campaign.pk]))
    assert Assessment.objects.filter(campaign=campaign, status="draft").count() == 3
    client.post(reverse("campaigns:close", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "closed"


def test_the_form_says_what_is_wrong(client, referential, analyst):
    draft = f.ReferentialFactory(code="draft", status="draft", published_on=None)
    client.force_login(analyst)
    response = client.post(
        reverse("campaigns:create"), {**FORM, "referential": draft.pk, "closes_on": "2025-01-01"}
    )
    errors = response.context["form"].errors
    assert set(errors) == {"referential", "closes_on"}
    assert not Campaign.objects.exists()


def test_an_open_campaign_keeps_its_referential(client, referential, analyst):
    other = f.ReferentialFactory(code="ed-other", published_on=datetime.date(2024, 1, 1))
    campaign = f.CampaignFactory(code="c1", referential=referential, status="open")
    client.force_login(analyst)
    response = client.post(
        reverse("campaigns:edit", args=[campaign.pk]),
        {**FORM, "code": "c1", "referential": other.pk, "title": "Renamed"},
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.title, campaign.referential_id) == ("Renamed", referential.pk)


@pytest.mark.parametrize(
    ("url_name", "method"),
    [
        ("campaigns:list", "get"),
        ("campaigns:create", "post"),
        ("campaigns:detail", "get"),
        ("campaigns:edit", "post"),
        ("campaigns:open", "post"),
        ("campaigns:close", "post"),
    ],
)
def test_campaigns_are_closed_to_non_agency_users(client, referential, vendor_user, url_name, method):
    campaign = f.CampaignFactory(code="c1", referential=referential, status="open", title="Original")
    client.force_login(vendor_user)
    args = [] if url_name in {"campaigns:list", "campaigns:create"} else [campaign.pk]
    response = getattr(client, method)(reverse(url_name, args=args), {**FORM, "referential": referential.pk})
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert (campaign.status, campaign.title) == ("open", "Original")
    assert Campaign.objects.count() == 1


def test_the_list_shows_progress_with_a_fixed_number_of_queries(
    client, referential, analyst, django_assert_max_num_queries
):
    def add_campaigns(start: int, stop: int) -> None:
        for n in range(start, stop):
            campaign = f.CampaignFactory(code=f"c{n}", referential=referential)
            for status in ("draft", "submitted", "validated"):
                f.AssessmentFactory(campaign=campaign, status=status)

    client.force_login(analyst)
    add_campaigns(0, 1)
    client.get(reverse("campaigns:list"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("campaigns:list"))
    add_campaigns(1, 12)
    with CaptureQueriesContext(connection) as twelve:
        response = client.get(reverse("campaigns:list"))
    assert len(twelve) == len(one)
    with django_assert_max_num_queries(20):  # fixed overhead: session, memberships, permissions
        client.get(reverse("campaigns:list"))
    rows = list(response.context["page_obj"])
    assert len(rows) == 12
    assert {(c.assessments_total, c.assessments_validated, c.assessments_draft) for c in rows} == {(3, 1, 1)}


def test_the_detail_shows_counts_per_kind_and_status(client, referential, analyst):
    campaign = f.CampaignFactory(code="c1", referential=referential)
    f.AssessmentFactory(campaign=campaign, status="validated")
    f.AssessmentFactory(campaign=campaign, status="returned", subject__kind="service", subject__region="76")
    client.force_login(analyst)
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    kinds = {
        row["label"]: (row["total"], row["validated"], row["returned"]) for row in response.context["by_kind"]
    }
    assert kinds == {"Regional service": (1, 0, 1), "Product": (1, 1, 0)}
    assert response.context["done_percent"] == 50
