"""The campaign report engine: figures of contract section 5, computed from SQL aggregates.

No HTTP, no file format: `report_compute(...)` returns a `Report` whose `as_dict()` is the
`convergence-report/1` JSON. Every query is a GROUP BY over the campaign's data, so the number
of queries is fixed (about ten) whatever the number of subjects, and what comes back from the
database is bounded by axes x types x levels x milestone years, never by subjects.

How the projection is computed without one row per subject: a subject with an expectation on an
axis that has not reached it yet reaches it on the 31 December of the year of its *earliest
milestone whose level is >= the expected level* (milestones due before the campaign's year count
from the first projected date). The milestone query joins the expected level (subject's type or
category code -> the referential's expectation on the answer's axis), groups the milestones per
answer into that year, and returns per (axis, year) the number of subjects and the latest
milestone year: a handful of rows per axis. The level query returns counts per (axis, type,
level); Python resolves the expected levels of those few groups from the referential.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction

from convergence.assessments.enums import REPORTED_STATUSES
from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.catalog.models import Subject
from convergence.lib.regions import REGIONS
from convergence.organisations.models import Organisation
from convergence.referential.models import (
    Axis,
    BlockerCategory,
    Expectation,
    ProductCategory,
    Referential,
    ServiceType,
)

REPORT_FORMAT = "convergence-report/1"
SCOPES = {"services": SubjectKind.SERVICE, "products": SubjectKind.PRODUCT}
DEFAULT_THRESHOLD = 0.8
DEFAULT_MIN_CELL = 5
EXCLUDED_STATUSES = (SubjectStatus.DEPLOYING, SubjectStatus.TECHNICAL)
STATUS_ORDER = [SubjectStatus.ACTIVE, SubjectStatus.DEPLOYING, SubjectStatus.TECHNICAL]

Progress = Callable[[int, int, str], None]


class ReportError(ValueError):
    """Bad report parameters (unknown campaign, region, category...): a message for the user."""


def rounded(numerator: int | Decimal, denominator: int) -> float | None:
    """numerator / denominator rounded to 4 decimals, half away from zero; None when /0."""
    if not denominator:
        return None
    value = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return float(value)


# --- parameters and results -------------------------------------------------------------


@dataclass(frozen=True)
class ReportParams:
    campaign: str
    scope: str
    region: str | None = None
    # A service type code (services) or product category code (products): an optional filter.
    category: str | None = None
    public: bool = False
    min_cell: int = DEFAULT_MIN_CELL
    threshold: float = DEFAULT_THRESHOLD

    def key(self) -> str:
        min_cell = self.min_cell if self.public else ""
        return (
            f"{self.campaign}|{self.scope}|{self.region or ''}|{self.category or ''}|"
            f"{int(self.public)}|{min_cell}|{self.threshold}"
        )


@dataclass
class Group:
    """A family, service type or product category with its number of published subjects."""

    code: str
    name: str
    subjects: int | None
    suppressed: bool = False
    types: list[Group] | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "subjects": self.subjects,
            "suppressed": self.suppressed,
        }
        if self.types is not None:
            data["types"] = [t.as_dict() for t in self.types]
        return data


@dataclass
class AxisFigures:
    code: str
    name: str
    answered: int
    not_applicable: int
    mean_level: float | None
    distribution: dict[str, int] | None
    with_expectation: int
    reached: int | None
    reached_rate: float | None
    projection: list[dict[str, Any]] | None
    suppressed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "answered": self.answered,
            "not_applicable": self.not_applicable,
            "mean_level": self.mean_level,
            "distribution": self.distribution,
            "with_expectation": self.with_expectation,
            "reached": self.reached,
            "reached_rate": self.reached_rate,
            "projection": self.projection,
            "suppressed": self.suppressed,
        }


@dataclass
class Report:
    campaign: str
    referential: str
    scope: str
    region: str | None
    category: str | None
    public: bool
    min_cell: int | None
    threshold: float
    total: int
    by_status: dict[str, int]
    excluded: int
    published: int
    common_core: int | None
    common_core_types: int | None
    groups: list[Group]
    axes: list[AxisFigures]
    axes_reaching_threshold: int
    axes_measured: int
    blockers: list[dict[str, Any]]
    # Not part of the JSON: what the human report needs beside it.
    campaign_title: str = ""
    closes_on: datetime.date | None = None
    scale: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The contract's JSON, keys in the contract's order."""
        data: dict[str, Any] = {
            "format": REPORT_FORMAT,
            "campaign": self.campaign,
            "referential": self.referential,
            "scope": self.scope,
            "region": self.region,
        }
        if self.category is not None:  # optional key, only when the filter is used (docs/reports.md)
            data["category"] = self.category
        data.update({"public": self.public, "min_cell": self.min_cell, "threshold": self.threshold})
        subjects: dict[str, Any] = {
            "total": self.total,
            "by_status": self.by_status,
            "excluded": self.excluded,
            "published": self.published,
        }
        if self.scope == "services":
            subjects["common_core"] = self.common_core
            subjects["common_core_types"] = self.common_core_types
        data["subjects"] = subjects
        data["families" if self.scope == "services" else "categories"] = [g.as_dict() for g in self.groups]
        data["axes"] = [a.as_dict() for a in self.axes]
        data["axes_reaching_threshold"] = self.axes_reaching_threshold
        data["axes_measured"] = self.axes_measured
        data["blockers"] = self.blockers
        return data


