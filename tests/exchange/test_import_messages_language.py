"""The errors of a dataset import are shown in the reader's language on the web pages (French by
default, English for an English page), while the command line keeps printing them in English."""

import csv
import html
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from convergence.exchange.formats import COLUMNS
from convergence.exchange.models import ImportRun
from tests.exchange.test_web_import import csv_file, row

NBSP = "\u00a0"

FAULTY_ROWS = [
    row(),  # row 2: valid
    row(axis="DMP", level="7"),  # row 3: checked by the answer validator
    row(axis="SECU", level="1"),  # row 4: likewise (the axis does not apply to a ROR)
    row(  # row 5: checked by the importer (another organisation's data)
        organisation="ars-occ",
        organisation_name="ARS Occitanie",
        organisation_kind="ars",
        subject="ars-ror",
    ),
    row(subject="occ-other", subject_name="Autre", status="gone"),  # row 6: importer, with a parameter
]

EXPECTED = {
    "fr": {
        ("3", "level", "le niveau 7 est en dehors de l’échelle 0..3"),
        ("4", "axis", "l’axe SECU ne s’applique pas à « ror » ; axes applicables : INS, DMP, MSS"),
        (
            "5",
            "organisation",
            "vous ne pouvez importer que les données de votre organisation « grades-occ », "
            "pas celles de « ars-occ »",
        ),
        ("6", "status", "statut 'gone' inconnu ; statuts connus : active, deploying, technical, retired"),
    },
    "en": {
        ("3", "level", "level 7 is outside the scale 0..3"),
        ("4", "axis", 'axis SECU does not apply to "ror"; applicable axes: INS, DMP, MSS'),
        (
            "5",
            "organisation",
            'you can only import the data of your organisation "grades-occ", not "ars-occ"',
        ),
        ("6", "status", "unknown status 'gone'; known statuses: active, deploying, technical, retired"),
    },
}


def browser(user, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def upload(client, rows, name="services.csv"):
    response = client.post(reverse("exchange:import"), {"file": csv_file(rows, name)})
    assert response.status_code == 302, response.content[:2000]
    return ImportRun.objects.get(token=response.url.rstrip("/").split("/")[-1])


def text(fragment):
    """The visible text of an HTML fragment, no-break spaces read as spaces."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).replace(NBSP, " ").strip()


def error_cells(page_html):
    """(row, column, message) of each line of the page's error table."""
    table = page_html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return {
        tuple(text(cell) for cell in cells)
        for cells in re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", body, re.S)
    }


@pytest.mark.parametrize(
    ("upload_language", "read_language"), [("fr", "fr"), ("en", "en"), ("en", "fr"), ("fr", "en")]
)
def test_the_errors_of_an_upload_are_shown_in_the_language_of_the_reader(
    grades, campaign, upload_language, read_language
):
    # The check runs in the uploader's language; whoever reads the result later reads it in theirs.
    run = upload(browser(grades.user, upload_language), FAULTY_ROWS)
    assert run.status == ImportRun.Status.REJECTED
    page = browser(grades.user, read_language).get(reverse("exchange:import_detail", args=[run.token]))
    assert page.status_code == 200
    assert error_cells(page.content.decode()) == {
        (number, column, message.replace(NBSP, " ")) for number, column, message in EXPECTED[read_language]
    }


def test_a_problem_outside_the_rows_keeps_its_location_and_is_translated(grades, campaign):
    header_only = csv_file([])
    client = browser(grades.user, "fr")
    response = client.post(reverse("exchange:import"), {"file": header_only})
    run = ImportRun.objects.get(token=response.url.rstrip("/").split("/")[-1])
    page = client.get(reverse("exchange:import_detail", args=[run.token])).content.decode()
    assert error_cells(page) == {("—", "—", "file: aucune ligne de données")}


@pytest.mark.parametrize(
    ("language", "message"),
    [("fr", "déposez un fichier .csv ou .xlsx"), ("en", "upload a .csv or .xlsx file")],
)
def test_a_refused_upload_says_why_in_the_language_of_the_page(grades, campaign, language, message):
    client = browser(grades.user, language)
    response = client.post(reverse("exchange:import"), {"file": csv_file([row()], name="data.json")})
    assert response.status_code == 200
    assert message in text(response.content.decode())
    assert not ImportRun.objects.exists()


def test_errors_stored_as_english_lines_by_an_earlier_version_are_still_listed(grades, campaign):
    run = ImportRun.objects.create(
        source=ImportRun.Source.WEB,
        organisation=grades.organisation,
        restricted=True,
        file_name="old.csv",
        file_format="csv",
        status=ImportRun.Status.REJECTED,
        problems=["row 3, column level: level 7 is outside the scale 0..3", "file: no data row"],
    )
    page = browser(grades.user, "fr").get(reverse("exchange:import_detail", args=[run.token]))
    assert error_cells(page.content.decode()) == {
        ("3", "level", "level 7 is outside the scale 0..3"),
        ("—", "—", "file: no data row"),
    }


def test_the_command_line_prints_the_same_errors_in_english_whatever_the_active_language(campaign, tmp_path):
    path = tmp_path / "bad.csv"
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(FAULTY_ROWS)
    err = io.StringIO()
    with translation.override("fr"), pytest.raises(SystemExit) as exit_:
        call_command("import_dataset", str(path), stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 2
    lines = err.getvalue().splitlines()
    # The command imports for any organisation: row 5 is no problem there.
    assert lines == [
        f"{path}: row 3, column level: level 7 is outside the scale 0..3",
        f'{path}: row 4, column axis: axis SECU does not apply to "ror"; applicable axes: INS, DMP, MSS',
        f"{path}: row 6, column status: unknown status 'gone'; "
        "known statuses: active, deploying, technical, retired",
    ]
