"""Helpers for the app's tests: the environment `ponder ui` would give, and AppTest runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from ui import runtime

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "ui" / "app.py")


def fake_env(
    monkeypatch: pytest.MonkeyPatch, archive: Path | None, data_dir: Path, **settings: str
) -> None:
    """Settings through the environment, as a user would set them; fake models by default."""
    if archive is not None:
        monkeypatch.setenv("PONDER_ARCHIVE", str(archive))
    monkeypatch.setenv("PONDER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PONDER_EMBEDDINGS__PROVIDER", "fake")
    monkeypatch.setenv("PONDER_LLM__PROVIDER", "fake")
    monkeypatch.setenv("PONDER_INDEX__KEEP_VERSIONS_MINUTES", "0")
    for key, value in settings.items():
        monkeypatch.setenv(f"PONDER_{key.upper()}", value)


def app_test(page: str | None = None, timeout: float = 30.0) -> AppTest:
    """The whole app, run once, then switched to ``page`` (e.g. "app_pages/library.py")."""
    at = AppTest.from_file(APP, default_timeout=timeout).run()
    if page is not None:
        at.switch_page(page).run()
    return at


def close_runtimes() -> None:
    """Stop every runtime the tests built (watchers, locks, jobs)."""
    runtime.release_all()


def frame(at: AppTest, column: str) -> list[dict[str, Any]]:
    """The rows of the first dataframe on the page that has ``column``."""
    for element in at.dataframe:
        table = element.value
        if column in table.columns:
            return list(table.to_dict("records"))
    raise AssertionError(f"no table with a {column!r} column")


def texts(at: AppTest) -> str:
    """Every piece of text on the page, for loose assertions."""
    parts: list[str] = []
    for kind in (
        "markdown",
        "caption",
        "title",
        "subheader",
        "info",
        "warning",
        "error",
        "success",
        "text",
        "code",
    ):
        parts.extend(str(element.value) for element in getattr(at, kind))
    return "\n".join(parts)
