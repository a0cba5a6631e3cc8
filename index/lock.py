"""One writer per data dir: an advisory file lock that says who holds it."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

LOCK_FILE = "writer.lock"


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    command: str
    since: str

    def describe(self) -> str:
        return f"`{self.command}` (pid {self.pid} on {self.host}, since {self.since})"


class LockHeld(Exception):
    """Another process is writing to this index."""

    def __init__(self, holder: LockHolder | None, path: Path) -> None:
        who = holder.describe() if holder else "another ponder process"
        super().__init__(f"{who} is writing to the index in {path.parent}")
        self.holder = holder
        self.hint = "Wait for it to finish, stop it, or pass --wait SECONDS to wait for it."


class WriterLock:
    """Exclusive lock on ``<data_dir>/writer.lock``, released when the process dies.

    flock is released by the kernel when its holder exits, so a crash never leaves a
    stale lock behind; the JSON inside only names the holder for messages.
    """

    def __init__(self, data_dir: Path, command: str = "ponder") -> None:
        self.path = data_dir / LOCK_FILE
        self._command = command
        self._handle: IO[str] | None = None

    def acquire(
        self,
        wait_seconds: float = 0.0,
        on_wait: Callable[[LockHolder | None], None] | None = None,
    ) -> None:
        """Take the lock, waiting up to ``wait_seconds``.

        Raises:
            LockHeld: someone else still holds it when the wait is over.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self.holder()
                    handle.close()
                    raise LockHeld(holder, self.path) from None
                if on_wait is not None and not told:
                    on_wait(self.holder())
                    told = True
                time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": self._command,
            "since": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        handle.write(json.dumps(record))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        self._handle.seek(0)
        self._handle.truncate()
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None

    def holder(self) -> LockHolder | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, json.JSONDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        return LockHolder(
            int(data.get("pid", 0)),
            str(data.get("host", "?")),
            str(data.get("command", "ponder")),
            str(data.get("since", "?")),
        )

    def __enter__(self) -> WriterLock:
        if self._handle is None:
            self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def command_line() -> str:
    """How this process was started, for the lock's holder record."""
    return " ".join(["ponder", *sys.argv[1:]])[:200]
