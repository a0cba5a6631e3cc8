"""`ponder ui`: loopback only, no telemetry, the watcher in the same process, a clean stop."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.lock import WriterLock
from tests.browser_support import PonderUI, free_port
from tests.conftest import AppFactory, write
from ui.cli import cli
from ui.cli_ui import streamlit_options
from ui.runtime import AppRuntime, Launch

# Every runtime a test builds (watchers, locks, jobs) is stopped after it.
pytestmark = pytest.mark.usefixtures("app_runtimes")


def _listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket the process listens on, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            address, port = local.split(":")
            if width == 8:
                raw = bytes.fromhex(address)[::-1]
                found.append((socket.inet_ntop(socket.AF_INET, raw), int(port, 16)))
            else:
                found.append((f"ipv6:{address}", int(port, 16)))
    return found


def _ui_env(archive: Path, data_dir: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PONDER_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        PONDER_ARCHIVE=str(archive),
        PONDER_DATA_DIR=str(data_dir),
        PONDER_EMBEDDINGS__PROVIDER="fake",
        PONDER_LLM__PROVIDER="fake",
    )
    return env


@pytest.mark.slow
def test_listens_on_loopback_only_and_watches_in_process(
    archive: Path, data_dir: Path, tmp_path: Path
) -> None:
    write(archive, "note.md", "---\ndate: 2020-01-02\n---\nA note.\n")
    server = PonderUI(free_port(), _ui_env(archive, data_dir, tmp_path / "home"))
    server.start(tmp_path / "ui.log")
    try:
        server.wait_healthy()
        assert server.process is not None
        listening = _listening(server.process.pid)
        assert listening == [("127.0.0.1", server.port)], server.log()
        deadline = time.monotonic() + 30
        state: dict[str, object] = {}
        while time.monotonic() < deadline:  # the watcher's catch-up sync, then watching
            state = json.loads((data_dir / "watcher.json").read_text() or "{}")
            if state.get("syncs"):
                break
            time.sleep(0.2)
        assert state.get("pid") == server.process.pid
        assert state.get("mode") in ("events", "polling")
    finally:
        code = server.stop()
    assert code == 0, server.log()
    final = json.loads((data_dir / "watcher.json").read_text())
    assert final["mode"] == "stopped"  # it stopped with the app and said so
    lock = WriterLock(data_dir)
    lock.acquire(0)  # released
    lock.release()


def test_streamlit_is_told_loopback_no_telemetry_no_static_files() -> None:
    options = streamlit_options(8501)
    assert "--server.address=127.0.0.1" in options
    assert "--browser.gatherUsageStats=false" in options
    assert "--server.enableStaticServing=false" in options
    assert "--server.headless=true" in options
    assert "--client.showErrorDetails=none" in options


def test_a_taken_port_is_a_message_with_the_fix(archive: Path, data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli,
            ["--archive", str(archive), "--data-dir", str(data_dir), "ui", "--port", str(port)],
            env={"PONDER_EMBEDDINGS__PROVIDER": "fake", "PONDER_LLM__PROVIDER": "fake"},
        )
    assert result.exit_code != 0
    assert f"port {port}" in result.output
    assert "--port" in result.output
    assert "Traceback" not in result.output


def test_another_watcher_keeps_the_job(
    make_app: AppFactory, archive: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = WriterLock(data_dir, "ponder watch")
    holder.acquire(0)
    try:
        env = {
            "PONDER_ARCHIVE": str(archive),
            "PONDER_DATA_DIR": str(data_dir),
            "PONDER_EMBEDDINGS__PROVIDER": "fake",
            "PONDER_LLM__PROVIDER": "fake",
        }
        app = AppRuntime(Launch(watch=True), env)
        try:
            info = app.watch_info()
            assert not info.by_us
            assert "by another process" in info.summary
            assert f"pid {os.getpid()}" in info.summary
            job = app.sync()  # a write while the lock is held elsewhere names the holder
            assert job.wait(30)
            assert job.status == "failed"
            assert "ponder watch" in job.error
        finally:
            app.close()
    finally:
        holder.release()


def test_writes_pause_the_in_process_watcher_and_resume_it(archive: Path, data_dir: Path) -> None:
    write(archive, "a.md", "---\ndate: 2020-01-02\n---\nOne.\n")
    env = {
        "PONDER_ARCHIVE": str(archive),
        "PONDER_DATA_DIR": str(data_dir),
        "PONDER_EMBEDDINGS__PROVIDER": "fake",
        "PONDER_LLM__PROVIDER": "fake",
    }
    app = AppRuntime(Launch(watch=True), env)
    try:
        assert app.watch_info().by_us
        job = app.reindex()
        assert job.wait(60), job.message
        assert job.status == "done", job.error
        assert app.watch_info().by_us  # the watcher is back
        assert app.services is not None
        assert app.services.status().by_status["indexed"] == 1
    finally:
        app.close()
    lock = WriterLock(data_dir)
    lock.acquire(0)
    lock.release()
