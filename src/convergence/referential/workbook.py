"""The referential as a spreadsheet workbook (contract, section 6), both ways.

`workbook_from_document` writes the canonical document (`schema.py`) as an XLSX workbook, with
drop-downs (data validation) on the cells that take a level or yes/no; `workbook_parse` reads
one back into the *same* loaded-YAML shape the file format has and hands it to
`schema.document_from_data`, so a workbook obeys exactly the rules of a YAML file: one place
for each rule. The reader only adds what is particular to a spreadsheet (sheets, headers,
formulas, merged cells, cell types, a zip bomb), and translates the locations of the schema's
problems (`axes[3].code`) back to cells (`sheet axes, row 5, column code`).

The project adds one optional sheet, `actions` (`axis`, `level`, `action`, `action_en`,
`links`): the per-level next steps (docs/referential.md). Other sheets are ignored.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .schema import Document, ReferentialFileError, document_from_data

FORMAT_KEYS = ["format", "code", "title", "title_en", "published_on", "scale_min", "scale_max"]
REQUIRED_KEYS = {"format", "code", "title", "scale_min", "scale_max"}
# sheet → (required columns, optional columns); the `expected` sheet adds one column per axis.
SHEETS: dict[str, tuple[list[str], list[str]]] = {
    "referential": (["key", "value"], []),
    "scale": (["level", "label"], ["label_en"]),
    "axes": (["code", "name", "group", "description"], ["name_en", "group_en", "description_en"]),
    "levels": (["axis", "level", "descriptor"], ["descriptor_en"]),
    "blocker_categories": (["code", "name"], ["name_en"]),
    "service_types": (
        ["family", "family_name", "code", "name", "common_core"],
        ["family_name_en", "name_en"],
    ),
    "product_categories": (["code", "name"], ["name_en"]),
    "expected": (["code", "kind"], []),
}
OPTIONAL_SHEETS: dict[str, tuple[list[str], list[str]]] = {
    "actions": (["axis", "level", "action"], ["action_en", "links"]),
}
KINDS = ("service_type", "product_category")
YES, NO = "yes", "no"
NO_EXPECTED_LEVEL = "-"
# Legitimate workbooks compress 5-30 times; a zip bomb hundreds or thousands of times.
MAX_RATIO = 200
VALIDATED_ROWS = 2000  # drop-downs cover this many rows, so rows an author adds get them too


# --- Writing ------------------------------------------------------------------------------


def _en(item: dict[str, Any], key: str) -> str:
    return item.get(key) or ""


def workbook_from_document(doc: Document) -> bytes:
    """The document as an XLSX workbook (import(export) gives the same document back)."""
    import xlsxwriter

    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False})
    header_format = book.add_format({"bold": True, "bg_color": "#E3E3FD", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    top = book.add_format({"valign": "top"})
    scale = doc["scale"]
    low, high = scale["min"], scale["max"]
    axes = doc["axes"]
    last = VALIDATED_ROWS

    def sheet(name: str, columns: list[str], rows: list[list[Any]], widths: dict[str, int]) -> Any:
        worksheet = book.add_worksheet(name)
        for column, title in enumerate(columns):
            worksheet.write_string(0, column, title, header_format)
            worksheet.set_column(
                column, column, widths.get(title, 14), wrap if widths.get(title, 0) > 40 else top
            )
        for row_index, values in enumerate(rows, start=1):
            for column, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, int) and not isinstance(value, bool):
                    worksheet.write_number(row_index, column, value)
                else:
                    # Always a string: a text starting with "=" stays text, never a formula.
                    worksheet.write_string(row_index, column, str(value))
        worksheet.freeze_panes(1, 0)
        return worksheet

    def level_validation(worksheet: Any, column: int, *, lowest: int = low) -> None:
        worksheet.data_validation(
            1,
            column,
            last,
            column,
            {
                "validate": "integer",
                "criteria": "between",
                "minimum": lowest,
                "maximum": high,
                "error_title": "Level",
                "error_message": f"A level of the scale, {lowest} to {high}.",
            },
        )

    def list_validation(worksheet: Any, column: int, source: list[str] | str) -> None:
        worksheet.data_validation(1, column, last, column, {"validate": "list", "source": source})

    info = sheet(
        "referential",
        ["key", "value"],
        [
            ["format", doc["format"]],
            ["code", doc["code"]],
            ["title", doc["title"]],
            ["title_en", _en(doc, "title_en")],
            ["published_on", doc["published_on"].isoformat() if doc.get("published_on") else ""],
            ["scale_min", low],
            ["scale_max", high],
        ],
        {"key": 16, "value": 70},
    )
    info.data_validation(
        5, 1, 6, 1, {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": 10}
    )

    labels, labels_en = scale.get("labels", {}), scale.get("labels_en", {})
    scale_sheet = sheet(
        "scale",
        ["level", "label", "label_en"],
        [[level, labels.get(level, ""), labels_en.get(level, "")] for level in sorted(labels)],
        {"label": 40, "label_en": 40},
    )
    level_validation(scale_sheet, 0)

    sheet(
        "axes",
        ["code", "name", "name_en", "group", "group_en", "description", "description_en"],
        [
            [
                axis["code"],
                axis["name"],
                _en(axis, "name_en"),
                _en(axis, "group"),
                _en(axis, "group_en"),
                _en(axis, "description"),
                _en(axis, "description_en"),
            ]
            for axis in axes
        ],
        {"name": 40, "name_en": 40, "group": 24, "group_en": 24, "description": 60, "description_en": 60},
    )
    axis_range = f"=axes!$A$2:$A${max(len(axes), 1) + 1}"

    levels_sheet = sheet(
        "levels",
        ["axis", "level", "descriptor", "descriptor_en"],
        [
            [axis["code"], level, text, axis.get("levels_en", {}).get(level, "")]
            for axis in axes
            for level, text in axis.get("levels", {}).items()
        ],
        {"descriptor": 70, "descriptor_en": 70},
    )
    list_validation(levels_sheet, 0, axis_range)
    level_validation(levels_sheet, 1)

    sheet(
        "blocker_categories",
        ["code", "name", "name_en"],
        [[item["code"], item["name"], _en(item, "name_en")] for item in doc["blocker_categories"]],
        {"code": 24, "name": 50, "name_en": 50},
    )

    types_sheet = sheet(
        "service_types",
        ["family", "family_name", "family_name_en", "code", "name", "name_en", "common_core"],
        [
            [
                family["code"],
                family["name"],
                _en(family, "name_en"),
                service_type["code"],
                service_type["name"],
                _en(service_type, "name_en"),
                YES if service_type["common_core"] else NO,
            ]
            for family in doc["service_families"]
            for service_type in family["types"]
        ]
        + [
            # A family without a type still has its row, with no type.
            [family["code"], family["name"], _en(family, "name_en"), "", "", "", ""]
            for family in doc["service_families"]
            if not family["types"]
        ],
        {"family": 18, "family_name": 30, "family_name_en": 30, "code": 24, "name": 40, "name_en": 40},
    )
    list_validation(types_sheet, 6, [YES, NO])

    sheet(
        "product_categories",
        ["code", "name", "name_en"],
        [[item["code"], item["name"], _en(item, "name_en")] for item in doc["product_categories"]],
        {"code": 24, "name": 50, "name_en": 50},
    )

    axis_codes = [axis["code"] for axis in axes]

    def expected_row(code: str, kind: str, expected: dict[str, int | None]) -> list[Any]:
        return [code, kind] + [
            (NO_EXPECTED_LEVEL if expected[axis] is None else expected[axis]) if axis in expected else ""
            for axis in axis_codes
        ]

    expected_sheet = sheet(
        "expected",
        ["code", "kind", *axis_codes],
        [
            expected_row(t["code"], "service_type", t["expected"])
            for family in doc["service_families"]
            for t in family["types"]
        ]
        + [expected_row(c["code"], "product_category", c["expected"]) for c in doc["product_categories"]],
        {"code": 24, "kind": 18},
    )
    list_validation(expected_sheet, 1, list(KINDS))
    level_choices = [NO_EXPECTED_LEVEL, *(str(level) for level in range(low, high + 1))]
    for column in range(2, 2 + len(axis_codes)):
        list_validation(expected_sheet, column, level_choices)

    actions_sheet = sheet(
        "actions",
        ["axis", "level", "action", "action_en", "links"],
        [
            [
                axis["code"],
                level,
                text,
                axis.get("actions_en", {}).get(level, ""),
                "\n".join(axis.get("action_links", {}).get(level, [])),
            ]
            for axis in axes
            for level, text in axis.get("actions", {}).items()
        ],
        {"action": 60, "action_en": 60, "links": 50},
    )
    list_validation(actions_sheet, 0, axis_range)
    level_validation(actions_sheet, 1, lowest=low + 1)

    book.close()
    return output.getvalue()


# --- Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    sheet: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [f"sheet {self.sheet}"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []
        # location in the loaded-YAML shape ("axes[3].code") → its cell
        self.cells: dict[str, Cell] = {}
        self.headers: dict[str, list[str]] = {}

    def problem(self, cell: Cell, message: str) -> None:
        self.problems.append(f"{cell}: {message}")

    def locate(self, path: str, cell: Cell) -> None:
        self.cells.setdefault(path, cell)

    def translate(self, problem: str) -> str:
        """`axes[3].code: message` → `sheet axes, row 5, column code: message` (longest known prefix)."""
        path, separator, message = problem.partition(": ")
        if not separator:
            return problem
        candidate = path
        while candidate:
            if candidate in self.cells:
                return f"{self.cells[candidate]}: {message}"
            cut = max(candidate.rfind("."), candidate.rfind("["))
            candidate = candidate[:cut] if cut > 0 else ""
        return problem


def _check_archive(data: bytes) -> None:
    limit = getattr(settings, "REFERENTIAL_MAX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = 0
            for member in archive.infolist():
                total += member.file_size
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > 1_000_000 and ratio > MAX_RATIO:
                    raise ReferentialFileError(
                        [
                            f"file: {member.filename} inflates {int(ratio)} times "
                            f"({member.file_size} bytes); "
                            "refused as a zip bomb"
                        ]
                    )
            if total > limit:
                raise ReferentialFileError(
                    [
                        f"file: {total} bytes once uncompressed, "
                        f"more than the {limit} bytes a workbook may have"
                    ]
                )
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise ReferentialFileError(["file: not an XLSX workbook (not a zip archive)"]) from None
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/worksheets/") for name in names):
        raise ReferentialFileError(["file: not an XLSX workbook (no worksheet inside)"])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


_INTEGER_RE = re.compile(r"-?\d+")


def _integer(reader: _Reader, value: Any, cell: Cell) -> int | None:
    if isinstance(value, bool):
        reader.problem(cell, f"expected an integer, got {value!r}")
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    if _INTEGER_RE.fullmatch(text):
        return int(text)
    reader.problem(
        cell, f"expected an integer, got {text!r}" if text else "expected an integer, the cell is empty"
    )
    return None


Row = tuple[int, dict[str, Any]]


def _rows(
    reader: _Reader, worksheet: Any, name: str, required: list[str], optional: list[str] | None
) -> list[Row]:
    """The sheet's rows as {column: value}, empty rows skipped; None for optional: any column."""
    for merged in worksheet.merged_cells.ranges:
        reader.problem(
            Cell(name, merged.min_row, _column_name(worksheet, merged.min_col)),
            f"merged cells ({merged.coord}) are not allowed; unmerge them",
        )
    rows = list(worksheet.iter_rows())
    if not rows:
        reader.problem(Cell(name, 1), f"the sheet is empty; expected a header row: {', '.join(required)}")
        return []
    header: dict[int, str] = {}
    seen: dict[str, int] = {}
    for cell in rows[0]:
        title = _text(cell.value)
        if not title:
            continue
        if title in seen:
            reader.problem(Cell(name, 1, title), f"duplicate column {title!r}")
            continue
        seen[title] = cell.column
        header[cell.column] = title
    reader.headers[name] = list(seen)
    missing = [column for column in required if column not in seen]
    for column in missing:
        reader.problem(Cell(name, 1), f"missing column {column!r}")
    if optional is not None:
        allowed = set(required) | set(optional)
        for title in seen:
            if title not in allowed:
                reader.problem(
                    Cell(name, 1, title),
                    f"unknown column {title!r}; allowed columns: {', '.join([*required, *optional])}",
                )
    result: list[Row] = []
    for cells in rows[1:]:
        values: dict[str, Any] = {}
        row_number = None
        for cell in cells:
            row_number = cell.row
            if cell.data_type == "f" or type(cell.value).__name__ in ("ArrayFormula", "DataTableFormula"):
                reader.problem(
                    Cell(name, cell.row, header.get(cell.column, cell.column_letter)),
                    "a formula is not allowed; type the value",
                )
                continue
            if cell.column in header and cell.value is not None and _text(cell.value) != "":
                values[header[cell.column]] = cell.value
            elif cell.column not in header and _text(cell.value) != "":
                reader.problem(Cell(name, cell.row, cell.column_letter), "a value in a column with no header")
        if values and row_number is not None:
            result.append((row_number, values))
    return result


