"""Report files: JSON, CSV (a zip of one CSV per section), XLSX (one sheet per section), HTML, PDF."""

from __future__ import annotations

import csv
import datetime
import io
import json
import zipfile
from typing import Any

from .tables import report_tables

EXTENSIONS = {"json": "json", "csv": "zip", "xlsx": "xlsx", "html": "html", "pdf": "pdf"}
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


def render_json(report: dict[str, Any]) -> bytes:
    return (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def render_csv_table(name: str, report: dict[str, Any]) -> bytes:
    """One section as a CSV (UTF-8, comma, header row)."""
    table = next(t for t in report_tables(report) if t.name == name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows([[_cell(v) for v in row] for row in table.rows])
    return buffer.getvalue().encode()


def render_csv_zip(report: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in report_tables(report):
            # A fixed timestamp: the same report gives the same bytes.
            info = zipfile.ZipInfo(f"{table.name}.csv", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, render_csv_table(table.name, report))
    return buffer.getvalue()


def render_xlsx(report: dict[str, Any]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    # Dates as date cells in Excel's built-in short-date format (14), which the reader's
    # spreadsheet shows in its own locale (31/12/2027 in French, 12/31/2027 in English);
    # numbers are numeric cells, which it localises too ("2,67").
    date = workbook.add_format({"num_format": 14})
    for table in report_tables(report):
        sheet = workbook.add_worksheet(table.name)
        sheet.write_row(0, 0, table.header, bold)
        for r, row in enumerate(table.rows, start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue  # suppressed or not defined: an empty cell
                if table.header[c] == "date" and isinstance(value, str):
                    sheet.write_datetime(r, c, datetime.datetime.fromisoformat(value), date)
                else:
                    sheet.write(r, c, value)
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, len(table.header) - 1, 16)
    workbook.close()
    return buffer.getvalue()


def render(report: dict[str, Any], fmt: str, *, context: dict[str, Any] | None = None) -> bytes:
    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv_zip(report)
    if fmt == "xlsx":
        return render_xlsx(report)
    from .document import render_html, render_pdf

    if fmt == "html":
        return render_html(report, context=context).encode()
    if fmt == "pdf":
        return render_pdf(report, context=context)
    raise ValueError(f"unknown format {fmt!r}")
