"""The composition root: settings in, the use-cases the CLI and the app call out."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from config import ConfigError, LoadedSettings, Settings
from config.loader import index_uri
from index.answer import Asker
from index.chat import ChatChoice, choose_chat
from index.conversations import Conversations
from index.critique import Critic
from index.embeddings import EmbedderChoice, ProviderUnavailable, choose_embedder
from index.faults import CrashHook, crash_hook
from index.lock import WriterLock, command_line
from index.passage_choice import PassageChooser
from index.privacy import remote_host, remote_notice
from index.search import EntryScope, Searcher
from index.status import IndexStatus, index_status
from index.store import Store
from index.theme_runs import Themer
from ingest.discover import IgnoreRules
from ingest.snapshot import Snapshot
from ingest.split_memo import SplitMemo
from ingest.sync import ProgressCallback, Syncer, SyncReport
from ingest.watcher import Watcher

LAST_SYNC_FILE = "last_sync.json"
SYNC_SNAPSHOT_FILE = "sync_snapshot.json"
SPLIT_MEMO_FILE = "split_memo.json"
# Which provider makes an index's recorded model id (see each Embedder.model_id).
_MODEL_PROVIDERS = (
    ("sentence-transformers/", "embedded"),
    ("ollama/", "ollama"),
    ("fake-", "fake"),
)


@dataclass
class Services:
    """Builds each collaborator once, on first use, from one settings tree."""

    loaded: LoadedSettings
    # Told once, when a model chosen here sends text off this machine (index/privacy.py).
    notify: Callable[[str], None] = field(default=lambda _message: None, repr=False)
    _notified: bool = field(default=False, init=False)
    _embedder: EmbedderChoice | None = field(default=None, init=False)
    _chat: ChatChoice | None = field(default=None, init=False)
    _syncer: Syncer | None = field(default=None, init=False)

    @property
    def settings(self) -> Settings:
        return self.loaded.settings

    @property
    def data_dir(self) -> Path:
        assert self.settings.index.data_dir is not None  # resolved by load_settings
        return self.settings.index.data_dir

    @property
    def archive(self) -> Path:
        path = self.settings.archive.path
        if path is None:
            raise ConfigError(
                "no archive folder is configured",
                hint="Pass --archive PATH, set PONDER_ARCHIVE, or set [archive] path in "
                f"{self.loaded.config_file}.",
            )
        try:
            is_folder = path.is_dir()
        except OSError as exc:
            raise ConfigError(
                f"cannot open the archive folder {path}: {exc.strerror}",
                hint="Check the folder's permissions.",
            ) from None
        if not is_folder:
            raise ConfigError(
                f"the archive folder {path} does not exist or is not a folder",
                hint="Check --archive / PONDER_ARCHIVE.",
            )
        return path

    @cached_property
    def store(self) -> Store:
        index = self.settings.index
        return Store.open(
            index_uri(self.settings),
            read_consistency=dt.timedelta(seconds=index.read_consistency_seconds),
            keep_versions=dt.timedelta(minutes=index.keep_versions_minutes),
            crash=self._crash,
        )

    @cached_property
    def _crash(self) -> CrashHook:
        return crash_hook()  # a no-op unless the crash-safety tests ask (index/faults.py)

    def embedder(self) -> EmbedderChoice:
        if self._embedder is None:
            self._tell_if_remote(self.settings.embeddings.provider)  # before it connects
            try:
                self._embedder = choose_embedder(self.settings)
            except ProviderUnavailable as exc:
                raise self._with_index_hint(exc) from None
            self._tell_if_remote(self._embedder.provider)
        return self._embedder

    def chat(self) -> ChatChoice:
        if self._chat is None:
            self._tell_if_remote(self.settings.llm.provider)
            self._chat = choose_chat(self.settings)
            self._tell_if_remote(self._chat.provider)
        return self._chat

    def remote_host(self) -> str | None:
        """The non-loopback Ollama host the configured providers may send text to."""
        return remote_host(self.settings)

    def _tell_if_remote(self, provider: str) -> None:
        """Once per Services (one command): ``auto`` is told only once it picked Ollama."""
        if provider == "auto":
            return
        host = remote_host(self.settings, (provider,))
        if host is not None and not self._notified:
            self._notified = True
            self.notify(remote_notice(host))

    def _with_index_hint(self, exc: ProviderUnavailable) -> ProviderUnavailable:
        """Name the runtime the existing index was built with, when that is not the one asked."""
        meta = self.store.meta()
        provider = self.settings.embeddings.provider
        if meta is None or provider == "auto":
            return exc
        built_with = next(
            (name for prefix, name in _MODEL_PROVIDERS if meta.embedding_model.startswith(prefix)),
            "",
        )
        if not built_with or built_with == provider:
            return exc
        return ProviderUnavailable(
            str(exc),
            hint=f"{exc.hint} This index was built with {meta.embedding_model}: "
            f"PONDER_EMBEDDINGS__PROVIDER={built_with} uses it.",
        )

    def writer_lock(self) -> WriterLock:
        return WriterLock(self.data_dir, command_line())

    def sync(self, progress: ProgressCallback | None = None) -> SyncReport:
        """Make the index match the archive (the caller holds the writer lock)."""
        archive = self.archive
        if self._syncer is None:  # kept: its splitter and model load once per process
            self._syncer = Syncer(
                archive,
                self.store,
                self.embedder().embedder,
                self.settings,
                snapshot=Snapshot(self.data_dir / SYNC_SNAPSHOT_FILE),
                crash=self._crash,
                split_memo=SplitMemo(self.data_dir / SPLIT_MEMO_FILE),
            )
        report = self._syncer.sync(progress)
        self._record_sync(report)
        return report

    def reindex(self, progress: ProgressCallback | None = None) -> SyncReport:
        """Rebuild the index with the configured embedder; the cache spares what it can."""
        _ = self.archive, self.embedder()  # fail here, before dropping anything
        self.store.reset()
        self._syncer = None  # it remembers having recorded the model in the dropped meta
        return self.sync(progress)

    def watcher(self, on_sync: Callable[[SyncReport], None] | None = None) -> Watcher:
        """The folder watcher over this archive (the caller holds the writer lock)."""
        watch = self.settings.watch
        return Watcher(
            self.archive,
            self.data_dir,
            self.sync,
            IgnoreRules(self.settings.archive.ignore),
            debounce_seconds=watch.debounce_seconds,
            reconcile_seconds=watch.reconcile_minutes * 60,
            polling=watch.polling,
            on_sync=on_sync,
        )

    def searcher(self, within: EntryScope | None = None) -> Searcher:
        return Searcher(
            self.store,
            self.embedder().embedder,
            self.settings.search,
            within,
            birth_year=self.settings.archive.birth_year,
        )

    def passage_chooser(self) -> PassageChooser:
        """The passages ``ponder ask`` would give the model, chosen without calling it."""
        return PassageChooser(self.searcher(), self.store, self.settings)

    def asker(self, within: EntryScope | None = None) -> Asker:
        """Questions about the archive (or only ``within`` some entries, e.g. a theme's),
        answered by the chat model from its passages."""
        return Asker(self.searcher(within), self.store, self.chat().model, self.settings)

    def themer(self) -> Themer:
        """The archive's themes, cached in the data dir; the chat model names them."""
        return Themer(self.store, self.settings, self.data_dir, chat=lambda: self.chat().model)

    def critic(self) -> Critic:
        """Critiques of a text, argued with the archive by the chat model."""
        return Critic(
            self.searcher(), self.embedder().embedder, self.store, self.chat().model, self.settings
        )

    def conversations(self) -> Conversations:
        return Conversations(self.data_dir / "conversations")

    def status(self) -> IndexStatus:
        return index_status(self.store)

    def last_sync(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.data_dir / LAST_SYNC_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _record_sync(self, report: SyncReport) -> None:
        # Beside the index, not in it: an unchanged sync must not move a table version.
        record = {"finished_at": dt.datetime.now(dt.UTC).isoformat(), **report.as_json()}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / LAST_SYNC_FILE).write_text(json.dumps(record), encoding="utf-8")
