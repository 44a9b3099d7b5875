"""Readers: a parsed dataset (a JSON document, or the flat rows of a CSV/XLSX) → typed records.

No database and no reference to the checks or the writer: a reader only says what the file
holds and where (`records.py`), plus the problems of its structure (an unknown key, a list that
is not one, a row of the wrong width) as `ReadProblem`s. The values themselves are judged by
`checks.py`. Locations follow the contract: `subjects[12].type` (list indexes from 0) for JSON,
`row 45, column level` (the header is row 1) for CSV and XLSX.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

from convergence.catalog.enums import SubjectKind

from .formats import JSON_FORMAT, MAX_CELL_CHARS, Row
from .records import (
    AnswerRecord,
    AnswerWhere,
    AssessmentRecord,
    CampaignRecord,
    JsonWhere,
    OrganisationRecord,
    ReadProblem,
    Record,
    RowRecord,
    SubjectRecord,
)

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

UNKNOWN_KEY = _("unknown key; known keys: %(known)s")
TEXT_TOO_LONG = _("expected text of at most %(limit)s characters")


# --- JSON (contract, section 3) --------------------------------------------------------------


def _unknown_keys(item: dict, allowed: set[str], where: str) -> Iterator[ReadProblem]:
    for key in sorted(set(item) - allowed, key=str):
        yield ReadProblem(f"{where}.{key}", UNKNOWN_KEY, {"known": ", ".join(sorted(allowed))})


def _list(data: dict, key: str) -> tuple[list, ReadProblem | None]:
    value = data.get(key, [])
    if not isinstance(value, list):
        return [], ReadProblem(key, _("expected a list, got %(type)s"), {"type": type(value).__name__})
    return value, None


def read_document(data: Any) -> Iterator[Record]:
    """A JSON dataset: the campaign first, then organisations, subjects, assessments."""
    if not isinstance(data, dict):
        yield ReadProblem(
            "file", _("expected a JSON object with format %(format)s"), {"format": repr(JSON_FORMAT)}
        )
        return
    yield from _unknown_keys(data, TOP_KEYS, "file")
    if data.get("format") != JSON_FORMAT:
        yield ReadProblem(
            "format",
            _("expected %(format)s, got %(value)s"),
            {"format": repr(JSON_FORMAT), "value": repr(data.get("format"))},
        )
        return
    yield CampaignRecord(values=data.get("campaign"), referential=data.get("referential"))
    items, problem = _list(data, "organisations")
    if problem is not None:
        yield problem
    for index, item in enumerate(items):
        where = f"organisations[{index}]"
        if not isinstance(item, dict):
            yield ReadProblem(where, _("expected an object"))
            continue
        yield from _unknown_keys(item, ORG_KEYS, where)
        yield OrganisationRecord(
            code=item.get("code"),
            name=item.get("name"),
            kind=item.get("kind"),
            region=item.get("region") or "",
            siren=item.get("siren") or "",
            stated=frozenset({"region", "siren"}),
            where=JsonWhere(where),
        )
    items, problem = _list(data, "subjects")
    if problem is not None:
        yield problem
    for index, item in enumerate(items):
        where = f"subjects[{index}]"
        if not isinstance(item, dict):
            yield ReadProblem(where, _("expected an object"))
            continue
        yield from _unknown_keys(item, SUBJECT_KEYS, where)
        type_key = "type" if item.get("kind") == SubjectKind.SERVICE else "category"
        yield SubjectRecord(
            code=item.get("code"),
            kind=item.get("kind"),
            name=item.get("name"),
            organisation=item.get("organisation"),
            type_or_category=item.get(type_key),
            status=item.get("status") or "",
            region=item.get("region") or "",
            version=item.get("version") or "",
            product_reference=item.get("product_reference") or "",
            description=item.get("description") or "",
            full=True,
            where=JsonWhere(where, {"type_or_category": type_key}),
        )
    items, problem = _list(data, "assessments")
    if problem is not None:
        yield problem
    for index, item in enumerate(items):
        where = f"assessments[{index}]"
        if not isinstance(item, dict):
            yield ReadProblem(where, _("expected an object"))
            continue
        yield from _unknown_keys(item, ASSESSMENT_KEYS, where)
        answers = item.get("answers", [])
        if not isinstance(answers, list):
            yield AssessmentRecord(
                subject=item.get("subject"),
                status=item.get("status", "draft"),
                answers=[ReadProblem(f"{where}.answers", _("expected a list"))],
                where=JsonWhere(where),
                answers_readable=False,
            )
            continue
        records: list[AnswerRecord | ReadProblem] = []
        append = records.append
        for answer_index, raw in enumerate(answers):
            record = _json_answer_fast(raw, where, answer_index)
            if record is None:  # something to report: the full reading, problem by problem
                records.extend(_json_answer(raw, f"{where}.answers[{answer_index}]"))
            else:
                append(record)
        yield AssessmentRecord(
            subject=item.get("subject"),
            status=item.get("status", "draft"),
            answers=records,
            where=JsonWhere(where),
            listed_answers=len(answers),
        )


_KEY_TYPES = (int, str, float, bool, type(None))
MILESTONE_KEYS = frozenset({"level", "due_on"})
_ANSWER_KEYS = frozenset(ANSWER_KEYS)


def _json_answer_fast(raw: Any, prefix: str, index: int) -> AnswerRecord | None:
    """A well-formed answer object (the usual case) read in one pass, or None when it has
    anything `_json_answer` would report. Its `cells` key the checks' cache: the values that
    decide its validity, each with its type (1, 1.0, True and "1" are checked differently)."""
    if type(raw) is not dict or not raw.keys() <= _ANSWER_KEYS:
        return None
    axis = raw.get("axis")
    reason = raw.get("not_applicable_reason", "")
    comment = raw.get("comment", "")
    if type(axis) is not str or type(reason) is not str or type(comment) is not str:
        return None
    if len(reason) > MAX_CELL_CHARS or len(comment) > MAX_CELL_CHARS:
        return None
    milestones = raw.get("milestones", [])
    blockers = raw.get("blockers", [])
    if type(milestones) is not list or type(blockers) is not list:
        return None
    keyable = True
    steps = []
    for milestone in milestones:
        if type(milestone) is not dict or not milestone.keys() <= MILESTONE_KEYS:
            return None
        level, due_on = milestone.get("level"), milestone.get("due_on")
        if not isinstance(level, _KEY_TYPES) or not isinstance(due_on, _KEY_TYPES):
            keyable = False
        steps.append((type(level), level, type(due_on), due_on))
    for blocker in blockers:
        if type(blocker) is not str:
            return None
    in_progress = "level" not in raw
    level = raw.get("level")
    not_applicable = not in_progress and level is None
    if not isinstance(level, _KEY_TYPES):
        keyable = False
    cells = (
        (axis, in_progress, type(level), level, bool(reason.strip()), tuple(steps), tuple(blockers))
        if keyable
        else None
    )
    return AnswerRecord(
        raw,
        reason.strip() if not_applicable else "",
        comment or "",
        AnswerWhere(prefix, index),
        cells,
    )


def _json_answer(raw: Any, where: str) -> Iterator[AnswerRecord | ReadProblem]:
    if not isinstance(raw, dict):
        yield ReadProblem(where, _("expected an object with axis and level"))
        return
    yield from _unknown_keys(raw, ANSWER_KEYS, where)
    ok = True
    axis = raw.get("axis")
    if not isinstance(axis, str):
        yield ReadProblem(f"{where}.axis", _("expected the code of an axis"))
        ok = False
    for key in ("not_applicable_reason", "comment"):
        if not isinstance(raw.get(key, ""), str) or len(raw.get(key, "")) > MAX_CELL_CHARS:
            yield ReadProblem(f"{where}.{key}", TEXT_TOO_LONG, {"limit": MAX_CELL_CHARS})
            ok = False
    milestones = raw.get("milestones", [])
    if not isinstance(milestones, list) or not all(isinstance(m, dict) for m in milestones):
        yield ReadProblem(f"{where}.milestones", _("expected a list of {level, due_on} objects"))
        ok = False
    else:
        for m_index, milestone in enumerate(milestones):
            yield from _unknown_keys(milestone, {"level", "due_on"}, f"{where}.milestones[{m_index}]")
    blockers = raw.get("blockers", [])
    if not isinstance(blockers, list) or not all(isinstance(b, str) for b in blockers):
        yield ReadProblem(f"{where}.blockers", _("expected a list of blocker category codes"))
        ok = False
    if not ok:
        return
    record = AnswerRecord(raw, "", raw.get("comment", "") or "", JsonWhere(where))
    answer = record.value()
    record.reason = answer.not_applicable_reason.strip() if answer.not_applicable else ""
    yield record


# --- Flat rows (contract, section 4) ---------------------------------------------------------


def read_rows(rows: Iterable[Row]) -> Iterator[RowRecord | ReadProblem]:
    """One record per data row: a `RowRecord`, or a `ReadProblem` for a row that cannot be read.

    Rows of one subject usually follow each other and repeat the same organisation and subject
    cells: such rows share the previous row's record objects (the checks then check them once)."""
    last_org_key: tuple | None = None
    organisation: OrganisationRecord | None = None
    last_subject_key: tuple | None = None
    subject: SubjectRecord | None = None
    for row_number, row in rows:
        if "__cells__" in row:
            if row["__separator__"]:
                yield ReadProblem(
                    f"row {row_number}",
                    _(
                        "%(cells)s cells instead of %(width)s; "
                        "is every row separated by '%(separator)s' like the header?"
                    ),
                    {"cells": row["__cells__"], "width": row["__width__"], "separator": row["__separator__"]},
                )
            else:
                yield ReadProblem(
                    f"row {row_number}",
                    _("%(cells)s cells instead of %(width)s"),
                    {"cells": row["__cells__"], "width": row["__width__"]},
                )
            continue
        if max(map(len, row.values())) > MAX_CELL_CHARS:
            too_long = [column for column, value in row.items() if len(value) > MAX_CELL_CHARS]
            yield ReadProblem(
                f"row {row_number}, column {too_long[0]}",
                _("more than %(limit)s characters"),
                {"limit": MAX_CELL_CHARS},
            )
            continue
        kind = row["subject_kind"]
        siren = row.get("siren", "")
        org_key = (
            row["organisation"],
            row["organisation_name"],
            row["organisation_kind"],
            row["region"],
            kind,
            siren,
        )
        if org_key != last_org_key or organisation is None:
            stated = {"region"} if kind == SubjectKind.PRODUCT else set()
            if siren:
                stated.add("siren")
            organisation = OrganisationRecord(
                code=row["organisation"],
                name=row["organisation_name"],
                kind=row["organisation_kind"],
                region=row["region"],
                siren=siren,
                stated=frozenset(stated),
                creation_region=row["region"],
            )
            last_org_key = org_key
        subject_key = (
            org_key,
            row["subject"],
            row["subject_name"],
            row["type_or_category"],
            row["status"],
            row["assessment_status"],
        )
        if subject_key != last_subject_key or subject is None:
            subject = SubjectRecord(
                code=row["subject"],
                kind=kind,
                name=row["subject_name"],
                organisation=row["organisation"],
                type_or_category=row["type_or_category"],
                status=row["status"],
                region=row["region"] if kind == SubjectKind.SERVICE else "",
            )
            last_subject_key = subject_key
        level_text = row["level"]
        not_applicable = level_text.strip().lower() in NOT_APPLICABLE
        comment = row["comment"]
        # The cells that decide the answer's validity (a comment does not, a reason's presence
        # does): many rows share them, and the check may run once per distinct combination.
        cells = (
            kind,
            row["type_or_category"],
            row["axis"],
            None if not_applicable else level_text,
            row["target_level"],
            row["target_date"],
            row["blockers"],
            bool(comment.strip()) if not_applicable else True,
        )
        yield RowRecord(
            row_number,
            row["campaign"],
            organisation,
            subject,
            row["assessment_status"],
            comment.strip() if not_applicable else "",
            "" if not_applicable else comment,
            cells,
            row,
            not_applicable,
        )
