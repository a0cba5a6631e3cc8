"""Hybrid retrieval: vectors and LanceDB's full-text index, fused by reciprocal rank."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from config import SearchSettings
from index.embeddings import Embedder
from index.records import Passage
from index.store import EmbeddingMismatch, Store

Mode = Literal["hybrid", "vector", "text"]


@dataclass(frozen=True)
class DateRange:
    since: dt.date | None = None
    until: dt.date | None = None

    def where(self) -> str | None:
        """The SQL filter (dates are formatted by us, never user text)."""
        clauses = []
        if self.since:
            clauses.append(f"date >= date '{self.since.isoformat()}'")
        if self.until:
            clauses.append(f"date <= date '{self.until.isoformat()}'")
        return " AND ".join(clauses) or None


class Searcher:
    """Finds the passages of the archive that bear on a query."""

    def __init__(self, store: Store, embedder: Embedder, settings: SearchSettings) -> None:
        self._store = store
        self._embedder = embedder
        self._settings = settings

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        dates: DateRange = DateRange(),
        mode: Mode = "hybrid",
    ) -> list[Passage]:
        """The best ``k`` passages, at most ``per_entry`` from any one entry.

        Raises:
            EmbeddingMismatch: the index holds vectors of another model.
        """
        k = k or self._settings.k
        where = dates.where()
        candidates = max(self._settings.candidates, k * 3)
        vector_hits: list[Passage] = []
        text_hits: list[Passage] = []
        if mode in ("hybrid", "vector"):
            self._check_model()
            vector = self._embedder.embed_query(query)
            vector_hits = self._store.vector_search(vector, candidates, where)
        if mode in ("hybrid", "text"):
            text_hits = self._store.text_search(query, candidates, where)
        if mode == "vector":
            return _cap(vector_hits, k, self._settings.per_entry)
        if mode == "text":
            return _cap(text_hits, k, self._settings.per_entry)
        fused = reciprocal_rank_fusion(vector_hits, text_hits, self._settings.rrf_k)
        return _cap(fused, k, self._settings.per_entry)

    def _check_model(self) -> None:
        meta = self._store.meta()
        if meta is None:
            return
        if meta.embedding_model != self._embedder.model_id:
            raise EmbeddingMismatch(
                f"the index was built with {meta.embedding_model}, "
                f"but queries would be embedded with {self._embedder.model_id}",
                hint="Run `ponder reindex` to re-embed the archive with the configured model, "
                f"or configure {meta.embedding_model} again.",
            )


def reciprocal_rank_fusion(
    vector_hits: Sequence[Passage], text_hits: Sequence[Passage], rrf_k: int
) -> list[Passage]:
    """Fuse two rankings: score = sum of 1 / (rrf_k + rank) over the lists a passage is in.

    Rank-based, so cosine similarities and BM25 scores never need a common scale.
    """
    scores: dict[str, float] = {}
    vector_rank: dict[str, int] = {}
    text_rank: dict[str, int] = {}
    passages: dict[str, Passage] = {}
    for ranks, hits in ((vector_rank, vector_hits), (text_rank, text_hits)):
        for rank, hit in enumerate(hits, start=1):
            if hit.chunk_id in ranks:
                continue
            ranks[hit.chunk_id] = rank
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (rrf_k + rank)
            passages.setdefault(hit.chunk_id, hit)
    ordered = sorted(scores, key=lambda cid: (-scores[cid], cid))
    return [
        replace(
            passages[cid],
            score=scores[cid],
            vector_rank=vector_rank.get(cid),
            text_rank=text_rank.get(cid),
        )
        for cid in ordered
    ]


def _cap(hits: Sequence[Passage], k: int, per_entry: int) -> list[Passage]:
    taken: Counter[tuple[str, int]] = Counter()
    result = []
    for hit in hits:
        key = (hit.doc_id, hit.entry_index)
        if taken[key] >= per_entry:
            continue
        taken[key] += 1
        result.append(hit)
        if len(result) == k:
            break
    return result
