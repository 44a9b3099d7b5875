"""`convergence import_dataset` / `export_dataset`: contract sections 1, 3 and 4."""

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from convergence.assessments.models import Answer, Assessment, Milestone
from convergence.catalog.models import Subject
from convergence.exchange.formats import COLUMNS
from convergence.organisations.models import Organisation

DATASET = {
    "format": "convergence-dataset/1",
    "referential": "doctrine-test",
    "campaign": {
        "code": "2020-S2",
        "title": "Campagne 2020 S2",
        "opens_on": "2020-09-01",
        "closes_on": "2020-12-15",
    },
    "organisations": [
        {"code": "grades-occ", "name": "e-santé Occitanie", "kind": "grades", "region": "76"},
        {"code": "acme", "name": "ACME Santé", "kind": "vendor", "siren": "732829320"},
    ],
    "subjects": [
        {
            "code": "occ-ror",
            "kind": "service",
            "name": "ROR Occitanie",
            "organisation": "grades-occ",
            "region": "76",
            "type": "ror",
            "status": "active",
        },
        {
            "code": "acme-dpi",
            "kind": "product",
            "name": "ACME DPI",
            "version": "5.2",
            "organisation": "acme",
            "category": "dpi",
            "status": "active",
        },
    ],
    "assessments": [
        {
            "subject": "occ-ror",
            "status": "submitted",
            "answers": [
                {
                    "axis": "INS",
                    "level": 2,
                    "milestones": [{"level": 3, "due_on": "2021-12-31"}],
                    "blockers": ["calendrier-national"],
                    "comment": "=SUM(A1)",
                },
                {"axis": "DMP", "level": None, "not_applicable_reason": "no patient data"},
                # Submitted: every axis that applies to a ROR is answered (INS, DMP, MSS).
                {"axis": "MSS", "level": 3},
            ],
        },
        {"subject": "acme-dpi", "status": "draft", "answers": [{"axis": "INS", "level": 1}]},
    ],
}


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


def snapshot():
    return {
        "orgs": sorted(Organisation.objects.values_list("code", "name", "kind", "region", "siren")),
        "subjects": sorted(
            Subject.objects.values_list(
                "code",
                "kind",
                "name",
                "organisation__code",
                "type_or_category",
                "status",
                "region",
                "version",
            )
        ),
        "assessments": sorted(Assessment.objects.values_list("subject__code", "status")),
        "answers": sorted(
            Answer.objects.values_list(
                "assessment__subject__code",
                "axis__code",
                "level",
                "not_applicable",
                "not_applicable_reason",
                "comment",
            )
        ),
        "milestones": sorted(Milestone.objects.values_list("answer__axis__code", "level", "due_on")),
        "blockers": sorted(
            Answer.objects.filter(blockers__isnull=False).values_list("axis__code", "blockers__code")
        ),
    }


@pytest.mark.django_db
def test_a_json_dataset_creates_the_campaign_and_imports_idempotently(referential, tmp_path):
    path = write(tmp_path, "data.json", json.dumps(DATASET))
    code, out, err = run("import_dataset", path)
    assert (code, err) == (0, "")
    assert out.strip() == "created 11, updated 0, unchanged 0"
    first = snapshot()
    code, out, _ = run("import_dataset", path)
    assert out.strip() == "created 0, updated 0, unchanged 11"
    assert snapshot() == first
    assert Answer.objects.get(axis__code="DMP").not_applicable


@pytest.mark.django_db
def test_every_problem_is_reported_with_its_location_and_nothing_is_written(referential, tmp_path):
    bad = json.loads(json.dumps(DATASET))
    bad["subjects"][0]["type"] = "telecon"
    bad["assessments"][1]["answers"][0]["level"] = 9
    code, out, err = run("import_dataset", write(tmp_path, "bad.json", json.dumps(bad)))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert any(
        'subjects[0].type: unknown service type "telecon"; known types: ror, teleconsultation' in line
        for line in lines
    )
    assert any("assessments[1].answers[0].level: level 9 is outside the scale 0..3" in line for line in lines)
    assert "Traceback" not in err
    assert not Organisation.objects.exists() and not Subject.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_export_then_import_round_trips(referential, tmp_path, fmt):
    run("import_dataset", write(tmp_path, "data.json", json.dumps(DATASET)))
    before = snapshot()
    exported = str(tmp_path / f"export.{fmt}")
    assert run("export_dataset", "--campaign", "2020-S2", "--format", fmt, "-o", exported)[0] == 0
    Answer.objects.all().delete()
    Assessment.objects.all().delete()
    Subject.objects.all().delete()
    Organisation.objects.all().delete()
    code, out, err = run("import_dataset", exported)
    assert code == 0, err
    after = snapshot()
    if fmt == "json":
        assert after == before
    else:  # the flat format holds no SIREN nor product version
        for key in ("assessments", "answers", "milestones", "blockers"):
            assert after[key] == before[key]
    again = str(tmp_path / f"again.{fmt}")
    run("export_dataset", "--campaign", "2020-S2", "--format", fmt, "-o", again)
    if fmt != "xlsx":
        assert Path(again).read_bytes() == Path(exported).read_bytes()


