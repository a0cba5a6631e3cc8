"""One writer per data dir, and a clear word about who holds it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.lock import LockHeld, WriterLock

HOLD = """
import sys, time
from pathlib import Path
from index.lock import WriterLock
lock = WriterLock(Path(sys.argv[1]), "ponder watch")
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _holder(data_dir: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_writer_is_told_who_holds_the_lock(tmp_path: Path) -> None:
    proc = _holder(tmp_path, 30)
    try:
        with pytest.raises(LockHeld) as error:
            WriterLock(tmp_path, "ponder ingest").acquire(wait_seconds=0.2)
        assert "ponder watch" in str(error.value)
        assert f"pid {proc.pid}" in str(error.value)
        assert error.value.hint
    finally:
        proc.kill()
        proc.wait()


def test_waiting_writer_gets_the_lock_when_it_is_released(tmp_path: Path) -> None:
    proc = _holder(tmp_path, 0.5)
    told = []
    try:
        lock = WriterLock(tmp_path, "ponder ingest")
        started = time.monotonic()
        lock.acquire(wait_seconds=20, on_wait=told.append)
        assert time.monotonic() - started < 15
        assert told and told[0] is not None and told[0].command == "ponder watch"
        lock.release()
    finally:
        proc.kill()
        proc.wait()


def test_a_crashed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    proc = _holder(tmp_path, 30)
    proc.kill()
    proc.wait()
    with WriterLock(tmp_path, "ponder ingest"):
        pass
