"""Reading dataset files safely (contract, sections 3 and 4), without touching the database.

Every reader yields plain Python values and raises `DatasetFileError` for a problem that makes
the rest of the file unreadable (wrong encoding, not a zip, a zip bomb, JSON nested too deep...).
Problems with one value are the importer's business: it knows where they are and goes on.

- CSV and XLSX are *streamed*: one row at a time, so memory does not grow with the file.
- JSON is parsed whole (the file size is capped by `settings.IMPORT_MAX_BYTES`); nesting is
  refused beyond `MAX_JSON_DEPTH` by a scan that runs before the parser, so a document nested
  100,000 deep never reaches the recursive decoder.
- XLSX: the zip directory is read first and the declared uncompressed sizes and ratios checked
  before anything is inflated; openpyxl parses with defusedxml (installed), so entity
  expansion ("billion laughs") is refused.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import zipfile
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .problems import ImportProblem, Message, Text

JSON_FORMAT = "convergence-dataset/1"
COLUMNS = [
    "campaign",
    "organisation",
    "organisation_name",
    "organisation_kind",
    "region",
    "subject",
    "subject_kind",
    "subject_name",
    "type_or_category",
    "status",
    "assessment_status",
    "axis",
    "level",
    "target_level",
    "target_date",
    "blockers",
    "comment",
]
# Columns a flat file may add (documented in docs/exchange.md; the contract allows added optional
# columns): `siren`, the SIREN of a vendor the row creates or updates (empty: left as stored).
OPTIONAL_COLUMNS = ["siren"]
# What the export writes: the contract's columns, then the optional ones.
EXPORT_COLUMNS = [*COLUMNS, *OPTIONAL_COLUMNS]
MAX_JSON_DEPTH = 32  # the format nests 6 deep; anything deeper is a mistake or an attack
MAX_CELL_CHARS = 20_000
# A spreadsheet formula starts with one of these; a cell that does is written with a leading
# single quote on export (OWASP "CSV injection"), and that quote is removed again on import.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
# Legitimate worksheets compress about 5-30 times; a zip bomb several hundred or thousand times.
XLSX_MAX_RATIO = 200
TOO_BIG = _("%(size)s bytes, more than the %(limit)s bytes an import may have")
EMPTY = _("the file is empty")
REFUSED_XML = _("refused XML construct in the workbook (%(construct)s)")


class DatasetFileError(Exception):
    """The file cannot be read at all; `problems` holds the problems, each with its location."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__("\n".join(problem.english() for problem in problems))
        self.problems = problems

    @classmethod
    def at(cls, where: str, message: Text, /, **params: object) -> DatasetFileError:
        """One problem at `where`: a lazily translated template and its parameters."""
        return cls([ImportProblem(where, Message(message, **params) if params else message)])


def escape_cell(value: str) -> str:
    """A text cell as written to CSV/XLSX: a leading formula character gets a quote before it
    (so does a leading quote, so that the import can undo exactly what the export did)."""
    if value and (value[0] in FORMULA_PREFIXES or value[0] == ESCAPE):
        return ESCAPE + value
    return value


def unescape_cell(value: str) -> str:
    if len(value) > 1 and value[0] == ESCAPE and (value[1] in FORMULA_PREFIXES or value[1] == ESCAPE):
        return value[1:]
    return value


def detect_format(path: Path, name: str | None = None) -> str:
    suffix = Path(name or path.name).suffix.lower()
    if suffix in (".json", ".csv", ".xlsx"):
        return suffix[1:]
    raise DatasetFileError.at(
        "file",
        _("unknown file type %(suffix)s; expected .json, .csv or .xlsx"),
        suffix=repr(suffix or "(none)"),
    )


def check_size(path: Path) -> int:
    size = path.stat().st_size
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise DatasetFileError.at("file", TOO_BIG, size=size, limit=limit)
    if size == 0:
        raise DatasetFileError.at("file", EMPTY)
    return size


