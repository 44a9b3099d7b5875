"""The referential workbook (contract, section 6): export, import, round trip and refusals."""

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from convergence.referential import models as ref
from convergence.referential.schema import referential_document_parse
from convergence.referential.services import (
    ReferentialFileError,
    referential_default_paths,
    referential_export,
    referential_import,
    referential_workbook_export,
    referential_workbook_import,
)
from convergence.referential.workbook import workbook_from_document, workbook_parse

from .test_import import MINIMAL, row_counts

pytestmark = pytest.mark.django_db


def run(command: str, *args: str, capsys) -> tuple[int, str, str]:
    try:
        call_command(command, *args)
        code = 0
    except SystemExit as exit_:
        code = exit_.code  # type: ignore[assignment]
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def minimal_workbook() -> openpyxl.Workbook:
    data = workbook_from_document(referential_document_parse(MINIMAL))
    return openpyxl.load_workbook(io.BytesIO(data))


def save(book: openpyxl.Workbook) -> bytes:
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def problems_of(data: bytes) -> list[str]:
    before = row_counts()
    with pytest.raises(ReferentialFileError) as caught:
        referential_workbook_import(source=data)
    assert row_counts() == before, "a refused workbook wrote something"
    return caught.value.problems


def cell_of(sheet, column: str, row: int):
    header = [cell.value for cell in sheet[1]]
    return sheet.cell(row=row, column=header.index(column) + 1)


@pytest.mark.parametrize("path", referential_default_paths(), ids=lambda p: p.stem)
def test_the_xlsx_yaml_round_trip_holds_on_each_shipped_edition(path: Path, tmp_path, capsys):
    assert run("import_referential", str(path), capsys=capsys)[0] == 0
    code = path.stem
    yaml_before = referential_export(referential=ref.Referential.objects.get(code=code))
    workbook = tmp_path / f"{code}.xlsx"
    assert run("export_referential", code, "--format", "xlsx", "-o", str(workbook), capsys=capsys)[0] == 0
    assert zipfile.is_zipfile(workbook)

    # The same workbook loaded into an empty database gives the same YAML text.
    ref.Referential.objects.all().delete()
    code_, out, err = run("import_referential", str(workbook), capsys=capsys)
    assert (code_, err) == (0, "")
    assert out.startswith(f"created referential {code}:")
    assert referential_export(referential=ref.Referential.objects.get(code=code)) == yaml_before
    # And re-loading it changes nothing.
    assert run("import_referential", str(workbook), capsys=capsys)[:2] == (
        0,
        f"unchanged referential {code}\n",
    )
    # The workbook parsed is the same canonical document as the YAML file.
    assert workbook_parse(workbook.read_bytes()) == referential_document_parse(path.read_bytes())


def test_the_exported_workbook_has_drop_downs_for_levels_and_yes_no():
    referential_import(source=MINIMAL)
    data = referential_workbook_export(referential=ref.Referential.objects.get(code="mini-1"))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[:8] == [
        "referential",
        "scale",
        "axes",
        "levels",
        "blocker_categories",
        "service_types",
        "product_categories",
        "expected",
    ]

    def validations(sheet: str) -> dict[str, tuple[str, str | None, str | None]]:
        return {
            str(v.sqref).split(":")[0]: (v.type, v.formula1, v.formula2)
            for v in book[sheet].data_validations.dataValidation
        }

    assert validations("service_types")["G2"] == ("list", '"yes,no"', None)
    expected = validations("expected")
    assert expected["C2"] == ("list", '"-,0,1,2,3"', None)  # axis INS
    assert expected["D2"] == ("list", '"-,0,1,2,3"', None)  # axis MSS
    assert expected["B2"] == ("list", '"service_type,product_category"', None)
    assert validations("levels")["B2"] == ("whole", "0", "3")
    assert validations("levels")["A2"] == ("list", "axes!$A$2:$A$3", None)
    sheet = book["expected"]
    assert [c.value for c in sheet[1]] == ["code", "kind", "INS", "MSS"]
    assert [c.value for c in sheet[2]] == ["teleconsultation", "service_type", 2, "-"]
    assert [c.value for c in sheet[3]] == ["dpi", "product_category", 3, None]


def test_a_workbook_without_published_on_loads_as_a_draft_and_replaces_it_on_reload():
    book = minimal_workbook()
    info = book["referential"]
    info["B6"].value = None  # published_on
    result = referential_workbook_import(source=save(book))
    assert result.outcome == "created"
    assert result.referential.status == "draft"
    cell_of(book["axes"], "name", 2).value = "Identité nationale"
    result = referential_workbook_import(source=save(book))
    assert result.outcome == "replaced"
    assert ref.Axis.objects.get(code="INS").name == "Identité nationale"


def test_columns_are_found_by_their_header_in_any_order_and_other_sheets_are_ignored():
    book = minimal_workbook()
    sheet = book["axes"]
    sheet.move_range("A1:A3", cols=10)  # the code column goes last
    sheet.delete_cols(1)
    book.create_sheet("notes")["A1"] = "=1+1"  # a formula outside the format's sheets is ignored
    referential_workbook_import(source=save(book))
    assert list(ref.Axis.objects.order_by("position").values_list("code", flat=True)) == ["INS", "MSS"]


