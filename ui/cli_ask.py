"""`ponder ask`, `ponder chat` and `ponder conversations`: questions answered from your writing.

Thin: each command calls ``Asker`` (index.answer) and ``Conversations``
(index.conversations) and renders what they return. Answers stream to the terminal as
the model writes them; the sources follow as numbered, dated quotes with their paths.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import click

from index.answer import (
    Answer,
    Asker,
    Citation,
    Done,
    Exchange,
    Retrieval,
    Retrieved,
    Source,
    Token,
    answer_json,
)
from index.chat import ChatMessage
from index.conversations import (
    Conversation,
    Conversations,
    Turn,
    conversation_json,
    conversation_markdown,
)
from index.search import EntryScope
from index.themes import theme_scope
from index.when import TimeScope
from ui.cli_support import common_options, services
from ui.services import Services

WIDTH = 88


# -- ask ------------------------------------------------------------------------------------


@click.command("ask")
@common_options
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the whole answer as one JSON object.")
@click.option(
    "--show-context",
    is_flag=True,
    help="First print the model, the passages with their scores and the exact prompt.",
)
@click.option(
    "--conversation",
    "conversation_id",
    metavar="ID",
    help="Continue this saved conversation (its earlier questions give context).",
)
@click.option("--no-save", is_flag=True, help="Do not save the question as a conversation.")
@click.option(
    "--theme",
    metavar="NAME",
    help="Answer only from the entries of this theme (its name, number or a keyword, as "
    "`ponder themes` lists them).",
)
def ask(
    question: str,
    as_json: bool,
    show_context: bool,
    conversation_id: str | None,
    no_save: bool,
    theme: str | None,
) -> None:
    """Answer QUESTION from your writing, citing the passages it rests on.

    Time expressions narrow the search: "in 2014", "last summer", "before 2010", "this past
    year"; "how has X changed" / "over the years" spreads it over the years; "when did I
    first" / "the last time" looks for the earliest / latest mention.
    """
    app = services()
    store = app.conversations()
    conversation = store.load(conversation_id) if conversation_id else store.new()
    asker = app.asker(_theme_scope(app, theme) if theme else None)
    if as_json:
        answer = asker.answer(question, conversation.history())
    else:
        answer = stream_answer(asker, question, conversation.history(), show_context)
    saved = None if no_save else _save(store, conversation, answer)
    if as_json:
        data = answer_json(answer)
        data["conversation"] = saved.id if saved else None
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif saved:
        _dim(
            f"Saved as conversation {saved.id}; continue it with "
            f"`ponder ask --conversation {saved.id} QUESTION` or `ponder chat --conversation ID`."
        )
    if answer.error:
        raise click.exceptions.Exit(1)


def _theme_scope(app: Services, name: str) -> EntryScope:
    """The entries of the theme called ``name`` (by name, number or keyword)."""
    report = app.themer().themes()
    theme = report.find(name)
    if theme is None:
        known = ", ".join(f"{n}. {t.name}" for n, t in enumerate(report.themes, start=1))
        raise click.BadParameter(
            f"no theme {name!r}"
            + (f"; the themes are: {known}" if known else f": {report.message}"),
            param_hint="--theme",
        )
    _dim(f"Asking within the theme “{theme.name}” ({theme.size} entries).")
    return theme_scope(theme)


def _save(store: Conversations, conversation: Conversation, answer: Answer) -> Conversation:
    conversation = conversation.with_turn(Turn.of(answer, _now()))
    store.save(conversation)
    return conversation


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def stream_answer(
    asker: Asker, question: str, history: Sequence[Exchange], show_context: bool = False
) -> Answer:
    """Print an answer as it streams, then its sources; return it."""
    answer: Answer | None = None
    for event in asker.ask(question, history):
        if isinstance(event, Retrieved):
            if show_context:
                _print_context(event)
        elif isinstance(event, Token):
            click.echo(printable(event.text), nl=False)
        elif isinstance(event, Done):
            answer = event.answer
    assert answer is not None  # ask() always ends with Done
    click.echo()
    _print_outcome(answer)
    return answer


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text without terminal control characters: a note (or a model prompted by one) must
    not be able to move the cursor, rewrite the screen or set the window title."""
    return _CONTROL.sub("", text)


def _print_outcome(answer: Answer) -> None:
    if answer.error:
        click.secho(
            f"\nThe answer stopped early: {answer.error}. What came is shown above.",
            fg="red",
            err=True,
        )
    if answer.citations:
        click.echo()
        click.secho("Sources", bold=True)
        for citation in answer.citations:
            _print_citation(citation)
    if answer.dropped_keys:
        keys = ", ".join(f"[{k}]" for k in answer.dropped_keys)
        _dim(f"Left out {keys}: the model cited passages it was not shown.")
    if answer.found:
        _dim(_stats(answer))
    elif answer.nearest:
        click.echo()
        _dim("The nearest passages, none close enough to answer from:")
        for source in answer.nearest:
            passage = source.passage
            opening = textwrap.shorten(" ".join(passage.text.split()), 90, placeholder=" …")
            _dim(printable(f"  {passage.date.isoformat()} · {passage.path}: “{opening}”"))


