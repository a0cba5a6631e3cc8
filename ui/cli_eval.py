"""`ponder eval`: measure retrieval on a question set (hit@k and MRR per search mode)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import click

from index.evaluate import (
    MODES,
    AnswersReport,
    EvalReport,
    QuestionSetError,
    evaluate,
    evaluate_answers,
    evaluate_prompts,
    gold_checker,
    load_questions,
    parse_ks,
)
from ui.cli_support import common_options, services


def _ks(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        return parse_ks(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("eval")
@common_options
@click.argument("questions_file", metavar="QUESTIONS.json", type=click.Path(path_type=Path))
@click.option(
    "--k",
    "ks",
    default="5,10",
    show_default=True,
    callback=_ks,
    help="Cut-offs for hit@k, comma-separated; MRR counts up to the largest.",
)
@click.option(
    "--mode",
    type=click.Choice([*MODES, "ask", "all"]),
    default="hybrid",
    show_default=True,
    help="Retrieval to measure: fused, vectors only, full text only, the passages `ponder ask` "
    "gives the model (no model is called), or all four side by side.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option(
    "--answers",
    is_flag=True,
    help="Also ask each question (as `ponder ask` does) and score the answers' citations: "
    "the share whose quote supports the sentence citing it.",
)
def eval_command(
    questions_file: Path, ks: tuple[int, ...], mode: str, as_json: bool, answers: bool
) -> None:
    """Measure how well search (or ask) finds the gold entries of QUESTIONS.json.

    The file holds {"questions": [{"q": "...", "gold": [...]}]}; gold items are entry
    dates (YYYY-MM-DD) or file paths relative to the archive. A question hits at k when
    one of the first k passages comes from a gold date or path; with --mode ask, the
    passages are those `ponder ask` would give the model.
    """
    try:
        questions = load_questions(questions_file)
    except QuestionSetError as exc:
        raise click.ClickException(f"{exc}\n  hint: {exc.hint}" if exc.hint else str(exc)) from None
    app = services()
    if app.store.chunk_count() == 0:
        raise click.ClickException("the index is empty\n  hint: run `ponder ingest` first.")
    indexed = app.store.chunks(("path", "date"))
    known = gold_checker(indexed.column("date").to_pylist(), indexed.column("path").to_pylist())
    searcher = app.searcher()
    modes = MODES if mode == "all" else tuple(m for m in MODES if m == mode)
    reports = [evaluate(searcher, questions, ks, m, known=known) for m in modes]
    if mode in ("ask", "all"):
        reports.append(evaluate_prompts(app.passage_chooser(), questions, ks, known=known))
    # The answers are judged with the index's embedder too: paraphrase is support.
    answered = (
        evaluate_answers(app.asker().answer, questions, app.embedder().embedder)
        if answers
        else None
    )

    if as_json:
        data: dict[str, Any]
        if len(reports) == 1:
            data = reports[0].as_json()
        else:
            data = {report.mode: report.as_json() for report in reports}
        if answered is not None:
            data["answers"] = answered.as_json()
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    model = app.store.meta()
    click.echo(f"{len(questions)} questions from {questions_file}")
    if model:
        click.echo(f"Index: {app.store.chunk_count()} passages, embeddings {model.embedding_model}")
    _print_table(reports, ks)
    _print_unknown(reports[0])
    _print_misses(reports[0], ks[0])
    if answered is not None:
        _print_answers(answered)


def _print_table(reports: list[EvalReport], ks: tuple[int, ...]) -> None:
    header = ["mode", *(f"hit@{k}" for k in ks), "MRR", "seconds"]
    rows = [
        [r.mode, *(f"{r.hit_at(k):.3f}" for k in ks), f"{r.mrr:.3f}", f"{r.seconds:.1f}"]
        for r in reports
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def _print_unknown(report: EvalReport) -> None:
    if not report.unknown_gold:
        return
    click.echo(f"\nGold items no indexed passage carries ({len(report.unknown_gold)}):")
    for item in report.unknown_gold[:20]:
        click.echo(f"  {item}")


def _print_misses(report: EvalReport, k: int) -> None:
    misses = report.misses(k)
    if not misses:
        return
    click.echo(f"\nMissed at {k} ({report.mode}), with the rank of the first gold passage:")
    for result in misses:
        rank = f"rank {result.rank}" if result.rank else "not found"
        question = textwrap.shorten(result.question.q, 70, placeholder="...")
        click.echo(f"  [{rank}] {question}  (gold: {', '.join(result.question.gold)})")


def _print_answers(answered: AnswersReport) -> None:
    support = answered.support
    silent = sum(1 for _, _, report in answered.per_question if not report.total)
    click.echo(
        f"\nAnswers: {support.supported} of {support.total} citations support the sentence "
        f"citing them ({support.share:.3f}); {silent} answers cite nothing."
    )
