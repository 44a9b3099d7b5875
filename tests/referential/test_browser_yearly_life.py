"""The referential's yearly life in Chromium: a workbook becomes a draft after its preview, the
draft goes to consultation, a vendor comments, the agency answers and loads the corrected
workbook over the draft, publishes it, prepares a campaign on it and opens it after the
migration preview. (Thematic workshops are not built yet: the accepted comment is what changes
the draft here.)"""

import datetime
import io
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from convergence.assessments.models import Assessment
from convergence.referential import models as ref
from convergence.referential.services import load_default_referentials
from tests import factories as f

from .test_authoring_pages import edited_2023


def log_in(page, live_server, user) -> None:
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


def set_expected(book, code: str, axis: str, value) -> None:
    sheet = book["expected"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == code)
    sheet.cell(row, header.index(axis) + 1).value = value


def save(book, path) -> str:
    output = io.BytesIO()
    book.save(output)
    path.write_bytes(output.getvalue())
    return str(path)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_edition_goes_from_a_workbook_to_a_campaign_opened_after_its_migration_preview(
    live_server, page, tmp_path
):
    load_default_referentials()
    edition_2023 = ref.Referential.objects.get(code="doctrine-2023")
    analyst = f.MembershipFactory(organisation=f.OrganisationFactory(agency=True), role="analyste").user
    vendor = f.OrganisationFactory(code="acme", name="Acme Santé")
    vendor_user = f.MembershipFactory(organisation=vendor, role="salarie").user
    # Last year's validated self-assessment of a hospital EPR, level 2 on INS (expected 3 in 2023).
    product = f.SubjectFactory(code="acme-dpi", name="Acme DPI", organisation=vendor, type_or_category="dpi")
    past = f.CampaignFactory(
        code="2025-s2",
        referential=edition_2023,
        status="closed",
        opens_on=datetime.date(2025, 9, 1),
        closes_on=datetime.date(2025, 12, 15),
    )
    validated = f.AssessmentFactory(campaign=past, subject=product, status="validated")
    f.AnswerFactory(assessment=validated, axis=edition_2023.axes.get(code="INS"), level=2)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    # 1. The agency loads an edited workbook as a new draft, after the preview of its differences.
    book = edited_2023()
    first = save(book, tmp_path / "doctrine-2026.xlsx")
    log_in(page, live_server, analyst)
    page.goto(f"{live_server.url}/referentiels/doctrine-2023/")
    page.locator("#edition-actions a[href$='?base=doctrine-2023']").click()
    page.locator("#id_file").set_input_files(first)
    page.locator("#id_code").fill("doctrine-2026")
    page.locator("form[enctype] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/referentiels/importer/\d+/$"))
    expect(page.locator("#preview")).to_contain_text("doctrine-2023")
    expect(page.locator("#preview")).to_contain_text("Identité nationale de santé (INS) — 2026")
    assert not ref.Referential.objects.filter(code="doctrine-2026").exists()
    page.locator("main form[method=post] button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/referentiels/doctrine-2026/$"))
    draft = ref.Referential.objects.get(code="doctrine-2026")
    assert (draft.status, draft.derived_from_id) == ("draft", edition_2023.pk)

    # 2. It opens the consultation.
    page.locator("#edition-actions a[href$='/consultation/ouvrir/']").click()
    today = timezone.localdate()
    page.locator("#id_opens_on").fill(today.isoformat())
    page.locator("#id_closes_on").fill((today + datetime.timedelta(days=25)).isoformat())
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/referentiels/doctrine-2026/consultation/$"))
    expect(page.locator("#consultation-open")).to_be_visible()

    # 3. A vendor reads the draft, its changes highlighted, and comments on an expected level.
    log_in(page, live_server, vendor_user)
    page.goto(f"{live_server.url}/referentiels/doctrine-2026/consultation/")
    expect(page.locator("#axis-INS")).to_have_class("cv-changed")
    page.locator("#id_target").select_option("expected")
    page.locator("#id_axis_code").select_option("INS")
    page.locator("#id_target_code").select_option("dpi")
    page.locator("#id_text").fill("Le niveau 3 sur l'INS est hors d'atteinte pour un DPI en 2026 : 2 suffit.")
    page.locator("form[action$='/consultation/commenter/'] button[type=submit]").click()
    comment = ref.ConsultationComment.objects.get()
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text("hors d'atteinte")

    # 4. The agency accepts it and loads the corrected workbook over the draft.
    log_in(page, live_server, analyst)
    page.goto(f"{live_server.url}/referentiels/doctrine-2026/consultation/")
    card = page.locator(f"#comment-{comment.pk}")
    card.locator("select[name=status]").select_option("accepted")
    card.locator("textarea[name=answer]").fill("Accepté : le niveau attendu passe à 2.")
    card.locator("button[type=submit]").click()
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text("Accepté : le niveau attendu passe à 2.")
    expect(page.locator("#consultation-summary")).to_be_visible()
    set_expected(book, "dpi", "INS", 2)
    second = save(book, tmp_path / "doctrine-2026-v2.xlsx")
    page.goto(f"{live_server.url}/referentiels/doctrine-2026/")
    page.locator("#edition-actions a[href$='?target=doctrine-2026']").click()
    page.locator("#id_file").set_input_files(second)
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("#expectations-changes")).to_be_visible()
    expect(page.locator("#preview")).to_contain_text("dpi")
    page.locator("main form[method=post] button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/referentiels/doctrine-2026/$"))
    assert (
        ref.Expectation.objects.get(
            referential=draft, product_category__code="dpi", axis__code="INS"
        ).expected_level
        == 2
    )

    # 5. It publishes the edition (the comparison with doctrine-2023 is recorded) ...
    page.locator("#edition-actions a[href$='/publier/']").click()
    expect(page.locator("main")).to_contain_text("doctrine-2023")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/campagnes/nouvelle/\?referential=\d+$"))
    draft.refresh_from_db()
    assert (draft.status, draft.previous_edition_id) == ("published", edition_2023.pk)

    # 6. ... chooses it for the next campaign, previews the migration and opens the campaign.
    expect(page.locator("#id_referential")).to_have_value(str(draft.pk))
    page.locator("#id_code").fill("2026-s2")
    page.locator("#id_title").fill("Campagne 2026 S2")
    page.locator("#id_opens_on").fill(today.isoformat())
    page.locator("#id_closes_on").fill((today + datetime.timedelta(days=90)).isoformat())
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/campagnes/\d+/$"))
    page.locator("a[href$='/migration/']").click()
    expect(page.locator("#total-recheck")).to_have_text("1")  # INS: the expected level moved
    expect(page.locator("#total-reached")).to_have_text("1")  # level 2 now reaches the expected 2
    expect(page.locator('tr[data-subject="acme-dpi"] .cv-recheck')).to_have_text("INS")
    page.locator("form[action$='/ouvrir/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/campagnes/\d+/$"))
    opened = Assessment.objects.get(campaign__code="2026-s2", subject=product)
    answer = opened.answers.get()
    assert (answer.axis.code, answer.level, answer.needs_recheck) == ("INS", 2, True)
    assert problems == []
