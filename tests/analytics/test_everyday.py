"""Issue 12's analytics defects, each pinned by a test that failed before its fix."""

import datetime
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from convergence.analytics.engine import ReportParams, report_compute
from convergence.analytics.renderers import render
from convergence.analytics.renderers.charts import report_charts
from convergence.analytics.services import report_publish
from tests import factories as f

from .dataset import build_golden_services, service

pytestmark = pytest.mark.django_db


def agency_client(client):
    membership = f.MembershipFactory(organisation=f.OrganisationFactory(kind="agency", siren=""))
    client.force_login(membership.user)
    return client


def published_page(client, **kwargs) -> str:
    snapshot = report_publish(campaign_code="golden", scope="services", region=None, user=None, **kwargs)
    response = client.get(reverse("analytics:observatory_detail", args=[snapshot.pk, snapshot.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_public_report_whose_blockers_are_all_masked_says_so_and_not_that_there_are_none(client):
    build_golden_services()  # blockers b1 (2 subjects) and b2 (1): each fewer than K = 5
    html = published_page(client, min_cell=5)
    assert "No blocker cited" not in html
    assert "Blockers cited by fewer are masked: this does not mean that none was cited." in html
    # Shown blockers in public mode still say that smaller ones are masked.
    html = published_page(client, min_cell=2)
    assert "Blockers cited by fewer than 2 subjects are masked." in html


def test_no_empty_chart_is_drawn_when_every_family_is_masked(client):
    build_golden_services()  # family F1 has 3 published common-core subjects: fewer than K = 5
    html = published_page(client, min_cell=5)
    groups = html[html.index('id="groups-title"') : html.index('id="projection-title"')]
    assert "<svg" not in groups
    assert "Every family has fewer than 5 published subjects: their counts are masked" in groups
    assert 'id="table-groups"' in groups  # the table still lists them, masked
    report = report_compute(ReportParams("golden", "services", public=True)).as_dict()
    assert report_charts(report)["groups"] == ""


def test_the_report_pages_open_on_the_newest_campaign_with_submitted_data(client):
    campaign = build_golden_services()
    newer = f.CampaignFactory(
        code="newer",
        referential=campaign.referential,
        status=campaign.status,
        opens_on=datetime.date(2030, 1, 1),
        closes_on=datetime.date(2030, 6, 30),
    )
    service(newer, "fresh", "T1", assessment_status="draft")  # opened: nothing submitted yet
    client = agency_client(client)
    response = client.get(reverse("analytics:dashboard"))
    assert response.context["form"]["campaign"].value() == "golden"
    assert response.context["bundle"]["report"]["campaign"] == "golden"
    publish = client.get(reverse("analytics:publish"))
    assert publish.context["form"]["campaign"].value() == "golden"


def test_every_chart_has_a_table_with_its_figures(client):
    build_golden_services()
    html = agency_client(client).get(
        reverse("analytics:dashboard"), {"campaign": "golden", "scope": "services"}
    )
    html = html.content.decode()
    figures = re.findall(r'<figure class="chart"([^>]*)>(.*?)</figure>', html, re.S)
    assert len(figures) == 5
    for attributes, content in figures:
        assert "<svg" in content
        table = re.search(r'aria-describedby="([^"]+)"', attributes)
        assert table and f'<table id="{table.group(1)}"' in html, attributes


def test_chart_numbers_are_localised_like_the_tables():
    build_golden_services()
    report = report_compute(ReportParams("golden", "services")).as_dict()  # A1 mean level 1.25
    with translation.override("fr"):
        french = report_charts(report)["mean"]
    with translation.override("en"):
        english = report_charts(report)["mean"]
    assert ">1,25<" in french and "1.25" not in french
    assert ">1.25<" in english
    # The axis ticks too (0,5 ... 3,0 on the mean level's axis).
    assert ">0,5<" in french and ">0.5<" in english


def test_the_report_workbook_writes_dates_as_dates():
    build_golden_services()
    report = report_compute(ReportParams("golden", "services")).as_dict()
    workbook = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx")))
    rows = list(workbook["projection"].values)
    assert rows[0] == ("axis", "date", "reached_rate")
    assert isinstance(rows[1][1], datetime.datetime) and rows[1][1].month == 12 and rows[1][1].day == 31
    assert workbook["projection"].cell(row=2, column=2).number_format != "General"