def _print_citation(citation: Citation) -> None:
    title = f" — {citation.title}" if citation.title else ""
    click.echo(printable(f"[{citation.key}] {citation.date.isoformat()} · {citation.path}{title}"))
    quote = printable(" ".join(citation.quote.split()))
    click.echo(textwrap.indent(textwrap.fill(f"“{quote}”", WIDTH - 4), "    "))
    if not citation.verified:
        _dim("    (the file has changed since it was indexed: run `ponder ingest`)")


def _stats(answer: Answer) -> str:
    timings = answer.timings
    count = len(answer.passages)
    parts = [answer.model, f"{count} passage{'s' if count != 1 else ''}"]
    parts.append(f"retrieval {timings.retrieval_ms:.0f} ms")
    if timings.first_token_ms is not None:
        parts.append(f"first token {timings.first_token_ms:.0f} ms")
    if timings.tokens_per_second is not None:
        parts.append(f"{timings.tokens_per_second:.1f} tokens/s")
    return " · ".join(parts)


def _dim(text: str) -> None:
    click.secho(text, dim=True)


# -- the context: what the model was shown -------------------------------------------------------


def _print_context(event: Retrieved) -> None:
    _rule("Searched")
    click.echo(_searched(event.standalone_question, event.scope, event.retrieval))
    _rule("Passages")
    for source in event.passages:
        _print_source(source)
    if event.prompt:
        _rule("Model")
        click.echo(f"{event.model} {json.dumps(event.parameters, default=str)}")
        _rule("Prompt")
        _print_prompt(event.prompt)
    _rule("Answer")


def _searched(standalone: str, scope: TimeScope, retrieval: Retrieval | None) -> str:
    lines = [f"question: {standalone}", f"dates:    {scope.describe()}"]
    if scope.phrases:
        lines.append("from:     " + ", ".join(f"“{p}”" for p in scope.phrases))
    lines.extend(f"note:     {note}" for note in scope.notes)
    if retrieval is not None:
        best = retrieval.best_similarity
        if retrieval.searched:
            lines.append(f"searched: {retrieval.searched}")
        lines.append(
            f"words:    {retrieval.query or '(none: every entry in range counts)'}\n"
            f"strategy: {retrieval.strategy}; {retrieval.candidates} candidates, "
            f"{retrieval.relevant} relevant (similarity threshold {retrieval.threshold:.2f}"
            + (f", best {best:.3f}" if best is not None else "")
            + ")"
            + (
                f"; {retrieval.left_out} left out for the context window"
                if retrieval.left_out
                else ""
            )
        )
    return "\n".join(lines)


def _print_source(source: Source) -> None:
    passage = source.passage
    title = f" — {passage.entry_title}" if passage.entry_title else ""
    excerpt = " (excerpt)" if source.excerpt else ""
    header = f"[{source.key}] {passage.date} · {passage.path}{title}{excerpt}"
    click.secho(printable(header), bold=True)
    fused = passage.vector_rank is not None or passage.text_rank is not None
    # Not fused: found by the full-text search for an earlier (later) mention alone.
    scores = [f"fused {passage.score:.4f}" if fused else "found by full text alone"]
    if source.similarity is not None:  # of the passage or its closest paragraph
        scores.append(f"similarity {source.similarity:.3f}")
    if passage.vector_rank is not None:
        scores.append(f"passage vector #{passage.vector_rank}")
    if source.text_score is not None:
        scores.append(f"full text {source.text_score:.2f}{_rank(passage.text_rank)}")
    if source.covers:
        scores.append("names every searched word")
    _dim("    " + " · ".join(scores))


def _rank(rank: int | None) -> str:
    return f" (#{rank})" if rank is not None else ""


def _print_sources(answer: Answer) -> None:
    for source in answer.passages:
        _print_source(source)


def _print_prompt(messages: Sequence[ChatMessage]) -> None:
    for message in messages:
        click.secho(f"[{message.role}]", fg="cyan")
        click.echo(printable(message.content))


def _rule(label: str) -> None:
    click.secho(f"── {label} " + "─" * max(0, WIDTH - len(label) - 4), dim=True)


# -- chat -----------------------------------------------------------------------------------------

CHAT_HELP = (
    "Ask about your writing; each answer cites its sources. Commands: /sources (the last "
    "answer's passages and scores), /prompt (what the model was sent), /new (a new "
    "conversation), /quit (or end of input)."
)


