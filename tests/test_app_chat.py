"""The chat page with the fake models: ask, see the answer and a citation, open it, see what
the model was shown, keep the conversation; errors are messages, remote images stay text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_support import app_test, fake_env, texts
from tests.conftest import AppFactory, write
from ui import runtime
from ui.answer_view import Turn

# Every runtime a test builds (watchers, locks, jobs) is stopped after it.
pytestmark = pytest.mark.usefixtures("app_runtimes")


@pytest.fixture
def indexed(
    archive: Path, data_dir: Path, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    write(
        archive,
        "journal.md",
        "## 2014-03-02\nWe walked to the sea at Whitby and I decided to leave the city.\n\n"
        "## 2015-05-01\nRain all day. The office again.\n",
    )
    write(archive, "notes/2016-01-02.txt", "A note about the garden and the broad beans.\n")
    services = make_app()
    with services.writer_lock():
        services.sync()
    fake_env(monkeypatch, archive, data_dir)
    return archive


def _ask(at: AppTest, question: str) -> AppTest:
    return at.chat_input[0].set_value(question).run()


def test_ask_shows_the_answer_with_a_citation_that_opens_in_its_source(indexed: Path) -> None:
    at = _ask(app_test(), "When did I decide to leave the city?")
    assert not at.exception
    assert "You wrote about this: ## 2014-03-02 [1]." in texts(at)
    chips = at.button_group
    assert len(chips) == 1
    assert chips[0].options[0].startswith("[1] 2014-03-02 · journal.md")
    at = chips[0].set_value(1).run()
    page = texts(at)
    assert "**Sunday 2 March 2014** · `journal.md`" in page
    assert "> ## 2014-03-02" in page  # the words the citation points at, quoted
    assert "We walked to the sea at Whitby" in page  # and the text around them
    assert "Rain all day" in page
    whole = [c.value for c in at.code if "## 2015-05-01" in c.value]
    assert whole, "the whole file is shown"
    assert [b for b in at.get("download_button")]


def test_nothing_found_names_the_nearest_passages_and_offers_no_critique(indexed: Path) -> None:
    at = _ask(app_test(), "What did I think about quantum chromodynamics?")
    assert not at.exception
    page = texts(at)
    assert "Nothing in your writing matches “quantum chromodynamics”" in page
    assert "The nearest passages, none close enough to answer from:" in page
    assert " · `journal.md`: “" in page or " · `notes/2016-01-02.txt`: “" in page
    assert not [b for b in at.button if b.label == "Critique this answer"]


def test_the_transparency_panel_shows_prompt_passages_model_and_timings(indexed: Path) -> None:
    at = _ask(app_test(), "When did I decide to leave the city?")
    codes = [c.value for c in at.code]
    assert any(c.startswith("You help a person reflect on their own writing") for c in codes)
    assert any("[1] 2014-03-02 · journal.md" in c and "Question: When did I" in c for c in codes)
    assert any('"num_ctx": 8192' in c for c in codes)
    passages = next(df.value for df in at.dataframe if "similarity" in df.value.columns)
    assert next(iter(passages["file"])) == "journal.md"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Retrieval"].endswith("ms") and metrics["Total"].endswith("ms")
    assert "fake/scripted" in texts(at)


def test_answers_are_saved_and_the_conversation_can_be_reopened_renamed_exported_deleted(
    indexed: Path,
) -> None:
    at = _ask(app_test(), "When did I decide to leave the city?")
    at = _ask(at, "And what about the garden?")
    app = runtime.current()
    assert app.services is not None
    store = app.services.conversations()
    [summary] = store.summaries()
    assert summary.turns == 2 and summary.title == "When did I decide to leave the city?"

    at = next(b for b in at.button if b.label == "New conversation").click().run()
    assert "Chat" in [t.value for t in at.title]
    at = next(b for b in at.button if b.key == f"open-{summary.id}").click().run()
    assert "You wrote about this: ## 2014-03-02 [1]." in texts(at)
    assert at.button_group, "saved citations still open"
    at = at.button_group[0].set_value(1).run()
    assert "We walked to the sea" in texts(at)
    codes = [c.value for c in at.code]  # and what the model was shown is still there
    assert any(c.startswith("You help a person reflect on their own writing") for c in codes)
    assert any('"num_ctx": 8192' in c for c in codes)

    title = next(t for t in at.sidebar.text_input if t.label == "Title")
    title.set_value("Leaving Leeds")
    at = next(b for b in at.sidebar.button if b.label == "Rename").click().run()
    assert store.load(summary.id).title == "Leaving Leeds"
    download = next(d for d in at.get("download_button") if "Markdown" in d.proto.label)
    assert download is not None

    at = next(c for c in at.sidebar.checkbox if c.label == "Delete it").check().run()
    at = next(b for b in at.sidebar.button if b.label == "Delete for good").click().run()
    assert store.summaries() == []


def test_a_stopped_answer_keeps_what_arrived(indexed: Path) -> None:
    at = app_test()
    at.session_state["chat-turns"] = [Turn("A question", status="asking", text="Half an ans")]
    at.run()
    page = texts(at)
    assert "Half an ans" in page and "Stopped." in page


def test_without_a_chat_runtime_the_turn_explains_the_way_out(
    indexed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PONDER_LLM__PROVIDER", "ollama")
    monkeypatch.setenv("PONDER_OLLAMA__HOST", "http://127.0.0.1:9")
    at = _ask(app_test(), "When did I decide to leave the city?")
    assert not at.exception
    page = texts(at)
    assert "Ollama is not reachable" in page
    assert "ollama serve" in page and "embedded mode" in page


def test_a_remote_image_in_an_answer_is_shown_as_text(
    archive: Path, data_dir: Path, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        archive,
        "2019-06-01.md",
        "![x](http://203.0.113.7/pixel.png) The lighthouse keeper showed me the lamp.\n",
    )
    services = make_app()
    with services.writer_lock():
        services.sync()
    fake_env(monkeypatch, archive, data_dir)
    at = _ask(app_test(), "What did the lighthouse keeper show me?")
    shown = [m.value for m in at.markdown if "203.0.113.7" in m.value]
    assert shown, texts(at)
    assert all("![" not in value for value in shown)
    assert any("!\\[x](http://203.0.113.7/pixel.png)" in value for value in shown)


def test_an_empty_index_says_what_to_do(
    archive: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_env(monkeypatch, archive, data_dir)
    at = app_test()
    assert "Nothing is indexed yet" in texts(at)


def test_the_models_and_the_index_warm_up_while_the_page_is_read(indexed: Path) -> None:
    at = app_test()
    assert not at.exception
    services = runtime.current().services
    assert services is not None
    deadline = time.monotonic() + 30
    while services._embedder is None and time.monotonic() < deadline:
        time.sleep(0.05)  # a background thread: no question asked yet
    assert services._embedder is not None and services.store._connection is not None
