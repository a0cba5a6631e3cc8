"""The command line as a user meets it: help everywhere, JSON where promised, no tracebacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.conftest import REPO, write
from ui.cli import cli


def all_commands(group: click.Group = cli, prefix: str = "") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        names.append(full)
        if isinstance(command, click.Group):
            names.extend(all_commands(command, full + " "))
    return names


def test_every_command_has_help_and_is_in_the_readme(runner: CliRunner) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in all_commands():
        result = runner.invoke(cli, [*name.split(), "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.output
        assert re.search(rf"ponder {re.escape(name)}\b", readme), f"`ponder {name}` not in README"


def test_ingest_search_status_round_trip(runner: CliRunner, archive: Path) -> None:
    write(
        archive,
        "journal.md",
        "## 2014-03-02\n\nThe sea was loud.\n\n## 2016-05-01\n\nFather is ill.\n",
    )
    result = runner.invoke(cli, ["ingest", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["added"] == 1 and report["failed"] == 0

    result = runner.invoke(cli, ["search", "sea", "--json"])
    hits = json.loads(result.output)
    assert hits[0]["path"] == "journal.md"
    assert hits[0]["date"] == "2014-03-02" and hits[0]["date_source"] == "heading"
    assert {"path", "date", "date_source", "score", "text"} <= set(hits[0])

    result = runner.invoke(cli, ["search", "father", "--since", "2015", "--json"])
    assert [h["date"] for h in json.loads(result.output)] == ["2016-05-01"]
    result = runner.invoke(cli, ["search", "sea", "--until", "2013-12", "--json"])
    assert json.loads(result.output) == []

    result = runner.invoke(cli, ["status", "--json"])
    status = json.loads(result.output)
    assert status["documents"]["indexed"] == 1 and status["entries"] == 2
    assert status["embedding_model"] == "fake-hashing-256"
    assert status["last_sync"]


def test_human_output_is_readable(runner: CliRunner, archive: Path) -> None:
    write(archive, "a.md", "# Tides\n\nI watched the tide go out for an hour.\n")
    write(archive, "empty.txt", "")
    result = runner.invoke(cli, ["ingest"])
    assert result.exit_code == 0
    assert "1 added" in result.output and "1 skipped" in result.output
    result = runner.invoke(cli, ["status"])
    assert "empty.txt: empty file" in result.output
    result = runner.invoke(cli, ["search", "tide"])
    assert "a.md" in result.output and "watched the tide" in result.output


def test_flags_work_after_the_command(runner: CliRunner, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write(other, "x.md", "Something about lighthouses.\n")
    result = runner.invoke(
        cli, ["ingest", "--archive", str(other), "--data-dir", str(tmp_path / "d2"), "--json"]
    )
    assert json.loads(result.output)["added"] == 1
    result = runner.invoke(
        cli, ["--data-dir", str(tmp_path / "d2"), "search", "lighthouses", "--json"]
    )
    assert json.loads(result.output)[0]["path"] == "x.md"


def test_config_show_names_sources(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["config", "show", "--json"])
    data = json.loads(result.output)["settings"]
    assert data["embeddings.provider"] == {
        "value": "fake",
        "source": "env PONDER_EMBEDDINGS__PROVIDER",
    }
    assert data["search.k"]["source"] == "defaults.toml"
    text = runner.invoke(cli, ["config", "show"]).output
    assert "search.k" in text and "# defaults.toml" in text


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["search", "x", "--since", "last week"], {}, "is not a date"),
        (["ingest"], {"PONDER_ARCHIVE": "/nonexistent/folder"}, "does not exist"),
        (["ingest"], {"PONDER_SEARCH__K": "lots"}, "search.k"),
        (["status"], {"PONDER_BOGUS__X": "1"}, "unknown setting variable"),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = runner.invoke(cli, args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_no_archive_configured_says_how(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PONDER_ARCHIVE")
    result = runner.invoke(cli, ["ingest"])
    assert result.exit_code == 1
    assert "no archive folder is configured" in result.output and "--archive" in result.output


def test_search_on_empty_index(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["search", "anything"])
    assert result.exit_code == 0
    assert "ponder ingest" in result.output


def test_ollama_down_is_one_clear_message(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, archive: Path
) -> None:
    write(archive, "a.md", "text\n")
    monkeypatch.setenv("PONDER_EMBEDDINGS__PROVIDER", "ollama")
    monkeypatch.setenv("PONDER_OLLAMA__HOST", "http://127.0.0.1:9")  # nothing listens there
    result = runner.invoke(cli, ["ingest"])
    assert result.exit_code == 1
    assert "Ollama is not reachable at http://127.0.0.1:9" in result.output
    assert "ollama serve" in result.output
    assert "Traceback" not in result.output


def test_provider_error_names_the_runtime_the_index_was_built_with(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, archive: Path
) -> None:
    write(archive, "a.md", "text about the moor\n")
    assert runner.invoke(cli, ["ingest"]).exit_code == 0  # built with the fake embedder
    monkeypatch.setenv("PONDER_EMBEDDINGS__PROVIDER", "ollama")
    monkeypatch.setenv("PONDER_OLLAMA__HOST", "http://127.0.0.1:9")
    result = runner.invoke(cli, ["search", "moor"])
    assert result.exit_code == 1
    assert "built with fake-hashing-256" in result.output
    assert "PONDER_EMBEDDINGS__PROVIDER=fake" in result.output


def test_second_writer_is_told_who_holds_the_index(runner: CliRunner, data_dir: Path) -> None:
    from index.lock import WriterLock

    holder = WriterLock(data_dir, "ponder watch")
    holder.acquire()
    try:
        result = runner.invoke(cli, ["ingest", "--wait", "0.2"])
    finally:
        holder.release()
    assert result.exit_code == 1
    assert "`ponder watch`" in result.output and "is writing to the index" in result.output
    assert "--wait" in result.output
