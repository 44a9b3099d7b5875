"""The campaign report engine: figures of contract section 5, computed from SQL aggregates.

No HTTP, no file format: `report_compute(...)` returns a `Report` whose `as_dict()` is the
`convergence-report/1` JSON. Every query is a GROUP BY, so the number of queries is fixed
whatever the number of subjects, and what comes back from the database is bounded by axes x
levels x milestone years, never by subjects.

The answers are read from the report facts (`AnswerFact`, analytics/facts.py): one row per
answer of a published subject's reported assessment, carrying the subject's type and region,
the expected level of its type on the axis and, for an answer below that level, the year its
milestones first reach it. The facts are maintained at write time (database triggers mark the
assessments a write changes; `facts_refresh()`, called first, rebuilds those). So a report is a
scan of one narrow table with no join, and the projection needs no per-subject row here: a
subject below its expected level reaches it on the 31 December of its `first_year` (earlier
years count from the first projected date).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from convergence.assessments.enums import REPORTED_STATUSES
from convergence.assessments.models import Assessment, Campaign
from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.catalog.models import Subject
from convergence.lib.regions import REGIONS
from convergence.organisations.models import Organisation
from convergence.referential.models import (
    Axis,
    BlockerCategory,
    ProductCategory,
    Referential,
    ServiceType,
)

from .facts import facts_refresh
from .models import AnswerFact, BlockerFact
from .sql import _fetch, _table

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
        """The published subjects' answers, on the facts `f` (which hold only reported
        assessments of active subjects: see facts.py)."""
        clauses = ["f.campaign_id = %s", "f.subject_kind = %s"]
        params: list[Any] = [self.campaign_id, str(self.kind)]
        if self.region is not None:
            clauses.append("f.region = %s")
            params.append(self.region)
        if self.category is not None:
            clauses.append("f.type_or_category = %s")
            params.append(self.category)
        return " AND ".join(clauses), params


def subject_counts(scope: Scope) -> list[tuple]:
    """(status, type_or_category, [region,] subjects) for every counted subject."""
    where, params = scope.where()
    region = f", {scope.region_column()}" if scope.group_by_region else ""
    sql = (
        f"SELECT s.status, s.type_or_category{region}, COUNT(*) FROM {scope.from_assessments()} "  # noqa: S608
        f"WHERE {where} GROUP BY s.status, s.type_or_category{region}"
    )
    return _fetch(sql, params)


def answer_groups(scope: Scope) -> list[tuple]:
    """Published subjects' answers, from the facts: (axis, level, not applicable, expected level,
    first reaching year, [region,] answers, latest milestone year) per group.

    One scan of the campaign's facts; the groups are few (axes x levels x expected levels x
    milestone years [x regions]), whatever the number of subjects.
    """
    where, params = scope.fact_where()
    region = ", f.region" if scope.group_by_region else ""
    groups = f"f.axis_id, f.level, f.not_applicable, f.expected_level, f.first_year{region}"
    sql = (
        f"SELECT {groups}, COUNT(*), MAX(f.last_year) FROM {_table(AnswerFact)} f "  # noqa: S608
        f"WHERE {where} AND (f.level IS NOT NULL OR f.not_applicable) GROUP BY {groups}"
    )
    return _fetch(sql, params)


def blocker_groups(scope: Scope) -> list[tuple]:
    """(axis id, blocker code, subjects): one answer per subject and axis, one row per blocker and
    answer (unique constraints), so COUNT(*) counts subjects. Any answer of a published subject
    counts (not-applicable ones and those without a level included): the facts hold them all."""
    where, params = scope.fact_where()
    sql = (
        f"SELECT f.axis_id, bc.code, COUNT(*) FROM {_table(BlockerFact)} f "  # noqa: S608
        f"JOIN {_table(BlockerCategory)} bc ON bc.id = f.category_id "
        f"WHERE {where} GROUP BY f.axis_id, bc.code"
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


def load_typology(referential: Referential, kind: str) -> Typology:
    axes = list(Axis.objects.filter(referential=referential).order_by("position", "id"))
    types: dict[str, tuple[str, str, str, int, bool]] = {}
    if kind == SubjectKind.SERVICE:
        for t in ServiceType.objects.filter(referential=referential).select_related("family"):
            types[t.code] = (t.name, t.family.code, t.family.name, t.family.position, t.common_core)
    else:
        for c in ProductCategory.objects.filter(referential=referential):
            types[c.code] = (c.name, "", "", 0, False)
    levels = list(range(referential.scale_min, referential.scale_max + 1))
    return Typology(referential=referential, axes=axes, levels=levels, types=types)


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


def tally_answers(rows: list[tuple], *, key_extra: bool = False) -> dict[Any, AxisTally]:
    """Fold answer_groups() rows into per-axis tallies (per (axis, region) with key_extra)."""
    tallies: dict[Any, AxisTally] = defaultdict(AxisTally)
    for row in rows:
        axis_id, level, not_applicable, expected, first_year = row[:5]
        count, latest = row[-2], row[-1]
        tally = tallies[(axis_id, row[5]) if key_extra else axis_id]
        if level is None:
            if not_applicable:
                tally.not_applicable += count
            continue
        tally.answered += count
        tally.level_sum += level * count
        tally.distribution[level] = tally.distribution.get(level, 0) + count
        if expected is None:
            continue
        tally.with_expectation += count
        if level >= expected:
            tally.reached += count
        elif first_year is not None:
            tally.reaching_by_year[first_year] += count
        if latest is not None and (tally.latest_year is None or latest > tally.latest_year):
            tally.latest_year = latest
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

    # The facts of every write committed so far (usually nothing to do: one query).
    facts_refresh()
    subject_rows = subject_counts(scope)
    level_rows = answer_groups(scope)
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

    tallies = tally_answers(level_rows)
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
