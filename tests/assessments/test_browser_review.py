"""The agency's review in Chromium at 1,280 px: the review page and the queue fit the window
(no horizontal scroll), a drop is shown in red with words, details open on demand, the thread
of an axis works in place; the queue sorts, validates a selection after a confirmation, and a
decision opens the next assessment of the queue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from convergence.assessments.models import Assessment, AxisComment

from .conftest import build_world
from .review_helpers import fill_and_submit, previous_campaign, submitted_products
from .test_browser import log_in

WIDTH = 1280
DROP_TEXT = re.compile(r"(down from|en baisse de) 2 (to|à) 1")


def no_horizontal_overflow(page) -> None:
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    assert sizes["scroll"] <= sizes["client"], (
        f"the page is {sizes['scroll']} px wide in {sizes['client']} px"
    )


def tables_fit(page) -> None:
    """No table is wider than its frame (a table scrolling inside its wrapper hides columns)."""
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('table')]
              .map(t => [t.scrollWidth, t.parentElement.clientWidth])
              .filter(([table, frame]) => table > frame + 1)"""
    )
    assert overflowing == []
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('td, th')]
              .filter(cell => cell.scrollWidth > cell.clientWidth + 1)
              .map(cell => cell.textContent.trim().slice(0, 40))"""
    )
    assert clipped == [], f"cells whose content overflows: {clipped}"


def watch_errors(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    return problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_review_page_fits_1280_px_shows_drops_in_words_and_threads_in_place(live_server, page):
    world = build_world()
    previous_campaign(world, {"AX00": 2, "AX01": 1, "AX02": 2})
    assessment = fill_and_submit(
        world, world.product_assessment, {"AX00": 1, "AX01": 2, "AX02": 2}, world.vendor_user
    )
    # Long values that used to widen the table.
    assessment.answers.filter(axis__code="AX00").update(comment="Commentaire très long " * 40)
    problems = watch_errors(page)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    log_in(page, live_server, world.analyst)
    page.goto(f"{live_server.url}/evaluations/{assessment.pk}/revue/")

    no_horizontal_overflow(page)
    drop = page.locator("#axis-AX00 [data-change=down]")
    expect(drop).to_have_text(re.compile(r"↓\s*" + DROP_TEXT.pattern))
    color = drop.evaluate("el => getComputedStyle(el).color")
    red, green, blue = (int(c) for c in re.findall(r"\d+", color)[:3])
    assert red > 150 and green < 100 and blue < 100, color  # red, and the words say it too
    expect(page.locator("#axis-AX01 [data-change=up]")).to_be_visible()

    # Details on demand: closed first, opened by a click, and still no horizontal scroll.
    details = page.locator("#axis-AX00 .review-axis__body")
    expect(details).to_be_hidden()
    page.locator("#axis-AX00 > summary").click()
    expect(details).to_be_visible()
    expect(details).to_contain_text("Commentaire très long")
    no_horizontal_overflow(page)

    # The thread of the axis: the message appears in place (htmx), the page does not reload.
    page.locator("#thread-AX00-body").fill("Pourquoi cette baisse ?")
    page.locator("#thread-AX00 button[type=submit]").click()
    expect(page.locator("#thread-AX00 .review-thread__list")).to_contain_text("Pourquoi cette baisse ?")
    assert AxisComment.objects.filter(assessment=assessment, side="reviewer").count() == 1
    assert problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_queue_fits_sorts_validates_a_selection_and_opens_the_next_one(live_server, page):
    world = build_world()
    rows = submitted_products(
        world, 4, prefix="Logiciel de gestion hospitalière au nom particulièrement long"
    )
    problems = watch_errors(page)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    log_in(page, live_server, world.analyst)
    page.goto(f"{live_server.url}/evaluations/revue/")
    no_horizontal_overflow(page)
    tables_fit(page)

    # Sort by name, descending (two clicks on the header).
    header = page.locator(
        "th", has=page.locator("a", has_text=re.compile("Product or service|Produit ou service"))
    )
    header.locator("a").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    header.locator("a").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    first_row = page.locator("tbody tr").first
    expect(first_row).to_have_attribute("data-assessment", str(rows[3].pk))

    # Select the two last ones of the list, confirm, and see each result.
    page.locator(f"#select-{rows[0].pk}").check()
    page.locator(f"#select-{rows[1].pk}").check()
    page.locator("#bulk-validate").click()
    confirm = page.locator("#bulk-confirm")
    expect(confirm.locator("tbody tr")).to_have_count(2)
    no_horizontal_overflow(page)
    assert not Assessment.objects.filter(status="validated").exists()  # nothing before the confirmation
    confirm.locator("button[type=submit]").click()
    expect(page.locator("#bulk-result .fr-badge--success")).to_have_count(2)
    assert set(Assessment.objects.filter(status="validated").values_list("pk", flat=True)) == {
        rows[0].pk,
        rows[1].pk,
    }

    # Back to the queue (still sorted), open the first one, validate: the next one opens.
    page.locator("a", has_text=re.compile("Back to the queue|Retour à la file")).last.click()
    expect(page.locator("tbody tr").first).to_have_attribute("data-assessment", str(rows[3].pk))
    page.locator("tbody tr").first.locator("a").first.click()
    expect(page).to_have_url(re.compile(rf"/evaluations/{rows[3].pk}/revue/\?queue="))
    no_horizontal_overflow(page)
    page.locator("#review-validate button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/evaluations/{rows[2].pk}/revue/\?queue="))
    assert Assessment.objects.get(pk=rows[3].pk).status == "validated"
    assert problems == []
