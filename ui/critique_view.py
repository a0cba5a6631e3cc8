"""How a critique is shown: its six sections in order, each point with its citations as
chips that open the passage in its source, contradictions side by side, and what the model
was shown. Shared by the Critique page and the chat page's "Critique this answer".

Everything from the archive or the model is shown inert (``ui.safe_markdown``) or verbatim
as code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import streamlit as st

from index.answer import Token
from index.critique import (
    VERDICT_LABELS,
    Critique,
    CritiqueEvent,
    Finished,
    Gathered,
    Judging,
    Point,
    Section,
    Writing,
)
from ui import safe_markdown
from ui.answer_view import citation_chips, passage_view
from ui.services import Services

REDRAW_SECONDS = 0.05
_LABELS: dict[str, str] = {str(k): v for k, v in VERDICT_LABELS.items()}


def stream(events: Iterator[CritiqueEvent]) -> Critique:
    """Show a critique's progress as it is made (searching, reading each candidate, the
    draft as the model writes it); return the finished critique."""
    status = st.empty()
    draft = st.empty()
    status.caption("Searching your writing…")
    text = ""
    drawn = 0.0
    result: Critique | None = None
    try:
        for event in events:
            if isinstance(event, Gathered):
                status.caption(
                    f"Found {event.pool_size} passages; reading {event.candidates} beside "
                    "your text…"
                )
            elif isinstance(event, Judging):
                status.caption(f"Reading candidate {event.index} of {event.total}…")
            elif isinstance(event, Writing):
                status.caption("Writing the critique…")
            elif isinstance(event, Token):
                text += event.text
                now = time.monotonic()
                if not drawn or now - drawn >= REDRAW_SECONDS:
                    draft.markdown(safe_markdown.inert(text) + " ▌")
                    drawn = now
            elif isinstance(event, Finished):
                result = event.critique
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
    status.empty()
    draft.empty()
    assert result is not None  # critique() always ends with Finished
    return result


def show(services: Services, critique: Critique, key: str) -> None:
    """The critique, section by section, in the issue's order."""
    if critique.error:
        st.warning(
            f"The model stopped before it finished: {critique.error}. The evidence below "
            "was gathered before it stopped.",
            icon=":material/content_cut:",
        )
    for section in critique.sections:
        _section(services, section, f"{key}-{section.name}")
    if critique.dropped_points:
        st.caption(
            f"Left out {len(critique.dropped_points)} point(s) with no checked evidence: "
            "they said something about your past without a quote to back it."
        )
    transparency(critique)


def _section(services: Services, section: Section, key: str) -> None:
    st.subheader(section.title)
    if section.note:
        st.caption(section.note)
    for point in section.points:
        _point(point)
    citations = [c for p in section.points for c in p.citations]
    unique = {c.key: c for c in citations}
    chosen = citation_chips(list(unique.values()), key=f"{key}-chips")
    if chosen is not None:
        passage_view(services, None, chosen, key=f"{key}-passage")


def _point(point: Point) -> None:
    label = ""
    if point.kind:
        label = f"**{_LABELS.get(point.kind, point.kind)}**"
        label += " (not confirmed by the model)" if point.confirmed is None else ""
        label += ": "
    safe_markdown.show(f"- {label}{point.text}")
    if point.basis == "reasoning":
        st.caption("General reasoning, not a fact about you.")
    if point.current and point.citations:
        then, now = st.columns(2)
        first = point.citations[0]
        with then:
            st.caption(f"Then · {first.date.isoformat()} · {first.path}")
            safe_markdown.show(f"> {' '.join(first.quote.split())}")
        with now:
            st.caption("Now")
            safe_markdown.show(f"> {' '.join(point.current.split())}")


def transparency(critique: Critique) -> None:
    """What the model was shown and how it ran, exactly."""
    with st.expander("What the model was shown"):
        prompt_tab, candidates_tab, passages_tab, model_tab, timings_tab = st.tabs(
            ["Prompt", "Candidates", "Passages", "Model", "Timings"]
        )
        with prompt_tab:
            for message in critique.prompt:
                st.caption(message.role)
                st.code(message.content, language=None, wrap_lines=True)
        with candidates_tab:
            rows = [
                {
                    "key": j.key,
                    "date": j.candidate.passage.date,
                    "file": j.candidate.passage.path,
                    "sentence": j.candidate.quote,
                    "cue": j.candidate.pivot.cue,
                    "prerank": round(j.candidate.prerank, 3),
                    "verdict": j.verdict,
                    "kept": j.kept,
                }
                for j in critique.judged
            ]
            if rows:
                st.dataframe(rows, hide_index=True, width="stretch")
            st.caption(
                "Searched: " + "; ".join(f"{name}: “{query}”" for name, query in critique.queries)
            )
        with passages_tab:
            passage_rows: list[dict[str, object]] = [
                {
                    "key": s.key,
                    "date": s.passage.date,
                    "file": s.passage.path,
                    "similarity": None if s.similarity is None else round(s.similarity, 4),
                }
                for s in critique.passages
            ]
            if passage_rows:
                st.dataframe(passage_rows, hide_index=True, width="stretch")
            else:
                st.caption("No passages.")
        with model_tab:
            st.markdown(f"Model: `{critique.model}` · harshness: {critique.harshness}")
            st.code(json.dumps(critique.parameters, indent=2, default=str), language="json")
        with timings_tab:
            timings = critique.timings
            cols = st.columns(3)
            cols[0].metric("Retrieval", f"{timings.retrieval_ms:,.0f} ms")
            cols[1].metric("Judging", f"{timings.judging_ms:,.0f} ms")
            cols[2].metric("Total", f"{timings.total_ms:,.0f} ms")
