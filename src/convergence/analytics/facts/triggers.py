"""The database triggers that mark stale the assessments a write may change (see the package's
docstring). Installed by the analytics migrations (`install_triggers`)."""

from __future__ import annotations

from dataclasses import dataclass

from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.enums import SubjectKind
from convergence.catalog.models import Subject
from convergence.organisations.models import Organisation
from convergence.referential.models import Expectation, ProductCategory, Referential, ServiceType

from ..models import StaleAssessment
from ..sql import _table
from .definition import REPORTED


@dataclass(frozen=True)
class Trigger:
    """Marks stale the reported assessments a write to `table` may change.

    `select` returns columns `assessment_id`, `answer_id`, `campaign_id` FROM `{rows}`: the
    written rows as `n` (the new rows; the deleted ones for DELETE), and for UPDATE also the
    old rows as `o` joined on id. `columns` are the columns of `n`/`o` it reads (SQLite builds
    `n` and `o` from NEW and OLD).
    """

    table: str
    event: str
    columns: tuple[str, ...]
    select: str
    # The rows name an answer (milestones, blockers), not an assessment.
    by_answer: bool = False

    @property
    def name(self) -> str:
        return f"analytics_stale_{self.table.strip(chr(34))}_{self.event.lower()}"


# An untyped NULL would be resolved as text by PostgreSQL's DISTINCT.
NONE = "CAST(NULL AS BIGINT)"


def _triggers() -> list[Trigger]:
    answer, assessment, subject = _table(Answer), _table(Assessment), _table(Subject)
    reported = f"asm.status IN ({REPORTED})"
    # For assessments of the campaigns using a referential: `{ref}` is the referential's id.
    by_referential = (
        f"SELECT asm.id AS assessment_id, {NONE} AS answer_id, asm.campaign_id FROM {{rows}} "
        f"JOIN {_table(Campaign)} cp "
        f"ON cp.referential_id = {{ref}} JOIN {assessment} asm ON asm.campaign_id = cp.id WHERE {reported}"
    )
    assessment_changed = (
        f"(n.status IN ({REPORTED}) OR o.status IN ({REPORTED})) AND (n.status <> o.status "
        f"OR n.subject_id <> o.subject_id OR n.campaign_id <> o.campaign_id)"
    )
    triggers: list[Trigger] = []
    for event in ("INSERT", "UPDATE", "DELETE"):
        triggers += [
            Trigger(
                answer,
                event,
                ("id", "assessment_id"),
                f"SELECT n.assessment_id, {NONE} AS answer_id, {NONE} AS campaign_id FROM {{rows}}",
            ),
            Trigger(
                _table(Expectation),
                event,
                ("id", "referential_id"),
                by_referential.format(rows="{rows}", ref="n.referential_id"),
            ),
        ]
        # Rows of an answer (its milestones and blockers) are recorded by answer: see above.
        triggers += [
            Trigger(
                _table(model),
                event,
                ("id", "answer_id"),
                f"SELECT {NONE} AS assessment_id, n.answer_id, {NONE} AS campaign_id FROM {{rows}}",
                by_answer=True,
            )
            for model in (Milestone, AnswerBlocker)
        ]
    triggers += [
        Trigger(
            assessment,
            "INSERT",
            ("id", "status", "campaign_id"),
            f"SELECT n.id AS assessment_id, {NONE} AS answer_id, n.campaign_id FROM {{rows}} "
            f"WHERE n.status IN ({REPORTED})",
        ),
        Trigger(
            assessment,
            "DELETE",
            ("id", "status", "campaign_id"),
            f"SELECT n.id AS assessment_id, {NONE} AS answer_id, n.campaign_id FROM {{rows}} "
            f"WHERE n.status IN ({REPORTED})",
        ),
        Trigger(
            assessment,
            "UPDATE",
            ("id", "status", "subject_id", "campaign_id"),
            # Both campaigns when it moved: the old one loses its figures.
            f"SELECT n.id AS assessment_id, {NONE} AS answer_id, n.campaign_id FROM {{rows}} "
            f"WHERE {assessment_changed} UNION ALL SELECT o.id, {NONE}, o.campaign_id FROM {{rows}} "
            f"WHERE {assessment_changed} AND o.campaign_id <> n.campaign_id",
        ),
        Trigger(
            subject,
            "UPDATE",
            ("id", "status", "kind", "type_or_category", "region", "organisation_id"),
            f"SELECT asm.id AS assessment_id, {NONE} AS answer_id, asm.campaign_id FROM {{rows}} "
            f"JOIN {assessment} asm ON asm.subject_id = n.id "
            f"WHERE {reported} AND (n.status <> o.status OR n.kind <> o.kind "
            f"OR n.type_or_category <> o.type_or_category OR n.region <> o.region "
            f"OR n.organisation_id <> o.organisation_id)",
        ),
        Trigger(
            _table(Organisation),
            "UPDATE",
            ("id", "region"),
            f"SELECT asm.id AS assessment_id, {NONE} AS answer_id, asm.campaign_id FROM {{rows}} "
            f"JOIN {subject} s ON s.organisation_id = n.id "
            f"JOIN {assessment} asm ON asm.subject_id = s.id "
            f"WHERE {reported} AND s.kind = '{SubjectKind.PRODUCT}' AND n.region <> o.region",
        ),
        Trigger(
            _table(Campaign),
            "UPDATE",
            ("id", "referential_id"),
            f"SELECT asm.id AS assessment_id, {NONE} AS answer_id, asm.campaign_id FROM {{rows}} "
            f"JOIN {assessment} asm ON asm.campaign_id = n.id "
            f"WHERE {reported} AND n.referential_id <> o.referential_id",
        ),
        Trigger(
            _table(Referential),
            "UPDATE",
            ("id", "scale_min", "scale_max"),
            by_referential.format(rows="{rows}", ref="n.id")
            + " AND (n.scale_min <> o.scale_min OR n.scale_max <> o.scale_max)",
        ),
    ]
    for model in (ServiceType, ProductCategory):
        triggers.append(
            Trigger(
                _table(model),
                "UPDATE",
                ("id", "referential_id", "code"),
                by_referential.format(rows="{rows}", ref="n.referential_id") + " AND n.code <> o.code",
            )
        )
    return triggers


