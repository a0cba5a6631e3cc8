"""The records that cross package boundaries: documents, chunks, hits. Ours, not LanceDB's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


class DocStatus(StrEnum):
    INDEXED = "indexed"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class DocumentRecord:
    """One file of the archive as the index knows it."""

    doc_id: str  # stable across renames: chunk ids hang off it
    path: str  # posix, relative to the archive, NFC
    content_hash: str
    size: int
    mtime_ns: int
    status: DocStatus
    reason: str  # why skipped/failed, or a warning for an indexed file; "" if none
    reader: str
    entry_count: int
    chunk_count: int
    first_date: dt.date | None
    last_date: dt.date | None
    title: str
    indexed_at: dt.datetime
    source_text: str = ""  # ponder's reading of the file; spans index into it


@dataclass(frozen=True)
class ChunkRecord:
    """One searchable passage: an exact span of its document's source text."""

    chunk_id: str
    doc_id: str
    path: str
    entry_index: int
    entry_title: str
    date: dt.date
    date_source: str
    start: int
    end: int
    text: str  # == source_text[start:end]
    search_text: str  # what is embedded and full-text indexed (markup reduced)
    text_hash: str  # hash of search_text: the embedding cache key
    tags: tuple[str, ...]
    vector: Vector
    # One vector per paragraph of a passage of several (ingest/chunking.py's Chunk.parts).
    part_vectors: tuple[Vector, ...] = ()


@dataclass(frozen=True)
class Passage:
    """A chunk as search returns it, with the score that ranked it."""

    chunk_id: str
    doc_id: str
    path: str
    entry_index: int
    date: dt.date
    date_source: str
    entry_title: str
    start: int
    end: int
    text: str
    tags: tuple[str, ...]
    score: float
    vector_rank: int | None = None
    text_rank: int | None = None
    # Cosine similarity of the query to the passage's closest paragraph (to the passage
    # itself when it is one paragraph); None when the search had no query vector.
    paragraph_similarity: float | None = None


@dataclass(frozen=True)
class IndexMeta:
    schema_version: int
    embedding_model: str
    dimension: int
