"""Spreadsheet authoring in the agency's pages: download a workbook, upload it as a draft after
a preview of the differences."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from convergence.organisations.models import AuditEntry
from convergence.referential import models as ref
from convergence.referential.services import load_default_referentials, referential_workbook_export
from tests.factories import MembershipFactory, OrganisationFactory

from .test_import import row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(db):
    return MembershipFactory(organisation=OrganisationFactory(agency=True), role="analyste").user


@pytest.fixture
def agency_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def editions(db):
    load_default_referentials()


def workbook_of(code: str) -> openpyxl.Workbook:
    data = referential_workbook_export(referential=ref.Referential.objects.get(code=code))
    return openpyxl.load_workbook(io.BytesIO(data))


def as_upload(book: openpyxl.Workbook, name: str = "doctrine-2026.xlsx") -> SimpleUploadedFile:
    output = io.BytesIO()
    book.save(output)
    return SimpleUploadedFile(name, output.getvalue())


def edited_2023() -> openpyxl.Workbook:
    """doctrine-2023 with an axis renamed, an expected level raised and an axis no longer applying."""
    book = workbook_of("doctrine-2023")
    axes = book["axes"]
    header = [c.value for c in axes[1]]
    axes.cell(row=2, column=header.index("name") + 1).value = "Identité nationale de santé (INS) — 2026"
    expected = book["expected"]
    header = [c.value for c in expected[1]]
    row = next(r for r in range(2, expected.max_row + 1) if expected.cell(r, 1).value == "teleconsultation")
    expected.cell(row, header.index("DMP") + 1).value = 3
    expected.cell(row, header.index("MSS") + 1).value = None
    return book


def test_anyone_downloads_a_published_edition_as_a_workbook_and_drafts_stay_hidden(client, editions):
    response = client.get(reverse("referential:workbook", args=["doctrine-2023"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="doctrine-2023.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book["referential"]["B3"].value == "doctrine-2023"
    ref.Referential.objects.filter(code="doctrine-2023").update(status="draft")
    assert client.get(reverse("referential:workbook", args=["doctrine-2023"])).status_code == 404


def test_an_uploaded_workbook_is_previewed_then_saved_as_a_new_draft(agency_client, editions, analyst):
    before = row_counts()
    response = agency_client.post(
        reverse("referential:upload"),
        {
            "file": as_upload(edited_2023()),
            "mode": "new",
            "code": "doctrine-2026",
            "base": ref.Referential.objects.get(code="doctrine-2023").pk,
        },
    )
    assert response.status_code == 302
    upload = ref.WorkbookUpload.objects.get()
    assert response["Location"] == reverse("referential:upload_preview", args=[upload.pk])
    assert row_counts() == before  # nothing of the referential is written by the check

    page = agency_client.get(response["Location"]).content.decode()
    assert "From doctrine-2023 to doctrine-2026" in page
    assert "Identité nationale de santé (INS) — 2026" in page  # the renamed axis
    assert "1 levels changed, applicability gained 0, lost 1" in page

    response = agency_client.post(reverse("referential:upload_preview", args=[upload.pk]))
    assert response.status_code == 302
    draft = ref.Referential.objects.get(code="doctrine-2026")
    assert (draft.status, draft.published_on, draft.derived_from.code) == ("draft", None, "doctrine-2023")
    assert (
        ref.Expectation.objects.get(
            referential=draft, service_type__code="teleconsultation", axis__code="DMP"
        ).expected_level
        == 3
    )
    assert not ref.WorkbookUpload.objects.exists()
    entry = AuditEntry.objects.filter(object_type="referential.referential", object_id=str(draft.pk)).get()
    assert entry.user_id == analyst.pk
    assert entry.change_reason == "workbook doctrine-2026.xlsx loaded as a new draft"


def test_a_workbook_loaded_over_a_draft_is_compared_with_that_draft(agency_client, editions):
    agency_client.post(
        reverse("referential:upload"),
        {"file": as_upload(workbook_of("doctrine-2023")), "mode": "new", "code": "doctrine-2026"},
    )
    agency_client.post(reverse("referential:upload_preview", args=[ref.WorkbookUpload.objects.get().pk]))
    response = agency_client.post(
        reverse("referential:upload"),
        {"file": as_upload(edited_2023()), "mode": "replace", "target": "doctrine-2026"},
    )
    upload = ref.WorkbookUpload.objects.get()
    assert upload.target.code == "doctrine-2026"
    page = agency_client.get(response["Location"]).content.decode()
    assert "From doctrine-2026 to doctrine-2026" in page
    agency_client.post(reverse("referential:upload_preview", args=[upload.pk]))
    assert ref.Axis.objects.get(referential__code="doctrine-2026", code="INS").name.endswith("— 2026")


def test_a_bad_workbook_is_refused_with_sheet_row_and_column_and_nothing_is_saved(agency_client, editions):
    book = workbook_of("doctrine-2023")
    book["expected"]["C2"] = 7
    book["service_types"]["G3"] = "peut-être"
    before = row_counts()
    response = agency_client.post(
        reverse("referential:upload"), {"file": as_upload(book), "mode": "new", "code": "doctrine-2026"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "sheet service_types, row 3, column common_core: expected yes or no, got &#x27;peut-être&#x27;"
        in page
    )
    assert not ref.WorkbookUpload.objects.exists()
    assert row_counts() == before


def test_a_new_draft_may_not_take_the_code_of_an_existing_edition(agency_client, editions):
    response = agency_client.post(
        reverse("referential:upload"), {"file": as_upload(workbook_of("doctrine-2023")), "mode": "new"}
    )
    assert response.status_code == 200
    assert "An edition with the code doctrine-2023 already exists" in response.content.decode()
    assert not ref.WorkbookUpload.objects.exists()


def test_a_vendor_cannot_upload_and_another_analysts_upload_is_hidden(client, agency_client, editions):
    agency_client.post(
        reverse("referential:upload"),
        {"file": as_upload(workbook_of("doctrine-2023")), "mode": "new", "code": "doctrine-2026"},
    )
    upload = ref.WorkbookUpload.objects.get()
    vendor = MembershipFactory().user
    client.force_login(vendor)
    assert client.get(reverse("referential:upload")).status_code == 403
    assert client.post(reverse("referential:upload_preview", args=[upload.pk])).status_code == 403
    other = MembershipFactory(organisation=OrganisationFactory(agency=True), role="analyste").user
    client.force_login(other)
    assert client.post(reverse("referential:upload_preview", args=[upload.pk])).status_code == 404
    assert not ref.Referential.objects.filter(code="doctrine-2026").exists()


def test_the_detail_page_offers_the_workbook_and_the_agency_its_upload(client, agency_client, editions):
    page = agency_client.get(reverse("referential:detail", args=["doctrine-2023"])).content.decode()
    assert reverse("referential:workbook", args=["doctrine-2023"]) in page
    assert f"{reverse('referential:upload')}?base=doctrine-2023" in page
    client.logout()
    page = client.get(reverse("referential:detail", args=["doctrine-2023"])).content.decode()
    assert reverse("referential:workbook", args=["doctrine-2023"]) in page
    assert reverse("referential:upload") not in page


def test_publishing_records_the_comparison_and_leads_to_a_campaign_on_the_edition(
    agency_client, editions, analyst
):
    agency_client.post(
        reverse("referential:upload"),
        {
            "file": as_upload(edited_2023()),
            "mode": "new",
            "code": "doctrine-2026",
            "base": ref.Referential.objects.get(code="doctrine-2023").pk,
        },
    )
    agency_client.post(reverse("referential:upload_preview", args=[ref.WorkbookUpload.objects.get().pk]))
    url = reverse("referential:publish", args=["doctrine-2026"])
    page = agency_client.get(url).content.decode()
    assert "From doctrine-2023 to doctrine-2026" in page
    response = agency_client.post(url)
    draft = ref.Referential.objects.get(code="doctrine-2026")
    assert response["Location"] == f"{reverse('campaigns:create')}?referential={draft.pk}"
    assert (draft.status, draft.previous_edition.code) == ("published", "doctrine-2023")
    assert draft.publication_changes["axes_renamed"] == ["INS"]
    assert draft.publication_changes["applicability_lost"] == 1
    assert draft.publication_changes["expected_levels_changed"] == 1
    form = agency_client.get(response["Location"]).content.decode()
    assert f'<option value="{draft.pk}" selected>' in form
    assert AuditEntry.objects.filter(
        object_type="referential.referential",
        object_id=str(draft.pk),
        change_reason="published",
        user_id=analyst.pk,
    ).exists()
    # Published: no second publication, and the page says so.
    assert agency_client.post(url).status_code == 302
    assert (
        "see the differences"
        in agency_client.get(reverse("referential:detail", args=["doctrine-2026"])).content.decode()
    )


def test_only_the_agency_publishes(client, editions):
    from convergence.referential.services import referential_export, referential_import

    source = referential_export(referential=ref.Referential.objects.get(code="doctrine-2023"))
    source = source.replace("code: doctrine-2023", "code: doctrine-2026").replace(
        "published_on: 2023-06-01\n", ""
    )
    referential_import(source=source)
    client.force_login(MembershipFactory().user)
    assert client.post(reverse("referential:publish", args=["doctrine-2026"])).status_code == 403
    assert ref.Referential.objects.get(code="doctrine-2026").status == "draft"
