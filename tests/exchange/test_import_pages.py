"""What the web import's pages say (issue 12): rows and objects per kind in the reader's
language, what an import wrote (nothing, unless applied), labels beside codes, and the template
listing the axes that apply to each service type and product category."""

import csv
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from convergence.exchange.models import ImportRun
from tests.exchange.test_web_import import GOOD_ROWS, row, upload

# 7 rows: 3 services (ror, ror, teleconsultation), 3 assessments, 7 answers, the GRADeS itself.
SEVEN_ROWS = [
    *GOOD_ROWS,
    row(
        subject="occ-telecons",
        subject_name="Téléconsultation Occitanie",
        type_or_category="teleconsultation",
        axis="SECU",
        level="1",
    ),
    row(subject="occ-ror-2", subject_name="ROR Occitanie bis"),
    row(subject="occ-ror-2", subject_name="ROR Occitanie bis", axis="DMP", level="2"),
]


def french_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(user)
    return client


def test_the_applied_import_shows_its_rows_and_what_it_did_per_kind(client, grades, campaign):
    client.force_login(grades.user)
    run = upload(client, SEVEN_ROWS, name="sept.csv")
    client.post(reverse("exchange:import_confirm", args=[run.token]))
    run.refresh_from_db()
    assert run.status == ImportRun.Status.APPLIED and run.rows == 7
    html = client.get(reverse("exchange:import_detail", args=[run.token])).content.decode()
    # The rows of the file, not the 14 objects the summary added up ("created 13, ...").
    assert "7 rows imported" in html
    assert not re.search(r"created \d+, updated \d+", html)
    counts = html[html.index('id="import-counts"') :]
    counts = counts[: counts.index("</table>")]
    cells = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>', counts)
    assert cells == [
        ("Organisations", "0", "0", "1"),
        ("Products and services", "3", "0", "0"),
        ("Assessments", "3", "0", "0"),
        ("Answers", "7", "0", "0"),
    ]
    # In French, the command line's English summary is gone too (the counts' labels are French).
    french = french_client(grades.user).get(reverse("exchange:import_detail", args=[run.token]))
    text = french.content.decode()
    assert not re.search(r"created \d+|unchanged \d+", text)
    assert "Produits et services" in text or "Products and services" not in text


def _history_row(html: str, file_name: str) -> str:
    start = html.index(f">{file_name}</a>")
    return html[start : html.index("</tr>", start)]


def test_the_history_shows_that_rejected_and_cancelled_imports_wrote_nothing(client, grades, campaign):
    client.force_login(grades.user)
    # Would create 2 subjects, 2 assessments and answers, but one row is wrong: rejected.
    rejected = upload(client, [*GOOD_ROWS, row(axis="DMP", level="9")], name="rejete.csv")
    assert rejected.status == ImportRun.Status.REJECTED
    assert rejected.created == rejected.updated == rejected.unchanged == 0
    cancelled = upload(client, GOOD_ROWS, name="annule.csv")
    client.post(reverse("exchange:import_cancel", args=[cancelled.token]))
    cancelled.refresh_from_db()
    assert cancelled.status == ImportRun.Status.CANCELLED
    assert cancelled.created == 0 and cancelled.counts["subjects"] == {"created": 2}  # the preview's
    waiting = upload(client, GOOD_ROWS, name="en-attente.csv")
    html = client.get(reverse("exchange:import")).content.decode()
    for name in ("rejete.csv", "annule.csv"):
        line = _history_row(html, name)
        assert "Nothing written" in line, line
        assert not re.search(r"<td>[1-9]\d*</td>\s*<td>\d+</td>\s*<td>\d+</td>", line), line
    assert "Nothing written yet (waiting for confirmation)" in _history_row(html, "en-attente.csv")
    client.post(reverse("exchange:import_confirm", args=[waiting.token]))
    html = client.get(reverse("exchange:import")).content.decode()
    applied = _history_row(html, "en-attente.csv")
    # Rows, then what was written: 2 subjects + 2 assessments + 4 answers created, the GRADeS unchanged.
    assert re.search(r"<td>4</td>\s*<td>8</td><td>0</td><td>1</td>", applied), applied


def test_the_import_pages_show_labels_beside_codes(client, grades, campaign):
    client.force_login(grades.user)
    run = upload(client, GOOD_ROWS)
    html = client.get(reverse("exchange:import_detail", args=[run.token])).content.decode()
    assert "Campagne 2020 S2" in html  # the campaign's title, not only "2020-S2"
    subjects = html[html.index('id="import-subjects"') :]
    # The type's label from the referential beside the subject (not "teleconsultation").
    assert re.search(r"<code>occ-telecons</code></td><td>[^<]+</td><td>Téléconsultation</td>", subjects)
    assert re.search(r"<code>occ-ror</code></td><td>[^<]+</td><td>ROR</td>", subjects)


def test_the_import_page_lists_the_axes_of_each_type(client, grades, campaign):
    client.force_login(grades.user)
    html = client.get(reverse("exchange:import")).content.decode()
    table = html[html.index('id="applicable-axes"') :]
    table = table[: table.index("</details>")]
    assert re.search(
        r"ROR.*<code>ror</code></td><td>.*>INS</abbr> \(2\), .*>DMP</abbr> \(2\), .*>MSS</abbr> \(—\)</td>",
        table,
    )
    assert ">SECU</abbr> (2)" in table
    assert "<code>dpi</code>" not in table  # a GRADeS declares services, not products


def _xlsx_sheets(client, campaign, tmp_path):
    response = client.get(reverse("exchange:template"), {"campaign": campaign.code, "format": "xlsx"})
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    return path, openpyxl.load_workbook(path)


