"""Make the index match the archive folder: one code path for ingest, reindex and the watcher."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from config import Settings
from index.embeddings import Embedder, LazyEmbedder
from index.faults import CrashHook, no_crash
from index.records import ChunkRecord, DocStatus, DocumentRecord, Vector
from index.store import SCHEMA_VERSION, Store
from ingest.chunking import Chunker, chunk_ids, prefetch_token_encoder, text_hash
from ingest.discover import Discovery, FoundFile, IgnoreRules, RejectedFile, discover
from ingest.entries import Entry, NotWriting, ReadFailed
from ingest.readers import read_document
from ingest.snapshot import Snapshot, folder_digest
from ingest.split_memo import SplitMemo

_READ_ATTEMPTS = 3  # a file that keeps changing while read is retried this often
# File times tick in coarse steps (a kernel tick on Linux, 2 s on FAT): a file rewritten at
# the same size within one step of being read keeps its (size, mtime). A stat read that
# close to the file's mtime proves nothing, so such a file is hashed again next time (git's
# "racy" rule), and no snapshot is saved while one exists. The crash tests' mutator makes
# such edits; test_sync_snapshot reproduces the miss deterministically.
RACY_NS = 2_000_000_000


@dataclass
class Timings:
    """Seconds per stage. ``load`` is one-off start-up: the embedding model and
    llama-index's splitter, paid once per process, not per file."""

    load: float = 0.0
    discover: float = 0.0
    read: float = 0.0
    chunk: float = 0.0
    embed: float = 0.0
    write: float = 0.0


