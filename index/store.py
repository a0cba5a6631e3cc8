"""The index on disk: the only module that talks to LanceDB.

Four tables. ``documents`` holds one row per file (status, hash, source text); ``chunks``
holds the searchable passages with vectors and a full-text index; ``embedding_cache`` maps
(embedding model, text hash) to a vector so edits and renames re-embed nothing they need
not; ``meta`` records the schema version and the embedding model the vectors came from.

Why not llama-index's LanceDB vector store: its delete fails on lancedb 0.40, it does not
escape ids, overwrites by default and resets the full-text index on every add (DESIGN.md).
Replacing a document's chunks here is one ``merge_insert`` commit, so a crash can never
leave a document half replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from index.deferred_init import defer_package_init
from index.faults import CrashHook, no_crash
from index.records import (
    ChunkRecord,
    DocStatus,
    DocumentRecord,
    IndexMeta,
    Passage,
    Vector,
)

# 2: chunks carry one vector per paragraph (part_vectors); an index of version 1 is
# refused with the fix (`ponder reindex`), which re-embeds only the paragraphs.
SCHEMA_VERSION = 2
# Small commits (fragments) the chunks table may gather before a sync compacts it.
MAINTAIN_AFTER_SMALL_FRAGMENTS = 16
_IN_BATCH = 500  # ids per SQL IN (...) list
# Vector search scans every vector until the archive is large. At 100,000 passages the scan
# took 60-180 ms on a shared 2-core machine, the whole budget of a question; an HNSW graph
# answers in under 10 ms. Below this size the scan is fast enough and exact, and building
# the graph would cost minutes for nothing (BENCHMARKS.md, "Retrieval").
VECTOR_INDEX_MIN_ROWS = 50_000
# Graph candidates explored per passage wanted: generous, because a neighbour the graph
# misses is a passage of the writer's that no question can reach.
_EF_PER_RESULT = 10

DOCUMENTS = "documents"
CHUNKS = "chunks"
CACHE = "embedding_cache"
META = "meta"
TABLES = (DOCUMENTS, CHUNKS, CACHE, META)
# Beside the tables in a local index: set aside unreadable versions, and the note that the
# next sync must re-read every file because a table went back in time.
QUARANTINE = "_quarantine"
RESYNC_NEEDED = "resync-needed.json"
_MAX_U64 = 2**64 - 1
# Errors that say the machine, not the table, is in the way: never a reason to set a
# version aside.
_NOT_DAMAGE = ("permission denied", "too many open files", "no space left")

_DOCUMENT_FIELDS: list[pa.Field] = [
    pa.field("doc_id", pa.string(), nullable=False),
    pa.field("path", pa.string(), nullable=False),
    pa.field("content_hash", pa.string()),
    pa.field("size", pa.int64()),
    pa.field("mtime_ns", pa.int64()),
    pa.field("status", pa.string()),
    pa.field("reason", pa.string()),
    pa.field("reader", pa.string()),
    pa.field("entry_count", pa.int32()),
    pa.field("chunk_count", pa.int32()),
    pa.field("first_date", pa.date32()),
    pa.field("last_date", pa.date32()),
    pa.field("title", pa.string()),
    pa.field("indexed_at", pa.timestamp("us", tz="UTC")),
    pa.field("source_text", pa.large_string()),
]
DOCUMENT_SCHEMA = pa.schema(_DOCUMENT_FIELDS)
_DOCUMENT_LISTING = [f.name for f in _DOCUMENT_FIELDS if f.name != "source_text"]

_PASSAGE_COLUMNS = [
    "chunk_id",
    "doc_id",
    "path",
    "entry_index",
    "date",
    "date_source",
    "entry_title",
    "start",
    "end",
    "text",
    "tags",
]

CACHE_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("model", pa.string()),
        pa.field("text_hash", pa.string()),
        pa.field("vector", pa.list_(pa.float32())),
    ]
)
META_SCHEMA = pa.schema([pa.field("key", pa.string()), pa.field("value", pa.string())])


def chunk_schema(dimension: int) -> pa.Schema:
    return pa.schema(
        [
            pa.field("chunk_id", pa.string(), nullable=False),
            pa.field("doc_id", pa.string(), nullable=False),
            pa.field("path", pa.string()),
            pa.field("entry_index", pa.int32()),
            pa.field("entry_title", pa.string()),
            pa.field("date", pa.date32()),
            pa.field("date_source", pa.string()),
            pa.field("start", pa.int64()),
            pa.field("end", pa.int64()),
            pa.field("text", pa.string()),
            pa.field("search_text", pa.string()),
            pa.field("text_hash", pa.string()),
            pa.field("tags", pa.list_(pa.string())),
            pa.field("vector", pa.list_(pa.float32(), dimension)),
            pa.field("part_vectors", pa.list_(pa.list_(pa.float32(), dimension))),
        ]
    )


class StoreError(Exception):
    """The index cannot do what was asked; ``hint`` says what will fix it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class EmbeddingMismatch(StoreError):
    """The index was built with another embedding model than the one configured."""


