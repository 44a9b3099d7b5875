"""Figures of the agency and regional dashboards, beside the campaign report: regions side by
side, evolution between two campaigns (per axis, and level transitions). Pure computation over
grouped queries, like the engine; the web layer caches the result (see services.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from convergence.catalog.enums import SubjectStatus
from convergence.lib.regions import region_name
from convergence.organisations.models import Organisation

from .disclosure import Pattern, disclosed_report, known_assessments, transitions_shown, view_entry
from .engine import Progress, ReportParams, report_compute, resolve, rounded, tally_answers
from .queries import FactsSource, answer_groups, load_typology, subject_counts, transition_rows

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


def regions_breakdown(params: ReportParams, *, source: FactsSource | None = None) -> list[dict[str, Any]]:
    """Per region: published subjects, and per axis answered, mean level and reached rate."""
    campaign, scope = resolve(params)
    source = source or FactsSource.current()
    scope = replace(scope, group_by_region=True)
    typology = load_typology(campaign.referential, scope.kind)
    published: dict[str, int] = defaultdict(int)
    for status, _type, region, count in subject_counts(scope):
        if status == SubjectStatus.ACTIVE:
            published[region or ""] += count
    tallies = tally_answers(answer_groups(scope, source), key_extra=True)
    rows = []
    for region in sorted(published):
        axes = {}
        for axis_id, code, _name in typology.axes:
            tally = tallies.get((axis_id, region))
            axes[code] = {
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
    source: FactsSource | None = None,
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
    rows = transition_rows(
        scope,
        source or FactsSource.current(),
        earlier_campaign_id=earlier.pk,
        known=known_assessments(organisation, campaign.pk) if organisation is not None else None,
    )
    levels = list(range(campaign.referential.scale_min, campaign.referential.scale_max + 1))
    matrices: dict[str, dict[str, Any]] = {}
    for code, before, after, peer, count in rows:
        matrix = matrices.setdefault(
            code, {"cells": defaultdict(int), "up": 0, "same": 0, "down": 0, "peers": 0}
        )
        matrix["cells"][f"{before}-{after}"] += count
        matrix["up" if after > before else "down" if after < before else "same"] += count
        matrix["peers"] += count if peer else 0
    axis_order = [code for _id, code, _name in load_typology(campaign.referential, scope.kind).axes]
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
    source = FactsSource.current()

    def compute(report_params: ReportParams) -> dict[str, Any]:
        if reader is None:
            return report_compute(report_params, source=source).as_dict()
        shown, pattern = disclosed_report(report_params, reader, source=source)
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
        bundle["regions"] = regions_breakdown(params.report, source=source)
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
                source=source,
            ),
        }
        done += 1
        step(done, "transitions")
    return bundle
