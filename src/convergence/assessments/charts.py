"""The fiche's radar chart: current vs expected vs next milestone, per axis (matplotlib SVG).

Readable without colour: each series has its own line style and marker, and a legend; the
page and the PDF also give the same figures as a table. Text stays text in the SVG
(`svg.fonttype = "none"`), so axis codes are searchable in the PDF and readable by assistive
technology.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.projections.polar import PolarAxes


@dataclass(frozen=True)
class RadarSeries:
    label: str
    values: Sequence[float | None]  # None: no value on that axis (the line breaks there)
    linestyle: str
    marker: str
    color: str


def radar_svg(
    axis_labels: Sequence[str],
    series: Sequence[RadarSeries],
    *,
    scale_min: int,
    scale_max: int,
    title: str = "",
    description: str = "",
) -> str:
    """An inline-able `<svg>` element (no XML prolog); empty string when there is no axis."""
    if not axis_labels:
        return ""
    # Imported on the first chart, not with the module: every command and request loads the
    # URLconf (and so this module), few draw a radar. Figure is used without pyplot (no backend,
    # no global state).
    import matplotlib
    from matplotlib.figure import Figure

    count = len(axis_labels)
    angles = [2 * math.pi * i / count for i in range(count)]
    with matplotlib.rc_context(
        {"svg.fonttype": "none", "font.family": "DejaVu Sans", "svg.hashsalt": "fiche"}
    ):
        figure = Figure(figsize=(6.4, 5.6))
        axes: PolarAxes = figure.add_subplot(projection="polar")  # type: ignore[assignment]
        axes.set_theta_offset(math.pi / 2)
        axes.set_theta_direction(-1)
        axes.set_xticks(angles)
        axes.set_xticklabels(axis_labels, fontsize=9)
        axes.set_ylim(scale_min, scale_max + 0.2)
        axes.set_yticks(list(range(scale_min, scale_max + 1)))
        axes.set_yticklabels([str(v) for v in range(scale_min, scale_max + 1)], fontsize=8)
        for one in series:
            # Close the polygon; a None becomes NaN so the line breaks instead of dropping to 0.
            values = [math.nan if v is None else float(v) for v in one.values]
            axes.plot(
                [*angles, angles[0]],
                [*values, values[0]],
                linestyle=one.linestyle,
                marker=one.marker,
                color=one.color,
                linewidth=1.8,
                markersize=6,
                label=one.label,
            )
        axes.legend(loc="upper right", bbox_to_anchor=(1.32, 1.12), fontsize=9, frameon=False)
        if title:
            axes.set_title(title, fontsize=10, pad=18)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buffer.getvalue()
    # Keep only the <svg> element: the prolog and doctype are invalid inside HTML.
    svg = svg[svg.index("<svg") :]
    label = escape(description or title)
    return re.sub(r"<svg ", f'<svg role="img" aria-label="{label}" class="convergence-radar" ', svg, count=1)


CURRENT_STYLE = {"linestyle": "-", "marker": "o", "color": "#000091"}
EXPECTED_STYLE = {"linestyle": "--", "marker": "s", "color": "#b34000"}
MILESTONE_STYLE = {"linestyle": ":", "marker": "^", "color": "#18753c"}