# --- JSON ---------------------------------------------------------------------------------


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _json_depth_check(text: str) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH before parsing. Only brackets outside strings
    count. The strings are removed, then everything but brackets, by regular expressions (in C),
    and the depth is the running sum of the brackets left; only a file found too deep (or with an
    unterminated string) is scanned again character by character, for the line to report."""
    outside = _JSON_STRING.sub("", text)
    if '"' not in outside:  # else an unterminated string: the scan below stops there
        steps = accumulate(map(_BRACKET_STEP.__getitem__, _NOT_BRACKET.sub("", outside)))
        if max(steps, default=0) <= MAX_JSON_DEPTH:
            return
    _json_depth_scan(text)


def _json_depth_scan(text: str) -> None:
    """The character scan: jumps from bracket to bracket with str.find, reports the line."""
    depth = 0
    index = 0
    length = len(text)
    in_string = False
    while index < length:
        if in_string:
            quote = text.find('"', index)
            if quote < 0:
                return  # unterminated string: the parser reports it
            backslashes = 0
            back = quote - 1
            while back >= 0 and text[back] == "\\":
                backslashes += 1
                back -= 1
            index = quote + 1
            if backslashes % 2 == 0:
                in_string = False
            continue
        char = text[index]
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                line = text.count("\n", 0, index) + 1
                raise DatasetFileError.at(
                    f"line {line}",
                    _("JSON nested deeper than %(depth)s levels; a dataset nests 6 levels"),
                    depth=MAX_JSON_DEPTH,
                )
        elif char in "]}":
            depth -= 1
        index += 1


def read_json(path: Path) -> Any:
    check_size(path)
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise DatasetFileError.at(
            "file",
            _("contains a NUL byte at offset %(offset)s; not a JSON text file"),
            offset=raw.index(b"\x00"),
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetFileError.at(
            "file",
            _("not UTF-8 text (byte 0x%(byte)s at offset %(offset)s); save it as UTF-8"),
            byte=f"{raw[error.start]:02x}",
            offset=error.start,
        ) from None
    del raw
    _json_depth_check(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DatasetFileError.at(
            f"line {error.lineno}, column {error.colno}", _("invalid JSON (%(error)s)"), error=error.msg
        ) from None
    except RecursionError:  # the scan above should make this unreachable; never a traceback
        raise DatasetFileError.at(
            "file", _("JSON nested deeper than %(depth)s levels"), depth=MAX_JSON_DEPTH
        ) from None


# --- CSV ----------------------------------------------------------------------------------


class _LineCountingReader(io.RawIOBase):
    """Binary reader that refuses NUL bytes (the csv module would stop with a bare error)."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self.offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        chunk = self._stream.read(len(buffer))
        if b"\x00" in chunk:
            raise DatasetFileError.at(
                "file",
                _("contains a NUL byte at offset %(offset)s; not a CSV text file"),
                offset=self.offset + chunk.index(b"\x00"),
            )
        buffer[: len(chunk)] = chunk
        self.offset += len(chunk)
        return len(chunk)


def _header_and_separator(first_line: str) -> tuple[list[str], str]:
    stripped = first_line.rstrip("\r\n")
    candidates = []
    for separator in (",", ";"):
        names = [name.strip() for name in next(csv.reader([stripped], delimiter=separator))]
        candidates.append((len(set(names) & set(COLUMNS)), separator, names))
    candidates.sort(key=lambda item: -item[0])
    score, separator, names = candidates[0]
    if score == 0:
        raise DatasetFileError.at(
            "row 1",
            _("no known column in the header; expected a header row with: %(columns)s"),
            columns=", ".join(COLUMNS),
        )
    return names, separator


def check_header(names: list[str]) -> dict[str, int]:
    problems = []
    missing = [name for name in COLUMNS if name not in names]
    unknown = [name for name in names if name not in EXPORT_COLUMNS]
    duplicated = sorted({name for name in names if names.count(name) > 1 and name in EXPORT_COLUMNS})
    if missing:
        problems.append(
            ImportProblem("row 1", Message(_("missing columns: %(columns)s"), columns=", ".join(missing)))
        )
    if unknown:
        problems.append(
            ImportProblem(
                "row 1",
                Message(
                    _("unknown columns: %(unknown)s; expected exactly: %(columns)s"),
                    unknown=", ".join(repr(n) for n in unknown),
                    columns=", ".join(COLUMNS),
                ),
            )
        )
    if duplicated:
        problems.append(
            ImportProblem(
                "row 1", Message(_("columns given twice: %(columns)s"), columns=", ".join(duplicated))
            )
        )
    if problems:
        raise DatasetFileError(problems)
    return {name: names.index(name) for name in EXPORT_COLUMNS if name in names}


Row = tuple[int, dict[str, str]]


