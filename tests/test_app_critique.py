"""The Critique page and the chat page's "Critique this answer", with the fake models: the
six sections in order, citation chips that open the source, nothing rendered as HTML."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from index.critique_prompts import SECTION_ORDER, SECTION_TITLES
from tests.app_support import app_test, fake_env, texts
from tests.conftest import AppFactory, write
from tests.test_critique import JOURNAL, NOTE, STATEMENT

PAGE = "app_pages/critique.py"


# Every runtime a test builds (watchers, locks, jobs) is stopped after it.
pytestmark = pytest.mark.usefixtures("app_runtimes")


@pytest.fixture
def indexed(
    archive: Path, data_dir: Path, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    write(archive, "journal.md", JOURNAL)
    write(archive, "notes/2019-05-05.txt", NOTE)
    services = make_app()
    with services.writer_lock():
        services.sync()
    fake_env(monkeypatch, archive, data_dir)
    return archive


def _critique(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.key == "critique-run").click().run()


def test_the_page_critiques_a_text_in_six_sections_with_chips_that_open_sources(
    indexed: Path,
) -> None:
    at = app_test(PAGE)
    assert not at.exception
    at.text_area(key="critique-text").set_value(STATEMENT)
    at = _critique(at)
    assert not at.exception
    headers = [h.value for h in at.subheader]
    assert headers == [SECTION_TITLES[name] for name in SECTION_ORDER]
    chips = at.button_group
    assert chips, "citations are chips"
    journal = next((c, i) for c in chips for i, o in enumerate(c.options) if "journal.md" in o)
    group, position = journal
    key = int(group.options[position].split("]")[0].lstrip("["))
    at = group.set_value(key).run()
    page = texts(at)
    assert "`journal.md`" in page  # the passage opened in its source
    assert any(
        "You compare two things" in c.value or "sparring partner" in c.value for c in at.code
    )


def test_the_page_critiques_an_entry_and_explains_a_bad_one(indexed: Path) -> None:
    at = app_test(PAGE)
    at.radio(key="critique-source").set_value("An entry of your archive").run()
    at.text_input(key="critique-entry").set_value("journal.md").run()
    at = _critique(at)
    assert not at.exception
    assert "holds 5 entries" in texts(at)
    at.text_input(key="critique-entry").set_value("journal.md#2017-01-02").run()
    at = _critique(at)
    assert not at.exception
    assert SECTION_TITLES["patterns"] in [h.value for h in at.subheader]


def test_model_output_is_inert(indexed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_test(PAGE)
    at.text_area(key="critique-text").set_value(
        "![x](http://203.0.113.7/pixel.png) <b>bold</b> I will take the corporate job."
    )
    at = _critique(at)
    shown = [m.value for m in at.markdown if "203.0.113.7" in m.value]
    assert shown and all("![" not in v for v in shown)


def test_chat_answers_can_be_critiqued(indexed: Path) -> None:
    at = app_test()
    at = at.chat_input[0].set_value("What did I write about a big corporation?").run()
    assert not at.exception
    button = next(b for b in at.button if b.key == "critique-0")
    assert not button.disabled
    at = button.click().run()
    assert not at.exception
    headers = [h.value for h in at.subheader]
    assert headers[-6:] == [SECTION_TITLES[name] for name in SECTION_ORDER]
    assert "Critique of this answer" in [e.label for e in at.expander]

    # Another conversation does not inherit this one's critique (they are kept by turn).
    at = next(b for b in at.button if b.label == "New conversation").click().run()
    at = at.chat_input[0].set_value("What did I write about a big corporation?").run()
    assert "Critique of this answer" not in [e.label for e in at.expander]
    assert any(b.key == "critique-0" for b in at.button)
