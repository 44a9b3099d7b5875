"""Writing a campaign's data in the dataset formats, streamed.

Answers are read per chunk of assessments with a fixed number of queries each (answers,
milestones, blockers), so memory stays flat and no query runs per row; output is produced
piece by piece (a generator of text for JSON and CSV, XlsxWriter's constant-memory mode for
XLSX). What `import_dataset` reads back gives the same database (JSON) or the same rows
(CSV/XLSX).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from django.db import connection
from django.db.models import QuerySet

from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.enums import SubjectKind
from convergence.catalog.models import Subject
from convergence.lib.db import where_in
from convergence.organisations.models import Organisation

from .formats import EXPORT_COLUMNS, JSON_FORMAT, escape_cell

CHUNK = 2000


def _assessments(campaign: Campaign, organisation: Organisation | None) -> QuerySet[Assessment]:
    queryset = Assessment.objects.filter(campaign=campaign)
    if organisation is not None:
        queryset = queryset.filter(subject__organisation=organisation)
    return queryset.order_by("subject__code")


def _answer_children(
    assessment_ids: list[int], answer_ids: list[int]
) -> tuple[QuerySet[Milestone], QuerySet[AnswerBlocker]]:
    """The milestones and blockers of a chunk's answers. PostgreSQL: by the answers' ids (one
    array, the index on answer_id, no join back to the answers); elsewhere by assessment (an
    IN list of every answer id could pass SQLite's limit on parameters)."""
    if connection.vendor == "postgresql":
        return (
            where_in(Milestone.objects.all(), "answer_id", answer_ids),
            where_in(AnswerBlocker.objects.all(), "answer_id", answer_ids),
        )
    return (
        Milestone.objects.filter(answer__assessment_id__in=assessment_ids),
        AnswerBlocker.objects.filter(answer__assessment_id__in=assessment_ids),
    )


def _answer_chunks(campaign: Campaign, organisation: Organisation | None) -> Iterator[list[dict[str, Any]]]:
    """Assessments in subject-code order, each with its answers (axis order), in chunks."""
    ids = list(_assessments(campaign, organisation).values_list("id", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk_ids = ids[start : start + CHUNK]
        # values() rows are dicts; django-stubs types them as a TypedDict.
        assessments: list[dict[str, Any]] = list(
            where_in(Assessment.objects.all(), "id", chunk_ids)  # type: ignore[arg-type]
            .order_by("subject__code")
            .values(
                "id",
                "status",
                "subject__code",
                "subject__kind",
                "subject__name",
                "subject__type_or_category",
                "subject__status",
                "subject__region",
                "subject__organisation__code",
                "subject__organisation__name",
                "subject__organisation__kind",
                "subject__organisation__region",
                "subject__organisation__siren",
            )
        )
        answers: dict[int, list[dict[str, Any]]] = {}
        by_id: dict[int, dict[str, Any]] = {}
        rows = cast(
            Iterator[dict[str, Any]],
            where_in(Answer.objects.all(), "assessment_id", chunk_ids)
            .order_by("axis__position", "axis_id")
            .values(
                "id",
                "assessment_id",
                "axis__code",
                "level",
                "not_applicable",
                "not_applicable_reason",
                "comment",
            ),
        )
        for row in rows:
            row["milestones"] = []
            row["blockers"] = []
            answers.setdefault(row["assessment_id"], []).append(row)
            by_id[row["id"]] = row
        milestones, blockers = _answer_children(chunk_ids, list(by_id))
        for answer_id, level, due_on in milestones.order_by("due_on", "level").values_list(
            "answer_id", "level", "due_on"
        ):
            by_id[answer_id]["milestones"].append((level, due_on))
        for answer_id, code in blockers.order_by("category__position", "category__code").values_list(
            "answer_id", "category__code"
        ):
            by_id[answer_id]["blockers"].append(code)
        for assessment in assessments:
            assessment["answers"] = answers.get(assessment["id"], [])
        yield assessments


# --- JSON ---------------------------------------------------------------------------------


def _json_answer(answer: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"axis": answer["axis__code"]}
    if answer["not_applicable"]:
        item["level"] = None
        item["not_applicable_reason"] = answer["not_applicable_reason"]
    elif answer["level"] is not None:
        item["level"] = answer["level"]
    # else: an answer in progress (no level yet): `level` is left out.
    if answer["milestones"]:
        item["milestones"] = [
            {"level": level, "due_on": due_on.isoformat()} for level, due_on in answer["milestones"]
        ]
    if answer["blockers"]:
        item["blockers"] = answer["blockers"]
    if answer["comment"]:
        item["comment"] = answer["comment"]
    return item


def iter_json(campaign: Campaign, organisation: Organisation | None = None) -> Iterator[str]:
    """The JSON dataset, piece by piece. With `organisation`, only its own data."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    campaign_item: dict[str, Any] = {
        "code": campaign.code,
        "title": campaign.title,
        "opens_on": campaign.opens_on.isoformat(),
        "closes_on": campaign.closes_on.isoformat(),
        "scope": campaign.scope,
        "status": campaign.status,
    }
    if campaign.instructions:
        campaign_item["instructions"] = campaign.instructions
    yield '{\n  "format": ' + dump(JSON_FORMAT) + ",\n"
    yield '  "referential": ' + dump(campaign.referential.code) + ",\n"
    yield '  "campaign": ' + dump(campaign_item) + ",\n"
    organisations = Organisation.objects.order_by("code")
    subjects = Subject.objects.order_by("code")
    if organisation is not None:
        organisations = organisations.filter(pk=organisation.pk)
        subjects = subjects.filter(organisation=organisation)
    yield '  "organisations": ['
    for index, org in enumerate(organisations.values("code", "name", "kind", "region", "siren").iterator()):
        item = {key: value for key, value in org.items() if value or key in ("code", "name", "kind")}
        yield ("," if index else "") + "\n    " + dump(item)
    yield '\n  ],\n  "subjects": ['
    rows = subjects.values(
        "code",
        "kind",
        "name",
        "organisation__code",
        "region",
        "type_or_category",
        "status",
        "version",
        "product_reference",
        "description",
    )
    for index, subject in enumerate(rows.iterator(chunk_size=CHUNK)):
        item = {
            "code": subject["code"],
            "kind": subject["kind"],
            "name": subject["name"],
            "organisation": subject["organisation__code"],
        }
        if subject["kind"] == SubjectKind.SERVICE:
            item["region"] = subject["region"]
            item["type"] = subject["type_or_category"]
        else:
            item["category"] = subject["type_or_category"]
        item["status"] = subject["status"]
        for key in ("version", "product_reference", "description"):
            if subject[key]:
                item[key] = subject[key]
        yield ("," if index else "") + "\n    " + dump(item)
    yield '\n  ],\n  "assessments": ['
    first = True
    for chunk in _answer_chunks(campaign, organisation):
        for assessment in chunk:
            item = {
                "subject": assessment["subject__code"],
                "status": assessment["status"],
                "answers": [_json_answer(answer) for answer in assessment["answers"]],
            }
            yield ("" if first else ",") + "\n    " + dump(item)
            first = False
    yield "\n  ]\n}\n"


# --- flat rows (CSV, XLSX) ---------------------------------------------------------------


def iter_rows(campaign: Campaign, organisation: Organisation | None = None) -> Iterator[list[str]]:
    """Section 4 rows (without the header), then our optional `siren` column (the vendor's
    SIREN, `EXPORT_COLUMNS`). Text cells are escaped against formula injection.

    An answer in progress (no level, not "not applicable") has no place in the flat format
    (an empty level means not applicable there) and is left out.
    """
    for chunk in _answer_chunks(campaign, organisation):
        for assessment in chunk:
            is_service = assessment["subject__kind"] == SubjectKind.SERVICE
            region = (
                assessment["subject__region"] if is_service else assessment["subject__organisation__region"]
            )
            subject_cells = [
                campaign.code,
                assessment["subject__organisation__code"],
                escape_cell(assessment["subject__organisation__name"]),
                assessment["subject__organisation__kind"],
                region or "",
                assessment["subject__code"],
                assessment["subject__kind"],
                escape_cell(assessment["subject__name"]),
                assessment["subject__type_or_category"],
                assessment["subject__status"],
                assessment["status"],
            ]
            for answer in assessment["answers"]:
                if answer["not_applicable"]:
                    level, comment = "NA", answer["not_applicable_reason"]
                elif answer["level"] is None:
                    continue
                else:
                    level, comment = str(answer["level"]), answer["comment"]
                first = answer["milestones"][0] if answer["milestones"] else None
                yield [
                    *subject_cells,
                    answer["axis__code"],
                    level,
                    str(first[0]) if first else "",
                    first[1].isoformat() if first else "",
                    ";".join(answer["blockers"]),
                    escape_cell(comment),
                    assessment["subject__organisation__siren"] or "",
                ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def iter_csv(campaign: Campaign, organisation: Organisation | None = None) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)  # the BOM makes spreadsheet programs read UTF-8
    for row in iter_rows(campaign, organisation):
        yield writer.writerow(row)


def write_xlsx(
    target: str | Path | IO[bytes], campaign: Campaign, organisation: Organisation | None = None
) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        target if not isinstance(target, Path) else str(target),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet("dataset")
    bold = workbook.add_format({"bold": True})
    for column, name in enumerate(EXPORT_COLUMNS):
        sheet.write_string(0, column, name, bold)
    for row_index, row in enumerate(iter_rows(campaign, organisation), start=1):
        for column, value in enumerate(row):
            if value:
                sheet.write_string(row_index, column, value)
    workbook.close()


def xlsx_bytes(campaign: Campaign, organisation: Organisation | None = None) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, campaign, organisation)
    return buffer.getvalue()
