"""The referential pages in a real browser, in French then in English, with no console error."""

import re

import pytest
from playwright.sync_api import expect

from convergence.referential.services import load_default_referentials


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_visitor_reads_the_referentials_in_french_and_in_english(live_server, page):
    load_default_referentials()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{live_server.url}/referentiels/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    table = page.locator("table").first
    expect(table).to_contain_text("doctrine-2019")
    expect(table).to_contain_text("doctrine-2023")

    page.get_by_role("link", name=re.compile("Doctrine du numérique en santé, édition 2019")).click()
    expect(page).to_have_url(re.compile(r"/referentiels/doctrine-2019/$"))
    expect(page.locator("h1")).to_contain_text("édition 2019")
    expect(page.locator("#axis-INS")).to_contain_text("Identité nationale de santé (INS)")
    matrix = page.locator("table.cv-matrix")
    expect(matrix.locator("caption")).to_contain_text("doctrine-2019")
    expect(matrix.locator("tbody th[scope=row]", has_text="Téléconsultation").first).to_be_visible()
    # The header row stays in view when the matrix is scrolled.
    assert matrix.locator("thead th").first.evaluate("e => getComputedStyle(e).position") == "sticky"

    # Switch to English with the header's language button (a POST to /i18n/setlang/).
    page.get_by_role("button", name="English").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/referentiels/doctrine-2019/$"))
    expect(page.locator("#axis-INS")).to_contain_text("National health identifier (INS)")
    expect(page.locator("#matrix")).to_have_text("Applicability matrix")
    expect(matrix.locator("tbody th[scope=row]", has_text="Teleconsultation").first).to_be_visible()

    page.goto(f"{live_server.url}/referentiels/comparer/")
    page.get_by_label("Earlier edition").select_option("doctrine-2019")
    page.get_by_label("Later edition").select_option("doctrine-2023")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"a=doctrine-2019&b=doctrine-2023"))
    expect(page.locator("#descriptors-changes")).to_be_visible()
    expect(page.locator("main, body").first).to_contain_text("From doctrine-2019 to doctrine-2023")

    # Back to French: the comparison page is in French.
    page.get_by_role("button", name="Français").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#descriptors-changes")).to_be_visible()

    assert problems == []
