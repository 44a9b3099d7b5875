"""The layout in Chromium at 1,280 px: skip links first in the focus order and leading where
they say, the header's search box, and the wide tables (the catalogue, the audit log) fitting the
page instead of scrolling sideways."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _overflow(page, selector: str) -> dict:
    return page.eval_on_selector(
        selector,
        """table => {
          const box = table.closest('.fr-table') || table.parentElement;
          return {table: Math.ceil(table.getBoundingClientRect().width), frame: Math.floor(box.clientWidth),
                  page: document.documentElement.scrollWidth};
        }""",
    )


def test_the_first_tab_reaches_the_skip_links_which_lead_to_the_content(live_server, page):
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#content"
    page.keyboard.press("Tab")
    # The next stop is inside the main content, not back in the header.
    assert page.evaluate("!!document.activeElement.closest('main')")


def test_the_catalogue_and_the_audit_log_fit_1280_px(live_server, page):
    vendor = f.OrganisationFactory(code="acme", name="Acme Santé Solutions Informatiques Hospitalières")
    manager = f.MembershipFactory(organisation=vendor, role="mandataire").user
    agency = f.OrganisationFactory(code="ans", name="Agence", agency=True)
    analyst = f.MembershipFactory(organisation=agency, role="analyste").user
    for index in range(12):
        subject = f.SubjectFactory(
            organisation=vendor,
            code=f"acme-dossier-patient-informatise-hospitalier-version-{index:02}",
            name=f"Dossier patient informatisé hospitalier Acme, édition {index:02}",
        )
        subject.description = "Une description assez longue " * 5
        subject.save()
    for user in (manager, analyst):
        page.context.clear_cookies()
        _log_in(page, live_server, user)
        for path, selector in (
            ("/catalogue/", "#subjects-table table"),
            ("/organisations/journal/", "#audit-table table"),
        ):
            page.goto(f"{live_server.url}{path}")
            expect(page.locator(selector)).to_be_visible()
            sizes = _overflow(page, selector)
            assert sizes["table"] <= sizes["frame"] and sizes["page"] <= 1280, (path, user.email, sizes)


def test_the_header_search_finds_a_product(live_server, page):
    vendor = f.OrganisationFactory(code="acme", name="Acme Santé")
    employee = f.MembershipFactory(organisation=vendor, role="salarie").user
    f.SubjectFactory(organisation=vendor, code="acme-dpi", name="Dossier patient Acme")
    _log_in(page, live_server, employee)
    page.goto(f"{live_server.url}/")
    search = page.locator("header form[role=search]")
    search.locator("#header-search-input").fill("dossier")
    search.locator("button[type=submit]").click()
    expect(page.locator("#results-subjects")).to_contain_text("Dossier patient Acme")
