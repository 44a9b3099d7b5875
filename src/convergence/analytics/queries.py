"""Every SQL query of the reports: what the pure engine (figures.py) and the dashboards, the
disclosure rule and the peer benchmark read, as grouped rows of plain tuples.

A counted answer has one definition (facts/definition.py). The queries read it from the report
facts (`FactsSource`): the facts tables, or, while some assessments are stale (written, not yet
refreshed by the after-commit hook), the facts of the others plus those of the stale ones
computed on the fly by the same SQL. So a read is exact and never writes.

Every query is a GROUP BY: the number of queries is fixed whatever the number of subjects, and
what comes back is bounded by axes x levels x milestone years (x regions), never by subjects.
The SQL is assembled from table names (Django's quoting), fixed column names and integer scale
levels; every value coming from a user is a %s parameter (hence the `noqa: S608`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from convergence.assessments.enums import REPORTED_STATUSES
from convergence.assessments.models import Answer, Assessment
from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.catalog.models import Subject
from convergence.organisations.models import Organisation
from convergence.referential.models import Axis, BlockerCategory, ProductCategory, Referential, ServiceType

from .facts import counted_answers_sql, counted_blockers_sql, stale_assessments_sql, top_level
from .figures import Typology
from .models import AnswerFact, BlockerFact, StaleAssessment
from .sql import _fetch, _table


@dataclass(frozen=True)
class FactsSource:
    """The relations holding the counted answers (`answers`) and their blockers (`blockers`),
    aliased by the queries. `stale`: whether some facts are computed on the fly."""

    answers: str
    blockers: str
    stale: bool = False

    @classmethod
    def current(cls) -> FactsSource:
        """One query when nothing is stale (the usual case: the hook refreshes after each
        commit), two otherwise."""
        if not _fetch(f"SELECT 1 FROM {_table(StaleAssessment)} LIMIT 1", []):  # noqa: S608
            return cls(_table(AnswerFact), _table(BlockerFact))
        stale = stale_assessments_sql()
        fresh_answers = f"SELECT * FROM {_table(AnswerFact)} WHERE assessment_id NOT IN ({stale})"  # noqa: S608
        fresh_blockers = (
            f"SELECT assessment_id, campaign_id, axis_id, subject_kind, type_or_category, region, "  # noqa: S608
            f"category_id FROM {_table(BlockerFact)} WHERE assessment_id NOT IN ({stale})"
        )
        on_the_fly = counted_answers_sql(f"asm.id IN ({stale})", top_level())
        fresh_columns = (
            "SELECT answer_id, assessment_id, campaign_id, axis_id, subject_kind, type_or_category, "
            "region, level, not_applicable, expected_level, first_year, last_year FROM"
        )
        answers = f"({fresh_columns} ({fresh_answers}) fresh UNION ALL {on_the_fly})"
        blockers = f"({fresh_blockers} UNION ALL {counted_blockers_sql(f'({on_the_fly})', '1 = 1')})"
        return cls(answers, blockers, stale=True)


@dataclass(frozen=True)
class Scope:
    """Which data counts (contract 5, first paragraph): the WHERE shared by every query."""

    campaign_id: int
    kind: str
    region: str | None
    category: str | None
    # Extra grouping column (e.g. the region, for regions side by side), or None.
    group_by_region: bool = False

    @property
    def joins_organisation(self) -> bool:
        return self.kind == SubjectKind.PRODUCT and (self.region is not None or self.group_by_region)

    def region_column(self) -> str:
        return "o.region" if self.kind == SubjectKind.PRODUCT else "s.region"

    def from_assessments(self) -> str:
        sql = f"{_table(Assessment)} asm JOIN {_table(Subject)} s ON s.id = asm.subject_id"
        if self.joins_organisation:
            sql += f" JOIN {_table(Organisation)} o ON o.id = s.organisation_id"
        return sql

    def where(self) -> tuple[str, list[Any]]:
        """The counted subjects' assessments (reported, not retired), on `asm` and `s`."""
        statuses = [str(s) for s in REPORTED_STATUSES]
        clauses = [
            "asm.campaign_id = %s",
            f"asm.status IN ({', '.join(['%s'] * len(statuses))})",
            "s.kind = %s",
            "s.status <> %s",
        ]
        params: list[Any] = [self.campaign_id, *statuses, str(self.kind), str(SubjectStatus.RETIRED)]
        if self.region is not None:
            clauses.append(f"{self.region_column()} = %s")
            params.append(self.region)
        if self.category is not None:
            clauses.append("s.type_or_category = %s")
            params.append(self.category)
        return " AND ".join(clauses), params

    def fact_where(self) -> tuple[str, list[Any]]:
        """The published subjects' answers, on the facts `f` (which hold only counted answers:
        facts/definition.py)."""
        clauses = ["f.campaign_id = %s", "f.subject_kind = %s"]
        params: list[Any] = [self.campaign_id, str(self.kind)]
        if self.region is not None:
            clauses.append("f.region = %s")
            params.append(self.region)
        if self.category is not None:
            clauses.append("f.type_or_category = %s")
            params.append(self.category)
        return " AND ".join(clauses), params