def _column_name(worksheet: Any, column: int) -> str:
    value = worksheet.cell(row=1, column=column).value
    return _text(value) or str(column)


def _load(data: bytes) -> Any:
    import openpyxl

    try:
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - defusedxml is a dependency
        DefusedXmlException = ValueError  # noqa: N806
    try:
        return openpyxl.load_workbook(io.BytesIO(data), data_only=False, read_only=False)
    except DefusedXmlException as error:
        raise ReferentialFileError(
            [f"file: refused XML construct in the workbook ({type(error).__name__})"]
        ) from None
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise ReferentialFileError([f"file: unreadable XLSX workbook ({type(error).__name__})"]) from None


def workbook_parse(data: bytes) -> Document:
    """Bytes of a workbook → canonical document; ReferentialFileError with located problems."""
    return workbook_read(data)[0]


def workbook_read(data: bytes) -> tuple[Document, Callable[[str], str]]:
    """The canonical document and a function that locates a later problem (`code: ...`, from
    the import's versioning rules) at its cell."""
    limit = settings.REFERENTIAL_MAX_BYTES
    if len(data) > limit:
        raise ReferentialFileError(
            [f"file: {len(data)} bytes, more than the {limit} bytes a referential may have"]
        )
    _check_archive(data)
    book = _load(data)
    reader = _Reader()
    sheets: dict[str, list[Row]] = {}
    for name, (required, optional) in {**SHEETS, **OPTIONAL_SHEETS}.items():
        if name not in book.sheetnames:
            if name in SHEETS:
                reader.problem(Cell(name), "missing sheet")
            sheets[name] = []
            continue
        sheets[name] = _rows(reader, book[name], name, required, None if name == "expected" else optional)
    if reader.problems:
        raise ReferentialFileError(reader.problems)
    data_out = _assemble(reader, sheets)
    if reader.problems:
        raise ReferentialFileError(reader.problems)
    try:
        return document_from_data(data_out), reader.translate
    except ReferentialFileError as error:
        raise ReferentialFileError([reader.translate(problem) for problem in error.problems]) from None


