"""The critique page: a text or an entry of the archive, argued with the writer's own past.

The same use-case as ``ponder critique``: ``Services.critic().critique`` streams its
progress and finishes with a ``Critique``, kept in session state and shown by
``ui.critique_view``.
"""

from __future__ import annotations

import streamlit as st

from index.critique import Critique, load_entry
from index.critique_prompts import HARSHNESS, Harshness
from ui import critique_view, runtime
from ui.runtime import AppRuntime
from ui.widgets import guarded

RESULT = "critique-result"
SOURCES = ("A text", "An entry of your archive")


def render(app: AppRuntime) -> None:
    services = app.services
    assert services is not None
    st.title("Critique")
    st.caption(
        "A harsh sparring partner: the claims, the strongest counter-arguments, blind spots, "
        "contradictions with what you wrote before, where you may be deceiving yourself, and "
        "questions to sit with. Every reference to your writing is an exact, dated quote."
    )
    source = st.radio("Critique", SOURCES, horizontal=True, key="critique-source")
    text, entry = "", ""
    if source == SOURCES[0]:
        text = st.text_area(
            "Your idea, plan or draft",
            key="critique-text",
            height=160,
            placeholder="I should take the job at Northwind: it is the grown-up choice.",
        )
    else:
        entry = st.text_input(
            "Entry",
            key="critique-entry",
            placeholder="journal/2019.md#2019-09-05",
            help="A path relative to the archive; add #YYYY-MM-DD for one entry of a file "
            "that holds several. Only what you wrote up to that date is searched.",
        )
    default = services.settings.critique.harshness
    harshness = st.segmented_control(
        "Harshness",
        HARSHNESS,
        default=default,
        key="critique-harshness",
        help="Changes the tone only, never which evidence is shown.",
    )
    if st.button("Critique", type="primary", key="critique-run"):
        level: Harshness = harshness or default
        with guarded():
            critic = services.critic()
            if entry.strip():
                found = load_entry(services.store, entry)
                events = critic.critique(
                    found.text, level, as_of=found.date, exclude=frozenset({found.key})
                )
            else:
                events = critic.critique(text, level)
            st.session_state[RESULT] = critique_view.stream(events)
    result: Critique | None = st.session_state.get(RESULT)
    if result is not None:
        critique_view.show(services, result, key="critique")


with guarded():
    render(runtime.current())