@pytest.mark.django_db
def test_formula_cells_are_escaped_on_export_and_restored_on_import(referential, tmp_path):
    run("import_dataset", write(tmp_path, "data.json", json.dumps(DATASET)))
    csv_path = str(tmp_path / "out.csv")
    run("export_dataset", "--campaign", "2020-S2", "--format", "csv", "-o", csv_path)
    text = Path(csv_path).read_text(encoding="utf-8-sig")
    assert ",'=SUM(A1)" in text
    xlsx_path = str(tmp_path / "out.xlsx")
    run("export_dataset", "--campaign", "2020-S2", "--format", "xlsx", "-o", xlsx_path)
    sheet = openpyxl.load_workbook(xlsx_path).active
    assert "'=SUM(A1)" in [cell.value for row in sheet.iter_rows() for cell in row]
    run("import_dataset", csv_path)
    assert Answer.objects.get(axis__code="INS", assessment__subject__code="occ-ror").comment == "=SUM(A1)"


def csv_text(rows, separator=",", columns=COLUMNS):
    lines = [separator.join(columns)] + [separator.join(row) for row in rows]
    return "\n".join(lines) + "\n"


SIREN = "732829320"  # the optional `siren` column: a row creating a vendor gives its SIREN
ROW = [
    "2020-S2",
    "acme",
    "ACME Santé",
    "vendor",
    "",
    "acme-dpi",
    "product",
    "ACME DPI",
    "dpi",
    "active",
    "draft",
    "INS",
    "2",
    "3",
    "2031-12-31",
    "",
    "commentaire",
]


@pytest.mark.django_db
def test_a_csv_with_semicolons_and_a_bom_imports(campaign, tmp_path):
    rows = [[*ROW, SIREN], [*ROW[:11], "DMP", "NA", "", "", "", "raison", SIREN]]
    path = write(tmp_path, "data.csv", "\ufeff" + csv_text(rows, ";", [*COLUMNS, "siren"]))
    code, out, err = run("import_dataset", path)
    assert code == 0, err
    assert out.strip() == "created 5, updated 0, unchanged 0"
    dmp = Answer.objects.get(axis__code="DMP")
    assert dmp.not_applicable and dmp.not_applicable_reason == "raison"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, expected",
    [
        (csv_text([ROW]).replace("comment", "remark"), "row 1: missing columns: comment"),
        (csv_text([ROW[:-1]]), "row 2: 16 cells instead of 17"),
        (
            csv_text([ROW, [*ROW[:12], "7", *ROW[13:]]]).replace(",INS,7", ",DMP,7"),
            "row 3, column level: level 7",
        ),
        (
            csv_text([ROW, [*ROW[:7], "Autre nom", *ROW[8:11], "DMP", *ROW[12:]]]),
            "row 3, column subject_name",
        ),
        (
            csv_text([[*ROW[:8], "telecon", *ROW[9:]]]),
            "row 2, column type_or_category: unknown product category",
        ),
        (csv_text([[*ROW[:15], "inconnu", ROW[16]]]), "row 2, column blockers: unknown blocker category"),
        (csv_text([[*ROW[:13], "1", *ROW[14:]]]), "row 2, column target_level"),
        (csv_text([["2019-S1", *ROW[1:]]]), 'row 2, column campaign: unknown campaign "2019-S1"'),
        (csv_text([ROW, ROW]), "row 3, column axis: a second answer on axis INS"),
        (csv_text([ROW]).replace("2,3,2031", "2,3,31/12/2031"), "row 2, column target_date"),
    ],
)
def test_bad_csv_rows_are_reported_by_row_and_column(campaign, tmp_path, content, expected):
    code, out, err = run("import_dataset", write(tmp_path, "bad.csv", content))
    assert code == 2, out
    assert expected in err
    assert "Traceback" not in err
    assert not Subject.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, expected",
    [
        (csv_text([ROW]).encode("latin-1"), "not UTF-8"),
        (csv_text([ROW]).encode() + b"\x00\x00", "NUL byte"),
        (csv_text([ROW]).replace(",", ";", 20).encode(), "cells instead of 17"),
        (b"[" * 100_000 + b"]" * 100_000, None),
    ],
)
def test_unreadable_files_are_refused_clearly(campaign, tmp_path, content, expected):
    name = "deep.json" if expected is None else "bad.csv"
    code, _out, err = run("import_dataset", write(tmp_path, name, content))
    assert code == 2
    assert (expected or "nested deeper than") in err
    assert "Traceback" not in err


@pytest.mark.django_db
def test_an_oversized_file_is_refused_by_its_size(campaign, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 100
    code, _out, err = run("import_dataset", write(tmp_path, "big.csv", csv_text([ROW] * 5)))
    assert code == 2 and "more than the 100 bytes" in err


@pytest.mark.django_db
def test_an_xlsx_zip_bomb_is_refused_before_inflating(campaign, tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 300_000_000)
    code, _out, err = run("import_dataset", str(path))
    assert code == 2 and "zip bomb" in err


@pytest.mark.django_db
def test_an_xlsx_with_an_xml_entity_bomb_is_refused(campaign, tmp_path):
    """openpyxl parses with defusedxml (installed): a DTD with entities is refused."""
    source = tmp_path / "ok.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(COLUMNS)
    workbook.active.append(ROW)
    workbook.save(source)
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
    )
    target = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = bomb.encode()
            dst.writestr(item, data)
    code, _out, err = run("import_dataset", str(target))
    assert code == 2
    assert "refused XML construct" in err or "EntitiesForbidden" in err or "DTDForbidden" in err
    assert not Subject.objects.exists()
