"""Long operations off the page's thread: progress a page can poll, and a cancel it can ask for.

A Streamlit script run must stay short or the page cannot react, so a sync, a re-index or
a model pull runs in a thread of its own. The page polls the job (a fragment that reruns
every half second) and shows its progress; "Cancel" sets a flag that the job checks each
time it reports progress. A sync reports progress before each file, so raising there
stops it between files: that is as safe as a crash, which the write path is built for
(a document's passages are replaced in one commit and its row is written after them, so
the next sync redoes whatever was cut short).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

log = logging.getLogger(__name__)

JobStatus = Literal["running", "done", "failed", "cancelled"]


class Cancelled(Exception):
    """The user asked the job to stop; raised inside the job where it reports progress."""


class Busy(Exception):
    """Another job of the same group is still running."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"{job.label} is still running")
        self.job = job
        self.hint = "Wait for it to finish, or cancel it."


@dataclass
class Job:
    """One long operation: what it is doing, how far it got, and how it ended."""

    kind: str  # "sync", "reindex", "pull", ...
    label: str  # what the page says it is doing
    group: str  # at most one running job per group
    started: float = field(default_factory=time.monotonic)
    status: JobStatus = "running"
    done: int = 0
    total: int = 0
    message: str = ""
    result: Any = None
    error: str = ""
    hint: str = ""
    finished: float | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _ended: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def fraction(self) -> float | None:
        """How far along, from 0 to 1, or None while the total is unknown."""
        if self.total <= 0:
            return None
        return min(1.0, max(0.0, self.done / self.total))

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def cancel(self) -> None:
        """Ask the job to stop at its next progress report."""
        self._cancel.set()

    def progress(self, done: int, total: int, message: str = "") -> None:
        """Called by the job: record progress, and stop here if a cancel was asked for.

        Raises:
            Cancelled: the user asked to stop.
        """
        self.done, self.total = done, total
        if message:
            self.message = message
        self.check()

    def note(self, message: str) -> None:
        """Called by the job: say what it is doing (progress unchanged); stop if asked.

        Raises:
            Cancelled: the user asked to stop.
        """
        self.message = message
        self.check()

    def check(self) -> None:
        """Called by the job between steps.

        Raises:
            Cancelled: the user asked to stop.
        """
        if self._cancel.is_set():
            raise Cancelled

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends; False if it is still running after ``timeout``."""
        return self._ended.wait(timeout)

    def _end(self, status: JobStatus) -> None:
        self.status = status
        self.finished = time.monotonic()
        self._ended.set()


Work = Callable[[Job], Any]
# Errors that carry a hint and are the user's to fix, as opposed to bugs (see cli_support).
Explain = Callable[[BaseException], tuple[str, str] | None]


class Jobs:
    """Starts jobs in daemon threads and remembers the latest of each kind."""

    def __init__(self, explain: Explain) -> None:
        self._explain = explain
        self._lock = threading.Lock()
        self._latest: dict[str, Job] = {}
        self._threads: list[threading.Thread] = []

    def start(self, kind: str, label: str, work: Work, group: str = "") -> Job:
        """Run ``work(job)`` in a new thread; its return value becomes ``job.result``.

        Raises:
            Busy: a job of the same group (default: the same kind) is running.
        """
        group = group or kind
        with self._lock:
            for other in self._latest.values():
                if other.group == group and other.running:
                    raise Busy(other)
            job = Job(kind, label, group)
            self._latest[kind] = job
            thread = threading.Thread(
                target=self._run, args=(job, work), name=f"ponder-{kind}", daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return job

    def latest(self, kind: str) -> Job | None:
        with self._lock:
            return self._latest.get(kind)

    def running(self, group: str | None = None) -> list[Job]:
        with self._lock:
            jobs = list(self._latest.values())
        return [j for j in jobs if j.running and (group is None or j.group == group)]

    def forget(self, kind: str) -> None:
        """Drop a finished job so the page stops showing its outcome."""
        with self._lock:
            job = self._latest.get(kind)
            if job is not None and not job.running:
                del self._latest[kind]

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel every running job and wait (up to ``timeout`` in all) for them to end."""
        for job in self.running():
            job.cancel()
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self, job: Job, work: Work) -> None:
        try:
            job.result = work(job)
        except Cancelled:
            job.message = "cancelled"
            job._end("cancelled")
            return
        except BaseException as exc:  # a job must end with a message, never a dead thread
            explained = self._explain(exc)
            if explained is None:
                log.exception("%s failed", job.label)
                job.error = f"unexpected error: {type(exc).__name__}: {exc}"
                job.hint = "The details are in the terminal running `ponder ui`; please report it."
            else:
                job.error, job.hint = explained
            job._end("failed")
            return
        job._end("done")
