"""`ponder themes`: what you keep coming back to, when, and what was different about a period."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import click

from index.themes import (
    Comparison,
    Theme,
    ThemeReport,
    compare,
    comparison_json,
    report_json,
)
from ui.cli_support import common_options, parse_date, services
from ui.theme_chart import ChartUnavailable, save_chart

WIDTH = 88
QUOTE_CHARS = 240


@click.command("themes")
@common_options
@click.option(
    "--since", metavar="DATE", help="Only entries from DATE (YYYY, YYYY-MM or YYYY-MM-DD)."
)
@click.option("--until", metavar="DATE", help="Only entries up to DATE.")
@click.option("--json", "as_json", is_flag=True, help="Print the themes as one JSON object.")
@click.option(
    "--chart",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="PATH",
    help="Also write the prevalence-over-time chart to PATH (.html, or .png with "
    "vl-convert-python installed).",
)
@click.option(
    "--compare",
    "period",
    metavar="PERIOD",
    help="What was different about PERIOD (YYYY, YYYY-MM, or FROM..TO): the themes over- and "
    "under-represented in it against the rest.",
)
@click.option("--recompute", is_flag=True, help="Discover the themes again, ignoring the cache.")
@click.option("--no-names", is_flag=True, help="Name themes from keywords; do not ask the model.")
def themes(
    since: str | None,
    until: str | None,
    as_json: bool,
    chart: Path | None,
    period: str | None,
    recompute: bool,
    no_names: bool,
) -> None:
    """The themes you keep coming back to, from every entry: keywords, size, when each rose
    and faded, and quotes.

    Results are cached in the data folder and updated when the archive changes. Ask about a
    theme with `ponder ask --theme NAME QUESTION`.
    """
    app = services()
    report = app.themer().themes(
        parse_date(since, end=False),
        parse_date(until, end=True),
        name=not no_names,
        recompute=recompute,
        progress=None if as_json else _progress,
    )
    comparison = _compare(report, period) if period else None
    if chart is not None:
        try:
            save_chart(report, chart)
        except ChartUnavailable as exc:
            raise click.ClickException(f"{exc}\n  hint: {exc.hint}") from None
    if as_json:
        data = report_json(report)
        if comparison is not None:
            data["comparison"] = comparison_json(comparison)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_report(report)
    if comparison is not None:
        _print_comparison(comparison)
    if chart is not None:
        click.echo(f"Chart written to {chart}.")


def _progress(message: str) -> None:
    click.secho(f"{message}…", dim=True, err=True)


def _compare(report: ThemeReport, period: str) -> Comparison:
    start, _, end = period.partition("..")
    since = parse_date(start, end=False)
    until = parse_date(end or start, end=True)
    assert since is not None and until is not None
    if since > until:
        raise click.BadParameter(f"{period!r} ends before it starts", param_hint="--compare")
    return compare(report, period, since, until)


def _print_report(report: ThemeReport) -> None:
    if not report.themes:
        click.echo(report.message or "No themes found.")
        return
    fresh = report.freshness
    click.secho(
        f"{len(report.themes)} themes in {report.entries} entries "
        f"({report.outliers} belong to none, {report.set_aside} too short). "
        f"Discovered {fresh.computed_at:%Y-%m-%d %H:%M}"
        + (f"; {fresh.assigned_since} entries placed since" if fresh.assigned_since else "")
        + ".",
        dim=True,
    )
    for number, theme in enumerate(report.themes, start=1):
        _print_theme(number, theme, report.granularity)


def _print_theme(number: int, theme: Theme, unit: str) -> None:
    click.echo()
    click.secho(f"{number}. {theme.name}", bold=True)
    click.echo(
        textwrap.fill(theme.description, WIDTH, initial_indent="   ", subsequent_indent="   ")
    )
    click.echo(f"   keywords: {', '.join(theme.keywords)}")
    click.echo(
        f"   {theme.size} entries ({theme.share:.0%}); first {theme.first_seen}, "
        f"peak {theme.peak}, last {theme.last_seen}; {theme.trend}"
    )
    bars = " ".join(f"{p[2:] if unit == 'year' else p[5:]}:{_bar(s)}" for p, s in theme.timeline)
    click.echo(textwrap.fill(bars, WIDTH, initial_indent="   ", subsequent_indent="   "))
    for quote in theme.quotes[:3]:
        text = " ".join(quote.text.split())
        short = textwrap.shorten(text, QUOTE_CHARS, placeholder=" …")
        click.echo(
            textwrap.fill(f"“{short}”", WIDTH, initial_indent="   > ", subsequent_indent="     ")
        )
        click.secho(f"     {quote.date} · {quote.path}", dim=True)


def _bar(share: float) -> str:
    blocks = " ▁▂▃▄▅▆▇█"
    return blocks[min(len(blocks) - 1, round(share * 2 * (len(blocks) - 1)))]


def _print_comparison(comparison: Comparison) -> None:
    click.echo()
    click.secho(
        f"What was different about {comparison.period} "
        f"({comparison.entries_in_period} entries, against {comparison.entries_elsewhere}):",
        bold=True,
    )
    if not comparison.over and not comparison.under:
        click.echo("   Nothing stands out: the themes took their usual share.")
    for d in comparison.over:
        click.echo(
            f"   more: {d.theme.name}: {d.share_in_period:.0%} of the period's entries "
            f"({d.in_period}), {d.share_elsewhere:.0%} elsewhere"
        )
    for d in comparison.under:
        click.echo(
            f"   less: {d.theme.name}: {d.share_in_period:.0%} of the period's entries, "
            f"{d.share_elsewhere:.0%} elsewhere"
        )
