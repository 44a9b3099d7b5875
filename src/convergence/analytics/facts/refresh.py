"""Refreshing the report facts: the write side (docs/reports.md, "Report facts").

`facts_refresh()` rebuilds the facts of the assessments the triggers marked stale; it runs after
the commit of a write (the hook, `facts.hooks`), in the worker after an import, and in the
import command; never in a read. `facts_rebuild()` rebuilds everything.
"""

from __future__ import annotations

from django.db import connection, transaction

from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.models import Subject

from ..models import AnswerFact, BlockerFact, FactsVersion, StaleAssessment
from ..sql import _execute, _fetch, _table
from .definition import REPORTED, blocker_facts_insert_sql, facts_insert_sql, top_level

# Serializes refreshes on PostgreSQL (pg_advisory_xact_lock): two concurrent refreshes of the
# same assessment would each insert its facts.
ADVISORY_LOCK_KEY = 7_270_211

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

    One query when nothing is stale. After the commit, the worker warms the dashboards of the
    campaigns whose version changed (`analytics.tasks.dashboards_warm`).
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
                _execute(facts_insert_sql("asm.id = ANY(%s)", top_level()), [ordered, ordered])
                _execute(blocker_facts_insert_sql("f.assessment_id = ANY(%s)"), [ordered])
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
            _execute(facts_insert_sql(f"asm.id {selection}", top_level()))
            _execute(blocker_facts_insert_sql(f"f.assessment_id {selection}"))
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
        if campaigns:
            transaction.on_commit(lambda: _warm(sorted(campaigns)))
        return len(ordered)


def _warm(campaign_ids: list[int]) -> None:
    from ..tasks import dashboards_warm  # the tasks import the services, which import the facts

    dashboards_warm.enqueue(campaign_ids)


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


def facts_versions(campaign_ids: list[int]) -> dict[int, str]:
    """A token per campaign that changes whenever a write changes what a report of the campaign
    reads (the dashboards' and the disclosure patterns' cache key). Read only, two queries.

    The facts' version (bumped by every refresh that changes the campaign's facts) and, while
    some of the campaign's assessments are stale (written, not yet refreshed: the report then
    computes their facts on the fly), the number and the last id of their stale marks: every
    such write adds a mark, and the refresh that consumes them bumps the version. A write that
    no report of the campaign reads (a draft's answer, another campaign's) changes nothing."""
    if not campaign_ids:
        return {}
    versions = dict(
        FactsVersion.objects.filter(campaign_id__in=campaign_ids).values_list("campaign_id", "version")
    )
    marks = {campaign: (count, last) for campaign, count, last in _stale_marks(campaign_ids)}
    tokens = {}
    for campaign in campaign_ids:
        token = str(versions.get(campaign, 0))
        if campaign in marks:
            token += "+{}.{}".format(*marks[campaign])
        tokens[campaign] = token
    return tokens


def _stale_marks(campaign_ids: list[int]) -> list[tuple]:
    """(campaign, marks, last mark id) for the campaigns with stale marks a report reads: marks of
    the campaign itself, of its reported assessments or of assessments that have facts in it,
    and of those assessments' answers. One query; the stale table is usually empty."""
    stale, assessments, answers, facts = (
        _table(StaleAssessment),
        _table(Assessment),
        _table(Answer),
        _table(AnswerFact),
    )
    placeholders = ", ".join(["%s"] * len(campaign_ids))
    relevant = (
        f"z.campaign_id = c.id OR EXISTS (SELECT 1 FROM {assessments} asm WHERE asm.id = z.assessment_id "
        f"AND asm.campaign_id = c.id AND asm.status IN ({REPORTED})) "
        f"OR EXISTS (SELECT 1 FROM {facts} f WHERE f.assessment_id = z.assessment_id "
        f"AND f.campaign_id = c.id) "
        f"OR EXISTS (SELECT 1 FROM {answers} a JOIN {assessments} asm ON asm.id = a.assessment_id "
        f"WHERE a.id = z.answer_id AND asm.campaign_id = c.id AND asm.status IN ({REPORTED})) "
        f"OR EXISTS (SELECT 1 FROM {facts} f WHERE f.answer_id = z.answer_id AND f.campaign_id = c.id)"
    )
    return _fetch(
        f"SELECT c.id, COUNT(*), MAX(z.id) FROM {_table(Campaign)} c JOIN {stale} z ON ({relevant}) "  # noqa: S608
        f"WHERE c.id IN ({placeholders}) GROUP BY c.id",
        list(campaign_ids),
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
        written = _execute(facts_insert_sql("1 = 1", top_level()))
        _execute(blocker_facts_insert_sql("1 = 1"))
        _bump_versions(list(Campaign.objects.values_list("pk", flat=True)))
        return written


# --- triggers ---------------------------------------------------------------------------------


def facts_snapshot() -> list[tuple]:
    """Every fact (blockers, then answers) as sorted tuples, without the blocker facts'
    generated ids: tests and `report_facts --check` compare them with a rebuild."""
    snapshot: list[tuple] = []
    for model in (BlockerFact, AnswerFact):
        columns = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        snapshot += sorted(model.objects.values_list(*columns))
    return snapshot
