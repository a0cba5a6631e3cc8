"""`ponder ask`, `ponder chat` and `ponder conversations` as a user meets them (fake models)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from index.chat import ChatChoice, FakeChat
from tests.conftest import write
from ui.cli import cli
from ui.cli_ask import printable
from ui.services import Services

JOURNAL = """\
## 2013-06-10

Half marathon training: eleven miles along the canal towpath in the rain.

## 2014-07-20

We drove to Whitby and I swam in the sea at Sandsend. The water was so cold I shouted.

## 2021-04-18

Back running again: a slow five kilometres along the cliff path.
"""


@pytest.fixture
def ingested(runner: CliRunner, archive: Path) -> CliRunner:
    write(archive, "journal.md", JOURNAL)
    result = runner.invoke(cli, ["ingest", "--json"])
    assert result.exit_code == 0, result.output
    return runner


def run(runner: CliRunner, *args: str, input: str | None = None) -> Result:
    return runner.invoke(cli, list(args), input=input)


def saved_ids(data_dir: Path) -> list[str]:
    return sorted(p.stem for p in (data_dir / "conversations").glob("*.json"))


def test_ask_streams_an_answer_then_its_sources(ingested: CliRunner, data_dir: Path) -> None:
    result = run(ingested, "ask", "What did I write about the sea at Sandsend in 2014?")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("You wrote about this: ")
    assert "[1]" in result.output
    assert "Sources\n[1] 2014-07-20 · journal.md" in result.output
    assert "fake/scripted · 1 passage · retrieval" in result.output
    [conversation] = saved_ids(data_dir)
    assert f"Saved as conversation {conversation}" in result.output


def test_ask_json_has_what_the_issue_asks_for(ingested: CliRunner, data_dir: Path) -> None:
    result = run(ingested, "ask", "What did I write about Sandsend?", "--json", "--no-save")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"answer", "citations", "model", "prompt", "passages", "timings"} <= set(data)
    citation = data["citations"][0]
    assert {"key", "path", "date", "quote"} <= set(citation)
    assert (citation["path"], citation["date"]) == ("journal.md", "2014-07-20")
    source = (Path(data_dir).parent / "archive" / "journal.md").read_text(encoding="utf-8")
    assert source[citation["start"] : citation["end"]] == citation["quote"]
    assert all("score" in p for p in data["passages"])
    assert {"retrieval_ms", "first_token_ms", "tokens_per_second"} <= set(data["timings"])
    assert data["model"] == "fake/scripted" and data["conversation"] is None
    assert saved_ids(data_dir) == []


def test_show_context_prints_what_the_model_was_shown_first(ingested: CliRunner) -> None:
    result = run(ingested, "ask", "What did I write about Sandsend?", "--show-context")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("── Passages") < out.index("── Prompt") < out.index("── Answer")
    assert 'fake/scripted {"num_ctx": 8192}' in out
    assert "searched: What did I write about Sandsend?\nwords:    Sandsend" in out
    assert "[system]" in out and "[user]" in out
    assert re.search(r"\[1\] 2014-07-20 · journal\.md\n\s+fused 0\.\d+ · similarity", out)
    assert out.index("── Answer") < out.index("You wrote about this")


def test_ask_about_something_not_there(ingested: CliRunner) -> None:
    result = run(ingested, "ask", "What did I think about quantum chromodynamics?")
    assert result.exit_code == 0, result.output
    assert "Nothing in your writing matches “quantum chromodynamics”" in result.output
    assert "Sources" not in result.output
    nearest = result.output.split("The nearest passages, none close enough to answer from:\n")[1]
    assert re.match(r"  \d{4}-\d{2}-\d{2} · \S+: “", nearest)


def test_ask_continues_a_conversation(ingested: CliRunner, data_dir: Path) -> None:
    run(ingested, "ask", "What did I write about Sandsend?")
    [conversation] = saved_ids(data_dir)
    result = run(ingested, "ask", "and the running?", "--conversation", conversation)
    assert result.exit_code == 0, result.output
    assert saved_ids(data_dir) == [conversation]
    shown = run(ingested, "conversations", "show", conversation, "--json")
    turns = json.loads(shown.output)["turns"]
    assert [t["question"] for t in turns] == [
        "What did I write about Sandsend?",
        "and the running?",
    ]


def test_an_unknown_conversation_is_a_clear_error(ingested: CliRunner) -> None:
    result = run(ingested, "ask", "anything?", "--conversation", "20990101-000000-abcd")
    assert result.exit_code == 1
    assert "no conversation '20990101-000000-abcd'" in result.output
    assert "ponder conversations list" in result.output and "Traceback" not in result.output


def test_a_model_failing_mid_answer_keeps_what_came(
    ingested: CliRunner, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    failing = ChatChoice(FakeChat(fail_after=3), "fake", "test")
    monkeypatch.setattr(Services, "chat", lambda self: failing)
    result = run(ingested, "ask", "What did I write about Sandsend?")
    assert result.exit_code == 1
    assert result.output.startswith("You wrote ab")
    assert "The answer stopped early: the fake model stopped mid-reply" in result.output
    [conversation] = saved_ids(data_dir)
    turn = json.loads(run(ingested, "conversations", "show", conversation, "--json").output)
    assert turn["turns"][0]["error"].startswith("the fake model stopped mid-reply")


def test_an_empty_index_says_what_to_do(runner: CliRunner) -> None:
    result = run(runner, "ask", "What did I write about the sea?")
    assert result.exit_code == 0, result.output
    assert "Run `ponder ingest` first." in result.output


def test_chat_session(ingested: CliRunner, data_dir: Path) -> None:
    lines = [
        "What did I write about Sandsend?",
        "/sources",
        "/prompt",
        "",
        "/bogus",
        "And about half marathon training?",
        "/new",
        "/sources",
        "What did I write about the cliff path?",
        "/quit",
        "never asked",
    ]
    result = run(ingested, "chat", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.count("> ") >= 9
    assert "fused 0." in out  # /sources
    assert "[system]" in out  # /prompt
    assert "Unknown command /bogus" in out
    assert "No answer yet." in out  # /sources right after /new
    conversations = [
        json.loads((data_dir / "conversations" / f"{c}.json").read_text(encoding="utf-8"))
        for c in saved_ids(data_dir)
    ]
    questions = sorted([t["question"] for t in c["turns"]] for c in conversations)
    assert questions == [
        ["What did I write about Sandsend?", "And about half marathon training?"],
        ["What did I write about the cliff path?"],
    ]
    assert "never asked" not in out


def test_chat_ends_at_end_of_input_and_continues_later(ingested: CliRunner, data_dir: Path) -> None:
    first = run(ingested, "chat", input="What did I write about Sandsend?\n")
    assert first.exit_code == 0, first.output
    [conversation] = saved_ids(data_dir)
    again = run(
        ingested, "chat", "--conversation", conversation, input="and the cliff path?\n/quit\n"
    )
    assert again.exit_code == 0, again.output
    assert "Continuing “What did I write about Sandsend?” (1 questions)." in again.output
    shown = json.loads(run(ingested, "conversations", "show", conversation, "--json").output)
    assert len(shown["turns"]) == 2


def test_conversations_list_show_export_rename_delete(
    ingested: CliRunner, data_dir: Path, tmp_path: Path, archive: Path
) -> None:
    assert "No saved conversations yet" in run(ingested, "conversations").output
    run(ingested, "ask", "What did I write about Sandsend?")
    [conversation] = saved_ids(data_dir)

    listed = run(ingested, "conversations", "list")
    assert conversation in listed.output and "What did I write about Sandsend?" in listed.output
    rows: list[dict[str, Any]] = json.loads(run(ingested, "conversations", "--json").output)
    assert rows[0]["id"] == conversation and rows[0]["turns"] == 1

    shown = run(ingested, "conversations", "show", conversation)
    assert "## What did I write about Sandsend?" in shown.output
    assert "1. 2014-07-20 · journal.md" in shown.output

    target = tmp_path / "exported.md"
    exported = run(ingested, "conversations", "export", conversation, str(target))
    assert exported.exit_code == 0 and target.read_text(encoding="utf-8") == shown.output
    refused = run(ingested, "conversations", "export", conversation, str(archive / "chat.md"))
    assert refused.exit_code == 1 and "inside your archive" in refused.output
    assert not (archive / "chat.md").exists()

    renamed = run(ingested, "conversations", "rename", conversation, "The sea")
    assert renamed.exit_code == 0 and "The sea" in run(ingested, "conversations").output

    kept = run(ingested, "conversations", "delete", conversation, input="n\n")
    assert kept.exit_code == 1 and saved_ids(data_dir) == [conversation]
    deleted = run(ingested, "conversations", "delete", conversation, "--yes")
    assert deleted.exit_code == 0 and saved_ids(data_dir) == []


def test_terminal_control_characters_never_reach_the_screen() -> None:
    assert printable("a\x1b]0;owned\x07b\x1b[2Jc\nd\te") == "a]0;ownedb[2Jc\nd\te"
