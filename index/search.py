"""Hybrid retrieval: passage vectors, paragraph vectors and LanceDB's full-text index,
fused by reciprocal rank."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from config import SearchSettings
from index.embeddings import Embedder
from index.numbers import with_other_spellings
from index.records import Passage
from index.store import EmbeddingMismatch, Store, check_schema, sql_literal

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

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None


@dataclass(frozen=True)
class EntryScope:
    """Search only these entries, as (doc_id, entry_index): a theme's, when drilling down."""

    entries: tuple[tuple[str, int], ...]
    label: str = ""  # what the scope is, for the user ("the theme Garden, beds")

    def where(self) -> str:
        """The SQL filter: one clause per document, its entry indexes listed (ids escaped)."""
        by_doc: dict[str, set[int]] = defaultdict(set)
        for doc_id, index in self.entries:
            by_doc[doc_id].add(int(index))
        if not by_doc:
            return "false"
        clauses = [
            f"(doc_id = {sql_literal(doc_id)} AND entry_index IN "
            f"({', '.join(str(i) for i in sorted(indexes))}))"
            for doc_id, indexes in sorted(by_doc.items())
        ]
        return "(" + " OR ".join(clauses) + ")"


def _both(first: str | None, second: str | None) -> str | None:
    return " AND ".join(c for c in (first, second) if c) or None


@dataclass(frozen=True)
class Gathered:
    """The candidates of one search in fused order (not capped), with their raw scores."""

    passages: list[Passage]
    similarity: dict[str, float]  # cosine similarity to the query, for the vector hits
    text_score: dict[str, float]  # BM25 score, for the full-text hits


class Searcher:
    """Finds the passages of the archive that bear on a query (within a scope, if given)."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        settings: SearchSettings,
        within: EntryScope | None = None,
        *,
        today: Callable[[], dt.date] = dt.date.today,
        birth_year: int | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._settings = settings
        self._within = within
        self._today = today
        self._birth_year = birth_year

    @property
    def within(self) -> EntryScope | None:
        """The entries this searcher is limited to (a theme's), or None: the whole archive."""
        return self._within

    def time_scope(self, query: str, dates: DateRange = DateRange()) -> tuple[str, DateRange]:
        """The words to search for and the dates to search in, read from ``query``.

        "what did I get for my birthday in 2015" searches 2015 for "what did I get for my
        birthday", as ``ponder ask`` does (``index.when``): a date phrase in the query is a
        filter, not words to match, and left in the query it pulls full text and the
        query's vector towards any passage that mentions a year or a month. Given
        ``dates`` (``--since``/``--until``), or with ``search.time_phrases`` off, or when
        the date phrase is all the query says, the query is searched as it is.
        """
        if not self._settings.time_phrases or dates.bounded:
            return query, dates
        from index.when import parse_time  # index.when takes DateRange from this module

        scope = parse_time(query, self._today(), birth_year=self._birth_year)
        if not scope.bounded or not any(char.isalnum() for char in scope.topic):
            return query, dates
        return scope.topic, scope.dates

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        dates: DateRange = DateRange(),
        mode: Mode = "hybrid",
        read_dates: bool = False,
    ) -> list[Passage]:
        """The best ``k`` passages, at most ``per_entry`` from any one entry.

        Three rankings of the candidates: by the passage's vector, by its closest
        paragraph's vector (a passage of several paragraphs stores one for each), and by
        full text; ``hybrid`` fuses all three, ``vector`` the first two (each passage keeps
        its own cosine similarity as its score), ``text`` is the last alone. With
        ``read_dates``, the query's date phrases become the date range (``time_scope``):
        for a query as a person typed it, not one already parsed (ask, critique).

        Raises:
            EmbeddingMismatch: the index holds vectors of another model.
        """
        k = k or self._settings.k
        if read_dates:
            query, dates = self.time_scope(query, dates)
        found = self.gather(
            query, pool=max(self._settings.candidates, k * 3), dates=dates, mode=mode
        )
        if mode == "vector":
            dense = [replace(p, score=found.similarity[p.chunk_id]) for p in found.passages]
            return _cap(dense, k, self._settings.per_entry)
        return _cap(found.passages, k, self._settings.per_entry)

    def gather(
        self,
        meaning: str,
        *,
        words: str | None = None,
        pool: int,
        dates: DateRange = DateRange(),
        mode: Mode = "hybrid",
    ) -> Gathered:
        """Every candidate of the rankings ``mode`` uses, fused, each with its own scores.

        ``meaning`` is embedded for the vector searches; full text looks for ``words``
        (default: ``meaning``; empty: no full-text search), each fetching ``pool``
        passages. The order is ``search``'s before its per-entry cap: ``ponder ask``
        chooses from it by relevance or by date, and needs each passage's cosine
        similarity and BM25 score, which the fused score hides.
        """
        words = meaning if words is None else words
        where = _both(dates.where(), self._within.where() if self._within else None)
        vector_hits: list[Passage] = []
        text_hits: list[Passage] = []
        vector = None
        if mode in ("hybrid", "vector"):
            self._check_model()
            vector = self._embedder.embed_query(meaning)
            vector_hits = self._store.vector_search(vector, pool, where)
        if mode in ("hybrid", "text") and words.strip():
            spelled = with_other_spellings(words) if self._settings.number_spellings else words
            text_hits = self._store.text_search(spelled, pool, where, vector)
        if mode == "text":
            fused = text_hits
        else:
            rankings = [vector_hits, by_paragraph(vector_hits, text_hits)]
            if mode == "hybrid":
                rankings.append(text_hits)
            fused = fuse_rankings(rankings, self._settings.rrf_k, self._settings.entry_support)
        return Gathered(
            passages=fused,
            similarity={hit.chunk_id: hit.score for hit in vector_hits},
            text_score={hit.chunk_id: hit.score for hit in text_hits},
        )

    def _check_model(self) -> None:
        meta = self._store.meta()
        if meta is None:
            return
        check_schema(meta)
        if meta.embedding_model != self._embedder.model_id:
            raise EmbeddingMismatch(
                f"the index was built with {meta.embedding_model}, "
                f"but queries would be embedded with {self._embedder.model_id}",
                hint="Run `ponder reindex` to re-embed the archive with the configured model, "
                f"or configure {meta.embedding_model} again.",
            )