@dataclass
class SyncReport:
    """What a sync did; ``ponder ingest --json`` prints it."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    renamed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    paragraphs_embedded: int = 0  # the paragraph vectors of passages of several paragraphs
    seconds: float = 0.0
    timings: Timings = field(default_factory=Timings)
    failures: list[tuple[str, str]] = field(default_factory=list)
    ignored_types: dict[str, int] = field(default_factory=dict)

    @property
    def wrote(self) -> bool:
        return bool(self.added or self.updated or self.deleted or self.renamed)

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["timings"] = {k: round(v, 4) for k, v in asdict(self.timings).items()}
        data["failures"] = [{"path": p, "reason": r} for p, r in self.failures]
        data["seconds"] = round(self.seconds, 4)
        return data


@dataclass(frozen=True)
class Progress:
    stage: str  # "scan", "index", "done"
    done: int
    total: int
    path: str = ""


ProgressCallback = Callable[[Progress], None]


@dataclass
class _Work:
    """A file that needs (re)indexing, with what is known about it before reading.

    Its bytes are not kept between planning and indexing (a big archive would sit in
    memory); they are read again, usually from the page cache.
    """

    found: FoundFile
    content_hash: str
    previous: DocumentRecord | None
    kind: str  # "added", "updated", "renamed"
    read_error: str = ""


class Syncer:
    """Syncs one archive folder into one store with one embedder."""

    def __init__(
        self,
        archive: Path,
        store: Store,
        embedder: Embedder,
        settings: Settings,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        snapshot: Snapshot | None = None,
        crash: CrashHook = no_crash,
        split_memo: SplitMemo | None = None,
    ) -> None:
        self._archive = archive
        self._store = store
        self._embedder = embedder
        self._settings = settings
        self._rules = IgnoreRules(settings.archive.ignore)
        self._bound = False  # the index's meta names our embedder
        self._chunker: Chunker | None = None  # built on first use: llama-index is slow to import
        self._progress: ProgressCallback = lambda _p: None
        self._clock = clock
        self._snapshot = snapshot
        self._crash = crash
        self._split_memo = split_memo
        # Everything besides the files that decides what a sync makes of them.
        self._settings_key = "\0".join(
            (
                str(archive),
                embedder.model_id,
                f"index layout {SCHEMA_VERSION}",
                settings.model_dump_json(include={"archive", "index"}),
            )
        )

    def sync(self, progress: ProgressCallback | None = None) -> SyncReport:
        """Scan the whole folder and make the index match it."""
        self._progress = progress or (lambda _p: None)
        started = time.perf_counter()
        report = SyncReport()
        scan_started_ns = time.time_ns()
        t0 = time.perf_counter()
        found = discover(
            self._archive, self._rules, int(self._settings.archive.max_file_mb * 1_000_000)
        )
        report.timings.discover = time.perf_counter() - t0
        report.ignored_types = dict(found.ignored_types)
        digest = folder_digest(found, self._settings_key)
        if self._snapshot is not None:
            if self._snapshot.matches(digest, self._store.change_marks()):
                report.unchanged = len(found.files) + len(found.rejected)
                return self._done(report, started, 0)
            self._snapshot.clear()
            self._crash("sync.snapshot-cleared")
        if isinstance(self._embedder, LazyEmbedder):
            # Something changed, so something will probably be embedded: the model loads
            # while the index opens and the files are read, not after (a sync that only
            # deletes or renames wastes the load's CPU, not its time).
            self._embedder.prefetch()
        if self._chunker is None:
            prefetch_token_encoder()
        self._store.check_embedder_name(self._embedder.model_id)
        # A table recovered to an older version (index/store.py) may disagree with the
        # others: trust no stored hash or stat this time, re-read every file.
        resync = self._store.resync_needed()
        known = {doc.path: doc for doc in self._store.documents()}

        work, rejected = self._plan(found, known, report, trust_known=not resync)
        present = {f.path for f in found.files} | {r.path for r in found.rejected}
        vanished = {path: doc for path, doc in known.items() if path not in present}
        self._match_renames(work, vanished)

        total = len(work)
        for batch_start, batch in _batched(work, self._settings.index.write_batch_documents):
            self._index_batch(batch, report, batch_start, total)
        self._record_rejected(rejected, report)
        if vanished:
            t0 = time.perf_counter()
            self._store.delete_documents([doc.doc_id for doc in vanished.values()])
            report.deleted = len(vanished)
            report.timings.write += time.perf_counter() - t0
        if report.wrote or rejected or resync:
            t0 = time.perf_counter()
            self._store.delete_orphan_chunks()
            self._store.maintain()
            report.timings.write += time.perf_counter() - t0
        if resync:
            self._store.resync_done()
        if self._split_memo is not None:
            self._split_memo.save()
        if (
            self._snapshot is not None
            and not report.failures  # failures are retried
            and not _any_racy(found, scan_started_ns)
        ):
            self._snapshot.save(digest, self._store.change_marks())
            self._crash("sync.snapshot-saved")
        return self._done(report, started, total)

    def _done(self, report: SyncReport, started: float, total: int) -> SyncReport:
        report.seconds = time.perf_counter() - started
        self._progress(Progress("done", total, total))
        return report

    # -- planning ---------------------------------------------------------------

    def _plan(
        self,
        found: Discovery,
        known: dict[str, DocumentRecord],
        report: SyncReport,
        trust_known: bool = True,
    ) -> tuple[list[_Work], list[RejectedFile]]:
        work: list[_Work] = []
        t0 = time.perf_counter()
        for index, file in enumerate(found.files):
            if index % 200 == 0:
                self._progress(Progress("scan", index, len(found.files), file.path))
            previous = known.get(file.path)
            if trust_known and _same_stat(previous, file):
                report.unchanged += 1
                continue
            try:
                data, file = _read_stable(file)
            except OSError as exc:
                kind = "updated" if previous else "added"
                work.append(_Work(file, "", previous, kind, read_error=_os_reason(exc)))
                continue
            content_hash = hashlib.sha256(data).hexdigest()
            if trust_known and _same_content(previous, content_hash):
                report.unchanged += 1  # touched, not changed: no write at all
                continue
            work.append(_Work(file, content_hash, previous, "updated" if previous else "added"))
        report.timings.read += time.perf_counter() - t0
        rejected = [
            r
            for r in found.rejected
            if not (
                trust_known
                and (doc := known.get(r.path))
                and doc.status == r.status
                and doc.reason == r.reason
                and doc.size == r.size
                and doc.mtime_ns == r.mtime_ns
            )
        ]
        report.unchanged += len(found.rejected) - len(rejected)
        return work, rejected

    @staticmethod
    def _match_renames(work: list[_Work], vanished: dict[str, DocumentRecord]) -> None:
        """A new path whose content vanished from another path is that document, moved.

        It keeps its doc_id (so its chunk ids) and its vectors come from the cache.
        """
        by_hash = {doc.content_hash: path for path, doc in vanished.items() if doc.content_hash}
        for item in work:
            if item.kind != "added":
                continue
            old_path = by_hash.pop(item.content_hash, None)
            if old_path is not None:
                item.previous = vanished.pop(old_path)
                item.kind = "renamed"

    # -- indexing ---------------------------------------------------------------

    def _index_batch(
        self, batch: Sequence[_Work], report: SyncReport, offset: int, total: int
    ) -> None:
        documents: list[DocumentRecord] = []
        plans: list[ChunkPlan] = []
        for position, item in enumerate(batch, start=offset):
            self._progress(Progress("index", position, total, item.found.path))
            document, document_plans = self._prepare(item, report)
            if not document_plans and _unchanged_verdict(item.previous, document):
                continue  # failed (or skipped) again, for the same reason: nothing to write
            documents.append(document)
            plans.extend(document_plans)
        vectors = self._vectors(plans, report)
        chunks = [plan.record(vectors) for plan in plans]

        t0 = time.perf_counter()
        self._store.replace_documents(documents, chunks)
        report.timings.write += time.perf_counter() - t0

    def _prepare(self, item: _Work, report: SyncReport) -> tuple[DocumentRecord, list[ChunkPlan]]:
        file = item.found
        doc_id = item.previous.doc_id if item.previous else uuid.uuid4().hex
        data = b""
        read_error = item.read_error
        if not read_error:
            t0 = time.perf_counter()
            try:
                data, file = _read_stable(file)
            except OSError as exc:
                read_error = _os_reason(exc)
            report.timings.read += time.perf_counter() - t0
        facts = _FileFacts(
            doc_id=doc_id,
            path=file.path,
            content_hash=hashlib.sha256(data).hexdigest() if data else "",
            size=file.size,
            mtime_ns=file.mtime_ns,
            indexed_at=self._clock(),
        )
        if read_error:
            return self._failed(facts, read_error, report), []

        t0 = time.perf_counter()
        try:
            result = read_document(data, file.path, file.mtime_ns / 1e9)
        except NotWriting as exc:
            report.timings.read += time.perf_counter() - t0
            report.skipped += 1
            return facts.record(DocStatus.SKIPPED, exc.reason), []
        except ReadFailed as exc:
            report.timings.read += time.perf_counter() - t0
            return self._failed(facts, exc.reason, report), []
        report.timings.read += time.perf_counter() - t0

        chunker = self._chunks(report)
        t0 = time.perf_counter()
        chunks = chunker.chunk(result.source_text, result.entries)
        ids = chunk_ids(doc_id, chunks)
        plans = [
            ChunkPlan(
                chunk_id=cid,
                doc_id=doc_id,
                path=file.path,
                entry_index=c.entry_index,
                entry=result.entries[c.entry_index],
                start=c.start,
                end=c.end,
                text=c.text,
                search_text=c.search_text,
                text_hash=c.text_hash,
                parts=tuple((text_hash(part), part) for part in c.parts),
            )
            for cid, c in zip(ids, chunks, strict=True)
        ]
        report.timings.chunk += time.perf_counter() - t0

        dates = [e.date for e in result.entries]
        document = facts.record(
            DocStatus.INDEXED,
            "; ".join(result.warnings),
            reader=result.reader,
            entry_count=len(result.entries),
            chunk_count=len(plans),
            first_date=min(dates) if dates else None,
            last_date=max(dates) if dates else None,
            title=result.title or "",
            source_text=result.source_text,
        )
        setattr(report, item.kind, getattr(report, item.kind) + 1)
        return document, plans

    def _failed(self, facts: _FileFacts, reason: str, report: SyncReport) -> DocumentRecord:
        report.failed += 1
        report.failures.append((facts.path, reason))
        return facts.record(DocStatus.FAILED, reason)

    def _chunks(self, report: SyncReport) -> Chunker:
        if self._chunker is None:
            t0 = time.perf_counter()
            settings = self._settings.index
            self._chunker = Chunker(
                settings.chunk_tokens, settings.chunk_overlap, memo=self._split_memo
            )
            report.timings.load += time.perf_counter() - t0
        return self._chunker

    def _vectors(self, plans: Sequence[ChunkPlan], report: SyncReport) -> dict[str, Vector]:
        """A vector for every plan and each of its paragraphs, by text hash: from the cache
        where it can, from the model otherwise."""
        wanted = {plan.text_hash: plan.search_text for plan in plans}
        passages = set(wanted)
        for plan in plans:
            wanted.update(plan.parts)
        t0 = time.perf_counter()
        model = self._embedder.model_id
        vectors = self._store.cached_vectors(model, wanted)
        report.timings.write += time.perf_counter() - t0
        missing = [h for h in wanted if h not in vectors]
        report.chunks_reused += sum(1 for p in plans if p.text_hash in vectors)
        if missing:
            if isinstance(self._embedder, LazyEmbedder) and not self._embedder.is_loaded:
                # What is left of the load started in the background by ``sync``.
                t0 = time.perf_counter()
                _ = self._embedder.loaded
                report.timings.load += time.perf_counter() - t0
            t0 = time.perf_counter()
            fresh = self._embedder.embed_documents([wanted[h] for h in missing])
            report.timings.embed += time.perf_counter() - t0
            new = dict(zip(missing, np.asarray(fresh, dtype=np.float32), strict=True))
            t0 = time.perf_counter()
            self._store.cache_vectors(model, new)
            report.timings.write += time.perf_counter() - t0
            vectors.update(new)
            missing_set = set(missing)
            report.chunks_embedded += sum(1 for p in plans if p.text_hash in missing_set)
            report.paragraphs_embedded += len(missing_set - passages)
        if vectors and not self._bound:
            # Also when every vector came from the cache (a reindex back to a model used
            # before): the index must still record which model its vectors are from.
            self._store.bind_embedder(model, len(next(iter(vectors.values()))))
            self._bound = True
        return vectors

    def _record_rejected(self, rejected: Sequence[RejectedFile], report: SyncReport) -> None:
        if not rejected:
            return
        known = {doc.path: doc for doc in self._store.documents()}
        documents = []
        for item in rejected:
            previous = known.get(item.path)
            facts = _FileFacts(
                doc_id=previous.doc_id if previous else uuid.uuid4().hex,
                path=item.path,
                content_hash="",
                size=item.size,
                mtime_ns=item.mtime_ns,
                indexed_at=self._clock(),
            )
            if item.status == DocStatus.FAILED:
                documents.append(self._failed(facts, item.reason, report))
            else:
                report.skipped += 1
                documents.append(facts.record(item.status, item.reason))
        t0 = time.perf_counter()
        self._store.replace_documents(documents, [])
        report.timings.write += time.perf_counter() - t0


@dataclass(frozen=True)
class ChunkPlan:
    """A chunk waiting for its vector."""

    chunk_id: str
    doc_id: str
    path: str
    entry_index: int
    entry: Entry
    start: int
    end: int
    text: str
    search_text: str
    text_hash: str
    parts: tuple[tuple[str, str], ...] = ()  # (text hash, text) of each paragraph, if several

    def record(self, vectors: Mapping[str, Vector]) -> ChunkRecord:
        return ChunkRecord(
            chunk_id=self.chunk_id,
            doc_id=self.doc_id,
            path=self.path,
            entry_index=self.entry_index,
            entry_title=self.entry.title or "",
            date=self.entry.date,
            date_source=self.entry.date_source.value,
            start=self.start,
            end=self.end,
            text=self.text,
            search_text=self.search_text,
            text_hash=self.text_hash,
            tags=self.entry.tags,
            vector=vectors[self.text_hash],
            part_vectors=tuple(vectors[h] for h, _text in self.parts),
        )


@dataclass(frozen=True)
class _FileFacts:
    """What is known of a file before its reader has spoken."""

    doc_id: str
    path: str
    content_hash: str
    size: int
    mtime_ns: int
    indexed_at: dt.datetime

    def record(
        self,
        status: DocStatus,
        reason: str,
        *,
        reader: str = "",
        entry_count: int = 0,
        chunk_count: int = 0,
        first_date: dt.date | None = None,
        last_date: dt.date | None = None,
        title: str = "",
        source_text: str = "",
    ) -> DocumentRecord:
        return DocumentRecord(
            doc_id=self.doc_id,
            path=self.path,
            content_hash=self.content_hash,
            size=self.size,
            mtime_ns=self.mtime_ns,
            status=status,
            reason=reason,
            reader=reader,
            entry_count=entry_count,
            chunk_count=chunk_count,
            first_date=first_date,
            last_date=last_date,
            title=title,
            indexed_at=self.indexed_at,
            source_text=source_text,
        )


def _unchanged_verdict(previous: DocumentRecord | None, document: DocumentRecord) -> bool:
    return (
        previous is not None
        and previous.path == document.path
        and previous.status == document.status != DocStatus.INDEXED
        and previous.reason == document.reason
        and previous.content_hash == document.content_hash
        and (previous.size, previous.mtime_ns) == (document.size, document.mtime_ns)
    )


def _same_content(previous: DocumentRecord | None, content_hash: str) -> bool:
    return (
        previous is not None
        and previous.status != DocStatus.FAILED
        and previous.content_hash == content_hash
    )


def _same_stat(previous: DocumentRecord | None, file: FoundFile) -> bool:
    return (
        previous is not None
        and previous.status != DocStatus.FAILED  # failures are retried on every sync
        and previous.size == file.size
        and previous.mtime_ns == file.mtime_ns
        and previous.mtime_ns < _ns(previous.indexed_at) - RACY_NS
    )


def _ns(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000


def _any_racy(found: Discovery, scan_started_ns: int) -> bool:
    """A file changed so shortly before the scan that a same-size rewrite could hide."""
    times = [f.mtime_ns for f in found.files] + [r.mtime_ns for r in found.rejected]
    return max(times, default=0) >= scan_started_ns - RACY_NS


@dataclass(frozen=True)
class ReadAttempt:
    """One read of a file with its (size, mtime_ns) before and after."""

    before: tuple[int, int]
    data: bytes
    after: tuple[int, int]

    @property
    def stable(self) -> bool:
        return self.before == self.after and len(self.data) == self.after[0]


def read_once(path: Path) -> ReadAttempt:
    """Read a regular file, never through a symlink, noting its stat around the read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        before = os.fstat(fd)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read()
        after = os.stat(path, follow_symlinks=False)
    finally:
        os.close(fd)
    return ReadAttempt(
        (before.st_size, before.st_mtime_ns), data, (after.st_size, after.st_mtime_ns)
    )


def _read_stable(
    file: FoundFile, read: Callable[[Path], ReadAttempt] = read_once
) -> tuple[bytes, FoundFile]:
    """The file's bytes, read again if it changed while being read.

    Raises:
        OSError: unreadable, or still changing after a few attempts.
    """
    for _ in range(_READ_ATTEMPTS):
        attempt = read(file.abspath)
        if attempt.stable:
            size, mtime_ns = attempt.after
            return attempt.data, FoundFile(file.path, file.abspath, size, mtime_ns)
        time.sleep(0.05)
    raise OSError(0, "the file kept changing while it was read; it will be retried")


def _os_reason(exc: OSError) -> str:
    return f"cannot read: {exc.strerror or exc}".lower()


def _batched(items: Sequence[_Work], size: int) -> Iterator[tuple[int, Sequence[_Work]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]
