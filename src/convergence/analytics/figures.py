"""The pure report engine: grouped rows (plain tuples) in, `Report` out (contract section 5).

No Django, no SQL, no file format (tests/analytics/test_figures.py checks that importing this
module imports no Django module): `analytics.engine.report_compute` reads the rows
(analytics/queries.py) and calls `build_report`; Hypothesis properties run on plain tuples
(tests/analytics/test_figures_properties.py).

The rows, as `analytics.queries` returns them:

- subjects: (status, type or category code, subjects) per counted subject group;
- answers: (axis id, level, not applicable, expected level, first reaching year, answers,
  latest milestone year) per group of counted answers;
- blockers: (axis id, blocker code, subjects).

A subject below its expected level reaches it on the 31 December of its `first_year` (earlier
years count from the first projected date).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

REPORT_FORMAT = "convergence-report/1"
SCOPE_NAMES = ("services", "products")
DEFAULT_THRESHOLD = 0.8
DEFAULT_MIN_CELL = 5

Progress = Callable[[int, int, str], None]


class ReportError(ValueError):
    """Bad report parameters (unknown campaign, region, category...): the parameter at fault
    (`field`, e.g. "campaign") and a message for the user, translated by whoever raises it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


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


# --- inputs ---------------------------------------------------------------------------------


@dataclass
class Typology:
    """What the report needs from the referential, as plain values."""

    referential: str  # its code
    axes: list[tuple[int, str, str]]  # (id, code, name), in the referential's order
    levels: list[int]
    # type/category code -> (name, family code, family name, family position, common core)
    types: dict[str, tuple[str, str, str, int, bool]]


@dataclass(frozen=True)
class Statuses:
    """The subject statuses as the rows name them (catalog.enums.SubjectStatus's values)."""

    published: str
    # Counted but not published (deploying, technical), in the order the report lists them.
    excluded: tuple[str, ...]

    @property
    def order(self) -> tuple[str, ...]:
        return (self.published, *self.excluded)


@dataclass(frozen=True)
class CampaignInfo:
    code: str
    title: str
    closes_on: datetime.date


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


def tally_answers(rows: Sequence[tuple], *, key_extra: bool = False) -> dict[Any, AxisTally]:
    """Fold answer rows into per-axis tallies (per (axis, region) with key_extra)."""
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
    code: str, name: str, tally: AxisTally, levels: list[int], first_year: int, *, public: bool, min_cell: int
) -> AxisFigures:
    if public and tally.answered < min_cell:
        return AxisFigures(
            code=code,
            name=name,
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
        code=code,
        name=name,
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


def build_report(
    params: ReportParams,
    *,
    campaign: CampaignInfo,
    typology: Typology,
    statuses: Statuses,
    subject_rows: Sequence[tuple],
    answer_rows: Sequence[tuple],
    blocker_rows: Sequence[tuple],
) -> Report:
    """The campaign report of contract section 5 from its grouped rows."""
    # Subjects: counted (non-retired) per status; published per type.
    by_status_raw: dict[str, int] = defaultdict(int)
    published_by_type: dict[str, int] = defaultdict(int)
    for status, type_code, count in subject_rows:
        by_status_raw[status] += count
        if status == statuses.published:
            published_by_type[type_code] += count
    by_status = {s: by_status_raw[s] for s in statuses.order if by_status_raw.get(s)}
    total = sum(by_status_raw.values())
    excluded = sum(by_status_raw.get(s, 0) for s in statuses.excluded)
    published = by_status_raw.get(statuses.published, 0)

    common_core = common_core_types = None
    groups: list[Group] = []
    if params.scope == "services":
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

    tallies = tally_answers(answer_rows)
    first_year = campaign.closes_on.year
    axes = [
        axis_figures(
            code,
            name,
            tallies.get(axis_id, AxisTally()),
            typology.levels,
            first_year,
            public=params.public,
            min_cell=params.min_cell,
        )
        for axis_id, code, name in typology.axes
    ]
    # On the *reported* (rounded, after suppression) rates, so a reader can recount them.
    measured = [a for a in axes if a.reached_rate is not None]
    reaching = [a for a in measured if a.reached_rate is not None and a.reached_rate >= params.threshold]

    axis_position = {axis_id: i for i, (axis_id, _c, _n) in enumerate(typology.axes)}
    axis_code = {axis_id: code for axis_id, code, _n in typology.axes}
    shown_blockers = [
        (axis_id, code, n)
        for axis_id, code, n in blocker_rows
        if axis_id in axis_position and not (params.public and n < params.min_cell)
    ]
    shown_blockers.sort(key=lambda r: (-r[2], axis_position[r[0]], r[1]))
    blockers = [{"axis": axis_code[a], "category": c, "subjects": n} for a, c, n in shown_blockers]

    return Report(
        campaign=campaign.code,
        referential=typology.referential,
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
