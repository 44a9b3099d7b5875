"""Browser journeys (Chromium): dashboards with background progress, vendor benchmark, public
observatory; a published snapshot keeps its figures when new data arrives."""

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from convergence.analytics.models import PublishedReport
from tests import factories as f

from .dataset import answer, build_golden_services, build_referential
from .test_views import build_products

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def in_english(context, live_server):
    """The suite's browser speaks French (the site's default); these tests read English labels."""
    context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )


def log_in(page, live_server, organisation):
    membership = f.MembershipFactory(organisation=organisation)
    client = Client()
    client.force_login(membership.user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    in_english(page.context, live_server)


def collect_errors(page):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_the_agency_dashboard_computes_in_the_background_then_shows_the_figures(page, live_server, settings):
    settings.ANALYTICS_SYNC_MAX_ANSWERS = 0  # every campaign goes through the background task
    build_golden_services()
    log_in(page, live_server, f.OrganisationFactory(kind="agency", siren=""))
    errors = collect_errors(page)
    page.goto(f"{live_server.url}{reverse('analytics:dashboard')}?campaign=golden&scope=services")
    # The first answer shows the progress; htmx polls and the page reloads with the figures.
    expect(page.get_by_role("heading", name="Key figures")).to_be_visible(timeout=60_000)
    expect(page.locator("figure.chart svg").first).to_be_visible()
    expect(page.get_by_role("table", name="Figures per axis")).to_contain_text("A1")
    expect(page.get_by_role("table", name="Reached rate per region and axis")).to_contain_text("76 Occitania")
    expect(page.locator("#run-progress[hx-trigger]")).to_have_count(0)  # no more polling
    page.wait_for_load_state("networkidle")  # nothing in flight when the database is flushed
    assert errors == []


def test_a_vendor_reads_its_benchmark(page, live_server):
    _ref, campaign, axes, _ = build_referential()
    ours = build_products(campaign, axes)
    log_in(page, live_server, ours)
    page.goto(f"{live_server.url}{reverse('analytics:dashboard')}")
    expect(page).to_have_url(re.compile(r"/rapports/benchmark/$"))
    table = page.get_by_role("table", name="Our product beside its peers")
    expect(table).to_contain_text("1.75")  # third quartile of the 6 other vendors' products
    expect(page.get_by_text("Fewer than 5 published products")).to_be_visible()
    expect(page.get_by_text("Peer product")).to_have_count(0)


def test_a_published_snapshot_is_public_and_does_not_change(page, live_server):
    campaign = build_golden_services()
    log_in(page, live_server, f.OrganisationFactory(kind="agency", siren=""))
    page.goto(f"{live_server.url}{reverse('analytics:publish')}")
    page.get_by_label("Campaign").select_option("golden")
    page.get_by_label("Scope").select_option("services")
    page.get_by_label("Smallest group shown (K)").fill("2")
    page.once("dialog", lambda dialog: dialog.accept())  # "Publish this report to everyone?"
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The report is published in the observatory.")).to_be_visible()
    snapshot_url = page.url

    # New data, and a new publication: the first snapshot's page keeps its figures.
    for i in range(3):
        a = f.AssessmentFactory(
            campaign=campaign,
            status="submitted",
            subject=f.SubjectFactory(code=f"late-{i}", kind="service", type_or_category="T2", region="76"),
        )
        answer(a, campaign.referential.axes.get(code="A1"), 3)
    from convergence.analytics.services import report_publish

    report_publish(campaign_code="golden", scope="services", region=None, min_cell=2, user=None)
    assert PublishedReport.objects.count() == 2

    anonymous = page.context.browser.new_context()
    in_english(anonymous, live_server)
    public = anonymous.new_page()
    errors = collect_errors(public)
    public.goto(snapshot_url)
    table = public.get_by_role("table", name="Figures per axis")
    expect(table.locator("tr", has_text="A1").locator("td").first).to_have_text("4")  # answered, as published
    public.goto(f"{live_server.url}{reverse('analytics:observatory')}")
    expect(public.get_by_role("table", name="Published reports").locator("tbody tr")).to_have_count(2)
    newest = public.get_by_role("link", name="Campagne golden").first
    newest.click()
    expect(
        public.get_by_role("table", name="Figures per axis").locator("tr", has_text="A1").locator("td").first
    ).to_have_text("7")
    assert errors == []
    anonymous.close()
