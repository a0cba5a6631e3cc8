"""How one answer is shown: its text, its citations as chips that open the passage in its
source, and the transparency panel (the exact prompt, the passages and their scores, the
model and its parameters, the timings).

Everything from the archive or the model is shown inert (``ui.safe_markdown``) or verbatim
as code; the whole file is read only through ``ui.source_viewer``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import streamlit as st

from index import conversations
from index.answer import Answer, Citation, Source
from ingest.decoding import decode_text
from ui import safe_markdown, source_viewer
from ui.services import Services

CONTEXT_CHARS = 700  # source text shown on each side of a cited passage
VIEWER_MAX_BYTES = 2_000_000  # the whole-file view; bigger files are downloaded instead
SHOWN_CHARS = 200_000  # characters of a whole file put on the page
BINARY_SUFFIXES = frozenset({".docx", ".pdf"})  # shown as the text ponder read from them


TurnStatus = Literal["asking", "done", "stopped", "failed"]


@dataclass
class Turn:
    """One question of the conversation on screen and what became of it."""

    question: str
    status: TurnStatus = "asking"
    text: str = ""  # what was shown so far (all of it once done)
    answer: Answer | None = None  # asked since the app started: everything about it
    saved: conversations.Turn | None = None  # loaded from a saved conversation
    error: str = ""
    hint: str = ""
    no_runtime: bool = False  # the failure was a missing model runtime: show the way out


def chip_label(citation: Citation) -> str:
    title = f" · {citation.title}" if citation.title else ""
    return f"[{citation.key}] {citation.date.isoformat()} · {citation.path}{title}"


def citation_chips(citations: Sequence[Citation], key: str) -> Citation | None:
    """Citations as chips; the one chosen, if any."""
    if not citations:
        return None
    by_key = {c.key: c for c in citations}
    chosen = st.pills(
        "Sources",
        options=list(by_key),
        format_func=lambda k: chip_label(by_key[k]),
        selection_mode="single",
        key=key,
        help="Open a passage where it stands in your writing.",
    )
    return by_key.get(chosen) if chosen is not None else None


def _around(text: str, start: int, end: int) -> tuple[str, str, str]:
    """(before, passage, after): the passage with some of the text around it, cut at lines
    (or words) so no sentence starts mid-word."""
    begin = max(0, start - CONTEXT_CHARS)
    if begin:
        newline = text.find("\n", begin, start)
        begin = newline + 1 if newline != -1 else text.find(" ", begin, start) + 1
    finish = min(len(text), end + CONTEXT_CHARS)
    if finish < len(text):
        newline = text.rfind("\n", end, finish)
        finish = newline if newline != -1 else max(end, text.rfind(" ", end, finish))
    return text[begin:start], text[start:end], text[end:finish]


def _document_text(services: Services, answer: Answer | None, citation: Citation) -> str:
    """The indexed text of the cited document (its passage's, or found by path)."""
    source = next((s for s in answer.passages if s.key == citation.key), None) if answer else None
    doc_id = source.passage.doc_id if source else None
    if doc_id is None:  # a saved conversation keeps paths, not ids
        doc_id = next(
            (d.doc_id for d in services.store.documents() if d.path == citation.path), None
        )
    document = services.store.document(doc_id) if doc_id else None
    return document.source_text if document else ""


def passage_view(services: Services, answer: Answer | None, citation: Citation, key: str) -> None:
    """The cited passage with its date, the text around it, and its file."""
    with st.container(border=True):
        st.markdown(f"**{citation.date.strftime('%A %-d %B %Y')}** · `{citation.path}`")
        if citation.title:
            st.caption(citation.title)
        if not citation.verified:
            st.warning(
                "This file changed after it was indexed: the words below are from the "
                "indexed version. Sync to refresh it.",
                icon=":material/edit_note:",
            )
        text = _document_text(services, answer, citation)
        if (
            text
            and text[citation.start : citation.end] == citation.quote
            and 0 <= citation.start < citation.end <= len(text)
        ):
            before, passage, after = _around(text, citation.start, citation.end)
            if before.strip():
                safe_markdown.caption("…" + before)
            safe_markdown.show(_quoted(passage))
            if after.strip():
                safe_markdown.caption(after + "…")
        else:
            safe_markdown.show(_quoted(citation.quote))
        whole_file(services, citation.path, text, key)


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def whole_file(services: Services, path: str, reading: str, key: str) -> None:
    """The whole file, read strictly from inside the archive; a download of it too."""
    with st.expander("The whole file"):
        try:
            source = source_viewer.read(services.archive, path, VIEWER_MAX_BYTES)
        except source_viewer.OutsideArchive as exc:
            st.warning(f"{exc}. {exc.hint}")
            return
        if Path(path).suffix.lower() not in BINARY_SUFFIXES:
            try:
                shown, _warnings = decode_text(source.data)
            except Exception:  # undecodable: ponder's own reading still shows something
                shown = reading
        else:
            shown = reading  # DOCX, PDF: the text ponder read out of it
        st.caption(f"{source.absolute}")
        if len(shown) > SHOWN_CHARS:
            st.caption(f"Showing the first {SHOWN_CHARS:,} characters.")
        st.code(shown[:SHOWN_CHARS], language=None, wrap_lines=True)
        st.download_button(
            "Download the file",
            data=source.data,
            file_name=Path(path).name,
            key=f"{key}-download",
            on_click="ignore",
        )


def transparency(answer: Answer) -> None:
    """What the model was shown and how it ran, exactly."""
    with st.expander("What the model was shown"):
        prompt_tab, passages_tab, model_tab, timings_tab = st.tabs(
            ["Prompt", "Passages", "Model", "Timings"]
        )
        with prompt_tab:
            _prompt(answer)
        with passages_tab:
            _passages(answer.passages)
            retrieval = answer.retrieval
            searched = retrieval.searched or retrieval.query
            st.caption(
                f"Searched for “{searched}” (content words: “{retrieval.query}”; "
                f"{retrieval.strategy}); "
                f"{retrieval.candidates} candidates, {retrieval.relevant} relevant "
                f"(similarity threshold {retrieval.threshold:g}); "
                f"{retrieval.left_out} left out for lack of room."
            )
            if answer.scope.bounded:
                st.caption(f"Dates: {answer.scope.describe()}")
            for note in answer.scope.notes:
                st.caption(note)
            if answer.dropped_keys:
                st.caption(
                    "Citations the model invented and ponder removed: "
                    + ", ".join(f"[{k}]" for k in answer.dropped_keys)
                )
        with model_tab:
            st.markdown(f"Model: `{answer.model}`")
            st.code(json.dumps(answer.parameters, indent=2, default=str), language="json")
        with timings_tab:
            _timings(answer)


def _prompt(answer: Answer) -> None:
    if answer.standalone_question != answer.question:
        st.caption(f"Follow-up understood as: {answer.standalone_question}")
    if answer.condense_prompt:
        st.markdown("**Rewriting the follow-up**")
        for message in answer.condense_prompt:
            st.caption(message.role)
            st.code(message.content, language=None, wrap_lines=True)
        st.markdown("**Answering**")
    if not answer.prompt:
        st.caption("No model was asked: nothing in the archive was relevant.")
    for message in answer.prompt:
        st.caption(message.role)
        st.code(message.content, language=None, wrap_lines=True)


def _passages(passages: Sequence[Source]) -> None:
    if not passages:
        st.caption("No passages.")
        return
    rows = [
        {
            "key": s.key,
            "date": s.passage.date,
            "file": s.passage.path,
            "title": s.passage.entry_title,
            "similarity": None if s.similarity is None else round(s.similarity, 4),
            "text score": None if s.text_score is None else round(s.text_score, 3),
            "has the words": s.covers,
            "excerpt": s.excerpt,
        }
        for s in passages
    ]
    st.dataframe(rows, hide_index=True, width="stretch")


def _timings(answer: Answer) -> None:
    timings = answer.timings

    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:,.0f} ms"

    cols = st.columns(5)
    cols[0].metric("Retrieval", ms(timings.retrieval_ms))
    cols[1].metric("Rewriting", ms(timings.condense_ms))
    cols[2].metric("First token", ms(timings.first_token_ms))
    cols[3].metric(
        "Speed",
        "—" if timings.tokens_per_second is None else f"{timings.tokens_per_second:.1f} tok/s",
    )
    cols[4].metric("Total", ms(timings.total_ms))
