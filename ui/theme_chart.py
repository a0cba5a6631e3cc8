"""The themes' prevalence over time as one Altair chart: the page shows it, the CLI saves it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import altair as alt

from index.themes import ThemeReport


class ChartUnavailable(Exception):
    """The chart cannot be written in the format asked for; ``hint`` says what will."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def chart_rows(report: ThemeReport) -> list[dict[str, object]]:
    """One row per theme and period: the share of that period's entries on the theme."""
    return [
        {
            "theme": theme.name,
            "period": period,
            "share": share,
            "entries": dict(theme.counts).get(period, 0),
        }
        for theme in report.themes
        for period, share in theme.timeline
    ]


def prevalence_chart(report: ThemeReport) -> alt.Chart:
    """Every theme's share of each period's writing, one line per theme."""
    unit = "year" if report.granularity == "year" else "month"
    chart: alt.Chart = (
        alt.Chart(alt.Data(values=chart_rows(report)))  # type: ignore[no-untyped-call]
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", title=unit, sort="ascending"),
            y=alt.Y("share:Q", title=f"share of the {unit}'s entries", axis=alt.Axis(format="%")),
            color=alt.Color("theme:N", title="theme"),
            tooltip=[
                alt.Tooltip("theme:N"),
                alt.Tooltip("period:O", title=unit),
                alt.Tooltip("share:Q", format=".0%"),
                alt.Tooltip("entries:Q"),
            ],
        )
        .properties(title="How much of your writing each theme took, over time", width=640)
    )
    return chart


def save_chart(report: ThemeReport, path: Path) -> None:
    """Write the chart as PNG, or as HTML with the Vega scripts inlined.

    Inlined, because the default HTML fetches them from a CDN when opened: a request to a
    stranger's server each time the writer looks at their own themes. Both need
    vl-convert-python (a core dependency; checked in case it was removed).

    Raises:
        ChartUnavailable: an unknown extension, or vl-convert-python missing.
    """
    suffix = path.suffix.lower()
    if suffix not in (".html", ".png"):
        raise ChartUnavailable(
            f"cannot write a chart as {suffix or 'a file without an extension'}",
            hint="Name the file .html or .png.",
        )
    if importlib.util.find_spec("vl_convert") is None:
        raise ChartUnavailable(
            "writing a chart needs the vl-convert-python package, which is not installed",
            hint="Install it: pip install vl-convert-python.",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    chart = prevalence_chart(report)
    if suffix == ".html":
        chart.save(str(path), inline=True)
    else:
        chart.save(str(path))