def _assemble(reader: _Reader, sheets: dict[str, list[Row]]) -> dict[str, Any]:
    """The workbook's rows in the shape of a loaded YAML file, with each value's cell recorded."""
    out: dict[str, Any] = {}
    keys: dict[str, int] = {}
    for row, values in sheets["referential"]:
        key = _text(values.get("key"))
        cell = Cell("referential", row, "key")
        if not key:
            reader.problem(cell, "a value without a key")
            continue
        if key not in FORMAT_KEYS:
            reader.problem(cell, f"unknown key {key!r}; allowed keys: {', '.join(FORMAT_KEYS)}")
            continue
        if key in keys:
            reader.problem(cell, f"duplicate key {key!r} (already row {keys[key]})")
            continue
        keys[key] = row
        value = values.get("value")
        value_cell = Cell("referential", row, "value")
        if key in ("scale_min", "scale_max"):
            out.setdefault("scale", {})[key.removeprefix("scale_")] = _integer(reader, value, value_cell)
            reader.locate(f"scale.{key.removeprefix('scale_')}", value_cell)
            continue
        if value is None:
            continue
        if key == "published_on" and isinstance(value, datetime.datetime):
            value = value.date()
        elif key != "published_on":
            value = _text(value)
        out[key] = value
        reader.locate(key, value_cell)
    for key in sorted(REQUIRED_KEYS - set(keys)):
        reader.problem(Cell("referential", None, "key"), f"missing key {key!r}")
    reader.locate("scale", Cell("referential", keys.get("scale_min"), "value"))

    scale = out.setdefault("scale", {})
    labels: dict[int, str] = {}
    labels_en: dict[int, str] = {}
    for row, values in sheets["scale"]:
        level = _integer(reader, values.get("level"), Cell("scale", row, "level"))
        if level is None:
            continue
        if level in labels:
            reader.problem(Cell("scale", row, "level"), f"duplicate level {level}")
            continue
        labels[level] = _text(values.get("label"))
        reader.locate(f"scale.labels.{level}", Cell("scale", row, "label"))
        if values.get("label_en") is not None:
            labels_en[level] = _text(values["label_en"])
            reader.locate(f"scale.labels_en.{level}", Cell("scale", row, "label_en"))
    if not sheets["scale"]:
        reader.problem(Cell("scale", 2, "level"), "no level; expected one row per level of the scale")
    if labels:
        scale["labels"] = labels
    if labels_en:
        scale["labels_en"] = labels_en
    reader.locate("scale.labels", Cell("scale", None, "level"))
    reader.locate("scale.labels_en", Cell("scale", None, "label_en"))

    axes: list[dict[str, Any]] = []
    axis_index: dict[str, int] = {}
    axis_rows: dict[str, int] = {}
    for row, values in sheets["axes"]:
        index = len(axes)
        axis: dict[str, Any] = {}
        for column in ("code", "name", "name_en", "group", "group_en", "description", "description_en"):
            if column in values:
                axis[column] = _text(values[column])
            reader.locate(f"axes[{index}].{column}", Cell("axes", row, column))
        axis.setdefault("code", "")
        axis.setdefault("name", "")
        reader.locate(f"axes[{index}]", Cell("axes", row))
        if axis["code"] in axis_rows:
            reader.problem(
                Cell("axes", row, "code"),
                f"duplicate axis code {axis['code']!r} (already row {axis_rows[axis['code']]})",
            )
        elif axis["code"]:
            axis_index[axis["code"]] = index
            axis_rows[axis["code"]] = row
        axes.append(axis)
    out["axes"] = axes
    reader.locate("axes", Cell("axes"))

    def axis_of(sheet: str, row: int, values: dict[str, Any]) -> tuple[int, int] | None:
        code = _text(values.get("axis"))
        if code not in axis_index:
            known = ", ".join(axis_index) or "none"
            reader.problem(Cell(sheet, row, "axis"), f"unknown axis {code!r}; known axes: {known}")
            return None
        level = _integer(reader, values.get("level"), Cell(sheet, row, "level"))
        return None if level is None else (axis_index[code], level)

    seen_levels: dict[tuple[int, int], int] = {}
    for row, values in sheets["levels"]:
        found = axis_of("levels", row, values)
        if found is None:
            continue
        index, level = found
        if found in seen_levels:
            reader.problem(
                Cell("levels", row, "level"),
                f"duplicate level {level} of axis {axes[index]['code']} (already row {seen_levels[found]})",
            )
            continue
        seen_levels[found] = row
        axes[index].setdefault("levels", {})[level] = _text(values.get("descriptor"))
        reader.locate(f"axes[{index}].levels.{level}", Cell("levels", row, "descriptor"))
        reader.locate(f"axes[{index}].levels", Cell("levels", row, "axis"))
        if values.get("descriptor_en") is not None:
            axes[index].setdefault("levels_en", {})[level] = _text(values["descriptor_en"])
            reader.locate(f"axes[{index}].levels_en.{level}", Cell("levels", row, "descriptor_en"))
            reader.locate(f"axes[{index}].levels_en", Cell("levels", row, "descriptor_en"))

    seen_actions: dict[tuple[int, int], int] = {}
    for row, values in sheets["actions"]:
        found = axis_of("actions", row, values)
        if found is None:
            continue
        index, level = found
        if found in seen_actions:
            reader.problem(
                Cell("actions", row, "level"),
                f"duplicate action for level {level} of axis {axes[index]['code']} "
                f"(already row {seen_actions[found]})",
            )
            continue
        seen_actions[found] = row
        axes[index].setdefault("actions", {})[level] = _text(values.get("action"))
        reader.locate(f"axes[{index}].actions.{level}", Cell("actions", row, "action"))
        reader.locate(f"axes[{index}].actions", Cell("actions", row, "level"))
        if values.get("action_en") is not None:
            axes[index].setdefault("actions_en", {})[level] = _text(values["action_en"])
            reader.locate(f"axes[{index}].actions_en.{level}", Cell("actions", row, "action_en"))
        if values.get("links") is not None:
            links = _text(values["links"]).split()
            if links:
                axes[index].setdefault("action_links", {})[level] = links
                reader.locate(f"axes[{index}].action_links.{level}", Cell("actions", row, "links"))

    blockers = []
    blocker_rows: dict[str, int] = {}
    for index, (row, values) in enumerate(sheets["blocker_categories"]):
        blockers.append(
            _named(reader, values, "blocker_categories", row, f"blocker_categories[{index}]", blocker_rows)
        )
    out["blocker_categories"] = blockers

    families: list[dict[str, Any]] = []
    family_index: dict[str, int] = {}
    type_rows: dict[str, int] = {}
    targets: dict[tuple[str, str], dict[str, Any]] = {}
    target_where: dict[tuple[str, str], str] = {}
    for row, values in sheets["service_types"]:
        family_code = _text(values.get("family"))
        if not family_code:
            reader.problem(Cell("service_types", row, "family"), "missing family code")
            continue
        if family_code not in family_index:
            family_index[family_code] = len(families)
            where = f"service_families[{len(families)}]"
            family: dict[str, Any] = {
                "code": family_code,
                "name": _text(values.get("family_name")),
                "types": [],
            }
            if values.get("family_name_en") is not None:
                family["name_en"] = _text(values["family_name_en"])
            families.append(family)
            reader.locate(where, Cell("service_types", row, "family"))
            reader.locate(f"{where}.code", Cell("service_types", row, "family"))
            reader.locate(f"{where}.name", Cell("service_types", row, "family_name"))
            reader.locate(f"{where}.name_en", Cell("service_types", row, "family_name_en"))
        else:
            family = families[family_index[family_code]]
            for column, key in (("family_name", "name"), ("family_name_en", "name_en")):
                given = _text(values.get(column))
                if given and given != family.get(key, ""):
                    reader.problem(
                        Cell("service_types", row, column),
                        f"family {family_code!r} is already named {family.get(key, '')!r} above; "
                        "a family has one name",
                    )
        if not _text(values.get("code")) and not _text(values.get("name")):
            continue  # a family with no type
        where = f"service_families[{family_index[family_code]}].types[{len(family['types'])}]"
        service_type = _named(reader, values, "service_types", row, where, type_rows)
        common_core = _text(values.get("common_core")).lower()
        if common_core not in (YES, NO):
            reader.problem(
                Cell("service_types", row, "common_core"),
                f"expected yes or no, got {common_core!r}"
                if common_core
                else "expected yes or no, the cell is empty",
            )
        service_type["common_core"] = common_core == YES
        family["types"].append(service_type)
        if service_type["code"]:
            targets.setdefault(("service_type", service_type["code"]), service_type)
            target_where.setdefault(("service_type", service_type["code"]), where)
    out["service_families"] = families

    categories = []
    category_rows: dict[str, int] = {}
    for index, (row, values) in enumerate(sheets["product_categories"]):
        where = f"product_categories[{index}]"
        category = _named(reader, values, "product_categories", row, where, category_rows)
        categories.append(category)
        if category["code"]:
            targets.setdefault(("product_category", category["code"]), category)
            target_where.setdefault(("product_category", category["code"]), where)
    out["product_categories"] = categories

    _expected(reader, sheets["expected"], targets, target_where, set(axis_index))
    return out


