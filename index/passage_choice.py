"""Which passages an answer is given: step 3 of ``index.answer``, on its own.

The question's words and meaning are searched the way ``ponder search`` and ``ponder
eval`` search (``Searcher.gather``: passage vectors, paragraph vectors and full text,
fused by entry), so the retrieval that ``ponder eval`` measures is the one the model's
prompt gets. Then, by what the question asks:

- most questions: the fused order, at most ``search.per_entry`` passages an entry;
- a question about change, or one with no topic: the relevant passages spread across
  the years, the best of each year first;
- "when did I first/last...": the earliest/latest passages plainly about the topic,
  searching full text again beyond the pool until no earlier/later mention is left, then
  the best-ranked passages of other entries that are not beyond them.

No model is called here: ``ponder eval --mode ask`` measures this step alone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from config import Settings
from index.records import Passage
from index.relevance import content_words, covers, similarity_threshold, stems
from index.search import DateRange, Searcher
from index.store import Store
from index.when import TimeScope, parse_time

Strategy = Literal["relevance", "spread", "earliest", "latest"]

WIDE_POOL = 200  # candidates per retriever when passages are chosen by date, not rank
EDGE_PASSAGES = 4  # passages shown for a "first"/"last" question
EDGE_MARGIN = 0.1  # "first"/"last": similarity this close to the best counts as on-topic
EDGE_ROUNDS = 8  # at most this many more full-text searches for an earlier/later mention
NEAREST_SHOWN = 3  # passages named under a "nothing found"


@dataclass
class Candidate:
    """A passage the search found, with the scores that decide whether it is relevant."""

    passage: Passage
    # ``closeness`` to the question; None for a passage only the full-text search beyond
    # the pool found (``_beyond_the_edge``, for first/last questions)
    similarity: float | None
    text_score: float | None  # BM25 score; None: the full-text search did not find it
    covers: bool  # contains (nearly) all the query's content words
    relevant: bool
    names_all: bool = False  # contains every content word of the query


@dataclass(frozen=True)
class Reading:
    """What a question asks, as ``PassageChooser`` reads it."""

    scope: TimeScope  # its dates, intent and topic (the question without time phrases)
    query: str  # the topic's content words: what a passage must name to be relevant
    meaning: str  # what the vectors and full text look for: the topic as written
    strategy: Strategy


@dataclass
class Choice:
    """The passages chosen for a question, and what the choice saw."""

    reading: Reading  # the question's scope, content words, topic and strategy
    threshold: float  # the similarity that made a passage relevant on its own
    ranked: list[Candidate]  # in the order they should survive a small context window
    found: bool  # at least one candidate is relevant
    candidates: int
    relevant: int
    best_similarity: float | None
    # The best-ranked candidates, one an entry, relevant or not: shown with a "nothing
    # found" so that a question the rule misjudges still shows the writer where to look.
    nearest: list[Candidate]


class PassageChooser:
    """Chooses the passages that answer a question, as ``ponder ask`` shows them."""

    def __init__(
        self,
        searcher: Searcher,
        store: Store,
        settings: Settings,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self._searcher = searcher
        self._store = store
        self._settings = settings
        self._today = today

    def choose(self, question: str, dates: DateRange | None = None) -> Choice:
        """The passages for a standalone ``question``: its time phrases become dates and an
        intent (``index.when``); the rest of it, its topic, is what the vectors and full
        text look for; its content words are what a passage must name to count as relevant
        without being close in meaning. ``dates``, when bounded, replace the question's own
        (a question set's ``since``/``until``).

        Raises:
            EmbeddingMismatch: the index holds vectors of another model.
        """
        reading = self.read(question, dates)
        return self._choose(reading, self.threshold())

    def read(self, question: str, dates: DateRange | None = None) -> Reading:
        """How ``choose`` reads ``question``: its scope, words, topic and strategy."""
        scope = parse_time(question, self._today(), birth_year=self._settings.archive.birth_year)
        if dates is not None and dates.bounded:
            scope = replace(scope, since=dates.since, until=dates.until)
        query = " ".join(content_words(scope.topic))
        strategy: Strategy = "relevance"
        if scope.intent == "change" or not query:
            strategy = "spread"
        elif scope.intent == "first":
            strategy = "earliest"
        elif scope.intent == "last":
            strategy = "latest"
        return Reading(scope, query, scope.topic or question, strategy)

    def candidates(self, reading: Reading, threshold: float) -> list[Candidate]:
        """Every candidate ``choose`` chooses from, in fused order, judged at ``threshold``."""
        pool = self._settings.search.candidates if reading.strategy == "relevance" else WIDE_POOL
        return self._gather(reading.query, reading.meaning, reading.scope.dates, pool, threshold)

    def threshold(self) -> float:
        """The cosine similarity above which a passage counts as close in meaning."""
        meta = self._store.meta()
        return similarity_threshold(
            meta.embedding_model if meta else None, self._settings.ask.min_similarity
        )

    def _choose(self, reading: Reading, threshold: float) -> Choice:
        scope, query, strategy = reading.scope, reading.query, reading.strategy
        has_topic = bool(query)
        k = self._settings.search.k
        candidates = self.candidates(reading, threshold)
        relevant = [c for c in candidates if c.relevant]
        similarities = [c.similarity for c in candidates if c.similarity is not None]
        if strategy == "relevance":
            # The fused order as it is, as `ponder search` shows it: putting the passages
            # that pass the relevance rule first measured no better (57 vs 58 of the 68
            # questions of sample/questions.json with the gold entry among those shown).
            ranked = self._per_entry(candidates)[:k]
        elif strategy == "spread":
            ranked = spread_by_year(self._per_entry(relevant), 2 * k)
        else:
            about = clearly_about(relevant, threshold) if has_topic else relevant
            about += self._beyond_the_edge(query, scope, about, strategy)
            # One passage an entry: "the first time" is about entries, not their paragraphs.
            ranked = edge(self._per_entry(about, 1), min(k, EDGE_PASSAGES), strategy)
            ranked += best_of_the_rest(self._per_entry(relevant, 1), ranked, k, strategy)
        return Choice(
            reading=reading,
            threshold=threshold,
            ranked=ranked,
            found=bool(relevant),
            candidates=len(candidates),
            relevant=len(relevant),
            best_similarity=max(similarities) if similarities else None,
            nearest=self._per_entry(candidates, 1)[:NEAREST_SHOWN],
        )

    def _gather(
        self, query: str, meaning: str, dates: DateRange, pool: int, threshold: float
    ) -> list[Candidate]:
        """The fused candidates of ``Searcher.gather``, each judged relevant or not.

        Full text gets the topic as written, as ``ponder search`` gives it the query:
        BM25 drops stop words itself, and words the relevance rule does not count (``get``,
        ``remember``) can still tell passages apart (0.747 -> 0.768 hit@5 on the generated
        question set, the sample's unchanged). With no topic words the full-text index
        has nothing to match: vectors only.
        """
        has_topic = bool(query)
        words = meaning if has_topic else ""
        found = self._searcher.gather(meaning, words=words, pool=pool, dates=dates)
        query_stems = stems(query)
        candidates = []
        for passage in found.passages:
            similarity = closeness(found.similarity.get(passage.chunk_id), passage)
            covered = covers(query_stems, passage.text)
            relevant = (
                not has_topic or covered or (similarity is not None and similarity >= threshold)
            )
            candidates.append(
                Candidate(
                    passage,
                    similarity,
                    found.text_score.get(passage.chunk_id),
                    covered,
                    relevant,
                    names_all=covers(query_stems, passage.text, every=True),
                )
            )
        return candidates

    def _beyond_the_edge(
        self, query: str, scope: TimeScope, relevant: Sequence[Candidate], strategy: Strategy
    ) -> list[Candidate]:
        """Mentions earlier (or later) than the earliest (latest) one the pool held.

        Ranked retrieval keeps only the best few hundred hits; a word the writer uses
        often can have its first mention outside them. Full text finds a word wherever it
        is, so search again before the earliest mention found, until nothing is left.
        """
        found: list[Candidate] = []
        seen = {c.passage.chunk_id for c in relevant}
        query_stems = stems(query)
        for _ in range(EDGE_ROUNDS):
            known = [*relevant, *found]
            if not query or not known:
                break
            day = dt.timedelta(days=1)
            if strategy == "earliest":
                dates = DateRange(scope.since, min(c.passage.date for c in known) - day)
            else:
                dates = DateRange(max(c.passage.date for c in known) + day, scope.until)
            hits = self._searcher.search(query, k=WIDE_POOL, dates=dates, mode="text")
            more = [
                Candidate(hit, None, hit.score, True, True, names_all=True)
                for hit in hits
                if hit.chunk_id not in seen and covers(query_stems, hit.text, every=True)
            ]
            if not more:
                break
            seen.update(c.passage.chunk_id for c in more)
            found += more
        return found

    def _per_entry(
        self, candidates: Iterable[Candidate], limit: int | None = None
    ) -> list[Candidate]:
        """At most ``search.per_entry`` passages of one entry: one entry never fills every slot."""
        limit = limit or self._settings.search.per_entry
        taken: Counter[tuple[str, int]] = Counter()
        kept = []
        for candidate in candidates:
            entry = (candidate.passage.doc_id, candidate.passage.entry_index)
            if taken[entry] < limit:
                taken[entry] += 1
                kept.append(candidate)
        return kept


def closeness(passage_similarity: float | None, passage: Passage) -> float | None:
    """How close in meaning a passage is to the question: the cosine similarity of the
    passage or of its closest paragraph, whichever is higher; None without a query vector.

    A diary passage of 200 tokens holds two or three subjects and its one vector is their
    average, so a question about one of them can sit below the threshold while the
    paragraph that answers it is well above (``index.relevance`` has the measurements).
    """
    values = [v for v in (passage_similarity, passage.paragraph_similarity) if v is not None]
    return max(values) if values else None


def best_of_the_rest(
    ranked: Sequence[Candidate], at_edge: Sequence[Candidate], limit: int, strategy: Strategy
) -> list[Candidate]:
    """The best-ranked of ``ranked`` from entries not in ``at_edge``, up to ``limit`` in
    all, none beyond the edge: for "first", none earlier than the earliest of ``at_edge``
    (for "last", none later than the latest).

    For "when did I first...": the earliest passage that names the words is not always
    the first time it happened ("I should see a therapist", years before the first
    session); the passages most about the question let the model tell the two apart.
    Beyond the edge they would contradict the prompt ("[1] is the earliest match
    found"): a passage there that ``clearly_about`` left out is a passing mention.
    Measured: the prompt held the answer to 3 of the generated set's 6 "first" questions
    with them, 2 without (the sample's: 3 of 3, 2 without).
    """
    if not at_edge:
        return []
    entries = {(c.passage.doc_id, c.passage.entry_index) for c in at_edge}
    if strategy == "latest":
        latest = max(c.passage.date for c in at_edge)
        within = [c for c in ranked if c.passage.date <= latest]
    else:
        earliest = min(c.passage.date for c in at_edge)
        within = [c for c in ranked if c.passage.date >= earliest]
    rest = [c for c in within if (c.passage.doc_id, c.passage.entry_index) not in entries]
    return rest[: max(limit - len(at_edge), 0)]


def spread_by_year(candidates: Sequence[Candidate], limit: int) -> list[Candidate]:
    """The best passage of each year, then the second best of each, and so on."""
    by_year: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in candidates:  # already in rank order
        by_year[candidate.passage.date.year].append(candidate)
    picked: list[Candidate] = []
    depth = 0
    while len(picked) < limit and any(len(group) > depth for group in by_year.values()):
        layer = [group[depth] for group in by_year.values() if len(group) > depth]
        picked.extend(layer[: limit - len(picked)])
        depth += 1
    return picked


def clearly_about(relevant: Sequence[Candidate], threshold: float) -> list[Candidate]:
    """The relevant passages that are plainly about the subject, for "first"/"last".

    Relevant enough to answer from is not enough to date a first time: a passage naming
    two of three words, years before the subject comes up, would win. So: every content
    word, or a similarity near the best one.
    """
    similarities = [c.similarity for c in relevant if c.similarity is not None]
    near_best = max([threshold, *(s - EDGE_MARGIN for s in similarities)])
    about = [
        c
        for c in relevant
        if c.names_all or (c.similarity is not None and c.similarity >= near_best)
    ]
    return about or list(relevant)


def edge(candidates: Sequence[Candidate], count: int, strategy: Strategy) -> list[Candidate]:
    """The ``count`` earliest (or latest) passages, nearest the edge first."""
    ordered = sorted(candidates, key=lambda c: (c.passage.date, c.passage.path, c.passage.start))
    if strategy == "latest":
        ordered.reverse()
    return ordered[:count]