def test_a_level_outside_the_scale_is_refused_with_sheet_row_and_column():
    book = minimal_workbook()
    cell_of(book["expected"], "MSS", 2).value = 5
    assert problems_of(save(book)) == [
        "sheet expected, row 2, column MSS: level 5 outside the scale 0-3",
    ]


def test_the_command_names_the_file_sheet_row_and_column_and_exits_2(tmp_path, capsys):
    book = minimal_workbook()
    cell_of(book["expected"], "MSS", 2).value = 5
    path = tmp_path / "doctrine.xlsx"
    path.write_bytes(save(book))
    code, out, err = run("import_referential", str(path), capsys=capsys)
    assert (code, out) == (2, "")
    assert err == f"{path}: sheet expected, row 2, column MSS: level 5 outside the scale 0-3\n"
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_a_formula_is_refused():
    book = minimal_workbook()
    cell_of(book["expected"], "INS", 3).value = "=1+2"
    assert problems_of(save(book)) == [
        "sheet expected, row 3, column INS: a formula is not allowed; type the value"
    ]


def test_merged_cells_are_refused():
    book = minimal_workbook()
    book["axes"].merge_cells("B2:C2")
    assert problems_of(save(book)) == [
        "sheet axes, row 2, column name: merged cells (B2:C2) are not allowed; unmerge them"
    ]


def test_a_missing_sheet_is_refused():
    book = minimal_workbook()
    del book["levels"]
    assert problems_of(save(book)) == ["sheet levels: missing sheet"]


def test_a_missing_required_column_is_refused():
    book = minimal_workbook()
    book["service_types"].delete_cols(7)  # common_core
    assert problems_of(save(book)) == ["sheet service_types, row 1: missing column 'common_core'"]


def test_an_unknown_column_is_refused():
    book = minimal_workbook()
    book["axes"]["H1"] = "colour"
    problems = problems_of(save(book))
    assert problems == [
        "sheet axes, row 1, column colour: unknown column 'colour'; allowed columns: code, name, group, "
        "description, name_en, group_en, description_en"
    ]


def test_an_unknown_axis_column_of_the_expected_sheet_is_refused():
    book = minimal_workbook()
    book["expected"]["E1"] = "FOO"
    assert problems_of(save(book)) == [
        "sheet expected, row 1, column FOO: unknown column 'FOO': not an axis code; known axes: INS, MSS"
    ]


def test_a_duplicate_code_is_refused_where_it_is():
    book = minimal_workbook()
    cell_of(book["axes"], "code", 3).value = "INS"
    problems = problems_of(save(book))
    assert problems[0] == "sheet axes, row 3, column code: duplicate axis code 'INS' (already row 2)"
    book = minimal_workbook()
    book["product_categories"]["A3"] = "dpi"
    book["product_categories"]["B3"] = "DPI bis"
    assert (
        "sheet product_categories, row 3, column code: duplicate code 'dpi' (already row 2)"
        in problems_of(save(book))
    )


def test_yes_no_and_kind_are_checked():
    book = minimal_workbook()
    cell_of(book["service_types"], "common_core", 2).value = "oui"
    cell_of(book["expected"], "kind", 3).value = "category"
    assert problems_of(save(book)) == [
        "sheet service_types, row 2, column common_core: expected yes or no, got 'oui'",
        "sheet expected, row 3, column kind: expected service_type or product_category, got 'category'",
    ]


def test_a_descriptor_of_an_unknown_axis_and_a_missing_level_are_located():
    book = minimal_workbook()
    levels = book["levels"]
    cell_of(levels, "axis", 2).value = "FOO"
    problems = problems_of(save(book))
    assert problems == ["sheet levels, row 2, column axis: unknown axis 'FOO'; known axes: INS, MSS"]
    book = minimal_workbook()
    book["levels"].delete_rows(4)  # MSS level 2
    assert problems_of(save(book)) == ["sheet levels, row 2, column axis: missing level 2"]


def test_not_a_workbook_and_a_zip_bomb_are_refused():
    assert problems_of(b"code: not a workbook") == ["file: not an XLSX workbook (not a zip archive)"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 50_000_000)
    problems = problems_of(bomb.getvalue())
    assert len(problems) == 1
    assert problems[0].startswith("file: xl/worksheets/sheet1.xml inflates ")
    assert problems[0].endswith("refused as a zip bomb")


def test_a_published_edition_changed_in_a_workbook_is_refused():
    referential_import(source=MINIMAL)
    book = minimal_workbook()
    cell_of(book["axes"], "name", 2).value = "Autre nom"
    assert problems_of(save(book)) == [
        "sheet referential, row 3, column value: referential 'mini-1' is published and cannot change; "
        "give the new edition a new code"
    ]


def test_a_text_starting_with_equals_is_exported_as_text_and_read_back():
    source = MINIMAL.replace("name: Messagerie", 'name: "=Messagerie"').replace(
        "code: mini-1", "code: mini-2"
    )
    referential_import(source=source)
    data = referential_workbook_export(referential=ref.Referential.objects.get(code="mini-2"))
    assert workbook_parse(data)["axes"][1]["name"] == "=Messagerie"
