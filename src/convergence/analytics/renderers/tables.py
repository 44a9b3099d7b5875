"""The report as flat tables (one per section): what CSV and XLSX write, in this order.

Documented in docs/reports.md ("CSV and XLSX"). Suppressed cells are empty; `suppressed` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Table:
    name: str
    header: list[str]
    rows: list[list[Any]]


def _scale(report: dict[str, Any]) -> list[str]:
    for axis in report["axes"]:
        if axis["distribution"]:
            return list(axis["distribution"])
    return []


def report_tables(report: dict[str, Any]) -> list[Table]:
    subjects = report["subjects"]
    summary = [
        ["format", report["format"]],
        ["campaign", report["campaign"]],
        ["referential", report["referential"]],
        ["scope", report["scope"]],
        ["region", report["region"]],
    ]
    if "category" in report:
        summary.append(["category", report["category"]])
    summary += [
        ["public", report["public"]],
        ["min_cell", report["min_cell"]],
        ["threshold", report["threshold"]],
        ["subjects.total", subjects["total"]],
        *[[f"subjects.by_status.{k}", v] for k, v in subjects["by_status"].items()],
        ["subjects.excluded", subjects["excluded"]],
        ["subjects.published", subjects["published"]],
    ]
    if "common_core" in subjects:
        summary += [
            ["subjects.common_core", subjects["common_core"]],
            ["subjects.common_core_types", subjects["common_core_types"]],
        ]
    summary += [
        ["axes_reaching_threshold", report["axes_reaching_threshold"]],
        ["axes_measured", report["axes_measured"]],
    ]
    tables = [Table("summary", ["key", "value"], summary)]

    if report["scope"] == "services":
        rows = []
        for family in report.get("families", []):
            rows.append([family["code"], family["name"], "", "", family["subjects"], family["suppressed"]])
            for t in family["types"]:
                rows.append(
                    [family["code"], family["name"], t["code"], t["name"], t["subjects"], t["suppressed"]]
                )
        tables.append(
            Table("families", ["family", "family_name", "type", "type_name", "subjects", "suppressed"], rows)
        )
    else:
        tables.append(
            Table(
                "categories",
                ["category", "name", "subjects", "suppressed"],
                [
                    [c["code"], c["name"], c["subjects"], c["suppressed"]]
                    for c in report.get("categories", [])
                ],
            )
        )

    scale = _scale(report)
    tables.append(
        Table(
            "axes",
            [
                "axis",
                "name",
                "answered",
                "not_applicable",
                "mean_level",
                "with_expectation",
                "reached",
                "reached_rate",
                "suppressed",
                *[f"level_{lv}" for lv in scale],
            ],
            [
                [
                    a["code"],
                    a["name"],
                    a["answered"],
                    a["not_applicable"],
                    a["mean_level"],
                    a["with_expectation"],
                    a["reached"],
                    a["reached_rate"],
                    a["suppressed"],
                    *[(a["distribution"] or {}).get(lv) for lv in scale],
                ]
                for a in report["axes"]
            ],
        )
    )
    tables.append(
        Table(
            "projection",
            ["axis", "date", "reached_rate"],
            [
                [a["code"], p["date"], p["reached_rate"]]
                for a in report["axes"]
                for p in (a["projection"] or [])
            ],
        )
    )
    tables.append(
        Table(
            "blockers",
            ["axis", "category", "subjects"],
            [[b["axis"], b["category"], b["subjects"]] for b in report["blockers"]],
        )
    )
    return tables
