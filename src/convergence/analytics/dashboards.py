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
from convergence.referential.models import Axis

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


@dataclass(frozen=True)
class DashboardParams:
    report: ReportParams
    # An earlier campaign to compare with (evolution), by code.
    compare_with: str | None = None
    # Regions side by side (the agency's national view).
    with_regions: bool = True

    def key(self) -> str:
        return f"dashboard|{self.report.key()}|{self.compare_with or ''}|{int(self.with_regions)}"


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


def level_transitions(params: ReportParams, *, earlier_campaign: str) -> dict[str, Any]:
    """How many subjects went from level x (earlier campaign) to level y (this one), per axis.

    Subjects counted in both campaigns (published in this one, reported in the earlier one);
    axes are matched by code, since the two campaigns may use different referential editions.
    """
    campaign, scope = resolve(params)
    earlier, _ = resolve(replace(params, campaign=earlier_campaign, category=None))
    facts_refresh()
    where, values = scope.fact_where()
    statuses = [str(s) for s in REPORTED_STATUSES]
    sql = (
        f"SELECT ax.code, prev.level, f.level, COUNT(*) FROM {_table(AnswerFact)} f "  # noqa: S608
        f"JOIN {_table(Axis)} ax ON ax.id = f.axis_id "
        f"JOIN {_table(Assessment)} asm ON asm.id = f.assessment_id "
        f"JOIN {_table(Assessment)} pasm ON pasm.subject_id = asm.subject_id AND pasm.campaign_id = %s "
        f"AND pasm.status IN ({', '.join(['%s'] * len(statuses))}) "
        f"JOIN {_table(Answer)} prev ON prev.assessment_id = pasm.id "
        f"JOIN {_table(Axis)} pax ON pax.id = prev.axis_id AND pax.code = ax.code "
        f"WHERE {where} AND f.level IS NOT NULL AND prev.level IS NOT NULL "
        f"GROUP BY ax.code, prev.level, f.level"
    )
    rows = _fetch(sql, [earlier.pk, *statuses, *values])
    levels = list(range(campaign.referential.scale_min, campaign.referential.scale_max + 1))
    matrices: dict[str, dict[str, Any]] = {}
    for code, before, after, count in rows:
        matrix = matrices.setdefault(code, {"cells": defaultdict(int), "up": 0, "same": 0, "down": 0})
        matrix["cells"][f"{before}-{after}"] += count
        matrix["up" if after > before else "down" if after < before else "same"] += count
    axis_order = [a.code for a in load_typology(campaign.referential, scope.kind).axes]
    result = []
    total_cells: dict[str, int] = defaultdict(int)
    for code in axis_order:
        if code not in matrices:
            continue
        m = matrices[code]
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
    """Everything a dashboard shows, as JSON-ready data (so it can be cached as is)."""
    steps = 2 + int(params.report.region is not None) + 2 * int(params.compare_with is not None)

    def step(done: int, label: str) -> None:
        if progress is not None:
            progress(done, steps, label)

    done = 0
    report = report_compute(params.report).as_dict()
    done += 1
    step(done, "report")
    bundle: dict[str, Any] = {"report": report, "national": None, "regions": None, "evolution": None}
    if params.report.region is not None:
        bundle["national"] = report_compute(replace(params.report, region=None)).as_dict()
        done += 1
        step(done, "national")
    if params.with_regions and params.report.region is None:
        bundle["regions"] = regions_breakdown(params.report)
    done += 1
    step(done, "regions")
    if params.compare_with:
        earlier = report_compute(
            replace(params.report, campaign=params.compare_with, category=None)
        ).as_dict()
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
            "transitions": level_transitions(params.report, earlier_campaign=params.compare_with),
        }
        done += 1
        step(done, "transitions")
    return bundle