def test_the_xlsx_template_lists_the_applicable_axes_per_type_and_category(
    client, grades, campaign, tmp_path
):
    client.force_login(grades.user)
    _path, workbook = _xlsx_sheets(client, campaign, tmp_path)
    sheet = workbook["axes par type - axes by type"]
    assert sheet.sheet_state == "visible"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    axes = list(header[5:])
    assert axes == ["INS", "DMP", "MSS", "SECU"]
    by_code = {found[0]: found for found in rows[1:]}
    assert set(by_code) == {"ror", "teleconsultation"}  # a GRADeS: the service types
    ror = by_code["ror"]
    assert ror[1] == "ROR" and ror[3] == "Données de référence"
    assert ror[4] == "INS (2), DMP (2), MSS"
    assert dict(zip(axes, ror[5:], strict=True)) == {"INS": 2, "DMP": 2, "MSS": "oui / yes", "SECU": None}
    telecons = dict(zip(axes, by_code["teleconsultation"][5:], strict=True))
    assert telecons == {"INS": 2, "DMP": None, "MSS": None, "SECU": 2}


@pytest.fixture
def agency(db):
    from tests.factories import MembershipFactory, OrganisationFactory

    return MembershipFactory(organisation=OrganisationFactory(code="ans", name="Agence", agency=True))


def test_the_agencys_xlsx_template_lists_types_and_categories(client, agency, campaign, tmp_path):
    client.force_login(agency.user)
    _path, workbook = _xlsx_sheets(client, campaign, tmp_path)
    rows = list(workbook["axes par type - axes by type"].iter_rows(values_only=True))
    assert [found[0] for found in rows[1:]] == ["ror", "teleconsultation", "dpi"]
    assert rows[3][4] == "INS (3), DMP (3), MSS (3), SECU (2)"


def test_the_csv_template_example_answers_every_axis_of_its_type(client, grades, campaign, tmp_path):
    client.force_login(grades.user)
    response = client.get(reverse("exchange:template"), {"campaign": campaign.code, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {found["type_or_category"] for found in rows} == {"ror"}
    assert [(found["axis"], found["level"]) for found in rows] == [("INS", "2"), ("DMP", "2"), ("MSS", "0")]


# --- a run whose process died (issue 15) --------------------------------------------------

HOLD_LEASE = """
import sys
import django
from django.conf import settings
database = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
settings.configure(DATA_DIR=sys.argv[1], DATABASES={"default": database})
django.setup()
from convergence.exchange.lease import Lease
lease = Lease(sys.argv[2])
assert lease.acquire()
print("held", flush=True)
sys.stdin.read()
"""


def _claimed_run(client, grades):
    """A confirmed import taken by a worker (its lease held by another process), as the
    confirmation leaves it before the worker finishes."""
    from convergence.exchange import services

    run = upload(client, GOOD_ROWS)
    assert services.import_run_confirm(run=run)
    assert services._claim(run, ImportRun.Step.APPLY)
    return run


@pytest.mark.xfail(
    connection.vendor == "postgresql",
    reason="PostgreSQL: the re-run answers a client refresh, not the progress fragment (see the note)",
    strict=False,
)
def test_a_web_import_whose_worker_died_reads_interrupted_and_runs_again(client, grades, campaign, data_dir):
    import signal
    import subprocess
    import sys

    from convergence.catalog.models import Subject

    client.force_login(grades.user)
    run = _claimed_run(client, grades)
    worker = subprocess.Popen(
        [sys.executable, "-c", HOLD_LEASE, str(data_dir), run.token],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline().strip() == "held"  # waits on the worker's state
        status = reverse("exchange:import_status", args=[run.token])
        # Alive: still running, neither cancellable nor re-runnable.
        page = client.get(status, HTTP_HX_REQUEST="true")
        assert page.status_code == 200 and "Importing" in page.content.decode()
        assert client.post(reverse("exchange:import_retry", args=[run.token])).status_code == 302
        run.refresh_from_db()
        assert run.status == ImportRun.Status.RUNNING
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        worker.stdout.close()
        worker.stdin.close()
    # Dead: the kernel released its lease; the polling page finds it and reloads.
    page = client.get(status, HTTP_HX_REQUEST="true")
    assert page.headers.get("HX-Refresh") == "true"
    run.refresh_from_db()
    assert run.status == ImportRun.Status.INTERRUPTED and run.finished_at is not None
    html = client.get(reverse("exchange:import_detail", args=[run.token])).content.decode()
    assert "The import stopped before it finished; nothing was written." in html
    assert "Run the import again" in html
    assert not Subject.objects.filter(code="occ-ror").exists()
    # Run again (the background task is immediate in tests): applied.
    client.post(reverse("exchange:import_retry", args=[run.token]))
    run.refresh_from_db()
    assert run.status == ImportRun.Status.APPLIED
    assert Subject.objects.filter(code__in=["occ-ror", "occ-telecons"]).count() == 2


def test_an_interrupted_web_import_can_be_cancelled(client, grades, campaign):
    from convergence.exchange import services

    client.force_login(grades.user)
    run = _claimed_run(client, grades)  # the claiming process (this one) holds no lease now
    html = client.get(reverse("exchange:import")).content.decode()  # the list finds it dead
    run.refresh_from_db()
    assert run.status == ImportRun.Status.INTERRUPTED
    assert "Interrupted" in _history_row(html, run.file_name)
    client.post(reverse("exchange:import_cancel", args=[run.token]))
    run.refresh_from_db()
    assert run.status == ImportRun.Status.CANCELLED
    assert not services.upload_path(run).exists()
    assert services.import_run_retry(run=run) is None  # a cancelled run is not run again