def load_typology(referential: Referential, kind: str) -> Typology:
    """What the engine needs from the referential, as plain values (two queries)."""
    axes = [
        (pk, code, name)
        for pk, code, name in Axis.objects.filter(referential=referential)
        .order_by("position", "id")
        .values_list("pk", "code", "name")
    ]
    types: dict[str, tuple[str, str, str, int, bool]] = {}
    if kind == SubjectKind.SERVICE:
        for t in ServiceType.objects.filter(referential=referential).select_related("family"):
            types[t.code] = (t.name, t.family.code, t.family.name, t.family.position, t.common_core)
    else:
        for c in ProductCategory.objects.filter(referential=referential):
            types[c.code] = (c.name, "", "", 0, False)
    levels = list(range(referential.scale_min, referential.scale_max + 1))
    return Typology(referential=referential.code, axes=axes, levels=levels, types=types)


def subject_counts(scope: Scope) -> list[tuple]:
    """(status, type_or_category, [region,] subjects) for every counted subject."""
    where, params = scope.where()
    region = f", {scope.region_column()}" if scope.group_by_region else ""
    sql = (
        f"SELECT s.status, s.type_or_category{region}, COUNT(*) FROM {scope.from_assessments()} "  # noqa: S608
        f"WHERE {where} GROUP BY s.status, s.type_or_category{region}"
    )
    return _fetch(sql, params)


def answer_groups(scope: Scope, source: FactsSource) -> list[tuple]:
    """Published subjects' answers: (axis, level, not applicable, expected level, first reaching
    year, [region,] answers, latest milestone year) per group. One scan of the campaign's facts."""
    where, params = scope.fact_where()
    region = ", f.region" if scope.group_by_region else ""
    groups = f"f.axis_id, f.level, f.not_applicable, f.expected_level, f.first_year{region}"
    sql = (
        f"SELECT {groups}, COUNT(*), MAX(f.last_year) FROM {source.answers} f "  # noqa: S608
        f"WHERE {where} AND (f.level IS NOT NULL OR f.not_applicable) GROUP BY {groups}"
    )
    return _fetch(sql, params)


def blocker_groups(scope: Scope, source: FactsSource) -> list[tuple]:
    """(axis id, blocker code, subjects): one answer per subject and axis, one row per blocker and
    answer (unique constraints), so COUNT(*) counts subjects. Any counted answer counts
    (not-applicable ones and those without a level included)."""
    where, params = scope.fact_where()
    sql = (
        f"SELECT f.axis_id, bc.code, COUNT(*) FROM {source.blockers} f "  # noqa: S608
        f"JOIN {_table(BlockerCategory)} bc ON bc.id = f.category_id "
        f"WHERE {where} GROUP BY f.axis_id, bc.code"
    )
    return _fetch(sql, params)


