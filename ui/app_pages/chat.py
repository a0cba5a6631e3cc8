"""The chat page: ask about your writing; answers stream, cite, and show what the model saw.

The same use-cases as ``ponder ask`` and ``ponder conversations``: ``Services.asker().ask``
streams events (the passages chosen, the answer's pieces, the finished ``Answer``), and
every finished answer is saved with ``Services.conversations()``. The answer streams
inside the script run, so its first piece reaches the browser at once; any click (Stop,
another question, another page) makes Streamlit rerun the script, which ends the stream
there, and the next run keeps what had arrived, marked as stopped.
"""

from __future__ import annotations

import datetime as dt
import textwrap
import time

import streamlit as st

from index import conversations
from index.answer import Answer, Done, Retrieved, Token
from index.citations import strip_markers
from index.conversations import Conversation
from index.critique import Critique, answer_context
from index.embeddings import ProviderUnavailable
from ui import critique_view, runtime, safe_markdown
from ui.answer_view import Turn, citation_chips, passage_view, transparency
from ui.runtime import AppRuntime, explain
from ui.services import Services
from ui.widgets import CHAT_SCOPE, guarded, privacy_notice, runtime_help, show_error

TURNS = "chat-turns"
CONVERSATION = "chat-conversation"
SCOPE = CHAT_SCOPE
CRITIQUES = "chat-critiques"  # turn index -> the critique of its answer
REDRAW_SECONDS = 0.05  # the first piece is drawn at once, later ones at most this often
LISTED = 30  # saved conversations in the sidebar


def turns() -> list[Turn]:
    if TURNS not in st.session_state:
        st.session_state[TURNS] = []
    value: list[Turn] = st.session_state[TURNS]
    return value


def conversation(services: Services) -> Conversation:
    """The conversation on screen (new and unsaved until its first answer)."""
    if CONVERSATION not in st.session_state:
        st.session_state[CONVERSATION] = services.conversations().new()
    value: Conversation = st.session_state[CONVERSATION]
    return value


def open_conversation(services: Services, conversation_id: str | None) -> None:
    """Show a saved conversation, or a new one."""
    st.session_state.pop(TURNS, None)
    st.session_state.pop(CONVERSATION, None)
    st.session_state.pop(CRITIQUES, None)
    if conversation_id is None:
        return
    loaded = services.conversations().load(conversation_id)
    st.session_state[CONVERSATION] = loaded
    st.session_state[TURNS] = [
        Turn(t.question, status="done", text=t.answer, answer=t.details, saved=t)
        for t in loaded.turns
    ]


# -- the sidebar: conversations -----------------------------------------------------------


def sidebar(services: Services) -> None:
    store = services.conversations()
    current = conversation(services)
    with st.sidebar:
        if st.button("New conversation", icon=":material/add:", width="stretch"):
            open_conversation(services, None)
            st.rerun()
        summaries = store.summaries()[:LISTED]
        if summaries:
            st.caption("Conversations")
        for summary in summaries:
            label = summary.title or "Untitled"
            chosen = summary.id == current.id
            if st.button(
                label,
                key=f"open-{summary.id}",
                type="primary" if chosen else "tertiary",
                help=f"{summary.turns} question{'s' * (summary.turns != 1)}, "
                f"last {summary.updated.astimezone():%Y-%m-%d %H:%M}",
                width="stretch",
            ):
                open_conversation(services, summary.id)
                st.rerun()
        if current.turns:
            manage(services, current)


def manage(services: Services, current: Conversation) -> None:
    """Rename, export and delete the conversation on screen."""
    store = services.conversations()
    with st.expander("This conversation"):
        with st.form("rename"):
            title = st.text_input("Title", value=current.title)
            if st.form_submit_button("Rename") and title.strip():
                with guarded():
                    st.session_state[CONVERSATION] = store.rename(current.id, title)
                    st.rerun()
        st.download_button(
            "Export to Markdown",
            data=conversations.conversation_markdown(current),
            file_name=f"{current.id}.md",
            mime="text/markdown",
            icon=":material/download:",
            on_click="ignore",
        )
        if st.checkbox("Delete it", key="confirm-delete") and st.button(
            "Delete for good", type="primary"
        ):
            with guarded():
                store.delete(current.id)
                open_conversation(services, None)
                st.rerun()


# -- the conversation ---------------------------------------------------------------------


def show_turn(app: AppRuntime, services: Services, turn: Turn, index: int) -> None:
    with st.chat_message("user"):
        safe_markdown.show(turn.question)
    with st.chat_message("assistant"):
        if turn.status == "done" and (turn.answer or turn.saved):
            show_answer(services, turn, index)
            return
        if turn.text:
            safe_markdown.show(turn.text)
        if turn.status == "stopped":
            st.caption("Stopped. The answer above is as far as it got.")
        elif turn.no_runtime:
            runtime_help(app, turn.error, turn.hint)
        elif turn.status == "failed":
            show_error(turn.error, turn.hint)


