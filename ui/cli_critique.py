"""`ponder critique`: a harsh, evidence-backed critique of a text, argued with your own writing.

Thin: reads exactly one input (TEXT, --file or --entry), calls ``Critic.critique``
(index.critique) and renders the sections in order, each point with its dated quotes.
Progress (searching, judging each candidate, writing) goes to stderr as it happens, so
--json output stays one clean object on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path
from typing import cast

import click

from index.answer import Citation, Token
from index.critique import (
    VERDICT_LABELS,
    Critique,
    CritiqueInputError,
    Finished,
    Gathered,
    Judging,
    Point,
    Writing,
    critique_json,
    load_entry,
)
from index.critique_prompts import HARSHNESS, Harshness
from ui.cli_ask import WIDTH, printable
from ui.cli_support import common_options, services

MAX_FILE_BYTES = 1_000_000
_BASIS = {"reasoning": "general reasoning, not a fact about you", "statement": "", "archive": ""}


@click.command("critique")
@common_options
@click.argument("text", required=False)
@click.option(
    "--file",
    "file_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Critique the text of this file (UTF-8).",
)
@click.option(
    "--entry",
    metavar="PATH[#YYYY-MM-DD]",
    help="Critique an entry of your archive: a path relative to the archive, with #DATE to "
    "pick one entry of a file that holds several. Only writing up to its date is searched.",
)
@click.option(
    "--harshness",
    type=click.Choice(HARSHNESS),
    default=None,
    help="The tone: gentle, direct or brutal [default: critique.harshness, direct]. It "
    "never changes which evidence is shown.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the whole critique as one JSON object."
)
@click.option(
    "--show-context",
    is_flag=True,
    help="Also print the searches, the candidates with their scores and verdicts, the "
    "model and the exact prompt.",
)
def critique(
    text: str | None,
    file_path: Path | None,
    entry: str | None,
    harshness: str | None,
    as_json: bool,
    show_context: bool,
) -> None:
    """Critique TEXT (or --file, or --entry) against your own past writing.

    In this order: the claims; the strongest counter-arguments; blind spots; contradictions
    with what you wrote before, each past passage dated beside the current statement;
    where you may be deceiving yourself (promises broken, fears recurring, plans announced
    again); questions to sit with. Every reference to your writing is an exact, checked
    quote; a point without one is marked as general reasoning.
    """
    given = [
        name for name, value in (("TEXT", text), ("--file", file_path), ("--entry", entry)) if value
    ]
    if len(given) != 1:
        raise click.UsageError(
            "give exactly one of TEXT, --file PATH or --entry PATH"
            + (f" (got {' and '.join(given)})" if given else "")
        )
    app = services()
    critic = app.critic()
    as_of: dt.date | None = None
    exclude: frozenset[tuple[str, int]] = frozenset()
    if file_path is not None:
        statement = _read_file(file_path)
    elif entry is not None:
        found = load_entry(app.store, entry)
        statement = found.text
        as_of, exclude = found.date, frozenset({found.key})
        _progress(f"Critiquing {found.path}, {found.date.isoformat()}.")
    else:
        statement = text or ""
    result: Critique | None = None
    level = cast(Harshness | None, harshness)
    for event in critic.critique(statement, level, as_of=as_of, exclude=exclude):
        if isinstance(event, Gathered):
            _progress(
                f"Searched your writing: {event.pool_size} passages found, "
                f"{event.candidates} to read beside the text."
            )
        elif isinstance(event, Judging):
            _progress(f"Reading candidate {event.index} of {event.total} ([{event.key}])…")
        elif isinstance(event, Writing):
            _progress("Writing the critique…")
        elif isinstance(event, Token):
            pass  # the sections are printed whole, in order, once read
        elif isinstance(event, Finished):
            result = event.critique
    assert result is not None  # critique() always ends with Finished
    if as_json:
        click.echo(json.dumps(critique_json(result), indent=2, ensure_ascii=False))
    else:
        if show_context:
            _print_context(result)
        _print_critique(result)
    if result.error:
        raise click.exceptions.Exit(1)


def _read_file(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CritiqueInputError(
            f"cannot read {path}: {exc.strerror or exc}", hint="Check the path and permissions."
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise CritiqueInputError(
            f"{path} is too large to critique ({len(data):,} bytes)",
            hint="Critique one entry or one idea at a time.",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CritiqueInputError(
            f"{path} is not UTF-8 text", hint="Save it as UTF-8 text, or pass the text itself."
        ) from None


def _progress(text: str) -> None:
    click.secho(text, dim=True, err=True)


def _print_critique(result: Critique) -> None:
    for section in result.sections:
        click.echo()
        click.secho(section.title, bold=True)
        if section.note:
            click.secho(f"  ({section.note})", dim=True)
        for point in section.points:
            _print_point(point)
    if result.error:
        click.secho(f"\nThe model stopped early: {result.error}.", fg="red", err=True)
    if result.dropped_points:
        click.echo()
        click.secho(
            f"Left out {len(result.dropped_points)} point(s) with no checked evidence "
            "(--json lists them).",
            dim=True,
        )
    timings = result.timings
    click.secho(
        f"\n{result.model} · {len(result.passages)} passages · {len(result.judged)} judged · "
        f"retrieval {timings.retrieval_ms:.0f} ms · judging {timings.judging_ms:.0f} ms · "
        f"total {timings.total_ms:.0f} ms · {result.harshness}",
        dim=True,
    )


def _print_point(point: Point) -> None:
    label = ""
    if point.kind:
        labels: dict[str, str] = {str(k): v for k, v in VERDICT_LABELS.items()}
        label = f"[{labels.get(point.kind, point.kind)}"
        label += ", not confirmed by the model] " if point.confirmed is None else "] "
    body = printable(" ".join(point.text.split()))
    click.echo(textwrap.fill(f"{label}{body}", WIDTH, initial_indent="- ", subsequent_indent="  "))
    if _BASIS[point.basis]:
        click.secho(f"  ({_BASIS[point.basis]})", dim=True)
    if point.current:
        now = printable(" ".join(point.current.split()))
        click.echo(
            textwrap.fill(f"now: “{now}”", WIDTH, initial_indent="    ", subsequent_indent="    ")
        )
    for citation in point.citations:
        _print_citation(citation)


def _print_citation(citation: Citation) -> None:
    quote = printable(" ".join(citation.quote.split()))
    head = printable(f"[{citation.key}] {citation.date.isoformat()} · {citation.path}")
    click.echo(
        textwrap.fill(
            f"{head}: “{quote}”", WIDTH, initial_indent="    ", subsequent_indent="      "
        )
    )


def _print_context(result: Critique) -> None:
    _rule("Searched")
    for name, query in result.queries:
        click.echo(printable(f"{name}: {query}"))
    _rule("Candidates read beside the text")
    for judged in result.judged:
        c = judged.candidate
        click.echo(
            printable(
                f"[{judged.key}] {c.passage.date} · {c.passage.path} · prerank {c.prerank:.3f} · "
                f"cue {c.pivot.cue or '-'} · {judged.verdict}{' (kept)' if judged.kept else ''}"
            )
        )
        click.secho(printable(f"    “{' '.join(c.quote.split())}”"), dim=True)
    _rule("Passages")
    for source in result.passages:
        passage = source.passage
        sim = "" if source.similarity is None else f" · similarity {source.similarity:.3f}"
        click.echo(printable(f"[{source.key}] {passage.date} · {passage.path}{sim}"))
    _rule("Model")
    click.echo(f"{result.model} {json.dumps(result.parameters, default=str)}")
    _rule("Prompt")
    for message in result.prompt:
        click.secho(f"[{message.role}]", fg="cyan")
        click.echo(printable(message.content))
    _rule("Critique")


def _rule(label: str) -> None:
    click.secho(f"── {label} " + "─" * max(0, WIDTH - len(label) - 4), dim=True)