def by_paragraph(*rankings: Sequence[Passage]) -> list[Passage]:
    """The candidates of ``rankings`` (each once), ranked by their closest paragraph.

    A vector of a whole passage blurs its paragraphs together: a question about one of
    them (the burglary in a passage that is mostly about the flat) lies closer to that
    paragraph's own vector. Passages of one paragraph rank by their own vector; candidates
    without a paragraph similarity (no query vector) are left out. Ties keep the order of
    the rankings.
    """
    seen: dict[str, Passage] = {}
    for ranking in rankings:
        for hit in ranking:
            if hit.paragraph_similarity is not None:
                seen.setdefault(hit.chunk_id, hit)
    order = list(seen.values())
    return sorted(order, key=lambda hit: -(hit.paragraph_similarity or 0.0))


def fuse_rankings(
    rankings: Sequence[Sequence[Passage]], rrf_k: int, support: float = 0.0
) -> list[Passage]:
    """Fuse rankings by reciprocal rank, entry by entry: sum of 1 / (rrf_k + rank).

    An entry ranks in each list where its best passage does, and scores the sum over the
    lists of 1 / (rrf_k + that rank), plus ``support`` / (rrf_k + the rank of its second
    passage in that list), when it has one there. Each entry's best passage (by the same
    sum over its own ranks) carries the entry's score; its other passages keep their own,
    lower, score, so they come after the best passages of other entries unless they are
    strong on their own. Every passage of any list is returned, with its ranks in the first
    list (the vector one) and the last (full text, when there are several lists).

    Why entries: the words a question remembers and the passage nearest to it in meaning
    are often in different passages of one entry (one paragraph names the place, the next
    says what happened). Fused passage by passage, such an entry, first in one list and
    absent from the other, loses to passages that are middling in both; fused as an entry,
    both lists vouch for it. Rank-based, so cosine similarities and BM25 scores never need
    a common scale. ``search.rrf_k`` is small (3): with the classic 60, a passage first in
    one list scores below one twentieth in both, and paraphrased questions, which full text
    mostly misses, lost their best vector hits (BENCHMARKS.md, "Retrieval"). 2 to 5 is a
    plateau on both question sets, with two lists and with three.

    Why ``support`` (``search.entry_support``, 0.5): an entry with two passages near the
    question is more likely about it than one with a single passage that happens to share
    its words or gist; a diary entry that tells the story over two passages should beat a
    passing mention. Half a vote, at the second passage's own rank, so a second passage
    never counts as much as the best one and short entries are not punished for being short.
    """
    passage_score: dict[str, float] = defaultdict(float)
    entry_score: dict[tuple[str, int], float] = defaultdict(float)
    ranks: list[dict[str, int]] = [{} for _ in rankings]
    passages: dict[str, Passage] = {}
    members: dict[tuple[str, int], list[str]] = defaultdict(list)
    for list_ranks, hits in zip(ranks, rankings, strict=True):
        entry_rank: dict[tuple[str, int], int] = {}
        second_rank: dict[tuple[str, int], int] = {}
        for rank, hit in enumerate(hits, start=1):
            if hit.chunk_id in list_ranks:
                continue
            list_ranks[hit.chunk_id] = rank
            passage_score[hit.chunk_id] += 1.0 / (rrf_k + rank)
            entry = (hit.doc_id, hit.entry_index)
            if entry in entry_rank:
                second_rank.setdefault(entry, rank)
            else:
                entry_rank[entry] = len(entry_rank) + 1
            if hit.chunk_id not in passages:
                passages[hit.chunk_id] = hit
                members[entry].append(hit.chunk_id)
        for entry, rank in entry_rank.items():
            entry_score[entry] += 1.0 / (rrf_k + rank)
        for entry, rank in second_rank.items():
            entry_score[entry] += support / (rrf_k + rank)
    scores: dict[str, float] = {}
    for entry, chunk_ids in members.items():
        best, *others = sorted(chunk_ids, key=lambda cid: (-passage_score[cid], cid))
        scores[best] = entry_score[entry]
        for cid in others:  # never above the entry: an entry ranks no lower than its passages
            scores[cid] = passage_score[cid]
    # Equal scores are common with a small constant (third in one list, third in the
    # other): the lists decide in order, vectors first, as the stronger retriever on every
    # set measured.
    unranked = len(passages) + 1
    ordered = sorted(
        scores,
        key=lambda cid: (
            -scores[cid],
            *(list_ranks.get(cid, unranked) for list_ranks in ranks),
            cid,
        ),
    )
    vector_rank = ranks[0] if ranks else {}
    text_rank = ranks[-1] if len(ranks) > 1 else {}
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