def iter_csv(path: Path) -> Iterator[Row]:
    """Yield (row number, {column: text}) for each data row; the header is row 1.

    A row with the wrong number of cells is yielded with the key `__cells__` set to its
    cell count, so that the importer reports it and goes on.
    """
    check_size(path)
    with path.open("rb") as binary:
        raw = io.BufferedReader(_LineCountingReader(binary))
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        row_number = 1
        try:
            first_line = text.readline()
            names, separator = _header_and_separator(first_line)
            check_header(names)
            width = len(names)
            csv.field_size_limit(MAX_CELL_CHARS * 4)
            reader = csv.reader(text, delimiter=separator, strict=False)
            for cells in reader:
                row_number += 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # blank line
                if len(cells) != width:
                    yield (
                        row_number,
                        {"__cells__": str(len(cells)), "__separator__": separator, "__width__": str(width)},
                    )
                    continue
                values = list(map(str.strip, cells))
                # Only a cell starting with a quote may carry our formula escape: one search
                # over the joined cells instead of a test per cell.
                joined = "\x00".join(values)  # NUL never occurs: refused by the reader
                if joined[:1] == ESCAPE or "\x00" + ESCAPE in joined:
                    values = [unescape_cell(value) for value in values]
                # check_header made sure the header names each column exactly once.
                yield row_number, dict(zip(names, values, strict=True))
        except UnicodeDecodeError as error:
            raise DatasetFileError.at(
                f"row {row_number + 1}",
                _("the file is not UTF-8 text (byte 0x%(byte)s); save it as CSV UTF-8"),
                byte=f"{error.object[error.start]:02x}",
            ) from None
        except csv.Error as error:
            raise DatasetFileError.at(
                f"row {row_number + 1}", _("unreadable CSV (%(error)s)"), error=error
            ) from None


# --- XLSX ---------------------------------------------------------------------------------


def check_xlsx_zip(path: Path) -> None:
    """Read the zip directory only: refuse a non-zip, an oversized or a bomb-like archive
    before openpyxl inflates anything."""
    limit = getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", 2 * 1024**3)
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > 1_000_000 and ratio > XLSX_MAX_RATIO:
                    raise DatasetFileError.at(
                        "file",
                        _("%(name)s inflates %(ratio)s times (%(size)s bytes); refused as a zip bomb"),
                        name=info.filename,
                        ratio=int(ratio),
                        size=info.file_size,
                    )
            if total > limit:
                raise DatasetFileError.at(
                    "file",
                    _("%(size)s bytes once uncompressed, more than the %(limit)s bytes an import may have"),
                    size=total,
                    limit=limit,
                )
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise DatasetFileError.at("file", _("not an XLSX workbook (not a zip archive)")) from None
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/worksheets/") for name in names):
        raise DatasetFileError.at("file", _("not an XLSX workbook (no worksheet inside)"))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def iter_xlsx(path: Path) -> Iterator[Row]:
    """Rows of the first sheet, streamed (openpyxl read-only mode)."""
    check_size(path)
    check_xlsx_zip(path)
    import openpyxl
    from defusedxml import DefusedXmlException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except DefusedXmlException as error:
        raise DatasetFileError.at("file", REFUSED_XML, construct=type(error).__name__) from None
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        if (refused := _defused_cause(error)) is not None:
            raise DatasetFileError.at("file", REFUSED_XML, construct=refused) from None
        raise DatasetFileError.at(
            "file", _("unreadable XLSX workbook (%(error)s)"), error=type(error).__name__
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        try:
            header = next(rows)
        except StopIteration:
            raise DatasetFileError.at("row 1", _("the first sheet is empty; expected a header row")) from None
        names = [_cell_text(cell).strip() for cell in header]
        while names and not names[-1]:
            names.pop()
        positions = check_header(names)
        width = len(names)
        row_number = 1
        for cells in rows:
            row_number += 1
            texts = [_cell_text(cell) for cell in cells]
            while len(texts) > width and not texts[-1].strip():
                texts.pop()
            if not any(text.strip() for text in texts):
                continue
            if len(texts) > width:
                yield row_number, {"__cells__": str(len(texts)), "__separator__": "", "__width__": str(width)}
                continue
            texts += [""] * (width - len(texts))
            yield row_number, {name: unescape_cell(texts[index].strip()) for name, index in positions.items()}
    except DefusedXmlException as error:
        raise DatasetFileError.at("file", REFUSED_XML, construct=type(error).__name__) from None
    except DatasetFileError:
        raise
    except Exception as error:  # damaged XML inside a valid zip
        if (refused := _defused_cause(error)) is not None:
            raise DatasetFileError.at("file", REFUSED_XML, construct=refused) from None
        raise DatasetFileError.at(
            "file", _("unreadable XLSX worksheet (%(error)s)"), error=type(error).__name__
        ) from None
    finally:
        workbook.close()


def _defused_cause(error: BaseException) -> str | None:
    """openpyxl wraps parser errors; find defusedxml's refusal (entities, DTD) in the chain."""
    from defusedxml import DefusedXmlException

    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 10:
        if isinstance(current, DefusedXmlException):
            return type(current).__name__
        current = current.__cause__ or current.__context__
        seen += 1
    return None
