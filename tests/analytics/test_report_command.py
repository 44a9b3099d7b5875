"""`convergence report`: the contract's command line, every format."""

import io
import json
import sys
import zipfile

import openpyxl
import pytest
from django.core.management import call_command

from convergence.analytics.engine import ReportParams, report_compute

from .dataset import build_golden_services
from .test_engine_golden import GOLDEN_SERVICES

pytestmark = pytest.mark.django_db


def run(*args):
    """Run the command with a byte-level standard output, as a shell would give it."""
    out = io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8")
    saved = sys.stdout
    sys.stdout = stdout
    try:
        call_command("report", *args)
        stdout.flush()
    finally:
        sys.stdout = saved
    return out.getvalue()


def test_it_prints_the_json_report_on_standard_output():
    build_golden_services()
    assert json.loads(run("--campaign", "golden", "--scope", "services")) == GOLDEN_SERVICES


def test_it_writes_the_public_report_to_a_file(tmp_path):
    build_golden_services()
    target = tmp_path / "r.json"
    run("--campaign", "golden", "--scope", "services", "--public", "--min-cell", "2", "-o", str(target))
    report = json.loads(target.read_text())
    expected = report_compute(ReportParams(campaign="golden", scope="services", public=True, min_cell=2))
    assert report == expected.as_dict()
    assert report["min_cell"] == 2


def test_csv_is_a_zip_with_one_table_per_section(tmp_path):
    build_golden_services()
    target = tmp_path / "r.zip"
    run("--campaign", "golden", "--scope", "services", "--format", "csv", "-o", str(target))
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == [
            "summary.csv",
            "families.csv",
            "axes.csv",
            "projection.csv",
            "blockers.csv",
        ]
        axes = archive.read("axes.csv").decode().splitlines()
        projection = archive.read("projection.csv").decode().splitlines()
    assert axes[0] == (
        "axis,name,answered,not_applicable,mean_level,with_expectation,reached,reached_rate,"
        "suppressed,level_0,level_1,level_2,level_3"
    )
    assert axes[1] == "A1,Axe A1,4,0,1.25,4,1,0.25,false,1,1,2,0"
    assert axes[2] == "A2,Axe A2,1,1,1.0,0,0,,false,0,1,0,0"  # reached_rate null -> empty
    assert projection[1:] == [
        "A1,2020-12-31,0.25",
        "A1,2021-12-31,0.5",
        "A1,2022-12-31,0.75",
        "A1,2023-12-31,0.75",
    ]


def test_xlsx_has_one_sheet_per_section(tmp_path):
    build_golden_services()
    target = tmp_path / "r.xlsx"
    run("--campaign", "golden", "--scope", "services", "--format", "xlsx", "-o", str(target))
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["summary", "families", "axes", "projection", "blockers"]
    rows = list(workbook["blockers"].values)
    assert rows == [("axis", "category", "subjects"), ("A1", "b1", 2), ("A2", "b2", 1)]


def test_html_and_pdf_are_the_human_report(tmp_path):
    build_golden_services()
    html = run("--campaign", "golden", "--scope", "services", "--format", "html").decode()
    assert "<svg" in html and "Marianne" in html
    assert "file://" not in html  # no server path in a file meant to be shared
    assert "Frein b1" in html  # blocker names, not only codes
    assert html.count('role="img"') == 5
    target = tmp_path / "r.pdf"
    run("--campaign", "golden", "--scope", "services", "--format", "pdf", "-o", str(target))
    assert target.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--campaign", "nope", "--scope", "services"], 'campaign: unknown campaign "nope"'),
        (["--campaign", "golden", "--scope", "services", "--region", "99"], 'region: unknown region "99"'),
        (["--campaign", "golden", "--scope", "services", "--public", "--min-cell", "0"], "min-cell:"),
    ],
)
def test_bad_arguments_exit_with_status_2_and_a_message(args, message, capsys):
    build_golden_services()
    with pytest.raises(SystemExit) as exit_info:
        call_command("report", *args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_the_command_line_refuses_an_unknown_scope_with_status_2(tmp_path):
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "convergence", "report", "--campaign", "x", "--scope", "people"],
        capture_output=True,
        text=True,
        env={"CONVERGENCE_TESTING": "1", "DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "invalid choice: 'people'" in result.stderr
    assert "Traceback" not in result.stderr
