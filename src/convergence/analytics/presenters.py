"""What the analytics pages show, built from the figures: the views parse the request, call a
service or a selector, and hand the result to a presenter here (no figure is computed in a
view, no query is made in a template)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.utils.translation import get_language

from convergence.lib.regions import region_labels

from .renderers.document import localized_report, report_context
from .selectors import report_labels


def report_charts_cached(report: dict[str, Any], *, cache_key: str) -> dict[str, str]:
    """The report's charts in the page's language, drawn once per figures' version (`cache_key`)
    and language: drawing them takes longer than reading the cached figures."""
    from .renderers.charts import report_charts

    key = f"{cache_key}:charts:{get_language()}"
    charts = cache.get(key)
    if charts is None:
        charts = report_charts(report)
        cache.set(key, charts, timeout=3600)
    return charts


def export_query(report: dict[str, Any]) -> str:
    """The query string of the report's export links (the same figures as a file)."""
    query = {"campaign": report["campaign"], "scope": report["scope"]}
    if report.get("region"):
        query["region"] = report["region"]
    if report.get("category"):
        query["category"] = report["category"]
    return urlencode(query)


def dashboard_context(bundle: dict[str, Any], *, cache_key: str) -> dict[str, Any]:
    """The dashboard page's context for a computed bundle (analytics.dashboards.dashboard_compute)."""
    report = bundle["report"]
    labels = report_labels(campaign_code=report["campaign"])
    # The referential's names in the page's language; the cached figures keep the French ones.
    shown = localized_report(report, labels.get("names"))
    context = report_context(shown, labels, charts=report_charts_cached(shown, cache_key=cache_key))
    context["regions"] = region_labels()
    context["bundle"] = bundle
    if bundle.get("national"):
        national = {a["code"]: a for a in bundle["national"]["axes"]}
        context["side_by_side"] = [(a, national.get(a["code"])) for a in report["axes"]]
    context["axis_codes"] = [a["code"] for a in report["axes"]]
    context["export_query"] = export_query(report)
    return context