def _subquery(queryset: QuerySet) -> tuple[str, list[Any]]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def transition_rows(
    scope: Scope, source: FactsSource, *, earlier_campaign_id: int, known: QuerySet | None
) -> list[tuple]:
    """(axis code, level before, level now, peer flag, subjects): the subjects counted now and
    reported in the earlier campaign, axes matched by code. The peer flag is 1 for an assessment
    outside `known` (the reader's known assessments; None: no reader, always 0)."""
    where, values = scope.fact_where()
    statuses = [str(s) for s in REPORTED_STATUSES]
    peer_column, peer_values = "0", list[Any]()
    if known is not None:
        known_sql, peer_values = _subquery(known.values("pk"))
        peer_column = f"CASE WHEN f.assessment_id IN ({known_sql}) THEN 0 ELSE 1 END"
    sql = (
        f"SELECT ax.code, prev.level, f.level, {peer_column}, COUNT(*) FROM {source.answers} f "  # noqa: S608
        f"JOIN {_table(Axis)} ax ON ax.id = f.axis_id "
        f"JOIN {_table(Assessment)} asm ON asm.id = f.assessment_id "
        f"JOIN {_table(Assessment)} pasm ON pasm.subject_id = asm.subject_id AND pasm.campaign_id = %s "
        f"AND pasm.status IN ({', '.join(['%s'] * len(statuses))}) "
        f"JOIN {_table(Answer)} prev ON prev.assessment_id = pasm.id "
        f"JOIN {_table(Axis)} pax ON pax.id = prev.axis_id AND pax.code = ax.code "
        f"WHERE {where} AND f.level IS NOT NULL AND prev.level IS NOT NULL "
        "GROUP BY 1, 2, 3, 4"  # positions: the peer flag may be a constant
    )
    return _fetch(sql, [*peer_values, earlier_campaign_id, *statuses, *values])


def peer_cell_rows(*, campaign_id: int, kind: str, known: QuerySet, source: FactsSource) -> list[tuple]:
    """(axis id, region, type / category, answered, answered with an expected level, present)
    over the counted answers of assessments outside `known` (the disclosure rule's peers)."""
    known_sql, known_values = _subquery(known.values("pk"))
    sql = (
        f"SELECT f.axis_id, f.region, f.type_or_category, "  # noqa: S608
        f"SUM(CASE WHEN f.level IS NOT NULL THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN f.level IS NOT NULL AND f.expected_level IS NOT NULL THEN 1 ELSE 0 END), "
        f"COUNT(*) FROM {source.answers} f WHERE f.campaign_id = %s AND f.subject_kind = %s "
        f"AND f.assessment_id NOT IN ({known_sql}) GROUP BY f.axis_id, f.region, f.type_or_category"
    )
    return _fetch(sql, [campaign_id, str(kind), *known_values])


def peer_products(
    *, campaign_id: int, categories: list[str], known: QuerySet, source: FactsSource
) -> tuple[dict[str, int], list[tuple]]:
    """The peer benchmark's reads, from the counted answers of the campaign's products of
    `categories` outside `known`: products per category (those with a counted answer), and
    (category, axis id, level, products) per answered level. Two GROUP BY queries."""
    if not categories:
        return {}, []
    known_sql, known_values = _subquery(known.values("pk"))
    codes = ", ".join(["%s"] * len(categories))
    where = (
        f"f.campaign_id = %s AND f.subject_kind = %s AND f.type_or_category IN ({codes}) "
        f"AND f.assessment_id NOT IN ({known_sql})"
    )
    params = [campaign_id, str(SubjectKind.PRODUCT), *categories, *known_values]
    sizes = dict(
        _fetch(
            f"SELECT f.type_or_category, COUNT(DISTINCT f.assessment_id) FROM {source.answers} f "  # noqa: S608
            f"WHERE {where} GROUP BY f.type_or_category",
            params,
        )
    )
    # One answer per assessment and axis (a unique constraint): COUNT(*) counts products.
    levels = _fetch(
        f"SELECT f.type_or_category, f.axis_id, f.level, COUNT(*) FROM {source.answers} f "  # noqa: S608
        f"WHERE {where} AND f.level IS NOT NULL GROUP BY f.type_or_category, f.axis_id, f.level",
        params,
    )
    return sizes, levels
