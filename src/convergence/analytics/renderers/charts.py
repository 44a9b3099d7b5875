"""SVG charts of the report, drawn with matplotlib (shared by pages, HTML and PDF files).

Readable without colour: every series has its own hatch pattern or marker, every bar carries
its value as text, and each chart is shown next to a table with the same numbers.
"""

from __future__ import annotations

import base64
import contextvars
import functools
import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Text stays text in the SVG (selectable, translatable, uses the page's font). Applied with
# `rc_context` around each chart, never to matplotlib's global state: two charts drawn at once
# (threads of a server, a PDF beside a page) cannot leak settings into each other.
STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    # Measured with DejaVu Sans (matplotlib cannot read Marianne's woff2); the SVG then asks
    # the page for Marianne first (see _svg).
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "svg.hashsalt": "convergence",  # stable ids: the same report gives the same SVG
}


def charted[**P](draw: Callable[P, str]) -> Callable[P, str]:
    """Draw inside the charts' style. matplotlib is imported on the first chart, not when this
    module is imported: every command and request loads the URLconf, few draw a chart."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> str:
        import matplotlib

        with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
            return draw(*args, **kwargs)

    return wrapper


def _subplots(figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """A figure and its axes, outside pyplot (no global figure manager to close)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    return figure, figure.add_subplot()


