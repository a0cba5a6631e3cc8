"""The app's process-wide state: services, the writer lock and in-process watcher, the jobs.

``ponder ui`` runs Streamlit in its own process and hands the app its settings flags as
one script argument. The first script run builds one ``AppRuntime`` from them (a cached
resource shared by every browser tab), which owns what must exist once per process: the
``Services``, the folder watcher (started when the writer lock is free, so a ``ponder
watch`` elsewhere keeps the job), and the background jobs. Anything that writes to the
index runs as a job through here, pausing the watcher while it holds the lock.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from config import ConfigError, load_settings
from config.user_file import set_values
from index.chat import ChatFailed
from index.conversations import ConversationError
from index.lock import LockHeld, WriterLock
from ingest.sync import Progress
from ingest.watcher import Watcher, read_state
from ui.background import Busy, Job, Jobs
from ui.cli_support import USER_ERRORS
from ui.services import Services
from ui.source_viewer import OutsideArchive

log = logging.getLogger(__name__)

LAUNCH_ARG = "--ponder-launch"
SAMPLE_ARCHIVE = Path(__file__).resolve().parents[1] / "sample" / "archive"
# Errors a page shows as a message with its fix; anything else is a bug, said plainly.
SHOWN_ERRORS: tuple[type[Exception], ...] = (
    *USER_ERRORS,
    ChatFailed,
    ConversationError,
    OutsideArchive,
    Busy,
)
# The environment that shapes settings: a change means another runtime.
_SETTINGS_ENV = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "OLLAMA_HOST")


def explain(exc: BaseException) -> tuple[str, str] | None:
    """(message, hint) for an error the user can act on; None for a bug."""
    if isinstance(exc, SHOWN_ERRORS):
        return str(exc), str(getattr(exc, "hint", ""))
    return None


@dataclass(frozen=True)
class Launch:
    """How ``ponder ui`` started the app: its setting flags, config file, and watching."""

    flags: Mapping[str, str] = field(default_factory=dict)  # {"archive.path": "...", ...}
    config_file: str | None = None
    watch: bool = False

    def to_args(self) -> list[str]:
        payload = {"flags": dict(self.flags), "config_file": self.config_file, "watch": self.watch}
        return [LAUNCH_ARG, json.dumps(payload)]

    @classmethod
    def from_argv(cls, argv: Sequence[str]) -> Launch:
        """The launch in the script's arguments; none (``streamlit run``, AppTest) means
        settings from the environment and config file alone, and no watcher."""
        if LAUNCH_ARG not in argv[:-1]:
            return cls()
        payload = json.loads(argv[list(argv).index(LAUNCH_ARG) + 1])
        return cls(
            flags={str(k): str(v) for k, v in payload.get("flags", {}).items()},
            config_file=payload.get("config_file"),
            watch=bool(payload.get("watch")),
        )


@dataclass(frozen=True)
class WatchInfo:
    """Who keeps the index in step with the folder, in words for the library page."""

    by_us: bool
    summary: str  # "watching in this app", "watching: by another process (pid 12)", ...
    state: dict[str, object] | None  # the last state a watcher published (watcher.json)


class AppRuntime:
    """What exists once per app process; see the module docstring."""

    def __init__(self, launch: Launch, environ: Mapping[str, str] | None = None) -> None:
        self.launch = launch
        self._environ = dict(os.environ if environ is None else environ)
        self.jobs = Jobs(explain)
        self._guard = threading.RLock()  # watcher and lock changes, one at a time
        self._lock: WriterLock | None = None
        self._watcher: Watcher | None = None
        self._watch_note = "not watching"
        self.services: Services | None = None
        self.error: tuple[str, str] | None = None  # settings that cannot be loaded
        self._warmed: Services | None = None
        self._load()
        self.start_watching()

    # -- settings -----------------------------------------------------------------

    @property
    def needs_archive(self) -> bool:
        """No archive folder configured (or it is gone): the first-run page is shown."""
        if self.services is None:
            return False
        path = self.services.settings.archive.path
        return path is None or not path.is_dir()

    def _load(self) -> None:
        config_file = Path(self.launch.config_file) if self.launch.config_file else None
        try:
            loaded = load_settings(
                dict(self.launch.flags), config_file=config_file, environ=self._environ
            )
        except ConfigError as exc:
            self.services, self.error = None, (str(exc), exc.hint)
            return
        self.services, self.error = Services(loaded), None

    def source_of(self, key: str) -> str:
        """Where the effective value of ``section.key`` came from."""
        if self.services is None:
            return ""
        return self.services.loaded.sources.get(key, "default")

    def overridden(self, key: str) -> bool:
        """Whether the environment or a flag sets ``section.key``: saving it to the config
        file then changes nothing until they are removed."""
        return self.source_of(key).startswith(("env", "flag"))

    def save_settings(self, values: Mapping[str, Any], watch: bool = True) -> None:
        """Write ``{"section.key": value}`` to the user's config file and reload everything.

        ``watch=False`` leaves the watcher stopped: the caller starts a sync, which starts
        the watcher when it is done (a first sync with progress beats a silent catch-up).

        Raises:
            ConfigError: a value is invalid or the file cannot be written.
            Busy: a job is writing to the index.
        """
        if self.services is None:
            raise ConfigError(
                "the settings cannot be loaded", hint=self.error[1] if self.error else ""
            )
        for job in self.jobs.running("write"):
            raise Busy(job)
        set_values(self.services.loaded.config_file, values)
        with self._guard:
            self.stop_watching()
            self._load()
            if watch:
                self.start_watching()

    def choose_archive(self, folder: str) -> None:
        """Check ``folder`` is a folder, then save it as the archive (synced when asked).

        Raises:
            ConfigError: it is not a folder, or the config file cannot be written.
        """
        path = Path(folder.strip()).expanduser()
        if not folder.strip() or not path.is_dir():
            raise ConfigError(
                f"{folder.strip() or 'an empty path'} is not a folder",
                hint="Give the full path of the folder that holds your writing.",
            )
        self.save_settings({"archive.path": str(path.resolve())}, watch=False)

    def warm_up(self) -> None:
        """Load the models and open the index in the background, once, while the writer
        reads the page.

        The embedded embedder loads on first use, Ollama loads a model on its first request
        and LanceDB's first search is slower than the next: without this, the first question
        would pay for them before its first token.
        Failures are left for the question to report, with their fix.
        """
        services = self.services
        if services is None or self._warmed is services or self.needs_archive:
            return
        self._warmed = services

        def load() -> None:
            try:
                # A search loads the embedding model and opens the index and its full-text
                # index (LanceDB's first query costs a few hundred ms more than later ones).
                services.searcher().search("warm up", k=1)
                services.chat()
            except Exception as exc:  # the question that needs the model says what is wrong
                log.info("warm-up: %s", exc)

        threading.Thread(target=load, name="ponder-warm-up", daemon=True).start()

    # -- watching -----------------------------------------------------------------

    def start_watching(self) -> None:
        """Start the folder watcher if asked to, when the writer lock is free right now."""
        with self._guard:
            if self._watcher is not None or self.services is None:
                return
            if not self.launch.watch:
                self._watch_note = "not watching (started with --no-watch)"
                return
            if self.needs_archive:
                self._watch_note = "not watching: no archive folder yet"
                return
            lock = self.services.writer_lock()
            try:
                lock.acquire(0)
            except LockHeld as exc:
                who = exc.holder.describe() if exc.holder else "another ponder process"
                self._watch_note = f"watching: by another process, {who}"
                return
            self._lock = lock
            self._start_watcher()

    def _start_watcher(self) -> None:
        assert self.services is not None
        self._watcher = self.services.watcher()
        self._watcher.start()
        self._watch_note = "watching in this app"

    def stop_watching(self) -> None:
        """Stop the watcher (after its sync in flight) and release the writer lock."""
        with self._guard:
            if self._watcher is not None:
                self._watcher.stop()
                self._watcher = None
            if self._lock is not None:
                self._lock.release()
                self._lock = None
            self._watch_note = "not watching"

    def watch_info(self) -> WatchInfo:
        state = read_state(self.services.data_dir) if self.services is not None else None
        return WatchInfo(self._watcher is not None, self._watch_note, state)

    # -- writing ------------------------------------------------------------------

    def start_write(
        self, kind: str, label: str, write: Callable[[Services, Callable[[Progress], None]], Any]
    ) -> Job:
        """Run ``write(services, progress)`` as a job holding the writer lock.

        When this app's watcher holds the lock, the watcher is paused for the job (it
        finishes its sync in flight first) and restarted after it; otherwise the lock is
        taken for the job's length, and a ``ponder watch`` or ``ponder ingest`` holding it
        elsewhere is named in the job's error.

        Raises:
            Busy: another write job is running.
        """
        services = self.services
        if services is None:
            raise ConfigError(
                "the settings cannot be loaded", hint=self.error[1] if self.error else ""
            )

        def run(job: Job) -> Any:
            def progress(step: Progress) -> None:
                label = {"scan": "scanning", "index": "indexing", "done": "finishing"}
                job.progress(
                    step.done, step.total, f"{label.get(step.stage, step.stage)} {step.path}"
                )

            with self._writing(services):
                return write(services, progress)

        return self.jobs.start(kind, label, run, group="write")

    def sync(self) -> Job:
        return self.start_write("sync", "Syncing the archive", lambda s, p: s.sync(p))

    def reindex(self) -> Job:
        return self.start_write("reindex", "Re-indexing the archive", lambda s, p: s.reindex(p))

    def _writing(self, services: Services) -> _Writing:
        return _Writing(self, services)

    # -- lifecycle ----------------------------------------------------------------

    def close(self) -> None:
        """Cancel the jobs, stop the watcher, release the lock (the server is stopping)."""
        self.jobs.shutdown()
        self.stop_watching()


class _Writing:
    """The writer lock for one write job, borrowed from the watcher when it holds it."""

    def __init__(self, runtime: AppRuntime, services: Services) -> None:
        self._runtime = runtime
        self._services = services
        self._own: WriterLock | None = None
        self._paused = False

    def __enter__(self) -> None:
        runtime = self._runtime
        with runtime._guard:
            if runtime._watcher is not None:
                runtime._watcher.stop()  # waits for its sync in flight; we keep its lock
                runtime._watcher = None
                runtime._watch_note = "watching in this app (paused while writing)"
                self._paused = True
                return
            if runtime._lock is not None:
                return
        self._own = self._services.writer_lock()
        self._own.acquire(0)

    def __exit__(self, *exc: object) -> None:
        runtime = self._runtime
        if self._own is not None:
            self._own.release()
            runtime.start_watching()  # e.g. after the first sync of a new archive
        if self._paused:
            with runtime._guard:
                if runtime._lock is not None and runtime._watcher is None:
                    runtime._start_watcher()


def _settings_env(environ: Mapping[str, str]) -> str:
    keep = {k: v for k, v in environ.items() if k.startswith("PONDER_") or k in _SETTINGS_ENV}
    return json.dumps(keep, sort_keys=True)


def _release(runtime: AppRuntime) -> None:
    runtime.close()


@st.cache_resource(show_spinner=False, on_release=_release)
def _runtime(launch_json: str, environ_json: str) -> AppRuntime:
    payload = json.loads(launch_json)
    launch = Launch(payload["flags"], payload["config_file"], payload["watch"])
    return AppRuntime(launch, json.loads(environ_json))


def _launch_key(launch: Launch) -> str:
    payload = {
        "flags": dict(launch.flags),
        "config_file": launch.config_file,
        "watch": launch.watch,
    }
    return json.dumps(payload, sort_keys=True)


def prepare(launch: Launch) -> AppRuntime:
    """Build the runtime for ``launch`` now, before the first page asks for it."""
    return _runtime(_launch_key(launch), _settings_env(os.environ))


def current() -> AppRuntime:
    """This process's runtime, for the launch in ``sys.argv`` and the current environment."""
    return _runtime(_launch_key(Launch.from_argv(sys.argv)), _settings_env(os.environ))


def release_all() -> None:
    """Close every runtime (``ponder ui`` calls this once the server has stopped)."""
    _runtime.clear()