def _trigger_sql(trigger: Trigger, vendor: str) -> list[str]:
    stale = _table(StaleAssessment)
    if vendor == "postgresql":
        if trigger.event == "UPDATE":
            rows = "new_rows n JOIN old_rows o ON o.id = n.id"
            referencing = "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows"
        elif trigger.event == "INSERT":
            rows, referencing = "new_rows n", "REFERENCING NEW TABLE AS new_rows"
        else:
            rows, referencing = "old_rows n", "REFERENCING OLD TABLE AS old_rows"
        select = trigger.select.format(rows=rows)
        return [
            f"CREATE OR REPLACE FUNCTION {trigger.name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"INSERT INTO {stale} (assessment_id, answer_id, campaign_id) "
            f"SELECT DISTINCT x.assessment_id, x.answer_id, x.campaign_id FROM ({select}) x; "
            f"RETURN NULL; END $$",
            f"CREATE TRIGGER {trigger.name} AFTER {trigger.event} ON {trigger.table} {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {trigger.name}()",
        ]

    def row(prefix: str) -> str:
        return "(SELECT " + ", ".join(f"{prefix}.{c} AS {c}" for c in trigger.columns) + ")"

    if trigger.event == "UPDATE":
        rows = f"{row('NEW')} n JOIN {row('OLD')} o ON o.id = n.id"
    else:
        rows = f"{row('OLD' if trigger.event == 'DELETE' else 'NEW')} n"
    select = trigger.select.format(rows=rows)
    # Row-level: one trigger run per row, so the same mark is not piled up: it is replaced, found
    # along an index (a condition matching NULLs first would scan every row marked so far:
    # quadratic in a bulk load). Replaced, not skipped: the new mark's id is higher, so every
    # write moves `facts_versions`' token even while the assessment is already stale.
    if trigger.by_answer:
        marked = "z.answer_id = x.answer_id"
    else:
        marked = (
            "z.assessment_id = x.assessment_id AND z.answer_id IS x.answer_id "
            "AND z.campaign_id IS x.campaign_id"
        )
    return [
        f"CREATE TRIGGER {trigger.name} AFTER {trigger.event} ON {trigger.table} FOR EACH ROW BEGIN "
        f"DELETE FROM {stale} WHERE id IN (SELECT z.id FROM {stale} z JOIN ({select}) x ON {marked}); "
        f"INSERT INTO {stale} (assessment_id, answer_id, campaign_id) "
        f"SELECT DISTINCT x.assessment_id, x.answer_id, x.campaign_id FROM ({select}) x; END"
    ]


def install_triggers(schema_editor) -> None:
    """Create the triggers (a migration's RunPython); a later change needs a new migration
    calling drop_triggers then install_triggers."""
    vendor = schema_editor.connection.vendor
    for trigger in _triggers():
        for statement in _trigger_sql(trigger, vendor):
            schema_editor.execute(statement)


def drop_triggers(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for trigger in _triggers():
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {trigger.name}"
            + (f" ON {trigger.table}" if vendor == "postgresql" else "")
        )
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {trigger.name}()")