def show_answer(services: Services, turn: Turn, index: int) -> None:
    answer, saved = turn.answer, turn.saved
    safe_markdown.show(turn.text)
    error = answer.error if answer else saved.error if saved else None
    if error:
        st.warning(f"The model stopped before it finished: {error}", icon=":material/content_cut:")
    citations = answer.citations if answer else saved.citations if saved else ()
    citation = citation_chips(citations, key=f"chips-{index}")
    if citation is not None:
        passage_view(services, answer, citation, key=f"passage-{index}")
    if answer is not None and not answer.found:
        nearest_passages(answer)  # nothing to critique: no model answered
    else:
        critique_action(services, turn, index)
    if answer is not None:
        transparency(answer)
    else:
        st.caption("This answer was saved by an older ponder, without what the model was shown.")


def nearest_passages(answer: Answer) -> None:
    """Where to look when nothing was close enough: the nearest passages, named only."""
    if not answer.nearest:
        return
    st.caption("The nearest passages, none close enough to answer from:")
    for source in answer.nearest:
        passage = source.passage
        opening = textwrap.shorten(" ".join(passage.text.split()), 120, placeholder=" …")
        safe_markdown.caption(f"{passage.date.isoformat()} · `{passage.path}`: “{opening}”")


def critique_action(services: Services, turn: Turn, index: int) -> None:
    """ "Critique this answer": the Critique page's use-case on this answer, shown below it."""
    critiques: dict[int, Critique] = st.session_state.setdefault(CRITIQUES, {})
    if index not in critiques and st.button(
        "Critique this answer",
        key=f"critique-{index}",
        icon=":material/gavel:",
        help="Argue with this answer using your own writing: counter-arguments, blind "
        "spots, contradictions, with dated quotes.",
    ):
        text = turn.answer.text if turn.answer is not None else turn.text
        with guarded():
            events = services.critic().critique(
                strip_markers(text), context=answer_context(turn.question)
            )
            critiques[index] = critique_view.stream(events)
    if index in critiques:
        with st.expander("Critique of this answer", expanded=True):
            critique_view.show(services, critiques[index], key=f"answer-critique-{index}")


def stream_turn(services: Services, turn: Turn, current: Conversation) -> None:
    """Ask, draw the answer piece by piece as the model writes it, then save it."""
    with st.chat_message("user"):
        safe_markdown.show(turn.question)
    with st.chat_message("assistant"):
        stop = st.empty()
        status = st.empty()
        body = st.empty()
        # Its click only needs to happen: the rerun it causes ends this run mid-stream.
        stop.button("Stop", key=f"stop-{len(current.turns)}", icon=":material/stop_circle:")
        status.caption("Searching your writing…")
        events = None
        drawn = 0.0
        try:
            events = services.asker(st.session_state.get(SCOPE)).ask(
                turn.question, current.history()
            )
            for event in events:
                if isinstance(event, Retrieved):
                    found = len(event.passages)
                    status.caption(
                        f"Read {found} passage{'s' * (found != 1)}; writing…"
                        if event.found
                        else "Nothing relevant found."
                    )
                elif isinstance(event, Token):
                    turn.text += event.text
                    now = time.monotonic()
                    if not drawn or now - drawn >= REDRAW_SECONDS:
                        body.markdown(safe_markdown.inert(turn.text) + " ▌")
                        drawn = now
                elif isinstance(event, Done):
                    turn.answer = event.answer
                    turn.text = event.answer.text
                    turn.status = "done"
                    saved = current.with_turn(
                        conversations.Turn.of(event.answer, dt.datetime.now(dt.UTC))
                    )
                    services.conversations().save(saved)
                    st.session_state[CONVERSATION] = saved
        except Exception as exc:  # the turn shows it; the page goes on
            explained = explain(exc)
            turn.status = "failed"
            turn.error, turn.hint = explained or (
                f"unexpected error: {type(exc).__name__}: {exc}",
                "The details are in the terminal running `ponder ui`; please report it.",
            )
            turn.no_runtime = isinstance(exc, ProviderUnavailable)
            if explained is None:
                raise
        finally:
            close = getattr(events, "close", None)  # ask() is a generator
            if close is not None:
                close()  # a stopped run closes the model's stream too
    st.rerun()  # draw the finished turn with its sources and panel


def scope_banner() -> None:
    """Say when questions are asked within a theme's entries, with the way out."""
    scope = st.session_state.get(SCOPE)
    if scope is None:
        return
    left, right = st.columns([4, 1])
    left.info(f"Asking within {scope.label}.", icon=":material/filter_alt:")
    if right.button("Ask all my writing", key="clear-scope"):
        st.session_state.pop(SCOPE, None)
        st.rerun()


def render(app: AppRuntime) -> None:
    services = app.services
    assert services is not None
    question = st.chat_input("Ask about your writing…")
    privacy_notice(services)
    sidebar(services)
    scope_banner()
    on_screen = turns()
    for turn in on_screen:
        if turn.status == "asking":  # its run was ended by a click before it finished
            turn.status = "stopped"
    if not on_screen and not question:
        st.title("Chat")
        st.caption(
            "Ask what you wrote and when: “What did I write about leaving the city?”, "
            "“How did I feel about my work in 2016?”. Every answer cites your own words."
        )
        if services.store.chunk_count() == 0:
            st.info("Nothing is indexed yet: open the Library page and press Sync now.")
    for index, turn in enumerate(on_screen):
        show_turn(app, services, turn, index)
    if not question:
        app.warm_up()  # the models load while the question is being typed
    if question and question.strip():
        turn = Turn(question.strip())
        on_screen.append(turn)
        stream_turn(services, turn, conversation(services))


with guarded():
    render(runtime.current())