def _named(
    reader: _Reader,
    values: dict[str, Any],
    sheet: str,
    row: int,
    where: str,
    seen: dict[str, int] | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"code": _text(values.get("code")), "name": _text(values.get("name"))}
    if seen is not None and item["code"]:
        if item["code"] in seen:
            reader.problem(
                Cell(sheet, row, "code"),
                f"duplicate code {item['code']!r} (already row {seen[item['code']]})",
            )
        else:
            seen[item["code"]] = row
    if values.get("name_en") is not None:
        item["name_en"] = _text(values["name_en"])
    reader.locate(where, Cell(sheet, row))
    for column in ("code", "name", "name_en", "common_core"):
        reader.locate(f"{where}.{column}", Cell(sheet, row, column))
    return item


def _expected(
    reader: _Reader,
    rows: list[Row],
    targets: dict[tuple[str, str], dict[str, Any]],
    target_where: dict[tuple[str, str], str],
    axis_codes: set[str],
) -> None:
    for column in reader.headers.get("expected", []):
        if column not in ("code", "kind") and column not in axis_codes:
            known = ", ".join(sorted(axis_codes)) or "none"
            reader.problem(
                Cell("expected", 1, column),
                f"unknown column {column!r}: not an axis code; known axes: {known}",
            )
    seen: dict[tuple[str, str], int] = {}
    for row, values in rows:
        kind = _text(values.get("kind"))
        code = _text(values.get("code"))
        if kind not in KINDS:
            reader.problem(
                Cell("expected", row, "kind"), f"expected service_type or product_category, got {kind!r}"
            )
            continue
        key = (kind, code)
        if key not in targets:
            sheet = "service_types" if kind == "service_type" else "product_categories"
            reader.problem(
                Cell("expected", row, "code"),
                f"unknown {kind.replace('_', ' ')} {code!r} (not in sheet {sheet})",
            )
            continue
        if key in seen:
            reader.problem(
                Cell("expected", row, "code"), f"duplicate row for {code!r} (already row {seen[key]})"
            )
            continue
        seen[key] = row
        expected: dict[str, int | None] = {}
        where = target_where[key]
        reader.locate(f"{where}.expected", Cell("expected", row, "code"))
        for column, value in values.items():
            if column in ("code", "kind"):
                continue
            cell = Cell("expected", row, column)
            if column not in axis_codes:
                continue  # refused once, at its header
            if _text(value) == NO_EXPECTED_LEVEL:
                expected[column] = None
            else:
                level = _integer(reader, value, cell)
                if level is None:
                    continue
                expected[column] = level
            reader.locate(f"{where}.expected.{column}", cell)
        targets[key]["expected"] = expected


__all__ = ["workbook_from_document", "workbook_parse", "workbook_read"]
