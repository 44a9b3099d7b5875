"""Web import: upload, check (background task, immediate in tests), preview, confirmation."""

import csv
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from convergence.assessments.models import Answer, Assessment
from convergence.catalog.models import Subject
from convergence.exchange import services
from convergence.exchange.formats import COLUMNS
from convergence.exchange.models import ImportRun
from convergence.exchange.problems import stored_problem_cells
from tests.factories import MembershipFactory, OrganisationFactory, SubjectFactory


@pytest.fixture
def agency(db):
    return MembershipFactory(organisation=OrganisationFactory(code="anS", name="Agence", agency=True))


def row(**values):
    base = {
        "campaign": "2020-S2",
        "organisation": "grades-occ",
        "organisation_name": "e-santé Occitanie",
        "organisation_kind": "grades",
        "region": "76",
        "subject": "occ-ror",
        "subject_kind": "service",
        "subject_name": "ROR Occitanie",
        "type_or_category": "ror",
        "status": "active",
        "assessment_status": "draft",
        "axis": "INS",
        "level": "2",
        "target_level": "",
        "target_date": "",
        "blockers": "",
        "comment": "",
    }
    base.update(values)
    return base


def csv_file(rows, name="services.csv"):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(), content_type="text/csv")


def upload(client, rows, name="services.csv"):
    response = client.post(reverse("exchange:import"), {"file": csv_file(rows, name)})
    assert response.status_code == 302, response.content[:2000]
    return ImportRun.objects.get(token=response.url.rstrip("/").split("/")[-1])


GOOD_ROWS = [
    row(),
    row(axis="DMP", level="1", target_level="2", target_date="2027-06-30", blockers="visibilite"),
    row(axis="MSS", level="NA", comment="pas de messagerie"),
    row(
        subject="occ-telecons", subject_name="Téléconsultation Occitanie", type_or_category="teleconsultation"
    ),
]


