"""First run: no archive leads to choosing a folder (or the sample); errors are messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_support import app_test, fake_env, texts
from tests.conftest import write
from ui import runtime

# Every runtime a test builds (watchers, locks, jobs) is stopped after it.
pytestmark = pytest.mark.usefixtures("app_runtimes")


def _click(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label).click().run()


def test_no_archive_shows_the_welcome_page(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_env(monkeypatch, None, data_dir)
    at = app_test()
    assert not at.exception
    assert at.title[0].value == "Welcome to ponder"
    assert "Use the sample archive" in [b.label for b in at.button]


def test_a_wrong_folder_is_a_message_not_a_traceback(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_env(monkeypatch, None, data_dir)
    at = app_test()
    at.text_input[0].set_value(str(tmp_path / "nowhere"))
    _click(at, "Use this folder")
    assert not at.exception
    assert "is not a folder" in texts(at)
    assert at.title[0].value == "Welcome to ponder"


def test_choosing_a_folder_saves_it_and_indexes_it(
    archive: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(archive, "2014-03-02.md", "We walked to the sea.\n")
    fake_env(monkeypatch, None, data_dir)
    at = app_test()
    at.text_input[0].set_value(str(archive))
    _click(at, "Use this folder")
    assert not at.exception
    app = runtime.current()
    assert app.services is not None
    assert f'path = "{archive}"' in app.services.loaded.config_file.read_text()
    job = app.jobs.latest("sync")
    assert job is not None and job.wait(60)
    assert job.status == "done", job.error
    at.run()
    assert app.services.status().by_status["indexed"] == 1
    assert "Library" in [t.value for t in at.title]


def test_without_any_model_runtime_the_page_explains(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_env(
        monkeypatch,
        None,
        data_dir,
        embeddings__provider="ollama",
        ollama__host="http://127.0.0.1:9",
    )
    at = app_test()
    assert not at.exception
    page = texts(at)
    assert "cannot reach a model" in page
    assert "https://ollama.com/download" in page
    assert "embedded mode" in page
