"""The watcher, with a real observer: every way a file changes ends in an exact index."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchdog.observers import Observer

from ingest.watcher import Watcher, read_state
from tests.conftest import REPO, AppFactory, write
from tests.test_sync import fresh_snapshot, snapshot
from ui.services import Services

TIMEOUT = 30.0


def note(topic: str) -> str:
    return f"# {topic}\n\nI wrote about {topic} today, and about the tide under the pier.\n"


@pytest.fixture
def watched(make_app: AppFactory) -> Iterator[tuple[Services, Watcher]]:
    app = make_app(watch__debounce_seconds="0.2")
    watcher = app.watcher()
    watcher.start()
    wait_until(lambda: watcher.state.mode == "events", "the observer to start")
    yield app, watcher
    watcher.stop()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def settles_to_fresh_ingest(app: Services, make_app: AppFactory, tmp_path: Path) -> None:
    """The index ends equal to a fresh full ingest of the folder: same documents, same
    passages, no duplicates."""
    expected = fresh_snapshot(make_app, tmp_path)
    wait_until(lambda: snapshot(app) == expected, "the index to match the folder")
    paths = [d.path for d in app.store.documents()]
    assert len(paths) == len(set(paths))


def test_created_modified_deleted(
    watched: tuple[Services, Watcher], archive: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    app, _ = watched
    path = write(archive, "a.md", note("gulls"))
    settles_to_fresh_ingest(app, make_app, tmp_path)
    path.write_text(note("gulls and herring"), encoding="utf-8")
    settles_to_fresh_ingest(app, make_app, tmp_path)
    path.unlink()
    settles_to_fresh_ingest(app, make_app, tmp_path)
    assert snapshot(app) == {}


def test_truncate_then_write_like_vscode(
    watched: tuple[Services, Watcher], archive: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    app, _ = watched
    path = write(archive, "b.md", note("first version"))
    settles_to_fresh_ingest(app, make_app, tmp_path)
    with path.open("r+", encoding="utf-8") as handle:
        handle.truncate(0)
        handle.flush()
        time.sleep(0.05)  # the empty file is visible for a moment
        handle.write(note("second version"))
    settles_to_fresh_ingest(app, make_app, tmp_path)
    assert "second version" in " ".join(snapshot(app)["b.md"])


def test_temp_file_renamed_over_like_vim_and_sync_tools(
    watched: tuple[Services, Watcher], archive: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    app, _ = watched
    path = write(archive, "c.md", note("draft"))
    settles_to_fresh_ingest(app, make_app, tmp_path)
    # vim: probe file, backup by rename, write the new file, drop the backup.
    write(archive, "4913", "")
    (archive / "4913").unlink()
    path.rename(archive / "c.md~")
    write(archive, "c.md", note("vim saved"))
    (archive / "c.md~").unlink()
    settles_to_fresh_ingest(app, make_app, tmp_path)
    # Emacs and sync tools: a temp file renamed over the original.
    write(archive, ".c.md.tmp123", note("atomic save"))
    os.replace(archive / ".c.md.tmp123", archive / "c.md")
    settles_to_fresh_ingest(app, make_app, tmp_path)
    assert set(snapshot(app)) == {"c.md"}
    assert "atomic save" in " ".join(snapshot(app)["c.md"])


def test_renames_and_moves_within_into_and_out_of_the_archive(
    watched: tuple[Services, Watcher], archive: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    app, _ = watched
    write(archive, "2019/jan.md", note("january"))
    write(archive, "2019/feb.md", note("february"))
    settles_to_fresh_ingest(app, make_app, tmp_path)
    (archive / "2019" / "jan.md").rename(archive / "2019" / "january.md")
    settles_to_fresh_ingest(app, make_app, tmp_path)
    (archive / "2019").rename(archive / "old-2019")
    settles_to_fresh_ingest(app, make_app, tmp_path)
    outside = tmp_path / "outside"
    write(outside, "letters/one.md", note("a letter"))
    (outside / "letters").rename(archive / "letters")
    settles_to_fresh_ingest(app, make_app, tmp_path)
    (archive / "old-2019").rename(outside / "gone-2019")
    settles_to_fresh_ingest(app, make_app, tmp_path)
    assert set(snapshot(app)) == {"letters/one.md"}


def test_unicode_name_forms_and_ignored_files(
    watched: tuple[Services, Watcher], archive: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    app, _ = watched
    write(archive, "cafe\u0301.md", note("coffee"))  # NFD on disk
    for junk in [".cafe.md.swp", "cafe.md~", "#cafe.md#", ".hidden/x.md", "~$letter.docx"]:
        write(archive, junk, "junk")
    settles_to_fresh_ingest(app, make_app, tmp_path)
    assert set(snapshot(app)) == {"caf\u00e9.md"}
    (archive / "cafe\u0301.md").unlink()
    settles_to_fresh_ingest(app, make_app, tmp_path)
    assert snapshot(app) == {}


@pytest.mark.slow
def test_burst_of_two_thousand_new_files(
    watched: tuple[Services, Watcher], archive: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    app, _ = watched
    for i in range(2000):
        write(archive, f"burst/{i // 100:02d}/note-{i:04d}.txt", f"Note {i} about tide {i % 37}.\n")
    expected = fresh_snapshot(make_app, tmp_path)
    assert len(expected) == 2000
    wait_until(lambda: snapshot(app) == expected, "the burst to be indexed", timeout=180)


def test_changes_while_stopped_are_caught_up(
    make_app: AppFactory, archive: Path, tmp_path: Path
) -> None:
    app = make_app(watch__debounce_seconds="0.2")
    write(archive, "keep.md", note("keep"))
    write(archive, "edit.md", note("edit"))
    write(archive, "drop.md", note("drop"))
    first = app.watcher()
    first.start()
    wait_until(lambda: first.state.syncs >= 1, "the catch-up sync")
    first.stop()
    (archive / "drop.md").unlink()
    (archive / "edit.md").write_text(note("edited while stopped"), encoding="utf-8")
    write(archive, "new.md", note("new while stopped"))
    second = make_app(watch__debounce_seconds="0.2").watcher()
    second.start()
    try:
        settles_to_fresh_ingest(app, make_app, tmp_path)
    finally:
        second.stop()


def test_polling_mode_sees_changes(make_app: AppFactory, archive: Path, tmp_path: Path) -> None:
    app = make_app(watch__debounce_seconds="0.2", watch__polling="true")
    watcher = app.watcher()
    watcher.start()
    try:
        wait_until(lambda: watcher.state.mode == "polling", "polling to start")
        write(archive, "polled.md", note("network share"))
        settles_to_fresh_ingest(app, make_app, tmp_path)
    finally:
        watcher.stop()


def test_inotify_limit_falls_back_to_polling_with_a_clear_notice(
    make_app: AppFactory, archive: Path, tmp_path: Path
) -> None:
    def exhausted() -> Observer:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    app = make_app(watch__debounce_seconds="0.2")
    watcher = Watcher(
        archive,
        app.data_dir,
        app.sync,
        __import__("ingest.discover", fromlist=["IgnoreRules"]).IgnoreRules(),
        debounce_seconds=0.2,
        observer_factory=exhausted,
    )
    watcher.start()
    try:
        wait_until(lambda: watcher.state.mode == "polling", "the fallback to polling")
        assert "max_user_watches" in watcher.state.notice
        write(archive, "after-fallback.md", note("still seen"))
        settles_to_fresh_ingest(app, make_app, tmp_path)
    finally:
        watcher.stop()


def test_a_dead_observer_is_restarted_and_nothing_is_missed(
    watched: tuple[Services, Watcher], archive: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    app, watcher = watched
    observer = watcher._observer
    assert observer is not None
    observer.stop()
    observer.join()
    write(archive, "while-dead.md", note("missed event"))
    watcher._wake.set()  # the heartbeat would do this within seconds
    settles_to_fresh_ingest(app, make_app, tmp_path)


def test_state_is_published(watched: tuple[Services, Watcher], archive: Path) -> None:
    app, _ = watched
    write(archive, "x.md", note("published"))
    wait_until(lambda: (read_state(app.data_dir) or {}).get("last_event_path") == "x.md", "state")
    state = read_state(app.data_dir)
    assert state is not None and state["alive"] and state["mode"] == "events"
    assert {"running_since", "last_event", "last_sync", "queue", "failures"} <= set(state)


def test_watch_command_stops_cleanly_on_sigterm_and_holds_the_lock(
    archive: Path, data_dir: Path
) -> None:
    write(archive, "a.md", note("signals"))
    env = {
        **os.environ,
        "PONDER_ARCHIVE": str(archive),
        "PONDER_DATA_DIR": str(data_dir),
        "PONDER_EMBEDDINGS__PROVIDER": "fake",
        "PONDER_WATCH__DEBOUNCE_SECONDS": "0.2",
    }
    command = [sys.executable, "-m", "ui.cli", "watch"]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        assert "watching" in proc.stderr.readline()
        wait_until(lambda: (read_state(data_dir) or {}).get("syncs", 0) >= 1, "catch-up")
        second = subprocess.run(
            [*command, "--wait", "0.3"], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert second.returncode == 1
        assert "ponder watch" in second.stderr and "is writing to the index" in second.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    state = json.loads((data_dir / "watcher.json").read_text())
    assert state["mode"] == "stopped"


def test_periodic_reconcile_catches_what_no_event_reported(
    make_app: AppFactory, archive: Path, tmp_path: Path
) -> None:
    from watchdog.observers.polling import PollingObserver

    from ingest.discover import IgnoreRules

    app = make_app()
    deaf = Watcher(  # an observer that is alive but reports nothing for an hour
        archive,
        app.data_dir,
        app.sync,
        IgnoreRules(),
        debounce_seconds=0.2,
        reconcile_seconds=1.0,
        observer_factory=lambda: PollingObserver(timeout=3600),
    )
    deaf.start()
    try:
        wait_until(lambda: deaf.state.syncs >= 1, "the catch-up sync")
        write(archive, "unreported.md", note("no event for this"))
        settles_to_fresh_ingest(app, make_app, tmp_path)
    finally:
        deaf.stop()
