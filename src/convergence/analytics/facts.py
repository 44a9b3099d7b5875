"""Report facts: one row per answer that a campaign report counts, maintained at write time.

Why: the report's figures group about a million answers by axis, level, type and region, and
the projection needs, per answer, the year its milestones first reach the expected level.
Computed from the normalized tables, that is two passes over the answers joined to assessments,
subjects, expectations and milestones (1.7-2.3 s for 1.2 million answers on PostgreSQL, see
docs/reports.md). `AnswerFact` holds those joins done once per answer, so a report is one scan
of a narrow table with no join.

How the facts stay exact, whatever writes the data (services, the importer's COPY, the admin,
the demo, raw SQL):

1. Database triggers (installed by the analytics migrations, `install_triggers`) record in
   `StaleAssessment` every assessment whose facts a write may change: its answers (and, by
   answer id, their milestones and blockers), its status, its subject (kind, status, type,
   region, organisation), the product's organisation's region, the campaign's referential, the
   referential's scale, type codes and expected levels. A trigger only inserts ids, joining no
   large table; it never computes facts, so a bulk import pays one small insert per statement
   (PostgreSQL, statement-level with transition tables) or per row (SQLite, which has only
   row-level triggers; duplicates are skipped there).
2. `facts_refresh()` rebuilds the facts of the stale assessments (a DELETE and an INSERT ...
   SELECT, set-based) and forgets them. The report engine calls it before reading, so a report
   always reflects every committed write; `import_dataset` and the web import (in the worker)
   call it after an import so that the next report does not pay for it.

`BlockerFact` does the same for the blockers cited on those answers (a few percent of them),
so that the blockers section does not join every fact.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from convergence.assessments.enums import REPORTED_STATUSES
from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.catalog.models import Subject
from convergence.organisations.models import Organisation
from convergence.referential.models import Expectation, ProductCategory, Referential, ServiceType

from .models import AnswerFact, BlockerFact, FactsVersion, StaleAssessment
from .sql import _execute, _fetch, _table, _year_sql

# Serializes refreshes on PostgreSQL (pg_advisory_xact_lock): two concurrent refreshes of the
# same assessment would each insert its facts.
ADVISORY_LOCK_KEY = 7_270_211

REPORTED = ", ".join(f"'{s}'" for s in REPORTED_STATUSES)


def _facts_select(selection: str, top_level: int) -> str:
    """INSERT ... SELECT of the facts of the assessments matching `selection` (a condition on
    `asm`, used twice): answers of reported assessments of active subjects, with what the
    report needs. `top_level`: the highest scale level of any referential.

    `first_year` follows the report's projection definition: for an answer with a level below a
    non-null expected level that is on the scale, the year of its earliest milestone whose level
    is at least the expected level and the bottom of the scale; null otherwise. The milestones
    are grouped per answer once, into the earliest year reaching each level (y0, y1...), and
    joined: measured on 1.2 million answers, two correlated subqueries per answer instead took
    twice as long.
    """
    year = _year_sql("m.due_on")
    expected = "COALESCE(e_st.expected_level, e_pc.expected_level)"
    levels = range(top_level + 1)
    reaching = ", ".join(f"MIN(CASE WHEN m.level >= {k} THEN {year} END) AS y{k}" for k in levels)
    threshold = f"CASE WHEN {expected} < r.scale_min THEN r.scale_min ELSE {expected} END"
    first_year = "CASE " + threshold + " " + " ".join(f"WHEN {k} THEN ms.y{k}" for k in levels) + " END"
    columns = (
        "answer_id, assessment_id, campaign_id, axis_id, subject_kind, type_or_category, region, "
        "level, not_applicable, expected_level, first_year, last_year"
    )
    return (
        f"INSERT INTO {_table(AnswerFact)} ({columns}) "
        f"SELECT a.id, asm.id, asm.campaign_id, a.axis_id, s.kind, s.type_or_category, "
        f"CASE WHEN s.kind = '{SubjectKind.PRODUCT}' THEN o.region ELSE s.region END, "
        f"a.level, a.not_applicable, {expected}, "
        f"CASE WHEN a.level < {expected} AND {expected} <= r.scale_max THEN {first_year} END, "
        f"ms.last_year "
        f"FROM {_table(Answer)} a "
        f"JOIN {_table(Assessment)} asm ON asm.id = a.assessment_id "
        f"JOIN {_table(Subject)} s ON s.id = asm.subject_id "
        f"JOIN {_table(Organisation)} o ON o.id = s.organisation_id "
        f"JOIN {_table(Campaign)} c ON c.id = asm.campaign_id "
        f"JOIN {_table(Referential)} r ON r.id = c.referential_id "
        f"LEFT JOIN {_table(ServiceType)} st ON s.kind = '{SubjectKind.SERVICE}' "
        f"AND st.referential_id = c.referential_id AND st.code = s.type_or_category "
        f"LEFT JOIN {_table(Expectation)} e_st ON e_st.service_type_id = st.id AND e_st.axis_id = a.axis_id "
        f"LEFT JOIN {_table(ProductCategory)} pc ON s.kind = '{SubjectKind.PRODUCT}' "
        f"AND pc.referential_id = c.referential_id AND pc.code = s.type_or_category "
        f"LEFT JOIN {_table(Expectation)} e_pc ON e_pc.product_category_id = pc.id "
        f"AND e_pc.axis_id = a.axis_id "
        f"LEFT JOIN (SELECT m.answer_id, MAX({year}) AS last_year, {reaching} "
        f"FROM {_table(Milestone)} m JOIN {_table(Answer)} a ON a.id = m.answer_id "
        f"JOIN {_table(Assessment)} asm ON asm.id = a.assessment_id WHERE {selection} "
        f"GROUP BY m.answer_id) ms ON ms.answer_id = a.id "
        f"WHERE asm.status IN ({REPORTED}) AND s.status = '{SubjectStatus.ACTIVE}' AND {selection}"
    )


def _top_level() -> int:
    return int(_fetch(f"SELECT COALESCE(MAX(scale_max), 0) FROM {_table(Referential)}", [])[0][0])


def _blocker_facts_select(selection: str) -> str:
    """INSERT ... SELECT of the blocker facts of the answer facts matching `selection` (on `f`)."""
    columns = "assessment_id, campaign_id, axis_id, subject_kind, type_or_category, region, category_id"
    return (
        f"INSERT INTO {_table(BlockerFact)} ({columns}) "
        f"SELECT f.assessment_id, f.campaign_id, f.axis_id, f.subject_kind, f.type_or_category, f.region, "
        f"ab.category_id FROM {_table(AnswerFact)} f "
        f"JOIN {_table(AnswerBlocker)} ab ON ab.answer_id = f.answer_id WHERE {selection}"
    )


# A refresh of this many assessments or more first updates PostgreSQL's statistics of the tables
# it reads. Right after a bulk import they are stale (autovacuum has not analysed the new rows
# yet), and the planner, believing the tables nearly empty, then nests loops over the milestone
# aggregate: measured on a 10,000-product import, 5.6 s with the old statistics, 0.5 s with fresh.
ANALYZE_ABOVE = 1000


def _analyze_sources() -> None:
    tables = ", ".join(_table(m) for m in (Answer, Milestone, AnswerBlocker, Assessment, Subject))
    _execute(f"ANALYZE {tables}")


def _lock() -> None:
    """PostgreSQL: one refresh at a time, and no JIT compilation for the rest of the transaction
    (it costs about 2 s on a large refresh, whose cost estimate triggers it, and gains nothing)."""
    _fetch("SELECT pg_advisory_xact_lock(%s), set_config('jit', 'off', true)", [ADVISORY_LOCK_KEY])


def facts_refresh() -> int:
    """Rebuild the facts of the stale assessments, and bump the version of the campaigns whose
    figures may have changed (`FactsVersion`); the number of assessments refreshed.

    One query when nothing is stale (the usual case for a report).
    """
    stale = _table(StaleAssessment)
    if not _fetch(f"SELECT 1 FROM {stale} LIMIT 1", []):
        return 0
    facts, blockers = _table(AnswerFact), _table(BlockerFact)
    answers, assessments = _table(Answer), _table(Assessment)
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            # Consume exactly the rows this transaction deleted: a row committed meanwhile (a write
            # this refresh may not see) is not deleted, so the next refresh takes it.
            _lock()
            rows = _fetch(f"DELETE FROM {stale} RETURNING assessment_id, answer_id, campaign_id", [])
            ids = {assessment for assessment, _a, _c in rows if assessment is not None}
            answer_ids = sorted({answer for _s, answer, _c in rows if answer is not None})
            if answer_ids:
                ids |= {
                    row[0]
                    for row in _fetch(
                        f"SELECT DISTINCT assessment_id FROM {answers} WHERE id = ANY(%s)", [answer_ids]
                    )
                }
            campaigns = {campaign for _s, _a, campaign in rows if campaign is not None}
            ordered = sorted(ids)
            if len(ordered) >= ANALYZE_ABOVE:
                _analyze_sources()
            if ordered:
                for table in (facts, blockers):
                    _execute(f"DELETE FROM {table} WHERE assessment_id = ANY(%s)", [ordered])
                _execute(_facts_select("asm.id = ANY(%s)", _top_level()), [ordered, ordered])
                _execute(_blocker_facts_select("f.assessment_id = ANY(%s)"), [ordered])
                campaigns |= {
                    row[0]
                    for row in _fetch(
                        f"SELECT DISTINCT campaign_id FROM {assessments} "
                        f"WHERE id = ANY(%s) AND status IN ({REPORTED})",
                        [ordered],
                    )
                }
        else:
            # SQLite: transactions take the write lock first (settings.py): nothing is written
            # meanwhile. The answers' rows are first turned into their assessments' rows.
            _execute(
                f"INSERT INTO {stale} (assessment_id) SELECT DISTINCT a.assessment_id FROM {answers} a "
                f"WHERE a.id IN (SELECT answer_id FROM {stale} WHERE answer_id IS NOT NULL)"
            )
            selection = f"IN (SELECT assessment_id FROM {stale} WHERE assessment_id IS NOT NULL)"
            ordered = [
                row[0]
                for row in _fetch(
                    f"SELECT DISTINCT assessment_id FROM {stale} WHERE assessment_id IS NOT NULL", []
                )
            ]
            for table in (facts, blockers):
                _execute(f"DELETE FROM {table} WHERE assessment_id {selection}")
            _execute(_facts_select(f"asm.id {selection}", _top_level()))
            _execute(_blocker_facts_select(f"f.assessment_id {selection}"))
            campaigns = {
                row[0]
                for row in _fetch(
                    f"SELECT campaign_id FROM {stale} WHERE campaign_id IS NOT NULL UNION "
                    f"SELECT campaign_id FROM {assessments} WHERE status IN ({REPORTED}) AND id {selection}",
                    [],
                )
            }
            _execute(f"DELETE FROM {stale}")
        _bump_versions(sorted(campaigns))
        return len(ordered)


def _bump_versions(campaign_ids: list[int]) -> None:
    if not campaign_ids:
        return
    table = _table(FactsVersion)
    values = ", ".join(["(%s, 1)"] * len(campaign_ids))
    _execute(
        f"INSERT INTO {table} (campaign_id, version) VALUES {values} "
        f"ON CONFLICT (campaign_id) DO UPDATE SET version = {table}.version + 1",
        campaign_ids,
    )


def facts_versions(campaign_ids: list[int]) -> dict[int, int]:
    """The version of each campaign's facts after a refresh: it changes whenever a write changes
    what a report of the campaign reads (the dashboards' cache key)."""
    facts_refresh()
    return dict(
        FactsVersion.objects.filter(campaign_id__in=campaign_ids).values_list("campaign_id", "version")
    )


def facts_rebuild() -> int:
    """Rebuild every fact from the source tables (after a restore, or to check the triggers);
    the number of facts written."""
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            _lock()
            _analyze_sources()
        for model in (StaleAssessment, BlockerFact, AnswerFact):
            _execute(f"DELETE FROM {_table(model)}")
        written = _execute(_facts_select("1 = 1", _top_level()))
        _execute(_blocker_facts_select("1 = 1"))
        _bump_versions(list(Campaign.objects.values_list("pk", flat=True)))
        return written


# --- triggers ---------------------------------------------------------------------------------


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
    # Row-level: one trigger run per row, so skip what is already marked, along an index (a
    # condition matching NULLs would scan every row marked so far: quadratic in a bulk load). A
    # row naming a campaign is kept unless that campaign is marked for the assessment too.
    if trigger.by_answer:
        marked = "z.answer_id = x.answer_id"
    else:
        marked = (
            "z.assessment_id = x.assessment_id AND (x.campaign_id IS NULL OR z.campaign_id = x.campaign_id)"
        )
    return [
        f"CREATE TRIGGER {trigger.name} AFTER {trigger.event} ON {trigger.table} FOR EACH ROW BEGIN "
        f"INSERT INTO {stale} (assessment_id, answer_id, campaign_id) "
        f"SELECT DISTINCT x.assessment_id, x.answer_id, x.campaign_id FROM ({select}) x "
        f"WHERE NOT EXISTS (SELECT 1 FROM {stale} z WHERE {marked}); END"
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


def facts_snapshot() -> list[tuple]:
    """Every fact (blockers, then answers) as sorted tuples, without the blocker facts'
    generated ids: tests and `report_facts --check` compare them with a rebuild."""
    snapshot: list[tuple] = []
    for model in (BlockerFact, AnswerFact):
        columns = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        snapshot += sorted(model.objects.values_list(*columns))
    return snapshot