# --- SQL ----------------------------------------------------------------------------------
# The SQL below is assembled from table names (Django's quoting), fixed column names and integer
# scale levels; every value coming from a user is a %s parameter (hence the `noqa: S608`).


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _year_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"
    # SQLite (and others storing ISO text): the first four characters are the year.
    return f"CAST(SUBSTR({column}, 1, 4) AS INTEGER)"


@dataclass(frozen=True)
class Scope:
    """Which data counts: the FROM/WHERE shared by every query (contract 5, first paragraph)."""

    campaign_id: int
    kind: str
    region: str | None
    category: str | None
    # Extra grouping column (e.g. the region, for regions side by side), or None.
    group_by_region: bool = False
    # The campaign's referential: where the milestone query finds the expected levels.
    referential_id: int | None = None

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

    def where(self, *, published_only: bool) -> tuple[str, list[Any]]:
        statuses = [str(s) for s in REPORTED_STATUSES]
        clauses = [
            "asm.campaign_id = %s",
            f"asm.status IN ({', '.join(['%s'] * len(statuses))})",
            "s.kind = %s",
        ]
        params: list[Any] = [self.campaign_id, *statuses, str(self.kind)]
        if published_only:
            clauses.append("s.status = %s")
            params.append(str(SubjectStatus.ACTIVE))
        else:
            clauses.append("s.status <> %s")
            params.append(str(SubjectStatus.RETIRED))
        if self.region is not None:
            clauses.append(f"{self.region_column()} = %s")
            params.append(self.region)
        if self.category is not None:
            clauses.append("s.type_or_category = %s")
            params.append(self.category)
        return " AND ".join(clauses), params


# PostgreSQL settings for the report's transaction only (SET LOCAL semantics), chosen by
# measuring bench/report.py (docs/reports.md, "Benchmark"):
# - enable_hashjoin off: every query joins the campaign's assessments to answers, milestones and
#   blockers along indexed foreign keys. With hash joins PostgreSQL reads the whole answers table
#   (every campaign's) and probes a hash table per row; without, it merges along the indexes.
#   A 10,000-service campaign in a database of 1.3 million answers: 0.68 s -> 0.27 s; the
#   national 1.2 million answers campaign: unchanged (1.9-2.1 s either way on this machine).
# Tried and left out, no gain measured: jit off (compiling took 100-150 ms per query but the
# totals did not move), work_mem 64MB (in-memory sorts, but PostgreSQL then planned serial
# instead of parallel: slower), random_page_cost 1.1 (0.35 s on the small campaign).
POSTGRESQL_REPORT_SETTINGS = {"enable_hashjoin": "off"}


@contextmanager
def report_transaction() -> Iterator[None]:
    """On PostgreSQL, run the report's queries in one transaction with POSTGRESQL_REPORT_SETTINGS
    local to it. Elsewhere, nothing: the settings are PostgreSQL's, and on SQLite a transaction
    would begin IMMEDIATE (settings.py), holding the write lock for the whole report.

    savepoint=False: inside a caller's transaction this adds no SAVEPOINT round trips; the
    settings are then put back as they were, so the caller's later queries are planned as usual.
    """
    if connection.vendor != "postgresql":
        yield
        return
    outer = connection.in_atomic_block
    names = list(POSTGRESQL_REPORT_SETTINGS)
    with transaction.atomic(savepoint=False):
        # current_setting is evaluated before set_config (target list order): the old value.
        calls = ", ".join("current_setting(%s), set_config(%s, %s, true)" for _ in names)
        values = [v for n in names for v in (n, n, POSTGRESQL_REPORT_SETTINGS[n])]
        previous = _fetch(f"SELECT {calls}", values)[0][0::2]
        yield
        if outer:
            calls = ", ".join("set_config(%s, %s, true)" for _ in names)
            _fetch(f"SELECT {calls}", [v for pair in zip(names, previous, strict=True) for v in pair])


