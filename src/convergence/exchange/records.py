"""The typed records a dataset reader yields, each carrying where it is in the file.

A reader (`readers.py`) turns a file into these records without touching the database; the
checks (`checks.py`) turn records into problems and accepted entries; the writer (`writer.py`)
writes the entries in bulk; `importer.py` runs the three. Values are kept as the file gave them
(a JSON value may be of any type): the checks say what is wrong with them.

Locations follow the contract: `subjects[12].type` (list indexes from 0) for JSON, `row 45,
column level` (the header is row 1) for CSV and XLSX. A `Where` maps a field name of the record
(the model's field names: `code`, `kind`, `type_or_category`, `region`...) to that location.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from convergence.assessments.validation import AnswerInput, MilestoneInput

from .problems import Text

# Where a field of a record is, in the file: `where("type_or_category")` → `subjects[3].type`.
type Where = Callable[[str], str]


@dataclass(slots=True)
class JsonWhere:
    """`subjects[3]` + `type` → `subjects[3].type`; no field: the item itself. `renames` maps a
    record field to the file's key (`type_or_category` → `type` or `category`)."""

    prefix: str
    renames: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, name: str) -> str:
        name = self.renames.get(name, name)
        return f"{self.prefix}.{name}" if name else self.prefix


@dataclass(slots=True)  # not frozen: one per row, and a frozen dataclass is slower to build
class RowWhere:
    """`row 45, column level`: `columns` maps a record field to the flat format's column."""

    row: int
    columns: Callable[[str], str]

    def __call__(self, name: str) -> str:
        return f"row {self.row}, column {self.columns(name)}"


@dataclass(frozen=True, slots=True)
class FixedWhere:
    """One location for every field (a JSON assessment naming a stored subject)."""

    location: str

    def __call__(self, name: str) -> str:
        return self.location


@dataclass(frozen=True, slots=True)
class ReadProblem:
    """Something the reader itself found wrong (a structure, an unknown key, a row's width)."""

    where: str
    message: Text
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    """JSON: the `campaign` object and the `referential` code, as given."""

    values: Any
    referential: Any


@dataclass(slots=True)
class OrganisationRecord:
    """An organisation as described by a JSON item or by the organisation columns of a row.

    `stated` names the fields the file states (CSV: the region only on product rows, the SIREN
    only when its optional column has a value); the others are left as stored, or come from
    `creation_region` when the record creates an ARS or a GRADeS (a service row's region)."""

    code: Any
    name: Any
    kind: Any
    region: Any = ""
    siren: Any = ""
    stated: frozenset[str] = frozenset()
    creation_region: str = ""
    where: Where | None = None  # JSON; rows give it per row (the same record serves a run of rows)


@dataclass(slots=True)
class SubjectRecord:
    """A product or a service. `full`: the file describes it entirely (JSON: an absent optional
    key means empty); the flat format carries no version, reference nor description."""

    code: Any
    kind: Any
    name: Any
    organisation: Any
    type_or_category: Any
    status: Any
    region: Any = ""
    version: Any = ""
    product_reference: Any = ""
    description: Any = ""
    full: bool = False
    where: Where | None = None


@dataclass(slots=True)
class AnswerRecord:
    """JSON: one answer (`milestone_mode` "exact": the file gives every milestone).

    Kept as the file's object (`raw`), typed as an `AnswerInput` only when its `cells` (what
    decides its validity: axis, level, whether a reason is given, milestones, blockers) were not
    checked yet: a national file repeats the same combinations, checked once each (the flat
    rows do the same). `cells` is None when a value cannot be a key (then it is always checked)."""

    raw: dict
    reason: str
    comment: str
    where: Where
    cells: tuple | None = None
    milestone_mode: ClassVar[str] = "exact"

    def value(self) -> AnswerInput:
        raw = self.raw
        if "level" not in raw:
            # Our addition: an answer in progress (a comment, no level yet) leaves `level` out.
            return AnswerInput(
                axis=raw["axis"],
                milestones=tuple(
                    MilestoneInput(level=m.get("level"), due_on=m.get("due_on"))
                    for m in raw.get("milestones", [])
                ),
                blockers=tuple(raw.get("blockers", [])),
                comment=raw.get("comment", ""),
            )
        return AnswerInput.from_import(
            axis=raw["axis"],
            level=raw["level"],
            not_applicable_reason=raw.get("not_applicable_reason", ""),
            milestones=raw.get("milestones", []),
            blockers=raw.get("blockers", []),
            comment=raw.get("comment", ""),
        )

    def location(self) -> Where:
        return self.where


