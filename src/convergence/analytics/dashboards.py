"""Figures of the agency and regional dashboards, beside the campaign report: regions side by
side, evolution between two campaigns (per axis, and level transitions). Pure computation over
grouped queries, like the engine; the web layer caches the result (see services.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from convergence.assessments.enums import REPORTED_STATUSES
from convergence.assessments.models import Answer, Assessment
from convergence.catalog.enums import SubjectStatus
from convergence.lib.regions import region_name
from convergence.organisations.models import Organisation
from convergence.referential.models import Axis

from .disclosure import Pattern, disclosed_report, known_assessments, transitions_shown, view_entry
from .engine import (
    Progress,
    ReportParams,
    answer_groups,
    load_typology,
    report_compute,
    resolve,
    rounded,
    subject_counts,
    tally_answers,
)
from .facts import facts_refresh
from .models import AnswerFact
from .sql import _fetch, _table

_EMPTY = Pattern()  # a view of known subjects only: nothing to hide


@dataclass(frozen=True)
class DashboardParams:
    report: ReportParams
    # An earlier campaign to compare with (evolution), by code.
    compare_with: str | None = None
    # Regions side by side (the agency's national view).
    with_regions: bool = True
    # The organisation reading, when it is not the agency: its figures follow the disclosure
    # rule (analytics/disclosure.py). None: the agency, every figure unsuppressed.
    reader: int | None = None

    def key(self) -> str:
        reader = f"|reader={self.reader}" if self.reader is not None else ""
        return f"dashboard|{self.report.key()}|{self.compare_with or ''}|{int(self.with_regions)}{reader}"


def regions_breakdown(params: ReportParams) -> list[dict[str, Any]]:
    """Per region: published subjects, and per axis answered, mean level and reached rate."""
    campaign, scope = resolve(params)
    scope = replace(scope, group_by_region=True)
    typology = load_typology(campaign.referential, scope.kind)
    published: dict[str, int] = defaultdict(int)
    for status, _type, region, count in subject_counts(scope):
        if status == SubjectStatus.ACTIVE:
            published[region or ""] += count
    tallies = tally_answers(answer_groups(scope), key_extra=True)
    rows = []
    for region in sorted(published):
        axes = {}
        for axis in typology.axes:
            tally = tallies.get((axis.pk, region))
            axes[axis.code] = {
                "answered": tally.answered if tally else 0,
                "mean_level": rounded(tally.level_sum, tally.answered) if tally else None,
                "reached_rate": rounded(tally.reached, tally.with_expectation) if tally else None,
            }
        rows.append(
            {"region": region, "name": region_name(region), "published": published[region], "axes": axes}
        )
    return rows


def level_transitions(
    params: ReportParams,
    *,
    earlier_campaign: str,
    organisation: Organisation | None = None,
    later: Pattern | None = None,
    earlier_pattern: Pattern | None = None,
) -> dict[str, Any]:
    """How many subjects went from level x (earlier campaign) to level y (this one), per axis.

    Subjects counted in both campaigns (published in this one, reported in the earlier one);
    axes are matched by code, since the two campaigns may use different referential editions.
    With a reader (`organisation`, and the disclosure patterns of both campaigns), an axis
    whose transitions would give other organisations' levels away by difference is left out
    (disclosure.transitions_shown), and the all-axes matrix sums the axes shown.
    """
    campaign, scope = resolve(params)
    earlier, _ = resolve(replace(params, campaign=earlier_campaign, category=None))
    facts_refresh()
    where, values = scope.fact_where()
    statuses = [str(s) for s in REPORTED_STATUSES]
    peer_column, peer_values = "0", []
    if organisation is not None:
        known_sql, known_values = (
            known_assessments(organisation, campaign.pk).values("pk").query.sql_with_params()
        )
        peer_column = f"CASE WHEN f.assessment_id IN ({known_sql}) THEN 0 ELSE 1 END"
        peer_values = list(known_values)
    sql = (
        f"SELECT ax.code, prev.level, f.level, {peer_column}, COUNT(*) FROM {_table(AnswerFact)} f "  # noqa: S608
        f"JOIN {_table(Axis)} ax ON ax.id = f.axis_id "
        f"JOIN {_table(Assessment)} asm ON asm.id = f.assessment_id "
        f"JOIN {_table(Assessment)} pasm ON pasm.subject_id = asm.subject_id AND pasm.campaign_id = %s "
        f"AND pasm.status IN ({', '.join(['%s'] * len(statuses))}) "
        f"JOIN {_table(Answer)} prev ON prev.assessment_id = pasm.id "
        f"JOIN {_table(Axis)} pax ON pax.id = prev.axis_id AND pax.code = ax.code "
        f"WHERE {where} AND f.level IS NOT NULL AND prev.level IS NOT NULL "
        "GROUP BY 1, 2, 3, 4"  # positions: the peer flag may be a constant
    )
    rows = _fetch(sql, [*peer_values, earlier.pk, *statuses, *values])
    levels = list(range(campaign.referential.scale_min, campaign.referential.scale_max + 1))
    matrices: dict[str, dict[str, Any]] = {}
    for code, before, after, peer, count in rows:
        matrix = matrices.setdefault(
            code, {"cells": defaultdict(int), "up": 0, "same": 0, "down": 0, "peers": 0}
        )
        matrix["cells"][f"{before}-{after}"] += count
        matrix["up" if after > before else "down" if after < before else "same"] += count
        matrix["peers"] += count if peer else 0
    axis_order = [a.code for a in load_typology(campaign.referential, scope.kind).axes]
    result = []
    total_cells: dict[str, int] = defaultdict(int)
    entry = view_entry(params.region, params.category)
    for code in axis_order:
        if code not in matrices:
            continue
        m = matrices[code]
        if (
            organisation is not None
            and later is not None
            and earlier_pattern is not None
            and not transitions_shown(
                axis=code, entry=entry, later=later, earlier=earlier_pattern, both=m["peers"]
            )
        ):
            continue
        for key, n in m["cells"].items():
            total_cells[key] += n
        result.append(
            {
                "axis": code,
                "rows": [
                    {"level": b, "counts": [m["cells"].get(f"{b}-{a}", 0) for a in levels]} for b in levels
                ],
                "up": m["up"],
                "same": m["same"],
                "down": m["down"],
            }
        )
    return {
        "from": earlier.code,
        "to": campaign.code,
        "levels": levels,
        "axes": result,
        "total": [{"level": b, "counts": [total_cells.get(f"{b}-{a}", 0) for a in levels]} for b in levels],
    }


def dashboard_compute(params: DashboardParams, *, progress: Progress | None = None) -> dict[str, Any]:
    """Everything a dashboard shows, as JSON-ready data (so it can be cached as is).

    For a reader other than the agency every report goes through the disclosure rule
    (analytics/disclosure.py), and there are no regions side by side."""
    steps = 2 + int(params.report.region is not None) + 2 * int(params.compare_with is not None)

    def step(done: int, label: str) -> None:
        if progress is not None:
            progress(done, steps, label)

    reader = Organisation.objects.get(pk=params.reader) if params.reader is not None else None
    patterns: list[Pattern | None] = []

    def compute(report_params: ReportParams) -> dict[str, Any]:
        if reader is None:
            return report_compute(report_params).as_dict()
        shown, pattern = disclosed_report(report_params, reader)
        patterns.append(pattern)
        return shown

    done = 0
    report = compute(params.report)
    later = patterns[-1] if patterns else None
    done += 1
    step(done, "report")
    bundle: dict[str, Any] = {"report": report, "national": None, "regions": None, "evolution": None}
    if params.report.region is not None:
        bundle["national"] = compute(replace(params.report, region=None))
        done += 1
        step(done, "national")
    if params.with_regions and params.report.region is None and reader is None:
        bundle["regions"] = regions_breakdown(params.report)
    done += 1
    step(done, "regions")
    if params.compare_with:
        earlier = compute(replace(params.report, campaign=params.compare_with, category=None))
        earlier_pattern = patterns[-1] if patterns else None
        done += 1
        step(done, "evolution")
        before = {a["code"]: a for a in earlier["axes"]}
        bundle["evolution"] = {
            "from": params.compare_with,
            "axes": [
                {
                    "code": a["code"],
                    "before_rate": before.get(a["code"], {}).get("reached_rate"),
                    "after_rate": a["reached_rate"],
                    "before_mean": before.get(a["code"], {}).get("mean_level"),
                    "after_mean": a["mean_level"],
                }
                for a in report["axes"]
            ],
            "transitions": level_transitions(
                params.report,
                earlier_campaign=params.compare_with,
                organisation=reader,
                later=later or _EMPTY,
                earlier_pattern=earlier_pattern or _EMPTY,
            ),
        }
        done += 1
        step(done, "transitions")
    return bundle