def sql_literal(value: str) -> str:
    """A SQL string literal: every quote doubled, so a path can never become SQL."""
    return "'" + value.replace("'", "''") + "'"


def _in_list(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(sql_literal(v) for v in values)})"


def _connect(uri: str, read_consistency: dt.timedelta | None) -> Any:
    # The namespace REST client's package __init__ is ~40 % of importing lancedb, for a
    # server ponder never talks to (index/deferred_init.py).
    defer_package_init("lance_namespace_urllib3_client")
    import lancedb  # here, not at the top: see Store

    if "://" not in uri:
        os.makedirs(uri, exist_ok=True)
    try:
        return lancedb.connect(uri, read_consistency_interval=read_consistency)
    except Exception as exc:  # lancedb raises bare errors for bad URIs/credentials
        raise StoreError(
            f"cannot open the index at {uri}: {exc}",
            hint="Check index.uri (and the storage credentials for an object-store URI).",
        ) from exc


def _manifests(versions_dir: str) -> list[tuple[int, str]]:
    """(version, path) of every manifest of a local table, newest first.

    Lance names manifests ``{version}.manifest`` or, in its newer scheme, by ``2**64 - 1 -
    version`` zero-padded to 20 digits so that the newest sorts first. None when the folder
    is missing: a process killed while LanceDB created the table can leave it so.
    """
    found = []
    if not os.path.isdir(versions_dir):
        return []
    with os.scandir(versions_dir) as entries:
        for entry in entries:
            stem, dot, suffix = entry.name.partition(".")
            if dot and suffix == "manifest" and stem.isdigit():
                number = int(stem)
                version = _MAX_U64 - number if len(stem) == 20 else number
                found.append((version, entry.path))
    return sorted(found, reverse=True)


def _open_checked(db: Any, name: str) -> Any:
    """Open a table and read its manifest's schema, which is where a damaged version fails."""
    try:
        table = db.open_table(name)
        _ = table.schema, table.version
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        raise StoreError(f"{type(exc).__name__}: {exc}") from exc
    return table


def _batches(values: Sequence[str], size: int = _IN_BATCH) -> Iterator[Sequence[str]]:
    for offset in range(0, len(values), size):
        yield values[offset : offset + size]


