"""The Themes page: discovery in the background, the list, chart, quotes, freshness, drill-down."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.search import EntryScope
from tests.app_support import app_test, fake_env, texts
from tests.conftest import AppFactory
from tests.themes_support import themed_archive, write_year
from ui import runtime
from ui.widgets import CHAT_SCOPE

# Every runtime a test builds (watchers, locks, jobs) is stopped after it.
pytestmark = pytest.mark.usefixtures("app_runtimes")


@pytest.fixture
def themed(
    archive: Path, data_dir: Path, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    themed_archive(archive)
    make_app().sync()
    fake_env(monkeypatch, archive, data_dir)
    return archive


def discover(page: str = "app_pages/themes.py") -> object:
    at = app_test(page)
    assert not at.exception
    assert "have not been looked for yet" in texts(at)
    at = next(b for b in at.button if b.label == "Discover themes").click().run()
    job = runtime.current().jobs.latest("themes")
    assert job is not None and job.wait(120)
    assert job.status == "done", job.error
    return at.run()


def test_discovering_runs_in_the_background_then_lists_the_themes(themed: Path) -> None:
    at = discover()
    page = texts(at)
    assert "Finding themes: done" in page
    assert "up to date with the index" in page
    assert len(at.expander) >= 3
    assert "You keep coming back to" in page
    assert "Keywords:" in page
    assert any(q for q in at.markdown if str(q.value).startswith(">"))  # quotes
    assert at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart")
    assert "What was different about" in page


def test_the_page_says_when_entries_changed_since(themed: Path) -> None:
    at = discover()
    write_year(themed, 2020, {"garden": 2})
    services = runtime.current().services
    assert services is not None
    services.sync()
    at.run()
    assert "2 entries changed since" in texts(at)
    at = next(b for b in at.button if b.label == "Update themes").click().run()
    job = runtime.current().jobs.latest("themes")
    assert job is not None and job.wait(120) and job.status == "done", job.error
    at.run()
    assert "2 entries placed in them since" in texts(at)


def test_ask_about_a_theme_opens_the_chat_within_it(themed: Path) -> None:
    at = discover()
    at = next(b for b in at.button if b.label == "Ask about this theme").click().run()
    scope = at.session_state[CHAT_SCOPE]
    assert isinstance(scope, EntryScope) and scope.entries
    at.switch_page("app_pages/chat.py").run()
    assert not at.exception
    assert "Asking within the theme" in texts(at)


def test_a_small_archive_says_so(
    archive: Path, data_dir: Path, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_year(archive, 2020, {"garden": 2})
    make_app().sync()
    fake_env(monkeypatch, archive, data_dir)
    at = app_test("app_pages/themes.py")
    at = next(b for b in at.button if b.label == "Discover themes").click().run()
    job = runtime.current().jobs.latest("themes")
    assert job is not None and job.wait(60)
    at.run()
    assert "not enough writing yet" in texts(at)
