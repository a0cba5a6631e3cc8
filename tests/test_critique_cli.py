"""`ponder critique` as a user meets it: one input, sections in order, JSON, clear errors, and
the Ollama path (the real client streaming from the Ollama-API test server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from index.chat import FakeChat
from index.critique_prompts import SECTION_ORDER, SECTION_TITLES
from tests.conftest import write
from tests.ollama_server import OllamaServer, OllamaState, chat_model
from tests.test_critique import JOURNAL, NOTE, STATEMENT, critic_script
from ui.cli import cli


@pytest.fixture
def ingested(runner: CliRunner, archive: Path) -> CliRunner:
    write(archive, "journal.md", JOURNAL)
    write(archive, "notes/2019-05-05.txt", NOTE)
    result = runner.invoke(cli, ["ingest", "--json"])
    assert result.exit_code == 0, result.output
    return runner


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, ["critique", *args])


def test_critique_prints_the_six_sections_in_order(ingested: CliRunner) -> None:
    result = run(ingested, STATEMENT, "--harshness", "brutal")
    assert result.exit_code == 0, result.output
    out = result.output
    positions = [out.index(SECTION_TITLES[name]) for name in SECTION_ORDER]
    assert positions == sorted(positions)
    assert "Reading candidate 1 of" in out  # progress (stderr, mixed in by CliRunner)
    assert "journal.md" in out and "“" in out  # dated quotes with their paths
    assert "brutal" in out


def test_critique_json_has_sections_points_and_citations(ingested: CliRunner) -> None:
    result = run(ingested, STATEMENT, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [s["name"] for s in data["sections"]] == list(SECTION_ORDER)
    for section in data["sections"]:
        assert {"name", "title", "note", "points"} <= set(section)
        for point in section["points"]:
            assert {"text", "basis", "citations"} <= set(point)
            for citation in point["citations"]:
                assert {"path", "date", "quote", "start", "end"} <= set(citation)
    assert data["citations"] and data["citations"][0]["path"] == "journal.md"
    assert {"model", "prompt", "passages", "judged", "timings", "queries"} <= set(data)
    assert {"retrieval_ms", "judging_ms", "total_ms"} <= set(data["timings"])
    assert data["passages"][0]["similarity"] is not None or data["passages"][0]["score"]
    assert data["harshness"] == "direct"


def test_critique_a_file_and_an_entry(ingested: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "idea.md", STATEMENT)
    from_file = run(ingested, "--file", str(path), "--json")
    assert from_file.exit_code == 0, from_file.output
    assert json.loads(from_file.stdout)["statement"] == STATEMENT

    entry = run(ingested, "--entry", "journal.md#2017-01-02", "--json")
    assert entry.exit_code == 0, entry.output
    data = json.loads(entry.stdout)
    assert data["as_of"] == "2017-01-02"
    assert all(c["date"] <= "2017-01-02" for c in data["citations"])


def test_show_context_prints_what_the_model_was_shown(ingested: CliRunner) -> None:
    result = run(ingested, STATEMENT, "--show-context")
    assert result.exit_code == 0, result.output
    for rule in ("Searched", "Candidates read beside the text", "Passages", "Model", "Prompt"):
        assert f"── {rule} " in result.output
    assert "idea-vector:" in result.output and "[system]" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one of TEXT, --file PATH or --entry PATH"),
        (("an idea", "--entry", "journal.md"), "(got TEXT and --entry)"),
        (("--file", "/nonexistent/idea.md"), "cannot read /nonexistent/idea.md"),
        (("--entry", "nope.md"), "is not a file of the indexed archive"),
        (("--entry", "journal.md"), "holds 5 entries"),
        (("   ",), "there is nothing to critique"),
        (("an idea", "--harshness", "savage"), "Invalid value for '--harshness'"),
    ],
)
def test_bad_input_is_a_message_never_a_traceback(
    ingested: CliRunner, args: tuple[str, ...], message: str
) -> None:
    result = run(ingested, *args)
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert "Traceback" not in result.output


def test_a_file_that_is_not_text(ingested: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "idea.bin"
    path.write_bytes(b"\xff\xfe\x00\x00binary")
    result = run(ingested, "--file", str(path))
    assert result.exit_code == 1 and "is not UTF-8 text" in result.output


# -- over HTTP: the real ollama client streaming from the test server ------------------------------


def test_critique_through_the_ollama_test_server(
    archive: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = OllamaState()
    scripted = FakeChat(script=critic_script)
    state.install(chat_model("llama3.1:8b", chat=scripted))
    server = OllamaServer(state).start()
    try:
        monkeypatch.setenv("PONDER_ARCHIVE", str(archive))
        monkeypatch.setenv("PONDER_DATA_DIR", str(data_dir))
        monkeypatch.setenv("PONDER_EMBEDDINGS__PROVIDER", "fake")
        monkeypatch.setenv("PONDER_LLM__PROVIDER", "ollama")
        monkeypatch.setenv("PONDER_OLLAMA__HOST", server.url)
        write(archive, "journal.md", JOURNAL)
        runner = CliRunner()
        assert runner.invoke(cli, ["ingest"]).exit_code == 0
        result = runner.invoke(cli, ["critique", STATEMENT, "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["model"] == "ollama/llama3.1:8b"
        patterns = next(s for s in data["sections"] if s["name"] == "patterns")
        vow = next(p for p in patterns["points"] if p["kind"] == "broken_promise")
        assert vow["confirmed"] is True and vow["citations"][0]["date"] == "2014-10-09"
        chats = state.requests_to("/api/chat")
        assert len(chats) == len(data["judged"]) + 1  # one call per candidate, one critique
        assert all(r.body.get("stream") is not False for r in chats)
    finally:
        server.stop()
