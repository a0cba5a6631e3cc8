"""The library page: statuses, failures with reasons, the watcher's state, sync and re-index."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.app_support import app_test, fake_env, frame, texts
from tests.conftest import AppFactory, write
from ui import runtime

# Every runtime a test builds (watchers, locks, jobs) is stopped after it.
pytestmark = pytest.mark.usefixtures("app_runtimes")


@pytest.fixture
def library(
    archive: Path, data_dir: Path, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    write(
        archive,
        "journal.md",
        "## 2014-03-02\nWe walked to the sea.\n\n## 2015-05-01\nRain all day.\n",
    )
    write(archive, "notes/2016-01-02.txt", "A note about the garden and the broad beans.\n")
    write(archive, "broken.pdf", b"%PDF-1.4 not really a pdf")
    write(archive, "empty.md", "")
    services = make_app()
    with services.writer_lock():
        services.sync()
    fake_env(monkeypatch, archive, data_dir)
    return archive


def test_lists_every_document_with_status_dates_and_entries(library: Path) -> None:
    at = app_test("app_pages/library.py")
    assert not at.exception
    by_file = {row["file"]: row for row in frame(at, "entries")}
    assert by_file["journal.md"]["status"] == "indexed"
    assert by_file["journal.md"]["entries"] == 2
    assert str(by_file["journal.md"]["from"])[:10] == "2014-03-02"
    assert str(by_file["journal.md"]["to"])[:10] == "2015-05-01"
    assert by_file["broken.pdf"]["status"] == "failed"
    problems = frame(at, "reason")
    assert {p["file"] for p in problems} >= {"broken.pdf", "empty.md"}
    assert all(p["reason"] for p in problems)
    assert str(library) in texts(at)


def test_sync_now_runs_in_the_background_and_the_page_shows_the_outcome(
    library: Path,
) -> None:
    write(library, "2017-04-08.md", "A new note about the lighthouse.\n")
    at = app_test("app_pages/library.py")
    at = next(b for b in at.button if b.label == "Sync now").click().run()
    job = runtime.current().jobs.latest("sync")
    assert job is not None and job.wait(60)
    at.run()
    assert "Syncing the archive: done" in texts(at)
    assert "2017-04-08.md" in {row["file"] for row in frame(at, "entries")}


def test_reindex_asks_first_then_rebuilds(library: Path) -> None:
    at = app_test("app_pages/library.py")
    at = next(b for b in at.button if b.label == "Re-index now").click().run()
    job = runtime.current().jobs.latest("reindex")
    assert job is not None and job.wait(60)
    assert job.status == "done", job.error
    at.run()
    assert "Re-indexing the archive: done" in texts(at)


def test_a_cancelled_sync_stops_between_files_and_the_next_one_finishes(
    archive: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(400):
        write(archive, f"notes/{n:04d}.md", f"Note {n} about the sea and the garden.\n")
    fake_env(monkeypatch, archive, data_dir)
    app = runtime.current()
    job = app.sync()
    while job.running and job.done < 5:
        time.sleep(0.01)
    job.cancel()
    assert job.wait(60)
    assert job.status == "cancelled"
    assert app.services is not None
    assert app.services.status().by_status["indexed"] < 400
    again = app.sync()
    assert again.wait(120) and again.status == "done", again.error
    assert app.services.status().by_status["indexed"] == 400


def test_shows_a_watcher_running_in_another_process(library: Path, data_dir: Path) -> None:
    state = {
        "pid": os.getpid(),
        "mode": "events",
        "last_sync": "2026-01-02T12:04:05+00:00",
        "last_event": "2026-01-02T12:04:04+00:00",
        "last_event_path": "journal.md",
        "queue": 2,
    }
    (data_dir / "watcher.json").write_text(json.dumps(state))
    at = app_test("app_pages/library.py")
    page = texts(at)
    assert "watching: by another process" in page
    assert f"pid {os.getpid()}" in page
    assert "journal.md" in page
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Changes queued"] == "2"
    assert metrics["Last sync"].startswith("2026-01-02")
