"""Browser journey (Chromium): a regional operator imports its services from a CSV file.

Locators use ids and data (codes, numbers), not wording: the pages are translated."""

import csv

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from convergence.catalog.models import Subject
from convergence.exchange.formats import COLUMNS
from convergence.exchange.models import ImportRun
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, membership):
    client = Client()
    client.force_login(membership.user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def collect_errors(page):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target, delimiter=";")  # as a French spreadsheet program writes it
        writer.writerow(COLUMNS)
        for subject, name, type_code, axis, level in rows:
            writer.writerow(
                [
                    "2020-S2",
                    "grades-occ",
                    "e-santé Occitanie",
                    "grades",
                    "76",
                    subject,
                    "service",
                    name,
                    type_code,
                ]
                + ["active", "submitted", axis, level, "", "", "", "raison" if level == "NA" else ""]
            )
    return path


def test_a_regional_operator_fixes_its_file_then_imports_its_services(
    page, live_server, campaign, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    membership = MembershipFactory(
        organisation=OrganisationFactory(code="grades-occ", name="e-santé Occitanie", grades=True)
    )
    log_in(page, live_server, membership)
    errors = collect_errors(page)

    bad = write_csv(
        tmp_path / "services-occitanie.csv",
        [
            ("occ-ror", "ROR Occitanie", "ror", "INS", "2"),
            ("occ-ror", "ROR Occitanie", "ror", "DMP", "9"),  # row 3: no such level
            ("occ-tlc", "Téléconsultation Occitanie", "telecon", "INS", "1"),  # row 4: unknown type
        ],
    )
    page.goto(f"{live_server.url}{reverse('exchange:import')}")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.locator("form[enctype] button[type=submit]").click()
    table = page.locator("#import-errors table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr").nth(0)).to_contain_text("3")
    expect(table.locator("tbody tr").nth(0)).to_contain_text("level")
    expect(table).to_contain_text("type_or_category")
    expect(table).to_contain_text("telecon")
    expect(table).to_contain_text("inconnu")  # the browser reads French: so do the errors
    expect(page.locator("#confirm-import")).to_have_count(0)
    assert not Subject.objects.exists()

    good = write_csv(
        tmp_path / "services-occitanie-corrige.csv",
        [
            ("occ-ror", "ROR Occitanie", "ror", "INS", "2"),
            ("occ-ror", "ROR Occitanie", "ror", "DMP", "3"),
            ("occ-ror", "ROR Occitanie", "ror", "MSS", "NA"),
            ("occ-tlc", "Téléconsultation Occitanie", "teleconsultation", "INS", "1"),
            # Submitted: every axis that applies to a teleconsultation (INS, SECU) is answered.
            ("occ-tlc", "Téléconsultation Occitanie", "teleconsultation", "SECU", "2"),
        ],
    )
    page.goto(f"{live_server.url}{reverse('exchange:import')}")
    page.locator("input[type=file]").set_input_files(str(good))
    page.locator("form[enctype] button[type=submit]").click()
    counts = page.locator("#import-counts table")
    expect(counts).to_be_visible()
    expect(counts.locator("tbody tr").nth(1)).to_contain_text("2")  # two subjects created
    expect(page.locator("#import-subjects")).to_contain_text("occ-tlc")
    assert not Subject.objects.exists()  # nothing written before the confirmation

    page.locator("#confirm-import").click()
    expect(page.locator(".fr-alert--success")).to_be_visible()
    run = ImportRun.objects.get(file_name="services-occitanie-corrige.csv")
    assert run.status == ImportRun.Status.APPLIED
    assert run.created == 2 + 2 + 5  # subjects, assessments, answers

    page.goto(f"{live_server.url}/catalogue/")
    expect(page.get_by_text("ROR Occitanie")).to_be_visible()
    expect(page.get_by_text("Téléconsultation Occitanie")).to_be_visible()
    assert errors == []
