"""Blank templates to fill in (CSV, XLSX with drop-down lists) and the users' exports."""

import csv
import io
import json

import openpyxl
import pytest
from django.urls import reverse

from convergence.assessments.models import Answer, Assessment
from convergence.catalog.models import Subject
from convergence.exchange.formats import COLUMNS, EXPORT_COLUMNS
from convergence.exchange.services import dataset_import
from tests.factories import MembershipFactory, OrganisationFactory


@pytest.fixture
def vendor(db):
    return MembershipFactory(organisation=OrganisationFactory(code="acme", name="ACME Santé"))


@pytest.fixture
def agency(db):
    return MembershipFactory(organisation=OrganisationFactory(code="ans", name="Agence", agency=True))


def test_the_csv_template_has_the_header_and_an_example_row_that_imports(client, vendor, campaign, tmp_path):
    client.force_login(vendor.user)
    response = client.get(reverse("exchange:template"), {"campaign": campaign.code, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="modele-{campaign.code}.csv"'
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == EXPORT_COLUMNS  # the contract's columns, then the optional siren
    assert len(rows) == 5  # the example product answers each of the 4 axes of its category
    example = dict(zip(EXPORT_COLUMNS, rows[1], strict=True))
    assert example["organisation"] == "acme" and example["subject_kind"] == "product"
    assert example["siren"] == vendor.organisation.siren
    assert example["type_or_category"] == "dpi" and example["axis"] == "INS"
    path = tmp_path / "template.csv"
    path.write_bytes(response.content)
    outcome = dataset_import(path=path, organisation=vendor.organisation, dry_run=True)
    assert outcome.problems == []
    assert outcome.counts["answers"]["created"] == 4


def test_the_xlsx_template_offers_the_referential_codes_as_drop_down_lists(
    client, vendor, campaign, tmp_path
):
    client.force_login(vendor.user)
    response = client.get(reverse("exchange:template"), {"campaign": campaign.code, "format": "xlsx"})
    assert response.status_code == 200
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    workbook = openpyxl.load_workbook(path)
    data, columns_help, _axes, codes = workbook.worksheets
    assert [cell.value for cell in data[1]] == EXPORT_COLUMNS
    assert codes.title == "codes" and codes.sheet_state == "hidden"
    lists = {
        codes.cell(1, column).value: [
            codes.cell(row, column).value
            for row in range(2, codes.max_row + 1)
            if codes.cell(row, column).value is not None
        ]
        for column in range(1, codes.max_column + 1)
    }
    assert lists["type_or_category"] == ["ror", "teleconsultation", "dpi"]
    assert lists["axis"] == ["INS", "DMP", "MSS", "SECU"]
    assert lists["level"] == [0, 1, 2, 3, "NA"]
    assert lists["assessment_status"] == ["draft", "submitted"]
    assert lists["status"] == ["active", "deploying", "technical", "retired"]
    assert lists["blockers"] == ["calendrier-national", "visibilite"]
    validated = {}
    for validation in data.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            validated[EXPORT_COLUMNS[cell_range.min_col - 1]] = validation.formula1
    for name in ("type_or_category", "axis", "status", "assessment_status", "level"):
        assert validated[name].startswith("codes!$"), name
    assert "blockers" not in validated  # a free list: the codes are on the hidden sheet
    help_rows = {row[0]: row[1:] for row in columns_help.iter_rows(min_row=2, values_only=True) if row[0]}
    assert set(EXPORT_COLUMNS) <= set(help_rows)
    assert "Niveau atteint" in help_rows["level"][0] and "Level reached" in help_rows["level"][1]
    outcome = dataset_import(path=path, organisation=vendor.organisation, dry_run=True)
    assert outcome.problems == []


def test_the_agencys_template_example_creates_a_vendor_with_its_siren(client, agency, campaign, tmp_path):
    client.force_login(agency.user)
    response = client.get(reverse("exchange:template"), {"campaign": campaign.code, "format": "csv"})
    path = tmp_path / "template.csv"
    path.write_bytes(response.content)
    outcome = dataset_import(path=path)
    assert outcome.problems == []
    assert outcome.counts["organisations"]["created"] == 1


def test_a_template_for_an_unknown_campaign_is_a_404(client, vendor, campaign):
    client.force_login(vendor.user)
    assert client.get(reverse("exchange:template"), {"campaign": "nope", "format": "csv"}).status_code == 404


# --- exports --------------------------------------------------------------------------


def _two_vendors_with_data(campaign, tmp_path):
    rows = [[*COLUMNS, "siren"]]
    for org, siren in (("acme", "732829320"), ("other", "100000009")):
        for axis, level in (("INS", "2"), ("DMP", "1")):
            rows.append(
                [campaign.code, org, f"Org {org}", "vendor", "", f"{org}-dpi", "product", f"DPI {org}", "dpi"]
                + ["active", "draft", axis, level, "", "", "", "secret" if org == "other" else "", siren]
            )
    path = tmp_path / "seed.csv"
    with path.open("w", newline="", encoding="utf-8") as target:
        csv.writer(target).writerows(rows)
    outcome = dataset_import(path=path)
    assert not outcome.problems, outcome.problems


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_an_organisation_exports_only_its_own_assessments(client, campaign, tmp_path, fmt):
    _two_vendors_with_data(campaign, tmp_path)
    member = MembershipFactory(organisation=Subject.objects.get(code="acme-dpi").organisation)
    client.force_login(member.user)
    response = client.get(reverse("exchange:export_download"), {"campaign": campaign.code, "format": fmt})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if fmt == "xlsx":
        path = tmp_path / "export.xlsx"
        path.write_bytes(content)
        sheet = openpyxl.load_workbook(path).worksheets[0]
        text = " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
    else:
        text = content.decode("utf-8-sig")
    assert "acme-dpi" in text
    assert "other" not in text and "secret" not in text
    if fmt == "json":
        data = json.loads(text)
        assert [o["code"] for o in data["organisations"]] == ["acme"]
        assert [a["subject"] for a in data["assessments"]] == ["acme-dpi"]


def test_the_agency_exports_the_whole_campaign_like_the_command(client, agency, campaign, tmp_path):
    _two_vendors_with_data(campaign, tmp_path)
    client.force_login(agency.user)
    response = client.get(reverse("exchange:export_download"), {"campaign": campaign.code, "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    from django.core.management import call_command

    target = tmp_path / "cli.csv"
    call_command("export_dataset", "--campaign", campaign.code, "--format", "csv", "-o", str(target))
    assert text == target.read_bytes().decode("utf-8-sig")
    assert "acme-dpi" in text and "other-dpi" in text


def test_the_exported_csv_imports_back_unchanged(client, campaign, tmp_path):
    _two_vendors_with_data(campaign, tmp_path)
    member = MembershipFactory(organisation=Subject.objects.get(code="acme-dpi").organisation)
    client.force_login(member.user)
    response = client.get(reverse("exchange:export_download"), {"campaign": campaign.code, "format": "csv"})
    path = tmp_path / "mine.csv"
    path.write_bytes(b"".join(response.streaming_content))
    answers = Answer.objects.count()
    outcome = dataset_import(path=path, organisation=member.organisation)
    assert outcome.problems == []
    assert outcome.total("created") == outcome.total("updated") == 0
    assert Answer.objects.count() == answers
    assert Assessment.objects.count() == 2


def test_the_exports_page_lists_the_campaigns_and_says_what_is_exported(client, vendor, agency, campaign):
    client.force_login(vendor.user)
    html = client.get(reverse("exchange:exports")).content.decode()
    assert campaign.code in html and "ACME Santé" in html
    client.force_login(agency.user)
    assert "whole campaign" in client.get(reverse("exchange:exports")).content.decode()


def test_an_export_of_an_unknown_format_or_campaign_is_a_404(client, vendor, campaign):
    client.force_login(vendor.user)
    url = reverse("exchange:export_download")
    assert client.get(url, {"campaign": campaign.code, "format": "exe"}).status_code == 404
    assert client.get(url, {"campaign": "other", "format": "csv"}).status_code == 404


def test_exports_need_a_login(client, campaign):
    response = client.get(reverse("exchange:export_download"), {"campaign": campaign.code, "format": "csv"})
    assert response.status_code == 302
