"""The human report: an HTML document (cover, key figures, charts beside their tables) and its PDF."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from convergence.lib.regions import region_label
from convergence.referential.models import localized

from .charts import report_charts

FONT_FILES = {
    ("normal", 400): "dsfr/dist/fonts/Marianne-Regular.woff2",
    ("normal", 700): "dsfr/dist/fonts/Marianne-Bold.woff2",
    ("italic", 400): "dsfr/dist/fonts/Marianne-Regular_Italic.woff2",
}


def font_faces() -> str:
    """@font-face rules pointing at django-dsfr's Marianne files (DejaVu Sans as the fallback)."""
    rules = []
    for (style, weight), static_path in FONT_FILES.items():
        found = finders.find(static_path)
        if found:
            uri = Path(found).resolve().as_uri()
            rules.append(
                f'@font-face {{ font-family: "Marianne"; font-style: {style}; font-weight: {weight}; '
                f'src: url("{uri}") format("woff2"); }}'
            )
    return "\n".join(rules)


NameTable = dict[str, dict[str, tuple[str, str]]]


def _shown(names: NameTable, kind: str, item: dict[str, Any]) -> str:
    """The item's name in the active language: the referential's English name on English
    pages when it has one, else the (French) name the report carries."""
    _french, english = names.get(kind, {}).get(item["code"], ("", ""))
    return localized(item["name"], english)


def localized_report(report: dict[str, Any], names: NameTable | None) -> dict[str, Any]:
    """A copy of the report whose axis, family, type and category names are in the active
    language, for pages, charts and human reports only: the report itself (JSON, CSV, XLSX,
    published snapshots) keeps the referential's French names. `names` comes from
    `analytics.selectors.referential_names`; a code it does not know keeps the report's name."""
    if not names:
        return report
    shown = copy.deepcopy(report)
    for axis in shown["axes"]:
        axis["name"] = _shown(names, "axes", axis)
    for family in shown.get("families") or []:
        family["name"] = _shown(names, "families", family)
        for service_type in family.get("types") or []:
            service_type["name"] = _shown(names, "types", service_type)
    for category in shown.get("categories") or []:
        category["name"] = _shown(names, "categories", category)
    return shown


def report_context(
    report: dict[str, Any], context: dict[str, Any] | None = None, *, charts: dict[str, str] | None = None
) -> dict[str, Any]:
    """What the report templates need: the report, its charts (drawn unless given), and labels.

    Names are shown as the report carries them: pass `localized_report(...)` for the reader's
    language."""
    context = context or {}
    groups = report.get("families") if report["scope"] == "services" else report.get("categories")
    scale = next((list(a["distribution"]) for a in report["axes"] if a["distribution"]), [])
    category_name = ""
    if report.get("category"):
        kind = "types" if report["scope"] == "services" else "categories"
        french, english = (context.get("names") or {}).get(kind, {}).get(report["category"], ("", ""))
        category_name = localized(french, english)
    return {
        "scale": scale,
        "blocker_names": {},
        "report": report,
        "charts": charts if charts is not None else report_charts(report),
        "groups": groups or [],
        # A chart only when some group's count is shown (public mode masks small ones).
        "groups_shown": any(g["subjects"] is not None for g in groups or []),
        "region_name": region_label(report.get("region")),
        "category_name": category_name,
        **context,
    }


def render_html(
    report: dict[str, Any], *, context: dict[str, Any] | None = None, for_pdf: bool = False
) -> str:
    shown = localized_report(report, (context or {}).get("names"))
    # The PDF's charts as PNG images (renderers/charts.py: WeasyPrint draws SVG hatches slowly).
    ctx = report_context(shown, context, charts=report_charts(shown, raster=True) if for_pdf else None)
    # The PDF engine reads Marianne from django-dsfr's files on this server; a downloaded HTML
    # file must not carry server paths, so it names the font and lets the reader's system find
    # it (DejaVu Sans or any sans-serif otherwise).
    ctx["font_faces"] = font_faces() if for_pdf else ""
    return render_to_string("analytics/report_document.html", ctx)


def render_pdf(report: dict[str, Any], *, context: dict[str, Any] | None = None) -> bytes:
    from weasyprint import HTML

    # WeasyPrint warns about every SVG presentation attribute its CSS parser skips (they are
    # drawn by its SVG renderer all the same): keep the command's standard error readable.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)

    return HTML(string=render_html(report, context=context, for_pdf=True)).write_pdf()
