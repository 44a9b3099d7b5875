"""The one definition of a counted answer: which answers a campaign report counts, and with what.

Everything that counts answers reads it: the refresh writes its rows into the facts tables
(`AnswerFact`, `BlockerFact`), and a read that meets stale assessments (a write the after-commit
hook has not refreshed yet) computes the same rows for those assessments on the fly
(`analytics.queries.FactsSource`), so a report is exact without ever writing.

A counted answer: an answer of a reported (submitted or validated) assessment of an active
(published) subject, with the subject's kind, type and region (a product's is its
organisation's), the expected level of its type on the axis in the campaign's referential, and
the years of its milestones that the projection needs.
"""

from __future__ import annotations

from convergence.assessments.enums import REPORTED_STATUSES
from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.catalog.models import Subject
from convergence.lib.db import fetch, table
from convergence.organisations.models import Organisation
from convergence.referential.models import Expectation, ProductCategory, Referential, ServiceType

from ..models import AnswerFact, BlockerFact, StaleAssessment
from ..sql import _year_sql

REPORTED = ", ".join(f"'{s}'" for s in REPORTED_STATUSES)

FACT_COLUMNS = (
    "answer_id, assessment_id, campaign_id, axis_id, subject_kind, type_or_category, region, "
    "level, not_applicable, expected_level, first_year, last_year"
)
BLOCKER_COLUMNS = "assessment_id, campaign_id, axis_id, subject_kind, type_or_category, region, category_id"


def counted_answers_sql(selection: str, top_level: int) -> str:
    """SELECT of the counted answers (columns FACT_COLUMNS, in that order) of the assessments
    matching `selection` (a condition on `asm`, used twice, without parameters). `top_level`:
    the highest scale level of any referential (`top_level()`).

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
    return (
        f"SELECT a.id AS answer_id, asm.id AS assessment_id, asm.campaign_id AS campaign_id, "
        f"a.axis_id AS axis_id, s.kind AS subject_kind, s.type_or_category AS type_or_category, "
        f"CASE WHEN s.kind = '{SubjectKind.PRODUCT}' THEN o.region ELSE s.region END AS region, "
        f"a.level AS level, a.not_applicable AS not_applicable, {expected} AS expected_level, "
        f"CASE WHEN a.level < {expected} AND {expected} <= r.scale_max THEN {first_year} END AS first_year, "
        f"ms.last_year AS last_year "
        f"FROM {table(Answer)} a "
        f"JOIN {table(Assessment)} asm ON asm.id = a.assessment_id "
        f"JOIN {table(Subject)} s ON s.id = asm.subject_id "
        f"JOIN {table(Organisation)} o ON o.id = s.organisation_id "
        f"JOIN {table(Campaign)} c ON c.id = asm.campaign_id "
        f"JOIN {table(Referential)} r ON r.id = c.referential_id "
        f"LEFT JOIN {table(ServiceType)} st ON s.kind = '{SubjectKind.SERVICE}' "
        f"AND st.referential_id = c.referential_id AND st.code = s.type_or_category "
        f"LEFT JOIN {table(Expectation)} e_st ON e_st.service_type_id = st.id AND e_st.axis_id = a.axis_id "
        f"LEFT JOIN {table(ProductCategory)} pc ON s.kind = '{SubjectKind.PRODUCT}' "
        f"AND pc.referential_id = c.referential_id AND pc.code = s.type_or_category "
        f"LEFT JOIN {table(Expectation)} e_pc ON e_pc.product_category_id = pc.id "
        f"AND e_pc.axis_id = a.axis_id "
        f"LEFT JOIN (SELECT m.answer_id, MAX({year}) AS last_year, {reaching} "
        f"FROM {table(Milestone)} m JOIN {table(Answer)} a ON a.id = m.answer_id "
        f"JOIN {table(Assessment)} asm ON asm.id = a.assessment_id WHERE {selection} "
        f"GROUP BY m.answer_id) ms ON ms.answer_id = a.id "
        f"WHERE asm.status IN ({REPORTED}) AND s.status = '{SubjectStatus.ACTIVE}' AND {selection}"
    )


def facts_insert_sql(selection: str, top_level: int) -> str:
    """INSERT ... SELECT of the facts of the assessments matching `selection` (on `asm`)."""
    return f"INSERT INTO {table(AnswerFact)} ({FACT_COLUMNS}) {counted_answers_sql(selection, top_level)}"


def counted_blockers_sql(facts: str, selection: str) -> str:
    """SELECT of the blockers cited on the counted answers `facts` (a table or a derived table,
    aliased `f` here) matching `selection` (on `f`): columns BLOCKER_COLUMNS."""
    return (
        f"SELECT f.assessment_id, f.campaign_id, f.axis_id, f.subject_kind, f.type_or_category, f.region, "
        f"ab.category_id FROM {facts} f "
        f"JOIN {table(AnswerBlocker)} ab ON ab.answer_id = f.answer_id WHERE {selection}"
    )


def blocker_facts_insert_sql(selection: str) -> str:
    """INSERT ... SELECT of the blocker facts of the answer facts matching `selection` (on `f`)."""
    return (
        f"INSERT INTO {table(BlockerFact)} ({BLOCKER_COLUMNS}) "
        f"{counted_blockers_sql(table(AnswerFact), selection)}"
    )


def top_level() -> int:
    return int(fetch(f"SELECT COALESCE(MAX(scale_max), 0) FROM {table(Referential)}", [])[0][0])


def stale_assessments_sql() -> str:
    """The ids of the assessments whose facts are stale: those the triggers named, and those of
    the answers they named (a milestone's or a blocker's write). No parameter."""
    stale = table(StaleAssessment)
    return (
        f"SELECT assessment_id FROM {stale} WHERE assessment_id IS NOT NULL UNION "
        f"SELECT a.assessment_id FROM {table(Answer)} a "
        f"WHERE a.id IN (SELECT answer_id FROM {stale} WHERE answer_id IS NOT NULL)"
    )