def _localized_ticks(axis: Any) -> None:
    """Localise the numbers of a numeric axis (never a categorical one: its labels are names)."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _position: localized_number(value)))


def localized_number(value: float, digits: int | None = None) -> str:
    """A number as the page's language writes it; `digits` None: as few decimals as it needs
    (at most 2)."""
    if digits is None:
        digits = 0 if float(value).is_integer() else (1 if round(value, 1) == round(value, 2) else 2)
    return number_format(value, digits)


HATCHES = ["", "///", "...", "xxx", "\\\\\\", "ooo", "---", "+++"]
GREYS = ["#000091", "#6a6af4", "#b1b1f9", "#e3e3fd", "#313178", "#8585f6", "#cacafb", "#f5f5fe"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p"]
LINESTYLES = ["-", "--", "-.", ":"]


FONT_FAMILY_RE = re.compile(r"font-family: [^;\"]*")
ID_RE = re.compile(r'id="([^"]+)"')


# Set by `report_charts(raster=True)` for the PDF: the same figures, drawn as PNG images. A
# context variable, not a module setting: a page drawn beside a PDF keeps its SVG.
_RASTER: contextvars.ContextVar[bool] = contextvars.ContextVar("analytics_charts_raster", default=False)
RASTER_DPI = 150


def _png(fig: Figure, title: str) -> str:
    """The chart as an inline PNG image. WeasyPrint redraws every SVG hatch pattern point by
    point (measured: 80 % of a national PDF's 137 s under load); a PNG it only embeds. The
    tables beside the charts carry the same figures as text."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=RASTER_DPI, bbox_inches="tight", metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode()
    alt = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return f'<img class="chart-image" role="img" alt="{alt}" src="data:image/png;base64,{data}">'


def _svg(fig: Figure, title: str, prefix: str) -> str:
    if _RASTER.get():
        return _png(fig, title)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = FONT_FAMILY_RE.sub("font-family: 'Marianne', 'DejaVu Sans', sans-serif", svg)
    # Several charts share a page: make their element ids (clip paths, hatches, markers) unique.
    for element_id in set(ID_RE.findall(svg)):
        new = f"{prefix}-{element_id}"
        svg = svg.replace(f'id="{element_id}"', f'id="{new}"').replace(f"#{element_id})", f"#{new})")
        svg = svg.replace(f'href="#{element_id}"', f'href="#{new}"')
    # Accessible name for the image; the data table next to it carries the numbers.
    title_text = title.replace("&", "&amp;").replace("<", "&lt;")
    svg = re.sub(r"<svg ", f'<svg role="img" aria-label="{title_text}" ', svg, count=1)
    return svg


def _height(n: int) -> float:
    return max(1.6, 0.38 * n + 0.8)


@charted
def reached_rate_chart(report: dict[str, Any]) -> str:
    axes = list(report["axes"])
    labels = [a["code"] for a in axes][::-1]
    values = [(a["reached_rate"] or 0) * 100 for a in axes][::-1]
    fig, ax = _subplots((6.2, _height(len(axes))))
    bars = ax.barh(labels, values, color="#000091", edgecolor="black", hatch="///")
    for bar, a in zip(bars, axes[::-1], strict=True):
        text = (
            _("suppressed")
            if a["suppressed"]
            else ("—" if a["reached_rate"] is None else f"{localized_number(bar.get_width(), 0)} %")
        )
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, text, va="center")
    threshold = report.get("threshold")
    if threshold is not None:
        ax.axvline(threshold * 100, color="black", linestyle="--", linewidth=1)
        # Above the plot area, so that it never covers a bar's value.
        ax.text(
            threshold * 100,
            1.01,
            _("threshold %(value)s %%") % {"value": localized_number(round(threshold * 100), 0)},
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xlim(0, 112)
    ax.set_xlabel(_("expected level reached (% of subjects with an expected level)"))
    ax.spines[["top", "right"]].set_visible(False)
    _localized_ticks(ax.xaxis)
    return _svg(fig, _("Expected level reached, per axis"), "chart-reached")


@charted
def mean_level_chart(report: dict[str, Any], scale: list[int]) -> str:
    axes = report["axes"]
    labels = [a["code"] for a in axes][::-1]
    values = [a["mean_level"] or 0 for a in axes][::-1]
    fig, ax = _subplots((6.2, _height(len(axes))))
    bars = ax.barh(labels, values, color="#e3e3fd", edgecolor="black", hatch="...")
    for bar, a in zip(bars, axes[::-1], strict=True):
        text = (
            _("suppressed")
            if a["suppressed"]
            else ("—" if a["mean_level"] is None else localized_number(a["mean_level"], 2))
        )
        ax.text(bar.get_width() + 0.03, bar.get_y() + bar.get_height() / 2, text, va="center")
    ax.set_xlim(scale[0] if scale else 0, (scale[-1] if scale else 3) + 0.4)
    ax.set_xlabel(_("mean level"))
    ax.spines[["top", "right"]].set_visible(False)
    _localized_ticks(ax.xaxis)
    return _svg(fig, _("Mean level, per axis"), "chart-mean")


@charted
def distribution_chart(report: dict[str, Any], scale: list[int]) -> str:
    axes = [a for a in report["axes"] if a["distribution"]][::-1]
    fig, ax = _subplots((6.2, _height(len(axes)) + 0.4))
    left = [0.0] * len(axes)
    for i, level in enumerate(scale):
        shares = [
            (a["distribution"].get(str(level), 0) / a["answered"] * 100) if a["answered"] else 0 for a in axes
        ]
        ax.barh(
            [a["code"] for a in axes],
            shares,
            left=left,
            color=GREYS[i % len(GREYS)],
            edgecolor="black",
            hatch=HATCHES[i % len(HATCHES)],
            label=_("level %(level)s") % {"level": level},
        )
        for y, (start, share) in enumerate(zip(left, shares, strict=True)):
            if share >= 8:
                ax.text(
                    start + share / 2,
                    y,
                    localized_number(share, 0),
                    ha="center",
                    va="center",
                    fontsize=7,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"},
                )
        left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_xlim(0, 100)
    ax.set_xlabel(_("share of answers (%)"))
    ax.legend(ncols=len(scale), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    _localized_ticks(ax.xaxis)
    return _svg(fig, _("Distribution of levels, per axis"), "chart-distribution")


@charted
def groups_chart(groups: list[dict[str, Any]], title: str) -> str:
    shown = [g for g in groups if g["subjects"] is not None][::-1]
    fig, ax = _subplots((6.2, _height(len(shown))))
    bars = ax.barh(
        [g["name"][:40] for g in shown],
        [g["subjects"] for g in shown],
        color="#6a6af4",
        edgecolor="black",
        hatch="xxx",
    )
    for bar in bars:
        text = f" {number_format(bar.get_width(), 0, force_grouping=True)}"
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, text, va="center")
    ax.set_xlabel(_("subjects"))
    ax.spines[["top", "right"]].set_visible(False)
    _localized_ticks(ax.xaxis)
    return _svg(fig, title, "chart-groups")


@charted
def projection_chart(report: dict[str, Any]) -> str:
    fig, ax = _subplots((6.2, 3.4))
    drawn = 0
    for i, a in enumerate(report["axes"]):
        if not a["projection"]:
            continue
        years = [p["date"][:4] for p in a["projection"]]
        rates = [(p["reached_rate"] or 0) * 100 for p in a["projection"]]
        ax.plot(
            years,
            rates,
            marker=MARKERS[i % len(MARKERS)],
            linestyle=LINESTYLES[i % len(LINESTYLES)],
            color="black" if i % 2 else "#000091",
            label=a["code"],
        )
        ax.annotate(a["code"], (years[-1], rates[-1]), textcoords="offset points", xytext=(4, 0), fontsize=7)
        drawn += 1
    ax.set_ylim(0, 105)
    ax.set_ylabel(_("expected level reached (%)"))
    if drawn:
        ax.legend(ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=7)
    else:
        ax.text(0.5, 0.5, _("No milestone declared"), ha="center", transform=ax.transAxes)
    ax.spines[["top", "right"]].set_visible(False)
    _localized_ticks(ax.yaxis)
    return _svg(fig, _("Projected share reaching the expected level, per 31 December"), "chart-projection")


def report_charts(report: dict[str, Any], *, raster: bool = False) -> dict[str, str]:
    """The report's charts: inline SVG for pages and HTML files, PNG images (`raster`) for PDFs;
    one pipeline, the same figures."""
    token = _RASTER.set(raster)
    try:
        return _report_charts(report)
    finally:
        _RASTER.reset(token)


def _report_charts(report: dict[str, Any]) -> dict[str, str]:
    scale = sorted(int(k) for a in report["axes"] if a["distribution"] for k in a["distribution"])
    scale = sorted(set(scale)) or [0, 1, 2, 3]
    groups = report.get("families") if report["scope"] == "services" else report.get("categories")
    title = (
        _("Subjects per family (common core)")
        if report["scope"] == "services"
        else _("Products per category")
    )
    # Every group masked (public mode): no chart with no bar; the page says why (_report_body).
    shown = [g for g in groups or [] if g["subjects"] is not None]
    return {
        "reached": reached_rate_chart(report),
        "mean": mean_level_chart(report, scale),
        "distribution": distribution_chart(report, scale),
        "groups": groups_chart(shown, title) if shown else "",
        "projection": projection_chart(report),
    }
