import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories as f


@pytest.fixture
def vendor_member(client):
    membership = f.MembershipFactory()
    client.force_login(membership.user)
    return membership


@pytest.mark.django_db
def test_a_member_sees_their_open_campaigns_with_what_is_left_to_do(client, vendor_member):
    today = timezone.localdate()
    campaign = f.CampaignFactory(
        title="Campagne ouverte", status="open", opens_on=today, closes_on=today + datetime.timedelta(days=5)
    )
    for status in ("draft", "draft", "returned", "submitted"):
        f.AssessmentFactory(
            campaign=campaign,
            status=status,
            subject=f.SubjectFactory(organisation=vendor_member.organisation),
        )
    f.AssessmentFactory(campaign=campaign, status="draft")  # another organisation's: not counted
    page = client.get(reverse("web:home")).content.decode()
    table = page[page.index('id="campaigns-to-do"') :]
    cells = [cell.split("</td>")[0].strip() for cell in table.split("<td>")[2:6]]
    assert "Campagne ouverte" in table
    assert cells == ["2", "1", "1", "0"]


@pytest.mark.django_db
def test_closed_campaigns_and_other_organisations_do_not_show(client, vendor_member):
    f.AssessmentFactory(
        campaign=f.CampaignFactory(title="Campagne close", status="closed"),
        subject=f.SubjectFactory(organisation=vendor_member.organisation),
    )
    f.AssessmentFactory(campaign=f.CampaignFactory(title="Campagne des autres", status="open"))
    page = client.get(reverse("web:home")).content.decode()
    assert "Campagne close" not in page
    assert "Campagne des autres" not in page
    assert "campaigns-to-do" not in page


@pytest.mark.django_db
def test_the_agency_sees_how_many_assessments_wait_for_review(client):
    membership = f.MembershipFactory(organisation=f.OrganisationFactory(agency=True))
    client.force_login(membership.user)
    f.AssessmentFactory(status="submitted")
    f.AssessmentFactory(status="submitted")
    f.AssessmentFactory(status="draft")
    page = client.get(reverse("web:home")).content.decode()
    assert 'id="review-callout"' in page
    assert ">2 " in page.split('id="review-callout"')[1].split("</p>")[0]


@pytest.mark.django_db
def test_the_home_page_query_count_does_not_grow_with_assessments(
    client, vendor_member, django_assert_max_num_queries
):
    campaign = f.CampaignFactory(status="open")
    for _ in range(30):
        f.AssessmentFactory(
            campaign=campaign, subject=f.SubjectFactory(organisation=vendor_member.organisation)
        )
    with django_assert_max_num_queries(12):
        client.get(reverse("web:home"))


@pytest.mark.django_db
def test_the_agency_sees_every_assessment_of_the_open_campaigns(client):
    membership = f.MembershipFactory(organisation=f.OrganisationFactory(agency=True))
    client.force_login(membership.user)
    campaign = f.CampaignFactory(title="Campagne nationale", status="open")
    f.AssessmentFactory(campaign=campaign, status="draft")
    f.AssessmentFactory(campaign=campaign, status="validated")
    page = client.get(reverse("web:home")).content.decode()
    table = page[page.index('id="campaigns-to-do"') :]
    cells = [cell.split("</td>")[0].strip() for cell in table.split("<td>")[2:6]]
    assert "Campagne nationale" in table
    assert cells == ["1", "0", "0", "1"]
