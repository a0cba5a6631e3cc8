"""The Themes page: what the writer keeps coming back to, when, in their own words.

The same use-case as ``ponder themes``: ``Services.themer()``. The page shows the cached
themes at once (``Themer.cached``, no computing) and how current they are; discovering or
updating them runs as a background job, so the page stays usable meanwhile. "Ask about
this theme" opens the chat scoped to the theme's entries.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from index.themes import Theme, ThemeReport, compare, theme_scope
from ui import runtime, safe_markdown
from ui.background import Job
from ui.cli_support import parse_date
from ui.runtime import AppRuntime
from ui.theme_chart import prevalence_chart
from ui.widgets import CHAT_SCOPE, guarded, job_panel

JOB = "themes"
QUOTE_CHARS = 700


def start(app: AppRuntime, recompute: bool = False) -> None:
    services = app.services
    assert services is not None

    def work(job: Job) -> ThemeReport:
        return services.themer().themes(recompute=recompute, progress=job.note)

    app.jobs.start(JOB, "Finding themes", work)


def _when(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def freshness(app: AppRuntime, report: ThemeReport | None, busy: bool) -> None:
    if report is None:
        st.info(
            "Themes have not been looked for yet. Discovering them reads every entry "
            "(it takes from seconds to a minute)."
        )
        if st.button("Discover themes", type="primary", disabled=busy):
            start(app)
            st.rerun()
        return
    fresh = report.freshness
    facts = [f"discovered {_when(fresh.computed_at)} from {fresh.entries} entries"]
    if fresh.assigned_since:
        facts.append(f"{fresh.assigned_since} entries placed in them since")
    if fresh.changed_since:
        facts.append(f"**{fresh.changed_since} entries changed since**")
    else:
        facts.append("up to date with the index")
    st.caption(" · ".join(facts))
    left, right = st.columns(2)
    if fresh.changed_since and left.button("Update themes", type="primary", disabled=busy):
        start(app)
        st.rerun()
    if right.button("Discover again from scratch", disabled=busy):
        start(app, recompute=True)
        st.rerun()


def difference(report: ThemeReport) -> None:
    """What was different about one period: themes over- and under-represented in it."""
    periods = [p for p, n in report.periods if n]
    if len(periods) < 2:
        return
    st.subheader("What was different about…")
    period = st.selectbox("Period", periods, index=len(periods) - 1, key="themes-period")
    assert period is not None
    since, until = parse_date(period, end=False), parse_date(period, end=True)
    assert since is not None and until is not None  # a period is "YYYY" or "YYYY-MM"
    result = compare(report, period, since, until)
    if not result.over and not result.under:
        st.caption("Nothing stands out: the themes took their usual share.")
    for d in result.over:
        st.markdown(
            f"- **More** {safe_markdown.inert(d.theme.name)}: {d.share_in_period:.0%} of "
            f"{period}'s entries, {d.share_elsewhere:.0%} elsewhere"
        )
    for d in result.under:
        st.markdown(
            f"- **Less** {safe_markdown.inert(d.theme.name)}: {d.share_in_period:.0%} of "
            f"{period}'s entries, {d.share_elsewhere:.0%} elsewhere"
        )


def theme_card(theme: Theme, number: int) -> None:
    label = f"{number}. {theme.name} — {theme.size} entries, {theme.trend}"
    with st.expander(label, expanded=number == 1):
        safe_markdown.show(theme.description)
        st.caption("Keywords: " + ", ".join(theme.keywords))
        cols = st.columns(4)
        cols[0].metric("Share", f"{theme.share:.0%}")
        cols[1].metric("First seen", theme.first_seen.isoformat())
        cols[2].metric("Peak", theme.peak)
        cols[3].metric("Last seen", theme.last_seen.isoformat())
        for quote in theme.quotes:
            text = " ".join(quote.text.split())
            if len(text) > QUOTE_CHARS:
                text = text[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
            safe_markdown.show("> " + text)
            safe_markdown.caption(f"{quote.date} · {quote.path}")
        if st.button("Ask about this theme", key=f"ask-theme-{theme.id}", icon=":material/chat:"):
            st.session_state[CHAT_SCOPE] = theme_scope(theme)
            st.session_state["goto"] = "chat"
            st.rerun()


def render(app: AppRuntime) -> None:
    services = app.services
    assert services is not None
    st.title("Themes")
    st.caption(
        "What you keep coming back to, found in every entry: how much of your writing each "
        "theme took over time, and your own words on it."
    )
    job = job_panel(app, JOB)
    busy = job is not None and job.running
    report = services.themer().cached()
    if report is None and job is not None and isinstance(job.result, ThemeReport):
        report = job.result  # e.g. "not enough writing yet": nothing was cached
    freshness(app, report, busy)
    if report is None:
        return
    if not report.themes:
        st.info(report.message or "No themes found.")
        return
    st.altair_chart(prevalence_chart(report), width="stretch")
    st.caption(
        f"{len(report.themes)} themes · {report.outliers} entries belong to none · "
        f"{report.set_aside} too short to place"
    )
    for number, theme in enumerate(report.themes, start=1):
        theme_card(theme, number)
    difference(report)


with guarded():
    render(runtime.current())
