"""The self-assessment journey in Chromium: fill, submit, return, correct, resubmit, validate,
download the PDF fiche. Once for a vendor's product, once for a GRADeS's regional service."""

import re
import subprocess

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from convergence.assessments.models import Assessment, Evidence

from .conftest import FUTURE, build_world
from .test_evidence import PDF_BYTES


def log_in(page, live_server, user) -> None:
    """Log in through Django's session (force_login) and hand the cookie to the browser."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def save_axis(page, code: str) -> None:
    page.locator(f"form[action$='/axes/{code}/'] button[value=save]").click()
    expect(page.locator(f"#axis-{code}-notice")).to_have_class(re.compile("fr-alert--success"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["product", "service"])
def test_fill_submit_return_resubmit_validate_and_download_the_fiche(
    live_server, page, tmp_path, settings, kind
):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm questions

    assessment = world.product_assessment if kind == "product" else world.service_assessment
    declarant = world.vendor_user if kind == "product" else world.grades_user
    codes = ["AX00", "AX01", "AX02"] if kind == "product" else ["AX00", "AX01"]
    url = f"{live_server.url}/evaluations/{assessment.pk}/"

    # 1. The declarant fills every axis; AX00 gets a milestone, a blocker and an evidence file.
    log_in(page, live_server, declarant)
    page.goto(url)
    expect(page.locator("#assessment-progress progress")).to_have_attribute("value", "0")
    page.locator("label[for=ax-AX00-level-1]").click()
    page.locator("#ax-AX00-m0-level").select_option("3")
    page.locator("#ax-AX00-m0-due").fill(FUTURE.isoformat())
    page.locator("#axis-AX00 label", has_text="Visibilité").click()
    page.locator("#ax-AX00-comment").fill("Migration INSi prévue")
    # The evidence goes with the answer, in the same save.
    page.locator("#ax-AX00-file").set_input_files(
        files=[{"name": "preuve.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    save_axis(page, "AX00")
    expect(page.locator("#axis-AX00")).to_contain_text("preuve.pdf")
    for code in codes[1:]:
        page.locator(f"label[for=ax-{code}-level-2]").click()
        save_axis(page, code)  # saved with the version sent back by the previous save
    expect(page.locator("#assessment-progress")).to_have_attribute("data-version", str(len(codes) + 1))
    page.locator(f"form[action$='/{assessment.pk}/soumettre/'] button[type=submit]").click()
    expect(page.locator("input[name=level]")).to_have_count(0)  # read-only once submitted
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    assert Evidence.objects.filter(answer__assessment=assessment).count() == 1

    # 2. The agency analyst returns it with a reason.
    log_in(page, live_server, world.analyst)
    page.goto(f"{live_server.url}/evaluations/revue/")
    page.locator(f"a[href='/evaluations/{assessment.pk}/revue/']").click()
    expect(page.locator("#axis-AX00")).to_contain_text("Migration INSi prévue")
    page.locator("#id_reason").fill("Précisez la date du jalon AX00.")
    page.locator(f"form[action$='/{assessment.pk}/renvoyer/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/evaluations/revue/"))
    assessment.refresh_from_db()
    assert assessment.status == "returned"

    # 3. The declarant reads the reason, corrects, resubmits.
    log_in(page, live_server, declarant)
    page.goto(url)
    expect(page.locator("main, body").first).to_contain_text("Précisez la date du jalon AX00.")
    page.locator("label[for=ax-AX00-level-2]").click()
    save_axis(page, "AX00")
    page.locator(f"form[action$='/{assessment.pk}/soumettre/'] button[type=submit]").click()
    expect(page.locator("input[name=level]")).to_have_count(0)
    assessment.refresh_from_db()
    assert assessment.status == "submitted"

    # 4. The analyst validates.
    log_in(page, live_server, world.analyst)
    page.goto(f"{live_server.url}/evaluations/{assessment.pk}/revue/")
    page.locator(f"form[action$='/{assessment.pk}/valider/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/evaluations/revue/"))
    assessment.refresh_from_db()
    assert assessment.status == "validated"

    # 5. The declarant downloads the PDF fiche, which holds the radar chart.
    log_in(page, live_server, declarant)
    page.goto(f"{live_server.url}/evaluations/{assessment.pk}/fiche/")
    expect(page.locator("svg.convergence-radar")).to_be_visible()
    with page.expect_download() as download_info:
        page.locator(f"a[href='/evaluations/{assessment.pk}/fiche.pdf']").first.click()
    path = tmp_path / "fiche.pdf"
    download_info.value.save_as(path)
    content = path.read_bytes()
    assert content.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert assessment.subject.name in text
    for code in codes:
        assert text.count(code) >= 2, code  # in the radar's labels and in the tables
    assert Assessment.objects.get(pk=assessment.pk).status == "validated"
    assert problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_questionnaire_works_without_javascript(live_server, browser):
    world = build_world()
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    log_in(page, live_server, world.vendor_user)
    assessment = world.product_assessment
    page.goto(f"{live_server.url}/evaluations/{assessment.pk}/")
    page.locator("label[for=ax-AX01-level-2]").click()
    page.locator("#ax-AX01-m0-level").select_option("3")
    page.locator("#ax-AX01-m0-due").fill("2001-01-01")  # in the past: refused
    page.locator("form[action$='/axes/AX01/'] button[type=submit]").click()
    expect(page.locator("#ax-AX01-m0-due-error")).to_be_visible()
    expect(page.locator("#ax-AX01-m0-due")).to_have_attribute("aria-describedby", "ax-AX01-m0-due-error")
    page.locator("#ax-AX01-m0-due").fill(FUTURE.isoformat())
    page.locator("form[action$='/axes/AX01/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/evaluations/{assessment.pk}/#axis-AX01$"))
    answer = assessment.answers.get(axis__code="AX01")
    assert answer.level == 2 and list(answer.milestones.values_list("level", flat=True)) == [3]
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_after_an_htmx_error_the_keyboard_focus_lands_on_the_invalid_field(live_server, page):
    world = build_world()
    log_in(page, live_server, world.vendor_user)
    page.goto(f"{live_server.url}/evaluations/{world.product_assessment.pk}/")
    # Keyboard only: focus the first level of AX00, move with the arrow keys, save with Enter.
    page.locator("#ax-AX00-level-0").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#ax-AX00-level-2")).to_be_checked()
    page.locator("#ax-AX00-m0-level").select_option("1")  # below the current level: refused
    page.locator("#ax-AX00-m0-due").fill(FUTURE.isoformat())
    page.locator("form[action$='/axes/AX00/'] button[type=submit]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#ax-AX00-m0-level-error")).to_be_visible()
    expect(page.locator("#ax-AX00-m0-level")).to_be_focused()
    assert not world.product_assessment.answers.exists()
