"""The questionnaire in daily use, in Chromium (issue 12): the badge after a refused save, a file
chosen in the axis sent by "Save axis" with its progress bar, errors beside the field, the
sticky summary and "next unanswered", keyboard shortcuts, autosaved drafts that survive a
closed tab, and the same save without JavaScript."""

import re
import time

import pytest
from playwright.sync_api import expect

from convergence.assessments.models import AnswerDraft, Evidence

from .conftest import build_world
from .test_browser import log_in
from .test_evidence import PDF_BYTES

POLYGLOT = b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>"


def wait_until(predicate, timeout: float = 10.0) -> None:
    """Wait on a state outside the page (the database), polling; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the state was not reached")
        time.sleep(0.05)


def save_button(page, code: str):
    return page.locator(f"form[action$='/axes/{code}/'] button[value=save]")


@pytest.fixture
def opened(live_server, page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, live_server, world.vendor_user)
    url = f"{live_server.url}/evaluations/{world.product_assessment.pk}/"
    page.goto(url)
    yield world, url, problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_not_applicable_leaves_the_badge_unanswered(opened, page):
    world, _url, problems = opened
    page.locator("label[for=ax-AX00-level-na]").click()
    save_button(page, "AX00").click()
    expect(page.locator("#ax-AX00-na-reason-error")).to_be_visible()
    expect(page.locator("#ax-AX00-na-reason")).to_be_focused()
    badges = page.locator("#axis-AX00 .fr-badges-group")
    expect(badges.locator(".fr-badge--success")).to_have_count(0)
    expect(page.locator("#assessment-progress progress")).to_have_attribute("value", "0")
    expect(page.locator("[data-toc-axis=AX00] [data-toc-state]")).to_have_class(re.compile("fr-badge--error"))
    assert not world.product_assessment.answers.exists()
    assert problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_file_chosen_in_the_axis_is_sent_by_saving_it_with_a_progress_bar(opened, page):
    world, _url, problems = opened
    # Nothing to say yet: the (DSFR-styled) error line and the progress bar stay hidden.
    expect(page.locator("#ax-AX00-file-error")).to_be_hidden()
    expect(page.locator("#ax-AX00-upload")).to_be_hidden()
    # Record what the progress bar shows while the body is sent.
    page.evaluate(
        """() => {
        window.uploadSeen = [];
        document.addEventListener("htmx:beforeSend", (event) => {
          event.detail.xhr.upload.addEventListener("progress", () => {
            const box = document.getElementById("ax-AX00-upload");
            window.uploadSeen.push([box.hidden, document.getElementById("ax-AX00-upload-progress").value]);
          });
        });
      }"""
    )
    page.locator("label[for=ax-AX00-level-1]").click()
    big_pdf = PDF_BYTES + b"0" * (3 * 1024 * 1024)
    page.locator("#ax-AX00-file").set_input_files(
        files=[{"name": "preuve.pdf", "mimeType": "application/pdf", "buffer": big_pdf}]
    )
    save_button(page, "AX00").click()
    expect(page.locator("#axis-AX00-notice")).to_contain_text("preuve.pdf")
    expect(page.locator("#axis-AX00 a.fr-link--download")).to_contain_text("preuve.pdf")
    evidence = Evidence.objects.get()
    assert evidence.answer.level == 1 and evidence.size == len(big_pdf)
    seen = page.evaluate("window.uploadSeen")
    assert seen and all(hidden is False for hidden, _value in seen)
    assert max(value for _hidden, value in seen) > 0
    # The focus lands on the success message, the summary counts the axis.
    expect(page.locator("#axis-AX00-notice")).to_be_focused()
    expect(page.locator("#assessment-progress progress")).to_have_attribute("value", "1")
    assert problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_file_is_explained_beside_the_file_field(opened, page):
    world, _url, _problems = opened
    page.locator("label[for=ax-AX01-level-2]").click()
    page.locator("#ax-AX01-file").set_input_files(
        files=[{"name": "page.html", "mimeType": "text/html", "buffer": POLYGLOT}]
    )
    save_button(page, "AX01").click()
    error = page.locator("#ax-AX01-file-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("page.html")
    expect(page.locator("#ax-AX01-file")).to_be_focused()
    expect(page.locator("#ax-AX01-file")).to_have_attribute("aria-invalid", "true")
    # Beside the field: the message sits right under the file input, not far above the button.
    field_box = page.locator("#ax-AX01-file").bounding_box()
    error_box = error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 60
    assert not Evidence.objects.exists() and not world.product_assessment.answers.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_file_above_the_limit_is_refused_before_it_is_sent(opened, page, settings):
    world, url, _problems = opened
    settings.EVIDENCE_MAX_BYTES = 1024
    page.goto(url)  # the page now says 1 KB at most (data-max-bytes)
    page.locator("label[for=ax-AX00-level-1]").click()
    page.locator("#ax-AX00-file").set_input_files(
        files=[{"name": "gros.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES + b"0" * 4096}]
    )
    expect(page.locator("#ax-AX00-file-error")).to_be_visible()
    save_button(page, "AX00").click()
    expect(page.locator("#ax-AX00-file")).to_be_focused()
    assert not world.product_assessment.answers.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_summary_stays_in_view_and_leads_to_the_next_unanswered_axis(opened, page):
    world, _url, _problems = opened
    summary = page.locator("#assessment-progress")
    page.locator("#axis-AX02").scroll_into_view_if_needed()
    expect(summary).to_be_in_viewport()  # sticky
    page.locator("label[for=ax-AX00-level-2]").click()
    save_button(page, "AX00").click()
    expect(page.locator("#axis-AX00-notice")).to_be_visible()
    expect(page.locator("[data-toc-axis=AX00] [data-toc-state]")).to_have_class(
        re.compile("fr-badge--success")
    )
    next_link = page.locator("#next-unanswered")
    expect(next_link).to_have_attribute("href", "#axis-AX01")
    next_link.click()
    expect(page.locator("#axis-AX01-title")).to_be_focused()
    expect(page.locator("#axis-AX01")).to_be_in_viewport()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_keyboard_shortcuts_move_between_axes_but_not_while_typing(opened, page):
    _world, _url, _problems = opened
    page.locator("h1").click()
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#axis-AX00-title")).to_be_focused()
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#axis-AX01-title")).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator("#axis-AX02-title")).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator("#axis-AX01-title")).to_be_focused()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#axis-AX00-title")).to_be_focused()
    # In a field, j and k are letters. (The header's search field: a field of an axis would be
    # autosaved, and a draft request still running when the test ends broke the flush of the
    # test database.)
    field = page.locator("#header-search-input")
    field.click()
    page.keyboard.type("jk")
    expect(field).to_have_value("jk")
    expect(field).to_be_focused()
    # Alt+ArrowDown from inside a text field still moves on, to an axis.
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#axis-AX00-title")).to_be_focused()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_what_is_typed_is_autosaved_and_comes_back_after_a_closed_tab(opened, page, live_server):
    world, url, problems = opened
    assessment = world.product_assessment
    page.locator("label[for=ax-AX01-level-3]").click()
    page.locator("#ax-AX01-comment").fill("Déploiement prévu au T3")
    status = page.locator("#axis-AX01-draft-status")
    expect(status).to_contain_text(re.compile(r"\d{1,2}:\d{2}"))  # "saved at 14:32"
    expect(status).to_have_attribute("role", "status")
    expect(page.locator("[data-toc-axis=AX01] [data-toc-state]")).to_have_class(
        re.compile("fr-badge--warning")
    )
    # Typed again, then the tab closed at once: the page sends the draft as it goes.
    page.locator("#ax-AX02-comment").fill("Tapé juste avant de fermer")
    page.close(run_before_unload=True)
    wait_until(lambda: AnswerDraft.objects.filter(axis__code="AX02").exists())
    assert not assessment.answers.exists()  # a draft is not an answer

    again = page.context.new_page()
    again.goto(url)
    expect(again.locator("#ax-AX01-comment")).to_have_value("Déploiement prévu au T3")
    expect(again.locator("#ax-AX01-level-3")).to_be_checked()
    expect(again.locator("#ax-AX02-comment")).to_have_value("Tapé juste avant de fermer")
    expect(again.locator("#axis-AX01-draft")).to_be_visible()
    expect(again.locator("#axis-AX01 .fr-badges-group .fr-badge--success")).to_have_count(0)
    expect(again.locator("#assessment-progress progress")).to_have_attribute("value", "0")
    # Saving it validates it and turns it into the answer.
    again.locator("form[action$='/axes/AX01/'] button[value=save]").click()
    expect(again.locator("#axis-AX01-notice")).to_have_class(re.compile("fr-alert--success"))
    answer = assessment.answers.get(axis__code="AX01")
    assert answer.level == 3 and answer.comment == "Déploiement prévu au T3"
    assert not AnswerDraft.objects.filter(axis__code="AX01").exists()
    expect(again.locator("#axis-AX01-draft")).to_have_count(0)
    assert problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_file_goes_with_the_axis_and_errors_stay_beside_it(
    live_server, browser, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    log_in(page, live_server, world.vendor_user)
    assessment = world.product_assessment
    page.goto(f"{live_server.url}/evaluations/{assessment.pk}/")
    page.locator("label[for=ax-AX02-level-1]").click()
    page.locator("#ax-AX02-file").set_input_files(
        files=[{"name": "page.html", "mimeType": "text/html", "buffer": POLYGLOT}]
    )
    page.locator("form[action$='/axes/AX02/'] button[value=save]").click()
    expect(page.locator("#ax-AX02-file-error")).to_be_visible()
    assert not assessment.answers.exists()
    page.locator("#ax-AX02-file").set_input_files(
        files=[{"name": "preuve.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    page.locator("form[action$='/axes/AX02/'] button[value=save]").click()
    expect(page).to_have_url(re.compile(rf"/evaluations/{assessment.pk}/#axis-AX02$"))
    expect(page.locator("#axis-AX02 a.fr-link--download")).to_contain_text("preuve.pdf")
    assert Evidence.objects.get().answer.level == 1
    context.close()
