"""The `ponder` command line: thin commands that parse, call one use-case, and render."""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import click

from index.records import Passage
from index.search import DateRange
from ingest.sync import Progress, SyncReport
from ingest.watcher import read_state
from ui.cli_support import Locked, PonderGroup, common_options, parse_date, services, wait_option

# Commands that live in their own modules (built with ui.cli_support), one line each,
# imported only when they run.
LAZY_COMMANDS = {
    "watch": "ui.cli_watch:watch",
    "eval": "ui.cli_eval:eval_command",
    "models": "ui.cli_models:models",
    "ui": "ui.cli_ui:ui",
    "ask": "ui.cli_ask:ask",
    "chat": "ui.cli_ask:chat",
    "conversations": "ui.cli_ask:conversations",
    "themes": "ui.cli_themes:themes",
    "critique": "ui.cli_critique:critique",
}


@click.group(
    cls=PonderGroup,
    lazy_commands=LAZY_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option("-v", "--verbose", is_flag=True, help="Log what ponder decides and why.")
@common_options
@click.version_option(package_name="ponder", message="ponder %(version)s")
def cli(verbose: bool) -> None:
    """ponder: a private, local reflection assistant over your own writing."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


# -- ingest ---------------------------------------------------------------------


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@wait_option
def ingest(as_json: bool, wait: float) -> None:
    """Make the index match the archive folder (new, changed, moved, deleted files)."""
    app = services()
    with Locked(app, wait):
        report = app.sync(progress=None if as_json else _progress_printer())
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        _print_report(report)


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@wait_option
def reindex(as_json: bool, wait: float) -> None:
    """Rebuild the index with the configured embedding model.

    Texts already embedded with that model come from the cache, not the model.
    """
    app = services()
    with Locked(app, wait):
        report = app.reindex(progress=None if as_json else _progress_printer())
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        _print_report(report)


def _progress_printer() -> Callable[[Progress], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(progress: Progress) -> None:
        if progress.stage == "done":
            click.echo("\r\033[K", nl=False, err=True)
            return
        if progress.total < 20:
            return
        width = 30
        filled = int(width * progress.done / max(progress.total, 1))
        bar = "#" * filled + "-" * (width - filled)
        label = "scanning" if progress.stage == "scan" else "indexing"
        name = textwrap.shorten(progress.path, 40, placeholder="...")
        line = f"\r\033[K{label} [{bar}] {progress.done}/{progress.total} {name}"
        click.echo(line, nl=False, err=True)

    return show


def _print_report(report: SyncReport) -> None:
    parts = [
        f"{report.added} added",
        f"{report.updated} updated",
        f"{report.renamed} moved",
        f"{report.deleted} deleted",
        f"{report.unchanged} unchanged",
    ]
    if report.skipped:
        parts.append(f"{report.skipped} skipped")
    if report.failed:
        parts.append(f"{report.failed} failed")
    click.echo(", ".join(parts) + f" in {report.seconds:.1f}s.")
    if report.chunks_embedded or report.chunks_reused:
        click.echo(
            f"Passages: {report.chunks_embedded} embedded, {report.chunks_reused} from the cache"
            + (
                f"; {report.paragraphs_embedded} of their paragraphs embedded."
                if report.paragraphs_embedded
                else "."
            )
        )
    for path, reason in report.failures:
        click.echo(f"  failed: {path}: {reason}")
    if report.failed or report.skipped:
        click.echo("`ponder status` lists every skipped or failed file with its reason.")


# -- search ---------------------------------------------------------------------


@cli.command()
@common_options
@click.argument("query")
@click.option("-k", "--k", "k", type=click.IntRange(1, 200), help="How many passages.")
@click.option("--since", help="Only entries on or after this date (YYYY, YYYY-MM, YYYY-MM-DD).")
@click.option("--until", help="Only entries on or before this date (YYYY, YYYY-MM, YYYY-MM-DD).")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "vector", "text"]),
    default="hybrid",
    show_default=True,
    help="Retrieval: fused vectors and full text, or one of them.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the hits as a JSON list.")
def search(
    query: str, k: int | None, since: str | None, until: str | None, mode: str, as_json: bool
) -> None:
    """Find the passages of your writing that bear on QUERY.

    A date phrase in QUERY ("in 2015", "last summer") limits the search to those dates,
    as `ponder ask` does, unless --since or --until is given.
    """
    dates = DateRange(parse_date(since, end=False), parse_date(until, end=True))
    app = services()
    searcher = app.searcher()
    # "my birthday in 2015" searches 2015 for "my birthday" (search.time_phrases).
    topic, scoped = searcher.time_scope(query, dates)
    hits = searcher.search(topic, k=k, dates=scoped, mode=mode)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps([_hit_json(h) for h in hits], indent=2, ensure_ascii=False))
        return
    if scoped != dates:
        click.echo(
            f"Entries from {scoped.since or 'the start'} to {scoped.until or 'today'}, "
            f"read from the query (--since/--until choose otherwise)."
        )
    if not hits:
        if app.store.chunk_count() == 0:
            click.echo("The index is empty: run `ponder ingest` first.")
        else:
            click.echo("Nothing in your writing matches that.")
        return
    for rank, hit in enumerate(hits, start=1):
        title = f" — {hit.entry_title}" if hit.entry_title else ""
        click.echo(click.style(f"{rank}. {hit.date}  {hit.path}{title}", bold=True))
        excerpt = textwrap.shorten(" ".join(hit.text.split()), 320, placeholder=" ...")
        click.echo(textwrap.indent(textwrap.fill(excerpt, 88), "   "))


def _hit_json(hit: Passage) -> dict[str, Any]:
    return {
        "path": hit.path,
        "date": hit.date.isoformat(),
        "date_source": hit.date_source,
        "score": round(hit.score, 6),
        "text": hit.text,
        "title": hit.entry_title,
        "start": hit.start,
        "end": hit.end,
        "chunk_id": hit.chunk_id,
    }


# -- status ---------------------------------------------------------------------


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as one JSON object.")
def status(as_json: bool) -> None:
    """Show the archive, what is indexed, what was skipped or failed and why."""
    app = services()
    state = app.status()
    last_sync = app.last_sync()
    archive = app.settings.archive.path
    meta = state.meta
    data: dict[str, Any] = {
        "archive": str(archive) if archive else None,
        "index": app.store.uri,
        "documents": state.by_status,
        "entries": state.entry_count,
        "chunks": state.chunk_count,
        "embedding_model": meta.embedding_model if meta else None,
        "dimension": meta.dimension if meta else None,
        "embedding_provider": _provider_status(app.embedder),
        "chat_provider": _provider_status(app.chat),
        "date_range": [
            state.first_date.isoformat() if state.first_date else None,
            state.last_date.isoformat() if state.last_date else None,
        ],
        "last_sync": last_sync.get("finished_at") if last_sync else None,
        "watcher": read_state(app.data_dir),
        "size_bytes": state.size_bytes,
        "problems": [
            {"path": d.path, "status": d.status.value, "reason": d.reason} for d in state.problems()
        ],
        "warnings": [{"path": d.path, "reason": d.reason} for d in state.warnings()],
    }
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"Archive:     {data['archive'] or '(not configured: pass --archive)'}")
    click.echo(f"Index:       {data['index']}")
    counts = state.by_status
    click.echo(
        f"Documents:   {counts['indexed']} indexed, {counts['skipped']} skipped, "
        f"{counts['failed']} failed"
    )
    click.echo(f"Entries:     {state.entry_count} ({state.chunk_count} passages)")
    if state.first_date:
        click.echo(f"Written:     {state.first_date} to {state.last_date}")
    click.echo(f"Embeddings:  {data['embedding_model'] or '(none yet)'}")
    click.echo(f"Embedder:    {_provider_line(data['embedding_provider'])}")
    click.echo(f"Chat model:  {_provider_line(data['chat_provider'])}")
    click.echo(f"Last sync:   {data['last_sync'] or 'never'}")
    click.echo(f"Watcher:     {_watcher_line(data['watcher'])}")
    if state.size_bytes is not None:
        click.echo(f"On disk:     {state.size_bytes / 1e6:.1f} MB")
    for doc in state.problems():
        click.echo(f"  {doc.status.value:8} {doc.path}: {doc.reason}")
    for doc in state.warnings():
        click.echo(f"  warning  {doc.path}: {doc.reason}")


def _provider_status(choose: Callable[[], Any]) -> dict[str, str]:
    """Which runtime is in use and why, or why none can be: never a failed status."""
    try:
        choice = choose()
    except Exception as exc:  # status is where a broken provider gets diagnosed, so report it
        hint = getattr(exc, "hint", "")
        return {"error": f"{exc} (hint: {hint})" if hint else str(exc)}
    return {"provider": choice.provider, "reason": choice.reason}


def _watcher_line(state: dict[str, Any] | None) -> str:
    if not state or not state.get("alive"):
        return "not running (`ponder watch` or `ponder ui` keep the index in step)"
    line = (
        f"{state['mode']} since {state['running_since']} (pid {state['pid']}); "
        f"last event {state['last_event'] or 'none'}, last sync {state['last_sync'] or 'none'}, "
        f"{state['queue']} change(s) queued"
    )
    failures = state.get("failures") or []
    return line + (f", {len(failures)} failure(s)" if failures else "")


def _provider_line(entry: dict[str, str]) -> str:
    if "error" in entry:
        return f"unavailable: {entry['error']}"
    return f"{entry['provider']} ({entry['reason']})"


# -- config ---------------------------------------------------------------------


@cli.group("config")
def config_group() -> None:
    """Inspect ponder's settings."""


@config_group.command("show")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print settings and sources as JSON.")
def config_show(as_json: bool) -> None:
    """Print the effective settings and where each one came from."""
    loaded = services().loaded
    values = loaded.settings.model_dump(mode="json")
    rows = []
    for section, fields in values.items():
        for key, value in fields.items():
            rows.append(
                (f"{section}.{key}", value, loaded.sources.get(f"{section}.{key}", "default"))
            )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "config_file": str(loaded.config_file),
                    "settings": {
                        name: {"value": value, "source": source} for name, value, source in rows
                    },
                },
                indent=2,
            )
        )
        return
    click.echo(f"# config file: {loaded.config_file}")
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        click.echo(f"{name:<{width}} = {json.dumps(value)}  # {source}")


@config_group.command("path")
@common_options
def config_path() -> None:
    """Print where ponder reads its config file from."""
    click.echo(str(services().loaded.config_file))


def main() -> None:
    cli(prog_name="ponder")


if __name__ == "__main__":
    main()
