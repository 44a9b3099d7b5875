"""Numbers, percentages and dates in the reader's language (Django's localisation), on the pages
of the layout's area."""

import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tests import factories as f


def render(source: str, **context) -> str:
    return Template("{% load web %}" + source).render(Context(context))


def test_numbers_are_grouped_and_use_the_languages_decimal_mark():
    with translation.override("fr"):
        assert render("{{ n|number }}", n=1234567) == "1\xa0234\xa0567"
        assert render("{{ x|number:2 }}", x=2.666) == "2,67"
    with translation.override("en"):
        assert render("{{ n|number }}", n=1234567) == "1,234,567"
        assert render("{{ x|number:2 }}", x=2.666) == "2.67"
        assert render("{{ rate|percent:1 }}", rate=0.875) == "87.5%"
    assert render("{{ missing|number }}{{ missing|percent }}", missing=None) == ""


@pytest.mark.django_db
def test_the_home_page_shows_french_dates_and_grouped_counts_in_french(client):
    membership = f.MembershipFactory()
    campaign = f.CampaignFactory(
        title="Campagne ouverte",
        status="open",
        opens_on=datetime.date(2026, 1, 5),
        closes_on=datetime.date(2030, 12, 15),
    )
    f.AssessmentFactory(campaign=campaign, subject=f.SubjectFactory(organisation=membership.organisation))
    client.force_login(membership.user)
    french = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "15/12/2030" in french and "2030-12-15" not in french
    english = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "12/15/2030" in english