@dataclass(slots=True)
class AnswerWhere:
    """`assessments[3].answers[1].level`, built only when a problem is reported."""

    prefix: str
    index: int

    def __call__(self, name: str) -> str:
        base = f"{self.prefix}.answers[{self.index}]"
        return f"{base}.{name}" if name else base


@dataclass(slots=True)
class AssessmentRecord:
    """JSON: one assessment and its answers, with the problems of their structure in place.
    `answers_readable` is False when `answers` was not a list (its problem is then the only
    item); `listed_answers` counts the items of the list."""

    subject: Any
    status: Any
    answers: list[AnswerRecord | ReadProblem]
    where: JsonWhere
    answers_readable: bool = True
    listed_answers: int = 0


@dataclass(slots=True)
class RowRecord:
    """One flat row: one answer, with the organisation and subject it belongs to. Consecutive
    rows repeating the same organisation (subject) cells share the same record object, so the
    checks may check it once for the run of rows.

    The row is its own answer record (one object per row: a national file has a million):
    `cells` are the answer cells that decide its validity (the checks check each distinct
    combination once) and `value()` types them as an answer only when they were not checked yet;
    `where` is built only for a problem."""

    row: int
    campaign: str
    organisation: OrganisationRecord
    subject: SubjectRecord
    assessment_status: str
    reason: str
    comment: str
    cells: tuple
    values: dict[str, str]  # the row's cells by column
    not_applicable: bool
    milestone_mode: ClassVar[str] = "first"  # the row gives the answer's first milestone

    def where(self, name: str) -> str:
        return f"row {self.row}, column {answer_column(name)}"

    def location(self) -> Where:
        """Where the answer is, kept with the accepted answer (not the row and its cells)."""
        return RowWhere(self.row, answer_column)

    def value(self) -> AnswerInput:
        row = self.values
        milestones = []
        if row["target_level"] or row["target_date"]:
            milestones.append(
                {"level": _integer_or_text(row["target_level"]), "due_on": row["target_date"] or None}
            )
        blockers = [code.strip() for code in row["blockers"].split(";") if code.strip()]
        if self.not_applicable:
            return AnswerInput.from_import(
                axis=row["axis"],
                level=None,
                not_applicable_reason=row["comment"],
                milestones=milestones,
                blockers=blockers,
            )
        return AnswerInput.from_import(
            axis=row["axis"],
            level=_integer_or_text(row["level"]),
            milestones=milestones,
            blockers=blockers,
            comment=row["comment"],
        )


INTEGER_RE = re.compile(r"[+-]?\d+\Z")


def _integer_or_text(value: str) -> int | str | None:
    if value == "":
        return None
    return int(value) if INTEGER_RE.match(value) else value


ORG_COLUMNS = {
    "code": "organisation",
    "name": "organisation_name",
    "kind": "organisation_kind",
    "region": "region",
    "siren": "siren",
}
SUBJECT_COLUMNS = {
    "code": "subject",
    "kind": "subject_kind",
    "name": "subject_name",
    "organisation": "organisation",
    "type_or_category": "type_or_category",
    "status": "status",
    "region": "region",
    "assessment": "assessment_status",
    "answers": "assessment_status",  # the submission rule: the rows of the assessment
    "": "organisation",  # a problem of the whole record: the organisation declares it
}


def org_column(field: str) -> str:
    return ORG_COLUMNS.get(field, field)


def subject_column(field: str) -> str:
    return SUBJECT_COLUMNS.get(field, field)


def answer_column(field: str) -> str:
    """Where a problem found by the answer validator is, in the flat format's columns."""
    if field.startswith("milestones"):
        return "target_date" if field.endswith("due_on") else "target_level"
    if field.startswith("blockers"):
        return "blockers"
    if field == "not_applicable_reason":
        return "comment"
    return field or "level"


type Record = ReadProblem | CampaignRecord | OrganisationRecord | SubjectRecord | AssessmentRecord | RowRecord
