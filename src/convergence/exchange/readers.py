"""From the records of a file (JSON document or flat rows) to the importer's checks.

Locations follow the contract: `subjects[12].type` (list indexes from 0) for JSON,
`row 45, column level` (the header is row 1) for CSV and XLSX.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.utils.translation import gettext_lazy as _

from convergence.assessments.validation import AnswerInput, MilestoneInput
from convergence.catalog.enums import SubjectKind

from .formats import COLUMNS, JSON_FORMAT, MAX_CELL_CHARS, Row
from .importer import TEXT_TOO_LONG, UNKNOWN_KEY, DatasetImporter

TOP_KEYS = {"format", "referential", "campaign", "organisations", "subjects", "assessments"}
ORG_KEYS = {"code", "name", "kind", "region", "siren"}
SUBJECT_KEYS = {
    "code",
    "kind",
    "name",
    "organisation",
    "region",
    "type",
    "category",
    "status",
    "version",
    "product_reference",
    "description",
}
ASSESSMENT_KEYS = {"subject", "status", "answers"}
ANSWER_KEYS = {"axis", "level", "not_applicable_reason", "milestones", "blockers", "comment"}
NOT_APPLICABLE = {"", "na", "n/a"}
INTEGER_RE = re.compile(r"[+-]?\d+\Z")
MAX_CACHED_CHECKS = 100_000  # distinct answer-cell combinations remembered (memory bound)
PROGRESS_EVERY = 1000  # rows between two progress reports of a web import


def _at(where: str, key: str) -> str:
    """A JSON location: `subjects[3]` + `type` → `subjects[3].type`; no key: the item itself."""
    return f"{where}.{key}" if key else where


def _unknown_keys(importer: DatasetImporter, item: dict, allowed: set[str], where: str) -> None:
    for key in sorted(set(item) - allowed, key=str):
        importer.problem(f"{where}.{key}", UNKNOWN_KEY, known=", ".join(sorted(allowed)))


def _list(importer: DatasetImporter, data: dict, key: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        importer.problem(key, _("expected a list, got %(type)s"), type=type(value).__name__)
        return []
    return value


def import_document(importer: DatasetImporter, data: Any) -> None:
    """A JSON dataset (contract, section 3)."""
    if not isinstance(data, dict):
        importer.problem("file", _("expected a JSON object with format %(format)s"), format=repr(JSON_FORMAT))
        return
    _unknown_keys(importer, data, TOP_KEYS, "file")
    if data.get("format") != JSON_FORMAT:
        importer.problem(
            "format",
            _("expected %(format)s, got %(value)s"),
            format=repr(JSON_FORMAT),
            value=repr(data.get("format")),
        )
        return
    importer.campaign_from_json(data.get("campaign"), data.get("referential"))
    if importer.campaign is None:
        return
    for index, item in enumerate(_list(importer, data, "organisations")):
        where = f"organisations[{index}]"
        if not isinstance(item, dict):
            importer.problem(where, _("expected an object"))
            continue
        _unknown_keys(importer, item, ORG_KEYS, where)
        importer.organisation(partial(_at, where), item, stated={"region", "siren"})
    for index, item in enumerate(_list(importer, data, "subjects")):
        where = f"subjects[{index}]"
        if not isinstance(item, dict):
            importer.problem(where, _("expected an object"))
            continue
        _unknown_keys(importer, item, SUBJECT_KEYS, where)
        type_key = "type" if item.get("kind") == SubjectKind.SERVICE else "category"
        values = {**item, "type_or_category": item.get(type_key), "type_key": type_key}
        if item.get("kind") == SubjectKind.PRODUCT and item.get("region"):
            importer.problem(
                f"{where}.region", _("a product has no region of its own (its organisation's counts)")
            )
            continue
        if importer.subjects.get(item.get("code")) is not None:  # type: ignore[arg-type]
            importer.problem(
                f"{where}.code", _("subject %(code)s is listed twice"), code=repr(item.get("code"))
            )
            continue
        importer.subject(partial(_at, where), values, full=True)
        importer.maybe_flush()
    assessed: set[str] = set()
    for index, item in enumerate(_list(importer, data, "assessments")):
        where = f"assessments[{index}]"
        if not isinstance(item, dict):
            importer.problem(where, _("expected an object"))
            continue
        _unknown_keys(importer, item, ASSESSMENT_KEYS, where)
        code = item.get("subject")
        if not isinstance(code, str):
            importer.problem(f"{where}.subject", _("expected the code of a subject"))
            continue
        if code in assessed:
            importer.problem(
                f"{where}.subject",
                _('a second assessment of "%(code)s" (one per subject per campaign)'),
                code=code,
            )
            continue
        assessed.add(code)
        entry = importer.subjects.get(code)
        if entry is None:
            entry = importer.subject_from_database(code, f"{where}.subject")
            if entry is None:
                continue
        if not importer.assessment_status(entry, item.get("status", "draft"), f"{where}.status"):
            continue
        answers = item.get("answers", [])
        if not isinstance(answers, list):
            importer.problem(f"{where}.answers", _("expected a list"))
            continue
        if not answers:
            importer.assessment_only.append(entry)
        for answer_index, raw in enumerate(answers):
            answer_where = f"{where}.answers[{answer_index}]"
            answer = _json_answer(importer, raw, answer_where)
            if answer is not None:
                importer.answer(entry, answer, where=partial(_at, answer_where))


def _json_answer(importer: DatasetImporter, raw: Any, where: str) -> AnswerInput | None:
    if not isinstance(raw, dict):
        importer.problem(where, _("expected an object with axis and level"))
        return None
    _unknown_keys(importer, raw, ANSWER_KEYS, where)
    ok = True
    axis = raw.get("axis")
    if not isinstance(axis, str):
        importer.problem(f"{where}.axis", _("expected the code of an axis"))
        ok = False
    for key in ("not_applicable_reason", "comment"):
        if not isinstance(raw.get(key, ""), str) or len(raw.get(key, "")) > MAX_CELL_CHARS:
            importer.problem(f"{where}.{key}", TEXT_TOO_LONG, limit=MAX_CELL_CHARS)
            ok = False
    milestones = raw.get("milestones", [])
    if not isinstance(milestones, list) or not all(isinstance(m, dict) for m in milestones):
        importer.problem(f"{where}.milestones", _("expected a list of {level, due_on} objects"))
        ok = False
    else:
        for m_index, milestone in enumerate(milestones):
            _unknown_keys(importer, milestone, {"level", "due_on"}, f"{where}.milestones[{m_index}]")
    blockers = raw.get("blockers", [])
    if not isinstance(blockers, list) or not all(isinstance(b, str) for b in blockers):
        importer.problem(f"{where}.blockers", _("expected a list of blocker category codes"))
        ok = False
    if not ok:
        return None
    if "level" not in raw:
        # Our addition: an answer in progress (a comment, no level yet) leaves `level` out.
        return AnswerInput(
            axis=axis,  # type: ignore[arg-type]
            milestones=tuple(
                MilestoneInput(level=m.get("level"), due_on=m.get("due_on")) for m in milestones
            ),
            blockers=tuple(blockers),
            comment=raw.get("comment", ""),
        )
    return AnswerInput.from_import(
        axis=axis,  # type: ignore[arg-type]
        level=raw["level"],
        not_applicable_reason=raw.get("not_applicable_reason", ""),
        milestones=milestones,
        blockers=blockers,
        comment=raw.get("comment", ""),
    )


ORG_COLUMNS = {
    "code": "organisation",
    "name": "organisation_name",
    "kind": "organisation_kind",
    "region": "region",
}
SUBJECT_COLUMNS = {
    "code": "subject",
    "kind": "subject_kind",
    "name": "subject_name",
    "organisation": "organisation",
    "type_or_category": "type_or_category",
    "status": "status",
    "region": "region",
}


def _answer_column(field: str) -> str:
    """Where a problem found by the answer validator is, in the flat format's columns."""
    if field.startswith("milestones"):
        return "target_date" if field.endswith("due_on") else "target_level"
    if field.startswith("blockers"):
        return "blockers"
    if field == "not_applicable_reason":
        return "comment"
    return field or "level"