@click.command("chat")
@common_options
@click.option(
    "--conversation",
    "conversation_id",
    metavar="ID",
    help="Continue this saved conversation instead of starting a new one.",
)
def chat(conversation_id: str | None) -> None:
    """Talk with a model about your writing, one question after another, saved as you go."""
    app = services()
    store = app.conversations()
    conversation = store.load(conversation_id) if conversation_id else store.new()
    asker = app.asker()
    click.echo(CHAT_HELP)
    if conversation.turns:
        click.echo(f"Continuing “{conversation.title}” ({len(conversation.turns)} questions).")
    session = _ChatSession(asker, store, conversation)
    stdin: TextIO = sys.stdin  # CliRunner swaps it for its input
    while True:
        click.echo("> ", nl=False)
        line = stdin.readline()
        if not line:  # end of input
            click.echo()
            break
        if not session.handle(line.strip()):
            break
    if session.conversation.turns:
        _dim(f"Saved as conversation {session.conversation.id}.")


class _ChatSession:
    """The state of one `ponder chat`: the conversation and the last answer."""

    def __init__(self, asker: Asker, store: Conversations, conversation: Conversation) -> None:
        self.asker = asker
        self.store = store
        self.conversation = conversation
        self.last: Answer | None = None

    def handle(self, line: str) -> bool:
        """Act on one line of input; False ends the session."""
        if not line:
            return True
        if line in ("/quit", "/exit", "/q"):
            return False
        if line == "/new":
            self.conversation, self.last = self.store.new(), None
            click.echo("A new conversation.")
        elif line == "/sources":
            self._show(_print_sources)
        elif line == "/prompt":
            self._show(lambda answer: _print_prompt(answer.prompt))
        elif line.startswith("/"):
            click.echo(f"Unknown command {line}. {CHAT_HELP}")
        else:
            self._ask(line)
        return True

    def _ask(self, question: str) -> None:
        try:
            answer = stream_answer(self.asker, question, self.conversation.history())
        except KeyboardInterrupt:  # Ctrl-C stops this answer, not the conversation
            click.echo("\n(stopped; not saved)")
            return
        self.last = answer
        self.conversation = self.conversation.with_turn(Turn.of(answer, _now()))
        self.store.save(self.conversation)

    def _show(self, render: Callable[[Answer], object]) -> None:
        if self.last is None:
            click.echo("No answer yet.")
        elif not self.last.found:
            click.echo("The last question found nothing, so no model was asked.")
        else:
            render(self.last)


# -- conversations --------------------------------------------------------------------------------


@click.group("conversations", invoke_without_command=True)
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_context
def conversations(ctx: click.Context, as_json: bool) -> None:
    """List saved conversations (the most recent first); subcommands show, export and tidy."""
    if ctx.invoked_subcommand is None:
        _list(as_json)


@conversations.command("list")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_command(as_json: bool) -> None:
    """List saved conversations, the most recently used first."""
    _list(as_json)


def _list(as_json: bool) -> None:
    summaries = services().conversations().summaries()
    if as_json:
        rows = [
            {
                "id": s.id,
                "title": s.title,
                "created": s.created.isoformat(),
                "updated": s.updated.isoformat(),
                "turns": s.turns,
            }
            for s in summaries
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not summaries:
        click.echo("No saved conversations yet: `ponder ask` or `ponder chat` starts one.")
        return
    for s in summaries:
        questions = f"{s.turns} question{'s' if s.turns != 1 else ''}"
        click.echo(f"{s.id}  {s.updated:%Y-%m-%d %H:%M}  {questions:>12}  {s.title}")


@conversations.command("show")
@common_options
@click.argument("conversation_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the conversation as JSON.")
def show(conversation_id: str, as_json: bool) -> None:
    """Print a saved conversation with its sources."""
    conversation = services().conversations().load(conversation_id)
    if as_json:
        click.echo(json.dumps(conversation_json(conversation), indent=2, ensure_ascii=False))
    else:
        click.echo(conversation_markdown(conversation), nl=False)


@conversations.command("export")
@common_options
@click.argument("conversation_id", metavar="ID")
@click.argument("path", type=click.Path(path_type=Path))
def export(conversation_id: str, path: Path) -> None:
    """Write a conversation to PATH: Markdown, or JSON for a .json name."""
    app = services()
    written = app.conversations().export(conversation_id, path, archive=app.settings.archive.path)
    click.echo(f"Wrote {written}.")


@conversations.command("rename")
@common_options
@click.argument("conversation_id", metavar="ID")
@click.argument("title")
def rename(conversation_id: str, title: str) -> None:
    """Give a saved conversation a new title."""
    conversation = services().conversations().rename(conversation_id, title)
    click.echo(f"Renamed {conversation.id} to “{conversation.title}”.")


@conversations.command("delete")
@common_options
@click.argument("conversation_id", metavar="ID")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(conversation_id: str, yes: bool) -> None:
    """Delete a saved conversation (its JSON and Markdown files)."""
    store = services().conversations()
    conversation = store.load(conversation_id)
    if not yes:
        click.confirm(f"Delete “{conversation.title}” ({conversation.id})?", abort=True)
    store.delete(conversation_id)
    click.echo(f"Deleted {conversation_id}.")
