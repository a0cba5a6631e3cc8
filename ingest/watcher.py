"""The live half of sync: watchdog events become debounced full syncs (the only watchdog user).

Every batch runs the same ``Syncer.sync`` as ``ponder ingest``: a full scan that trusts
file stats for unchanged files, so it costs milliseconds per thousand files. Events only
decide *when* to sync, never *what*; a dropped event, a queue overflow, an editor's
rename dance or a network share that sends nothing can delay the index but never make
it wrong, and the periodic reconcile bounds the delay.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from ingest.discover import IgnoreRules, nfc
from ingest.sync import SyncReport

log = logging.getLogger(__name__)

STATE_FILE = "watcher.json"
_HEARTBEAT_SECONDS = 5.0


@dataclass
class WatcherState:
    """What the watcher is doing, published to ``<data_dir>/watcher.json``."""

    pid: int = field(default_factory=os.getpid)
    mode: str = "starting"  # "events", "polling", "stopped"
    running_since: str = ""
    heartbeat: str = ""
    last_event: str = ""
    last_event_path: str = ""
    last_sync: str = ""
    last_sync_summary: dict[str, object] = field(default_factory=dict)
    queue: int = 0  # changes seen and not yet synced
    syncs: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    notice: str = ""  # e.g. why it fell back to polling

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def read_state(data_dir: Path) -> dict[str, object] | None:
    """The last state a watcher published, with ``alive`` saying whether it still runs."""
    try:
        state = json.loads((data_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict):
        return None
    state["alive"] = state.get("mode") not in ("stopped", None) and _pid_alive(state.get("pid"))
    return state


def _pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class _Changes(FileSystemEventHandler):
    """Collects relevant events: their count, the latest path and time."""

    def __init__(self, root: Path, rules: IgnoreRules, wake: threading.Event) -> None:
        self._root = root
        self._rules = rules
        self._wake = wake
        self._lock = threading.Lock()
        self.pending = 0
        self.last_at = 0.0  # monotonic time of the latest relevant event
        self.last_path = ""

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads, including our own, change nothing
        if event.is_directory and event.event_type == "modified":
            return  # says only that a child changed; the child's own event follows
        paths = [event.src_path, getattr(event, "dest_path", "")]
        relevant = [p for p in (self._relative(p) for p in paths if p) if p is not None]
        if not relevant:
            return
        with self._lock:
            self.pending += 1
            self.last_at = time.monotonic()
            self.last_path = relevant[-1]
        self._wake.set()

    def take(self) -> int:
        with self._lock:
            taken, self.pending = self.pending, 0
            return taken

    def _relative(self, path: str | bytes) -> str | None:
        text = os.fsdecode(path)
        try:
            rel = nfc(Path(text).relative_to(self._root).as_posix())
        except ValueError:
            return None
        if rel in ("", "."):
            return None  # the root's own metadata: its children's events carry the news
        # Ignored files (swap files, hidden folders) never wake a sync on their own;
        # vim's "write temp then rename" still does through its rename's destination.
        return None if self._rules.ignores(rel) else rel


SyncFunction = Callable[[], SyncReport]


class Watcher:
    """Runs ``sync`` after each quiet period following changes, and every reconcile period.

    Call ``run()`` in the foreground (``ponder watch``) or ``start()``/``stop()`` for a
    background thread (the web app). The caller holds the writer lock.
    """

    def __init__(
        self,
        archive: Path,
        data_dir: Path,
        sync: SyncFunction,
        rules: IgnoreRules,
        *,
        debounce_seconds: float = 0.5,
        reconcile_seconds: float = 600.0,
        polling: bool = False,
        poll_interval: float = 1.0,
        on_sync: Callable[[SyncReport], None] | None = None,
        observer_factory: Callable[[], BaseObserver] = Observer,
    ) -> None:
        self._archive = archive
        self._state_path = data_dir / STATE_FILE
        self._sync = sync
        self._debounce = debounce_seconds
        self._max_delay = max(5.0, 10 * debounce_seconds)
        self._reconcile = reconcile_seconds
        self._polling = polling
        self._poll_interval = poll_interval
        self._on_sync = on_sync or (lambda _report: None)
        self._observer_factory = observer_factory
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._changes = _Changes(archive, rules, self._wake)
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None
        self.state = WatcherState()

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> None:
        """Run in a background thread."""
        self._thread = threading.Thread(target=self.run, name="ponder-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Ask to stop; a sync in flight finishes first."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def request_stop(self) -> None:
        """Signal-safe: only sets flags."""
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        """Catch up, then sync after changes until asked to stop."""
        self.state.running_since = _now()
        try:
            self._sync_now("catch-up")
            self._observe()
            next_reconcile = time.monotonic() + self._reconcile
            while not self._stop.is_set():
                self._wake.wait(timeout=_HEARTBEAT_SECONDS)
                self._wake.clear()
                self._check_observer()
                if self._changes.pending:
                    self._wait_for_quiet()
                    if self._changes.take():
                        self._sync_now("changes")
                        next_reconcile = time.monotonic() + self._reconcile
                elif self._reconcile and time.monotonic() >= next_reconcile:
                    self._sync_now("reconcile")
                    next_reconcile = time.monotonic() + self._reconcile
                self._publish()
        finally:
            self._shutdown()

    # -- internals ----------------------------------------------------------------

    def _wait_for_quiet(self) -> None:
        """Return once no change has arrived for the debounce period, or once changes
        have kept coming for ``_max_delay`` (a long copy must not hold the index back)."""
        started = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            quiet_for = now - self._changes.last_at
            if quiet_for >= self._debounce or now - started >= self._max_delay:
                return
            self.state.queue = self._changes.pending
            self._stop.wait(min(self._debounce - quiet_for, self._max_delay))

    def _sync_now(self, why: str) -> None:
        self.state.queue = self._changes.pending
        self._publish()
        try:
            report = self._sync()
        except Exception as exc:  # keep watching: the next change or reconcile retries
            log.error("sync after %s failed: %s", why, exc)
            self.state.failures = [{"path": "", "reason": f"sync failed: {exc}"}]
            self._publish()
            return
        self.state.syncs += 1
        self.state.last_sync = _now()
        self.state.last_sync_summary = {
            k: v
            for k, v in report.as_json().items()
            if k in ("added", "updated", "deleted", "renamed", "skipped", "failed", "seconds")
        }
        self.state.failures = [{"path": p, "reason": r} for p, r in report.failures]
        self._on_sync(report)
        log.info("synced after %s: %s", why, self.state.last_sync_summary)

    def _observe(self) -> None:
        if self._polling:
            self._start_observer(PollingObserver(timeout=self._poll_interval), "polling")
            return
        try:
            self._start_observer(self._observer_factory(), "events")
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EMFILE):
                raise
            self.state.notice = (
                f"{exc.strerror}: falling back to polling. To use events, raise the limit: "
                "sudo sysctl fs.inotify.max_user_watches=524288"
            )
            log.warning(self.state.notice)
            self._start_observer(PollingObserver(timeout=self._poll_interval), "polling")

    def _start_observer(self, observer: BaseObserver, mode: str) -> None:
        observer.schedule(self._changes, str(self._archive), recursive=True)
        observer.start()
        self._observer = observer
        self.state.mode = mode

    def _check_observer(self) -> None:
        """An observer whose thread died (e.g. the folder vanished) is restarted, and a
        full sync covers whatever happened while it was down."""
        observer = self._observer
        if observer is None or observer.is_alive() or self._stop.is_set():
            return
        log.warning("the folder watcher stopped; restarting it and rescanning")
        self._observer = None
        try:
            self._observe()
        except OSError as exc:
            self.state.notice = f"cannot watch {self._archive}: {exc}; retrying"
            return
        self._sync_now("watcher restart")

    def _publish(self) -> None:
        self.state.heartbeat = _now()
        self.state.queue = self._changes.pending
        if self._changes.last_at:
            self.state.last_event_path = self._changes.last_path
            age = time.monotonic() - self._changes.last_at
            self.state.last_event = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age)).isoformat(
                timespec="seconds"
            )
        tmp = self._state_path.with_suffix(".tmp")
        try:
            self._state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.state.to_json()), encoding="utf-8")
            os.replace(tmp, self._state_path)
        except OSError as exc:  # status is best effort; watching goes on
            log.warning("cannot publish watcher state: %s", exc)

    def _shutdown(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=10)
        self.state.mode = "stopped"
        self._publish()