def test_a_valid_file_is_previewed_and_nothing_is_written_before_confirmation(client, grades, campaign):
    client.force_login(grades.user)
    run = upload(client, GOOD_ROWS)
    assert run.status == ImportRun.Status.PREVIEWED
    assert not Subject.objects.filter(code__in=["occ-ror", "occ-telecons"]).exists()
    assert services.upload_path(run).exists()  # kept server-side for the confirmation
    page = client.get(reverse("exchange:import_detail", args=[run.token]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "occ-ror" in html and "occ-telecons" in html and "Confirm the import" in html
    assert run.counts["subjects"] == {"created": 2}
    assert run.counts["answers"] == {"created": 4}
    assert sorted(run.subjects) == [
        ["occ-ror", "ROR Occitanie", "created", "ror"],
        ["occ-telecons", "Téléconsultation Occitanie", "created", "teleconsultation"],
    ]


def test_confirming_imports_once_even_when_submitted_twice(client, grades, campaign):
    client.force_login(grades.user)
    run = upload(client, GOOD_ROWS)
    url = reverse("exchange:import_confirm", args=[run.token])
    first = client.post(url)
    second = client.post(url)
    assert first.status_code == second.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportRun.Status.APPLIED
    assert run.created > 0
    assert Subject.objects.filter(organisation=grades.organisation).count() == 2
    assert Answer.objects.filter(assessment__subject__code="occ-ror").count() == 3
    assert not services.upload_path(run).exists()
    # The second POST found the token consumed: one applied run, no second import.
    assert ImportRun.objects.filter(status=ImportRun.Status.APPLIED).count() == 1
    follow = client.get(reverse("exchange:import_detail", args=[run.token]))
    assert "The file was imported." in follow.content.decode()


def test_the_confirmation_is_consumed_atomically(grades, campaign, data_dir):
    run = ImportRun.objects.create(
        source="web",
        organisation=grades.organisation,
        file_name="x.csv",
        file_format="csv",
        status="previewed",
    )
    assert services.import_run_confirm(run=run) is True
    again = ImportRun.objects.get(pk=run.pk)
    assert services.import_run_confirm(run=again) is False


def test_confirmation_needs_a_post(client, grades, campaign):
    client.force_login(grades.user)
    run = upload(client, GOOD_ROWS)
    assert client.get(reverse("exchange:import_confirm", args=[run.token])).status_code == 405
    run.refresh_from_db()
    assert run.status == ImportRun.Status.PREVIEWED


def test_errors_are_listed_with_row_and_column_and_nothing_is_written(client, grades, campaign):
    client.force_login(grades.user)
    rows = [row(), row(axis="DMP", level="7"), row(axis="SECU", level="1")]
    run = upload(client, rows)
    assert run.status == ImportRun.Status.REJECTED
    assert not Subject.objects.filter(code="occ-ror").exists()
    assert not services.upload_path(run).exists()
    html = client.get(reverse("exchange:import_detail", args=[run.token])).content.decode()
    assert "<td>3</td><td><code>level</code></td>" in html
    assert "<td>4</td><td><code>axis</code></td>" in html
    assert "Confirm the import" not in html


def test_a_member_cannot_import_another_organisations_rows(client, grades, campaign):
    client.force_login(grades.user)
    other = OrganisationFactory(code="ars-occ", name="ARS Occitanie", ars=True)
    rows = [
        row(),
        row(organisation="ars-occ", organisation_name=other.name, organisation_kind="ars", subject="ars-ror"),
        row(
            organisation="ars-occ",
            organisation_name=other.name,
            organisation_kind="ars",
            subject="ars-ror",
            axis="DMP",
        ),
    ]
    run = upload(client, rows)
    assert run.status == ImportRun.Status.REJECTED
    problems = [stored_problem_cells(p) for p in run.problems]
    assert (
        "3",
        "organisation",
        'you can only import the data of your organisation "grades-occ", not "ars-occ"',
    ) in problems
    assert any(row_number == "4" and column == "organisation" for row_number, column, _ in problems)
    assert not Subject.objects.exists()


def test_a_member_cannot_take_over_another_organisations_subject(client, grades, campaign):
    client.force_login(grades.user)
    theirs = SubjectFactory(code="occ-ror", kind="service", type_or_category="ror", region="76")
    run = upload(client, [row()])
    assert run.status == ImportRun.Status.REJECTED
    assert "already used by another organisation" in " ".join(
        cells[2] for cells in map(stored_problem_cells, run.problems)
    )
    theirs.refresh_from_db()
    assert theirs.organisation_id != grades.organisation_id


def test_the_agency_imports_for_any_organisation(client, agency, campaign):
    client.force_login(agency.user)
    run = upload(client, GOOD_ROWS)
    assert run.status == ImportRun.Status.PREVIEWED, run.problems
    assert run.restricted is False
    client.post(reverse("exchange:import_confirm", args=[run.token]))
    run.refresh_from_db()
    assert run.status == ImportRun.Status.APPLIED
    assert Subject.objects.get(code="occ-ror").organisation.code == "grades-occ"


def test_another_organisations_import_is_a_404_and_stays_as_it_was(client, grades, campaign):
    client.force_login(grades.user)
    run = upload(client, GOOD_ROWS)
    intruder = MembershipFactory(organisation=OrganisationFactory(code="other", grades=True))
    client.force_login(intruder.user)
    for name in ("import_detail", "import_status"):
        assert client.get(reverse(f"exchange:{name}", args=[run.token])).status_code == 404
    for name in ("import_confirm", "import_cancel"):
        assert client.post(reverse(f"exchange:{name}", args=[run.token])).status_code == 404
    run.refresh_from_db()
    assert run.status == ImportRun.Status.PREVIEWED
    assert not Subject.objects.exists()


def test_cancelling_deletes_the_upload(client, grades, campaign):
    client.force_login(grades.user)
    run = upload(client, GOOD_ROWS)
    response = client.post(reverse("exchange:import_cancel", args=[run.token]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportRun.Status.CANCELLED
    assert not services.upload_path(run).exists()
    assert client.post(reverse("exchange:import_confirm", args=[run.token])).status_code == 302
    run.refresh_from_db()
    assert run.status == ImportRun.Status.CANCELLED
    assert not Subject.objects.exists()


def test_a_file_of_another_type_is_refused_on_the_form(client, grades, campaign):
    client.force_login(grades.user)
    response = client.post(
        reverse("exchange:import"),
        {"file": SimpleUploadedFile("data.json", b"{}", content_type="application/json")},
    )
    assert response.status_code == 200
    assert "upload a .csv or .xlsx file" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_the_status_fragment_shows_the_progress_of_a_running_import(client, grades, campaign):
    client.force_login(grades.user)
    run = ImportRun.objects.create(
        source="web",
        organisation=grades.organisation,
        file_name="x.csv",
        file_format="csv",
        status="running",
        rows=5000,
    )
    services.progress_path(run).write_text("2000")
    response = client.get(reverse("exchange:import_status", args=[run.token]), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "2000 of 5000 rows" in html
    assert 'hx-trigger="every 1s"' in html
    run.status = ImportRun.Status.APPLIED
    run.save()
    done = client.get(reverse("exchange:import_status", args=[run.token]), headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"


def test_the_import_list_shows_only_the_organisations_imports_in_pages(
    client, grades, campaign, django_assert_max_num_queries
):
    client.force_login(grades.user)
    for index in range(25):
        ImportRun.objects.create(
            source="web",
            user=grades.user,
            organisation=grades.organisation,
            file_name=f"mine-{index}.csv",
            file_format="csv",
        )
    other = OrganisationFactory(code="other", grades=True)
    ImportRun.objects.create(
        source="web", organisation=other, file_name="secret-of-other.csv", file_format="csv"
    )
    # A fixed number of queries whatever the page holds (no query per row).
    # (+ a fixed few for the table of the axes that apply to each type: the campaign's referential)
    with django_assert_max_num_queries(24):
        html = client.get(reverse("exchange:import")).content.decode()
    assert html.count("mine-") == 20
    assert "secret-of-other.csv" not in html
    assert (
        html.count("mine-")
        + client.get(reverse("exchange:import") + "?page=2").content.decode().count("mine-")
        == 25
    )


def test_a_second_import_of_the_same_file_changes_nothing(client, grades, campaign):
    client.force_login(grades.user)
    run = upload(client, GOOD_ROWS)
    client.post(reverse("exchange:import_confirm", args=[run.token]))
    version = Assessment.objects.get(subject__code="occ-ror").version
    again = upload(client, GOOD_ROWS)
    assert again.created == again.updated == 0
    assert {action for _, _, action, _ in again.subjects} == {"unchanged"}
    changed = upload(client, [row(level="3")])
    assert [action for _, _, action, _ in changed.subjects] == ["updated"]
    assert Assessment.objects.get(subject__code="occ-ror").version == version


def test_a_5000_row_file_is_previewed_whole(client, grades, campaign, capsys):
    """Every row is checked and every subject listed. No assertion on time: it only prints the
    figure that docs/exchange.md cites."""
    client.force_login(grades.user)
    rows = [
        row(subject=f"occ-{index}", subject_name=f"Service {index}", axis=axis, level=str(index % 4))
        for index in range(1667)
        for axis in ("INS", "DMP", "MSS")
    ][:5000]
    started = time.perf_counter()
    run = upload(client, rows)
    elapsed = time.perf_counter() - started
    assert run.status == ImportRun.Status.PREVIEWED, run.problems[:3]
    assert run.rows == 5000
    assert len(run.subjects) == 1667
    with capsys.disabled():
        print(f"\npreview of {len(rows)} rows: {elapsed:.2f}s")