def _integer_or_text(value: str) -> int | str | None:
    if value == "":
        return None
    return int(value) if INTEGER_RE.match(value) else value


def import_rows(importer: DatasetImporter, rows: Iterable[Row]) -> None:
    """Flat rows (contract, section 4): one row per answer."""
    width = len(COLUMNS)
    last_org_key: tuple | None = None
    last_org = None
    last_subject_key: tuple | None = None
    last_subject = None
    checks: dict[tuple, tuple] = {}
    for row_number, row in rows:
        importer.outcome.rows += 1
        if importer.progress is not None and importer.outcome.rows % PROGRESS_EVERY == 0:
            importer.progress(importer.outcome.rows)

        def at(column: str, n: int = row_number) -> str:
            return f"row {n}, column {column}"

        if "__cells__" in row:
            if row["__separator__"]:
                importer.problem(
                    f"row {row_number}",
                    _(
                        "%(cells)s cells instead of %(width)s; "
                        "is every row separated by '%(separator)s' like the header?"
                    ),
                    cells=row["__cells__"],
                    width=width,
                    separator=row["__separator__"],
                )
            else:
                importer.problem(
                    f"row {row_number}",
                    _("%(cells)s cells instead of %(width)s"),
                    cells=row["__cells__"],
                    width=width,
                )
            continue
        if max(map(len, row.values())) > MAX_CELL_CHARS:
            too_long = [column for column, value in row.items() if len(value) > MAX_CELL_CHARS]
            importer.problem(at(too_long[0]), _("more than %(limit)s characters"), limit=MAX_CELL_CHARS)
            continue
        if not importer.campaign_from_row(row["campaign"], at("campaign")):
            continue
        kind = row["subject_kind"]
        # Rows of one subject usually follow each other and repeat the same organisation and
        # subject cells: those are checked once, and again only when they differ from the
        # previous row's (a row naming another organisation is still reported, row by row).
        org_key = (
            row["organisation"],
            row["organisation_name"],
            row["organisation_kind"],
            row["region"],
            kind,
        )
        if org_key == last_org_key:
            org = last_org
        else:
            org = importer.organisation(
                lambda key: at(ORG_COLUMNS[key]),
                {
                    "code": row["organisation"],
                    "name": row["organisation_name"],
                    "kind": row["organisation_kind"],
                    "region": row["region"],
                },
                stated={"region"} if kind == SubjectKind.PRODUCT else set(),
                creation_region=row["region"],
            )
            last_org_key, last_org = (org_key, org) if org is not None else (None, None)
        if org is None:
            continue  # the row's subject would only repeat the organisation's problem
        subject_key = (
            org_key,
            row["subject"],
            row["subject_name"],
            row["type_or_category"],
            row["status"],
            row["assessment_status"],
        )
        if subject_key == last_subject_key:
            subject = last_subject
        else:
            subject = importer.subject(
                lambda key: at(SUBJECT_COLUMNS.get(key, key)),
                {
                    "code": row["subject"],
                    "kind": kind,
                    "name": row["subject_name"],
                    "organisation": row["organisation"],
                    "type_or_category": row["type_or_category"],
                    "status": row["status"],
                    "region": row["region"] if kind == SubjectKind.SERVICE else "",
                },
                full=False,
            )
            if (
                org is not None
                and subject is not None
                and importer.assessment_status(subject, row["assessment_status"], at("assessment_status"))
            ):
                last_subject_key, last_subject = subject_key, subject
            else:
                last_subject_key = None
                continue
        if org is None or subject is None:
            continue
        level_text = row["level"]
        not_applicable = level_text.strip().lower() in NOT_APPLICABLE
        comment = row["comment"]
        # Many rows share the same answer cells (a level, a milestone, blockers): the check,
        # a pure function of them, runs once per distinct combination.
        key = (
            subject.kind,
            subject.type_or_category,
            row["axis"],
            None if not_applicable else level_text,
            row["target_level"],
            row["target_date"],
            row["blockers"],
            bool(comment.strip()) if not_applicable else True,
        )
        checked = checks.get(key)
        if checked is None:
            checked = importer.check_answer(
                subject.kind, subject.type_or_category, _row_answer(row, not_applicable)
            )
            if len(checks) >= MAX_CACHED_CHECKS:
                checks.clear()
            checks[key] = checked
        importer.add_answer(
            subject,
            checked[0],
            checked[1],
            reason=comment.strip() if not_applicable else "",
            comment="" if not_applicable else comment,
            where=partial(_answer_location, row_number),
            milestone_mode="first",
        )


def _answer_location(row_number: int, field: str) -> str:
    return f"row {row_number}, column {_answer_column(field)}"


def _row_answer(row: dict[str, str], not_applicable: bool) -> AnswerInput:
    milestones = []
    if row["target_level"] or row["target_date"]:
        milestones.append(
            {"level": _integer_or_text(row["target_level"]), "due_on": row["target_date"] or None}
        )
    blockers = [code.strip() for code in row["blockers"].split(";") if code.strip()]
    if not_applicable:
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


Where = Callable[[str], str]