class Store:
    """The archive's index in one LanceDB database (a local folder or an object-store URI).

    The connection is made on first use: importing LanceDB alone takes over a second, and a
    sync that finds nothing changed (ingest/sync.py's snapshot) never needs it.
    """

    def __init__(
        self,
        uri: str,
        *,
        read_consistency: dt.timedelta | None,
        keep_versions: dt.timedelta,
        crash: CrashHook = no_crash,
    ) -> None:
        self.uri = uri
        self._read_consistency = read_consistency
        self._keep_versions = keep_versions
        self._crash = crash
        self._connection: Any | None = None
        self._connecting = threading.Lock()  # the app's threads (pages, watcher) may ask at once
        self._tables: dict[str, Any] = {}

    @classmethod
    def open(
        cls,
        uri: str,
        *,
        read_consistency: dt.timedelta | None = dt.timedelta(seconds=1),
        keep_versions: dt.timedelta = dt.timedelta(minutes=10),
        crash: CrashHook = no_crash,
    ) -> Store:
        """The index at ``uri``, created on first write; connected on first use.

        ``read_consistency`` bounds how stale this handle may be about other processes'
        writes; ``None`` never checks (fine for a short command that writes alone).
        """
        return cls(uri, read_consistency=read_consistency, keep_versions=keep_versions, crash=crash)

    @property
    def _db(self) -> Any:
        if self._connection is None:
            with self._connecting:
                if self._connection is None:
                    self._connection = _connect(self.uri, self._read_consistency)
        return self._connection

    def change_marks(self) -> dict[str, int] | None:
        """Cheap evidence that no table has moved, read from the file system alone.

        Every LanceDB commit adds a manifest to its table's ``_versions`` folder (and a
        cleanup removes some), so the folders' modification times change with every write.
        The newest manifest's size is in them too: a power cut can leave that file empty
        without touching its folder, and such an index must be opened (and recovered).
        ``None`` when that cannot be relied on: an object-store URI (other machines may write
        to it), a layout this version does not know, or a re-sync still owed.
        """
        if "://" in self.uri or os.path.exists(os.path.join(self.uri, RESYNC_NEEDED)):
            return None
        marks = {}
        for name in TABLES:
            versions = os.path.join(self.uri, f"{name}.lance", "_versions")
            try:
                marks[name] = os.stat(versions).st_mtime_ns
                manifests = _manifests(versions)
                marks[f"{name}.newest"] = os.stat(manifests[0][1]).st_size if manifests else -1
            except OSError:
                return None
        return marks

    # -- tables ---------------------------------------------------------------

    def _table(self, name: str) -> Any | None:
        table = self._tables.get(name)
        if table is None:
            if name not in self._db.list_tables().tables:
                return None
            table = self._open_or_recover(name)
            if table is not None:
                self._tables[name] = table
        return table

    def _open_or_recover(self, name: str) -> Any:
        """Open a table; a local one whose newest versions cannot be read goes back to the
        newest version that can.

        LanceDB writes a manifest to a temporary file and renames it, but does not fsync
        (lance 13, the version lancedb 0.40 pins): after a power cut the newest manifest
        can be empty or short. The unreadable manifests are moved to ``_quarantine`` (never
        deleted), and ``resync-needed.json`` makes the next sync re-read every file, since
        this table may now disagree with the others. Without any readable version the
        table is set aside whole and rebuilt by that sync: never a permanent failure.
        """
        try:
            return _open_checked(self._db, name)
        except Exception as exc:
            transient = any(words in str(exc).lower() for words in _NOT_DAMAGE)
            if "://" in self.uri or transient:  # only damage is repaired, never a hiccup
                raise StoreError(
                    f"cannot open the {name} table of the index at {self.uri}: {exc}",
                    hint="Check the index folder's permissions and free file handles; "
                    "if it persists, run `ponder reindex`.",
                ) from exc
            first_error = exc
        table_dir = os.path.join(self.uri, f"{name}.lance")
        versions = os.path.join(table_dir, "_versions")
        quarantine = os.path.join(self.uri, QUARANTINE, name)
        os.makedirs(quarantine, exist_ok=True)
        self._note_resync(name, str(first_error))
        for _version, path in _manifests(versions):
            shutil.move(path, os.path.join(quarantine, os.path.basename(path)))
            try:
                return _open_checked(self._db, name)
            except Exception:
                continue
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        shutil.move(table_dir, os.path.join(quarantine, f"{name}-{stamp}.lance"))
        return None

    def _note_resync(self, table: str, error: str) -> None:
        path = os.path.join(self.uri, RESYNC_NEEDED)
        note = {"table": table, "error": error[:500], "at": dt.datetime.now(dt.UTC).isoformat()}
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(note, handle)
            handle.flush()
            os.fsync(handle.fileno())

    def resync_needed(self) -> bool:
        """Whether a table was recovered to an older version since the last full sync."""
        if "://" in self.uri:
            return False
        if not os.path.exists(os.path.join(self.uri, RESYNC_NEEDED)):
            # Opening every table is what finds a damaged one; a sync needs them all anyway.
            for name in TABLES:
                self._table(name)
        return os.path.exists(os.path.join(self.uri, RESYNC_NEEDED))

    def resync_done(self) -> None:
        """A sync re-read every file: the tables agree again."""
        if "://" not in self.uri:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.uri, RESYNC_NEEDED))

    def _create(self, name: str, schema: pa.Schema) -> Any:
        table = self._table(name)
        if table is None:
            table = self._db.create_table(name, schema=schema, exist_ok=True)
            self._tables[name] = table
        return table

    def versions(self) -> dict[str, int]:
        """The current version of every table: a sync that changed nothing moves none."""
        versions = {}
        for name in (DOCUMENTS, CHUNKS, CACHE, META):
            table = self._table(name)
            if table is not None:
                table.checkout_latest()
                versions[name] = int(table.version)
        return versions

    # -- meta -----------------------------------------------------------------

    def meta(self) -> IndexMeta | None:
        table = self._table(META)
        if table is None:
            return None
        values = {row["key"]: row["value"] for row in table.to_arrow().to_pylist()}
        if "embedding_model" not in values:
            return None
        return IndexMeta(
            schema_version=int(values.get("schema_version", 0)),
            embedding_model=values["embedding_model"],
            dimension=int(values["dimension"]),
        )

    def check_embedder_name(self, model: str) -> None:
        """Refuse early, before any model is loaded, when the index holds another model
        or was written by a version of ponder with another layout."""
        meta = self.meta()
        check_schema(meta)
        if meta is not None and meta.embedding_model != model:
            raise EmbeddingMismatch(
                f"the index was built with embedding model {meta.embedding_model} "
                f"but {model} is configured",
                hint="Run `ponder reindex` to re-embed the archive with the configured model, "
                f"or configure {meta.embedding_model} again.",
            )

    def bind_embedder(self, model: str, dimension: int) -> None:
        """Record the embedding model of a new index, or refuse a different one.

        Raises:
            EmbeddingMismatch: the index holds vectors of another model or dimension.
        """
        meta = self.meta()
        if meta is None:
            rows = [
                {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                {"key": "embedding_model", "value": model},
                {"key": "dimension", "value": str(dimension)},
            ]
            self._create(META, META_SCHEMA).add(pa.Table.from_pylist(rows, schema=META_SCHEMA))
            return
        check_schema(meta)
        if (meta.embedding_model, meta.dimension) != (model, dimension):
            raise EmbeddingMismatch(
                f"the index was built with embedding model {meta.embedding_model} "
                f"({meta.dimension} dimensions) but {model} ({dimension}) is configured",
                hint="Run `ponder reindex` to re-embed the archive with the configured model, "
                f"or configure {meta.embedding_model} again.",
            )

    def reset(self) -> None:
        """Drop documents, chunks and meta (the embedding cache survives for the reindex)."""
        for name in (CHUNKS, DOCUMENTS, META):
            if self._table(name) is not None:
                self._db.drop_table(name)
            self._tables.pop(name, None)

    # -- documents ------------------------------------------------------------

    def documents(self) -> list[DocumentRecord]:
        """Every document row, without its source text."""
        table = self._table(DOCUMENTS)
        if table is None:
            return []
        rows = table.search().select(_DOCUMENT_LISTING).limit(None).to_arrow().to_pylist()
        return [_document(row) for row in rows]

    def document(self, doc_id: str) -> DocumentRecord | None:
        """One document with its source text."""
        table = self._table(DOCUMENTS)
        if table is None:
            return None
        rows = (
            table.search().where(f"doc_id = {sql_literal(doc_id)}").limit(1).to_arrow().to_pylist()
        )
        return _document(rows[0]) if rows else None

    def replace_documents(
        self, documents: Sequence[DocumentRecord], chunks: Sequence[ChunkRecord]
    ) -> None:
        """Make ``chunks`` the whole set of chunks of ``documents``, then record the documents.

        The chunks of all the documents are replaced in one commit; the document rows (the
        content hashes sync trusts) are written after them, so a crash in between only
        makes the next sync redo these documents.
        """
        if not documents:
            return
        ids = [doc.doc_id for doc in documents]
        if chunks:
            table = self._create(CHUNKS, chunk_schema(len(chunks[0].vector)))
            (
                table.merge_insert("chunk_id")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .when_not_matched_by_source_delete(_in_list("doc_id", ids))
                .execute(_chunk_table(chunks, table.schema))
            )
        else:
            self._delete(CHUNKS, "doc_id", ids)
        self._crash("store.chunks-replaced")
        docs = self._create(DOCUMENTS, DOCUMENT_SCHEMA)
        (
            docs.merge_insert("doc_id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(_document_table(documents))
        )
        self._crash("store.documents-replaced")

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Remove documents and their chunks (chunks first: see replace_documents)."""
        self._delete(CHUNKS, "doc_id", doc_ids)
        self._crash("store.chunks-deleted")
        self._delete(DOCUMENTS, "doc_id", doc_ids)
        self._crash("store.documents-deleted")

    def delete_orphan_chunks(self) -> int:
        """Remove chunks whose document row is missing (left by a crash between commits)."""
        chunks, documents = self._table(CHUNKS), self._table(DOCUMENTS)
        if chunks is None:
            return 0
        in_chunks = set(self.chunks(("doc_id",)).column("doc_id").to_pylist())
        known = set() if documents is None else {d.doc_id for d in self.documents()}
        orphans = sorted(in_chunks - known)
        self._delete(CHUNKS, "doc_id", orphans)
        self._crash("store.orphans-deleted")
        return len(orphans)

    def _delete(self, name: str, column: str, values: Sequence[str]) -> None:
        table = self._table(name)
        if table is None or not values:
            return
        for batch in _batches(values):
            table.delete(_in_list(column, batch))

    # -- chunks and search ----------------------------------------------------

    def chunk_count(self) -> int:
        table = self._table(CHUNKS)
        return 0 if table is None else int(table.count_rows())

    def chunks(self, columns: Sequence[str] = ("chunk_id", "doc_id", "path", "text")) -> pa.Table:
        """All chunk rows, the given columns only (for checks, themes and tests)."""
        table = self._table(CHUNKS)
        if table is None:
            return pa.table({c: pa.array([], pa.string()) for c in columns})
        return table.search().select(list(columns)).limit(None).to_arrow()

    def vector_search(self, vector: Vector, limit: int, where: str | None = None) -> list[Passage]:
        """The passages nearest to ``vector``, scored by cosine similarity, each with its
        closest paragraph's similarity too."""
        table = self._table(CHUNKS)
        if table is None:
            return []
        query = table.search(
            np.asarray(vector, dtype=np.float32), query_type="vector", vector_column_name="vector"
        )
        query = query.distance_type("cosine")
        if self.vector_index_type() is not None:
            query = query.ef(max(_EF_PER_RESULT * limit, 100))
        if where:
            query = query.where(where, prefilter=True)
        found = query.select([*_PASSAGE_COLUMNS, "part_vectors", "_distance"]).limit(limit)
        rows = found.to_arrow()
        own = [1.0 - float(d) for d in rows.column("_distance").to_pylist()]
        closest = _paragraph_similarities(rows, vector, own)
        return [
            _passage(row, score, paragraph)
            for row, score, paragraph in zip(
                rows.select(_PASSAGE_COLUMNS).to_pylist(), own, closest, strict=True
            )
        ]

    def text_search(
        self, text: str, limit: int, where: str | None = None, vector: Vector | None = None
    ) -> list[Passage]:
        """The passages that best match ``text``'s words, scored by BM25. Given the query's
        ``vector``, each also carries its closest paragraph's similarity to it."""
        table = self._table(CHUNKS)
        if table is None or not text.strip():
            return []
        self._ensure_fts(table)
        query = table.search(text, query_type="fts", fts_columns="search_text")
        if where:
            query = query.where(where, prefilter=True)
        columns = [*_PASSAGE_COLUMNS, "_score"]
        if vector is None:
            rows = query.select(columns).limit(limit).to_arrow().to_pylist()
            return [_passage(row, float(row["_score"])) for row in rows]
        found = query.select([*columns, "vector", "part_vectors"]).limit(limit).to_arrow()
        own = list(_matrix(found.column("vector")) @ np.asarray(vector, dtype=np.float32))
        closest = _paragraph_similarities(found, vector, [float(x) for x in own])
        return [
            _passage(row, float(row["_score"]), paragraph)
            for row, paragraph in zip(found.select(columns).to_pylist(), closest, strict=True)
        ]

    def _ensure_fts(self, table: Any) -> None:
        if not any(index.index_type == "FTS" for index in table.list_indices()):
            from lancedb.index import FTS

            table.create_index("search_text", config=FTS(with_position=False), replace=True)

    def vector_index_type(self) -> str | None:
        """The kind of the passages' vector index, or None while search scans every vector."""
        table = self._table(CHUNKS)
        if table is None:
            return None
        for index in table.list_indices():
            if index.columns == ["vector"]:
                return str(index.index_type)
        return None

    def _ensure_vector_index(self, table: Any) -> None:
        """An HNSW graph over the vectors once there are enough of them to need one.

        Rows written after it are still searched (exactly) and are folded into the graph by
        ``optimize``. One partition: a personal archive is small enough for one graph.
        """
        if table.count_rows() >= VECTOR_INDEX_MIN_ROWS and self.vector_index_type() is None:
            from lancedb.index import HnswSq

            config = HnswSq(distance_type="cosine", num_partitions=1)
            table.create_index("vector", config=config, replace=True)

    # -- embedding cache --------------------------------------------------------

    def cached_vectors(self, model: str, text_hashes: Iterable[str]) -> dict[str, Vector]:
        table = self._table(CACHE)
        wanted = sorted(set(text_hashes))
        if table is None or not wanted:
            return {}
        found: dict[str, Vector] = {}
        for batch in _batches([f"{model}\0{h}" for h in wanted]):
            rows = (
                table.search()
                .where(_in_list("key", batch))
                .select(["text_hash", "vector"])
                .limit(None)
                .to_arrow()
            )
            hashes = rows.column("text_hash").to_pylist()
            vectors = rows.column("vector").to_pylist()
            for text_hash, vector in zip(hashes, vectors, strict=True):
                found[text_hash] = np.asarray(vector, dtype=np.float32)
        return found

    def cache_vectors(self, model: str, vectors: Mapping[str, Vector]) -> None:
        if not vectors:
            return
        table = self._create(CACHE, CACHE_SCHEMA)
        rows = pa.table(
            {
                "key": [f"{model}\0{h}" for h in vectors],
                "model": [model] * len(vectors),
                "text_hash": list(vectors),
                "vector": pa.array(
                    [np.asarray(v, dtype=np.float32) for v in vectors.values()],
                    pa.list_(pa.float32()),
                ),
            },
            schema=CACHE_SCHEMA,
        )
        table.merge_insert("key").when_not_matched_insert_all().execute(rows)
        self._crash("store.cache-written")

    # -- maintenance ------------------------------------------------------------

    def maintain(self) -> bool:
        """Optimize when it pays: once small commits have piled up, or the index is new.

        A sync that changed one note should not compact four tables (most of a one-line
        edit's time): until then, searches read the few new rows unindexed, which
        LanceDB does for both its vector and full-text search. Returns whether it ran.
        """
        chunks = self._table(CHUNKS)
        if chunks is None:
            return False
        has_fts = any(index.index_type == "FTS" for index in chunks.list_indices())
        small = int(chunks.stats()["fragment_stats"]["num_small_fragments"])
        if has_fts and small < MAINTAIN_AFTER_SMALL_FRAGMENTS:
            return False
        self.optimize()
        return True

    def optimize(self) -> None:
        """Compact small commits, fold new rows into the indexes, drop old versions."""
        chunks = self._table(CHUNKS)
        if chunks is not None and chunks.count_rows():
            self._ensure_fts(chunks)
            self._ensure_vector_index(chunks)
        for name in (CHUNKS, DOCUMENTS, CACHE, META):
            table = self._table(name)
            if table is not None:
                table.optimize(cleanup_older_than=self._keep_versions)
                self._crash("store.table-optimized")

    def size_bytes(self) -> int | None:
        """Bytes on disk of a local index; ``None`` for an object-store URI."""
        if "://" in self.uri and not self.uri.startswith("file://"):
            return None
        total = 0
        for root, _dirs, files in os.walk(self.uri.removeprefix("file://")):
            for name in files:
                try:
                    total += os.path.getsize(os.path.join(root, name))
                except OSError:
                    continue
        return total


def check_schema(meta: IndexMeta | None) -> None:
    """Refuse an index written with another layout than this version's.

    Raises:
        EmbeddingMismatch: with the fix, `ponder reindex` (the embedding cache survives it,
            so only what the new layout adds is embedded).
    """
    if meta is not None and meta.schema_version != SCHEMA_VERSION:
        older = meta.schema_version < SCHEMA_VERSION
        raise EmbeddingMismatch(
            f"the index was built by {'an older' if older else 'a newer'} version of ponder "
            f"(index layout {meta.schema_version}; this ponder reads and writes {SCHEMA_VERSION})",
            hint="Run `ponder reindex` to rebuild it"
            + (" (passages already embedded come from the cache)." if older else "."),
        )


def _matrix(column: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.float32]:
    """A column of fixed-size vectors as one (rows, dimension) matrix."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    dimension = array.type.list_size
    values = np.asarray(array.flatten().to_numpy(zero_copy_only=False), dtype=np.float32)
    matrix: npt.NDArray[np.float32] = values.reshape(-1, dimension)
    return matrix


def _paragraph_similarities(
    rows: pa.Table, vector: Vector, own: Sequence[float]
) -> list[float | None]:
    """For each row: the query's cosine similarity to its closest paragraph, or ``own`` (the
    passage's) when the passage is one paragraph. Vectors are unit length."""
    parts = rows.column("part_vectors").combine_chunks()
    if len(parts) == 0:
        return []
    lengths = pc.fill_null(pc.list_value_length(parts), 0).to_numpy(zero_copy_only=False)
    result: list[float | None] = list(own)
    if not lengths.any():
        return result
    similarities = _matrix(parts.flatten()) @ np.asarray(vector, dtype=np.float32)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    for row in np.flatnonzero(lengths):
        start = starts[row]
        result[row] = float(similarities[start : start + lengths[row]].max())
    return result


def _document(row: Mapping[str, Any]) -> DocumentRecord:
    return DocumentRecord(
        doc_id=row["doc_id"],
        path=row["path"],
        content_hash=row["content_hash"] or "",
        size=int(row["size"] or 0),
        mtime_ns=int(row["mtime_ns"] or 0),
        status=DocStatus(row["status"]),
        reason=row["reason"] or "",
        reader=row["reader"] or "",
        entry_count=int(row["entry_count"] or 0),
        chunk_count=int(row["chunk_count"] or 0),
        first_date=row["first_date"],
        last_date=row["last_date"],
        title=row["title"] or "",
        indexed_at=row["indexed_at"],
        source_text=row.get("source_text") or "",
    )


def _document_table(documents: Sequence[DocumentRecord]) -> pa.Table:
    rows = [
        {
            "doc_id": d.doc_id,
            "path": d.path,
            "content_hash": d.content_hash,
            "size": d.size,
            "mtime_ns": d.mtime_ns,
            "status": d.status.value,
            "reason": d.reason,
            "reader": d.reader,
            "entry_count": d.entry_count,
            "chunk_count": d.chunk_count,
            "first_date": d.first_date,
            "last_date": d.last_date,
            "title": d.title,
            "indexed_at": d.indexed_at,
            "source_text": d.source_text,
        }
        for d in documents
    ]
    return pa.Table.from_pylist(rows, schema=DOCUMENT_SCHEMA)


def _chunk_table(chunks: Sequence[ChunkRecord], schema: pa.Schema) -> pa.Table:
    dimension = schema.field("vector").type.list_size
    vectors = np.stack([np.asarray(c.vector, dtype=np.float32) for c in chunks])
    if vectors.shape[1] != dimension:
        raise EmbeddingMismatch(
            f"vectors have {vectors.shape[1]} dimensions, the index {dimension}",
            hint="Run `ponder reindex`.",
        )
    columns: dict[str, Any] = {
        "chunk_id": [c.chunk_id for c in chunks],
        "doc_id": [c.doc_id for c in chunks],
        "path": [c.path for c in chunks],
        "entry_index": [c.entry_index for c in chunks],
        "entry_title": [c.entry_title for c in chunks],
        "date": [c.date for c in chunks],
        "date_source": [c.date_source for c in chunks],
        "start": [c.start for c in chunks],
        "end": [c.end for c in chunks],
        "text": [c.text for c in chunks],
        "search_text": [c.search_text for c in chunks],
        "text_hash": [c.text_hash for c in chunks],
        "tags": [list(c.tags) for c in chunks],
        "vector": pa.FixedSizeListArray.from_arrays(
            pa.array(vectors.reshape(-1), pa.float32()), dimension
        ),
        "part_vectors": _part_vectors(chunks, dimension),
    }
    return pa.table(columns, schema=schema)


def _part_vectors(chunks: Sequence[ChunkRecord], dimension: int) -> pa.ListArray:
    counts = [len(c.part_vectors) for c in chunks]
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    flat = [np.asarray(v, dtype=np.float32) for c in chunks for v in c.part_vectors]
    values = np.stack(flat).reshape(-1) if flat else np.zeros(0, dtype=np.float32)
    if flat and len(flat[0]) != dimension:
        raise EmbeddingMismatch(
            f"vectors have {len(flat[0])} dimensions, the index {dimension}",
            hint="Run `ponder reindex`.",
        )
    inner = pa.FixedSizeListArray.from_arrays(pa.array(values, pa.float32()), dimension)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), inner)


def _passage(row: Mapping[str, Any], score: float, paragraph: float | None = None) -> Passage:
    return Passage(
        chunk_id=row["chunk_id"],
        doc_id=row["doc_id"],
        path=row["path"],
        entry_index=int(row["entry_index"]),
        date=row["date"],
        date_source=row["date_source"],
        entry_title=row["entry_title"] or "",
        start=int(row["start"]),
        end=int(row["end"]),
        text=row["text"],
        tags=tuple(row["tags"] or ()),
        score=score,
        paragraph_similarity=paragraph,
    )