def _fetch(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def subject_counts(scope: Scope) -> list[tuple]:
    """(status, type_or_category, [region,] subjects) for every counted subject."""
    where, params = scope.where(published_only=False)
    region = f", {scope.region_column()}" if scope.group_by_region else ""
    sql = (
        f"SELECT s.status, s.type_or_category{region}, COUNT(*) FROM {scope.from_assessments()} "  # noqa: S608
        f"WHERE {where} GROUP BY s.status, s.type_or_category{region}"
    )
    return _fetch(sql, params)


def answer_groups(scope: Scope) -> list[tuple]:
    """Published subjects' answers grouped by (axis, type, level, not applicable [, region]) -> count."""
    where, params = scope.where(published_only=True)
    region = f", {scope.region_column()}" if scope.group_by_region else ""
    sql = (
        f"SELECT a.axis_id, s.type_or_category, a.level, a.not_applicable{region}, COUNT(*) "  # noqa: S608
        f"FROM {scope.from_assessments()} JOIN {_table(Answer)} a ON a.assessment_id = asm.id "
        f"WHERE {where} AND (a.level IS NOT NULL OR a.not_applicable) "
        f"GROUP BY a.axis_id, s.type_or_category, a.level, a.not_applicable{region}"
    )
    return _fetch(sql, params)


def milestone_groups(scope: Scope, levels: list[int]) -> list[tuple]:
    """What the projection needs, per axis [and region]: (axis, first year, [region,] subjects,
    latest milestone year), over the published answers that have a level, an expected level
    (non-null, on the subject's type or category) and milestones.

    `first year`: for an answer below its expected level, the year of its earliest milestone
    whose level is >= the expected level (None if it has none, or if the answer has reached it
    already). `latest milestone year`: the latest year of all milestones of the group's answers.

    The expected level is joined in SQL (type/category code -> expectation of the axis), so only
    the answers with an expectation are grouped per answer, and one number per answer comes out
    of that grouping instead of one year per scale level. Measured on 1.2 million answers: the
    former version (earliest year for every level, grouped by type, resolved in Python) took
    1.1-1.2 s against 0.9 s for this one.
    """
    assert scope.referential_id is not None, "Scope built by resolve() knows its referential"
    low, high = int(levels[0]), int(levels[-1])
    year = _year_sql("m.due_on")
    services = scope.kind == SubjectKind.SERVICE
    types_table = _table(ServiceType) if services else _table(ProductCategory)
    type_column = "service_type_id" if services else "product_category_id"
    where, params = scope.where(published_only=True)
    region = f", {scope.region_column()}" if scope.group_by_region else ""
    inner_region = f", {scope.region_column()} AS region" if scope.group_by_region else ""
    outer_region = ", region" if scope.group_by_region else ""
    # Milestone levels count from the bottom of the scale, and an expected level above the
    # scale is never reached (as in the per-subject definition the tests check against).
    reaches = (
        f"a.level < e.expected_level AND e.expected_level <= {high} "
        f"AND m.level >= e.expected_level AND m.level >= {low}"
    )
    sql = (
        f"SELECT axis_id, first_year{outer_region}, COUNT(*), MAX(last_year) FROM ("  # noqa: S608
        f"SELECT a.axis_id, MIN(CASE WHEN {reaches} THEN {year} END) AS first_year, "
        f"MAX({year}) AS last_year{inner_region} "
        f"FROM {scope.from_assessments()} JOIN {_table(Answer)} a ON a.assessment_id = asm.id "
        f"JOIN {types_table} t ON t.referential_id = %s AND t.code = s.type_or_category "
        f"JOIN {_table(Expectation)} e ON e.{type_column} = t.id AND e.axis_id = a.axis_id "
        f"JOIN {_table(Milestone)} m ON m.answer_id = a.id "
        f"WHERE {where} AND a.level IS NOT NULL AND e.expected_level IS NOT NULL "
        f"GROUP BY a.id, a.axis_id{region}) per_answer "
        f"GROUP BY axis_id, first_year{outer_region}"
    )
    return _fetch(sql, [scope.referential_id, *params])


def blocker_groups(scope: Scope) -> list[tuple]:
    """(axis id, blocker code, subjects): one answer per subject and axis, one row per blocker and
    answer (unique constraints), so COUNT(*) counts subjects."""
    where, params = scope.where(published_only=True)
    sql = (
        f"SELECT a.axis_id, bc.code, COUNT(*) FROM {scope.from_assessments()} "  # noqa: S608
        f"JOIN {_table(Answer)} a ON a.assessment_id = asm.id "
        f"JOIN {_table(AnswerBlocker)} ab ON ab.answer_id = a.id "
        f"JOIN {_table(BlockerCategory)} bc ON bc.id = ab.category_id "
        f"WHERE {where} GROUP BY a.axis_id, bc.code"
    )
    return _fetch(sql, params)


# --- referential ----------------------------------------------------------------------------


@dataclass
class Typology:
    """What the report needs from the referential, loaded in a fixed number of queries."""

    referential: Referential
    axes: list[Axis]
    levels: list[int]
    # type/category code -> (name, family code, family name, family position, common core)
    types: dict[str, tuple[str, str, str, int, bool]]
    # (type/category code, axis id) -> expected level (None: applies with no expected level)
    expected: dict[tuple[str, int], int | None]


def load_typology(referential: Referential, kind: str) -> Typology:
    axes = list(Axis.objects.filter(referential=referential).order_by("position", "id"))
    types: dict[str, tuple[str, str, str, int, bool]] = {}
    expected: dict[tuple[str, int], int | None] = {}
    if kind == SubjectKind.SERVICE:
        for t in ServiceType.objects.filter(referential=referential).select_related("family"):
            types[t.code] = (t.name, t.family.code, t.family.name, t.family.position, t.common_core)
        rows = Expectation.objects.filter(referential=referential, service_type__isnull=False).values_list(
            "service_type__code", "axis_id", "expected_level"
        )
    else:
        for c in ProductCategory.objects.filter(referential=referential):
            types[c.code] = (c.name, "", "", 0, False)
        rows = Expectation.objects.filter(
            referential=referential, product_category__isnull=False
        ).values_list("product_category__code", "axis_id", "expected_level")
    for code, axis_id, level in rows:
        expected[(code, axis_id)] = level
    levels = list(range(referential.scale_min, referential.scale_max + 1))
    return Typology(referential=referential, axes=axes, levels=levels, types=types, expected=expected)


# --- figures from the grouped rows ------------------------------------------------------------


@dataclass
class AxisTally:
    """Raw counts for one axis, before rounding and suppression."""

    answered: int = 0
    not_applicable: int = 0
    level_sum: int = 0
    distribution: dict[int, int] = field(default_factory=dict)
    with_expectation: int = 0
    reached: int = 0
    # year of first reaching -> subjects below the expected level now that reach it that year
    reaching_by_year: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    latest_year: int | None = None


def tally_answers(
    level_rows: list[tuple], milestone_rows: list[tuple], typology: Typology, *, key_extra: bool = False
) -> dict[Any, AxisTally]:
    """Fold the grouped rows into per-axis tallies (per (axis, region) with key_extra)."""
    tallies: dict[Any, AxisTally] = defaultdict(AxisTally)
    for row in level_rows:
        axis_id, type_code, level, not_applicable = row[0], row[1], row[2], row[3]
        count = row[-1]
        tally = tallies[(axis_id, row[4]) if key_extra else axis_id]
        if level is None:
            if not_applicable:
                tally.not_applicable += count
            continue
        tally.answered += count
        tally.level_sum += level * count
        tally.distribution[level] = tally.distribution.get(level, 0) + count
        expected = typology.expected.get((type_code, axis_id))
        if expected is None:
            continue
        tally.with_expectation += count
        if level >= expected:
            tally.reached += count

    for row in milestone_rows:
        axis_id, first_year = row[0], row[1]
        count, latest = row[-2], row[-1]
        tally = tallies[(axis_id, row[2]) if key_extra else axis_id]
        if latest is not None and (tally.latest_year is None or latest > tally.latest_year):
            tally.latest_year = latest
        if first_year is not None:
            tally.reaching_by_year[first_year] += count
    return tallies


def projection_points(tally: AxisTally, first_year: int) -> list[tuple[int, int]]:
    """(year, subjects reaching the expected level by 31 December of that year)."""
    if tally.latest_year is None:
        return []
    points = []
    for year in range(first_year, tally.latest_year + 1):
        later = sum(n for y, n in tally.reaching_by_year.items() if y <= year)
        points.append((year, tally.reached + later))
    return points


def axis_figures(
    axis: Axis, tally: AxisTally, levels: list[int], first_year: int, *, public: bool, min_cell: int
) -> AxisFigures:
    if public and tally.answered < min_cell:
        return AxisFigures(
            code=axis.code,
            name=axis.name,
            answered=tally.answered,
            not_applicable=tally.not_applicable,
            mean_level=None,
            distribution=None,
            with_expectation=tally.with_expectation,
            reached=None,
            reached_rate=None,
            projection=None,
            suppressed=True,
        )
    projection = [
        {"date": f"{year}-12-31", "reached_rate": rounded(n, tally.with_expectation)}
        for year, n in projection_points(tally, first_year)
    ]
    return AxisFigures(
        code=axis.code,
        name=axis.name,
        answered=tally.answered,
        not_applicable=tally.not_applicable,
        mean_level=rounded(tally.level_sum, tally.answered),
        distribution={str(lv): tally.distribution.get(lv, 0) for lv in levels},
        with_expectation=tally.with_expectation,
        reached=tally.reached,
        reached_rate=rounded(tally.reached, tally.with_expectation),
        projection=projection,
    )


def order_groups(groups: list[Group], *, public: bool, min_cell: int) -> list[Group]:
    """Largest first then by code; in public mode small groups are nulled and put last by code,
    so that their position says nothing of their size."""
    for group in groups:
        if group.types is not None:
            group.types = order_groups(group.types, public=public, min_cell=min_cell)
    if not public:
        return sorted(groups, key=lambda g: (-(g.subjects or 0), g.code))
    shown = sorted(
        (g for g in groups if (g.subjects or 0) >= min_cell), key=lambda g: (-(g.subjects or 0), g.code)
    )
    hidden = sorted((g for g in groups if (g.subjects or 0) < min_cell), key=lambda g: g.code)
    for group in hidden:
        group.subjects = None
        group.suppressed = True
    return shown + hidden


# --- entry points -----------------------------------------------------------------------------


def resolve(params: ReportParams) -> tuple[Campaign, Scope]:
    """Check the parameters against the database; ReportError with a clear message otherwise."""
    if params.scope not in SCOPES:
        raise ReportError(f'scope: "{params.scope}" is not one of services, products')
    campaign = Campaign.objects.select_related("referential").filter(code=params.campaign).first()
    if campaign is None:
        known = ", ".join(Campaign.objects.order_by("code").values_list("code", flat=True)[:20])
        raise ReportError(
            f'campaign: unknown campaign "{params.campaign}"; known campaigns: {known or "none"}'
        )
    if params.region is not None and params.region not in REGIONS:
        raise ReportError(f'region: unknown region "{params.region}"; known regions: {", ".join(REGIONS)}')
    if params.public and params.min_cell < 1:
        raise ReportError(f"min-cell: must be at least 1, not {params.min_cell}")
    if not 0 <= params.threshold <= 1:
        raise ReportError(f"threshold: must be between 0 and 1, not {params.threshold}")
    kind = SCOPES[params.scope]
    if params.category is not None:
        model = ServiceType if kind == SubjectKind.SERVICE else ProductCategory
        if not model.objects.filter(referential=campaign.referential, code=params.category).exists():
            what = "service type" if kind == SubjectKind.SERVICE else "product category"
            raise ReportError(
                f'category: unknown {what} "{params.category}" in referential {campaign.referential.code}'
            )
    scope = Scope(
        campaign_id=campaign.pk,
        kind=kind,
        region=params.region,
        category=params.category,
        referential_id=campaign.referential_id,
    )
    return campaign, scope


def report_compute(params: ReportParams, *, progress: Progress | None = None) -> Report:
    """The campaign report of contract section 5."""

    def step(done: int, label: str) -> None:
        if progress is not None:
            progress(done, 4, label)

    campaign, scope = resolve(params)
    referential = campaign.referential
    typology = load_typology(referential, scope.kind)
    step(1, "figures")

    # The aggregate queries run together (on PostgreSQL in one transaction with its settings).
    # The progress callback is never called inside it: it may write to the database (a run's
    # progress bar), and that must be visible at once, not when the transaction ends.
    with report_transaction():
        subject_rows = subject_counts(scope)
        level_rows = answer_groups(scope)
        milestone_rows = milestone_groups(scope, typology.levels)
        blocker_groups_rows = blocker_groups(scope)
    step(2, "subjects")

    # Subjects: counted (non-retired) per status; published (active) per type.
    by_status_raw: dict[str, int] = defaultdict(int)
    published_by_type: dict[str, int] = defaultdict(int)
    for status, type_code, count in subject_rows:
        by_status_raw[status] += count
        if status == SubjectStatus.ACTIVE:
            published_by_type[type_code] += count
    by_status = {str(s): by_status_raw[s] for s in STATUS_ORDER if by_status_raw.get(s)}
    total = sum(by_status_raw.values())
    excluded = sum(by_status_raw.get(s, 0) for s in EXCLUDED_STATUSES)
    published = by_status_raw.get(SubjectStatus.ACTIVE, 0)

    common_core = common_core_types = None
    groups: list[Group] = []
    if scope.kind == SubjectKind.SERVICE:
        families: dict[str, Group] = {}
        common_core = common_core_types = 0
        for code, count in published_by_type.items():
            if code not in typology.types or not count:
                continue
            name, family_code, family_name, _position, is_common = typology.types[code]
            if not is_common:
                continue
            common_core += count
            common_core_types += 1
            family = families.setdefault(family_code, Group(family_code, family_name, 0, types=[]))
            family.subjects = (family.subjects or 0) + count
            assert family.types is not None
            family.types.append(Group(code, name, count))
        groups = list(families.values())
    else:
        groups = [
            Group(code, typology.types[code][0], count)
            for code, count in published_by_type.items()
            if code in typology.types and count
        ]
    groups = order_groups(groups, public=params.public, min_cell=params.min_cell)
    step(3, "axes")

    tallies = tally_answers(level_rows, milestone_rows, typology)
    first_year = campaign.closes_on.year
    axes = [
        axis_figures(
            axis,
            tallies.get(axis.pk, AxisTally()),
            typology.levels,
            first_year,
            public=params.public,
            min_cell=params.min_cell,
        )
        for axis in typology.axes
    ]
    # On the *reported* (rounded, after suppression) rates, so a reader can recount them.
    measured = [a for a in axes if a.reached_rate is not None]
    reaching = [a for a in measured if a.reached_rate is not None and a.reached_rate >= params.threshold]

    axis_position = {axis.pk: i for i, axis in enumerate(typology.axes)}
    axis_code = {axis.pk: axis.code for axis in typology.axes}
    blocker_rows = [
        (axis_id, code, n)
        for axis_id, code, n in blocker_groups_rows
        if axis_id in axis_position and not (params.public and n < params.min_cell)
    ]
    blocker_rows.sort(key=lambda r: (-r[2], axis_position[r[0]], r[1]))
    blockers = [{"axis": axis_code[a], "category": c, "subjects": n} for a, c, n in blocker_rows]
    step(4, "done")

    return Report(
        campaign=campaign.code,
        referential=referential.code,
        scope=params.scope,
        region=params.region,
        category=params.category,
        public=params.public,
        min_cell=params.min_cell if params.public else None,
        threshold=params.threshold,
        total=total,
        by_status=by_status,
        excluded=excluded,
        published=published,
        common_core=common_core,
        common_core_types=common_core_types,
        groups=groups,
        axes=axes,
        axes_reaching_threshold=len(reaching),
        axes_measured=len(measured),
        blockers=blockers,
        campaign_title=campaign.title,
        closes_on=campaign.closes_on,
        scale=typology.levels,
    )


def report_as_dict(
    *,
    campaign: str,
    scope: str,
    region: str | None = None,
    category: str | None = None,
    public: bool = False,
    min_cell: int = DEFAULT_MIN_CELL,
    threshold: float = DEFAULT_THRESHOLD,
) -> dict[str, Any]:
    """The report JSON (as a dict) for callers outside this app, e.g. the REST API.

    Raises ReportError (a ValueError) with a user-facing message on bad parameters.
    """
    params = ReportParams(
        campaign=campaign,
        scope=scope,
        region=region,
        category=category,
        public=public,
        min_cell=min_cell,
        threshold=threshold,
    )
    return report_compute(params).as_dict()
