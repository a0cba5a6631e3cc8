"""Retrieval for a critique: support, opposition, past commitments and earlier versions.

A critique needs other passages than an answer does. An answer wants the passages most
like the question; a critique wants the ones that push back: a vow the statement breaks,
an opinion it reverses, the same plan announced years before. Those are often only
loosely like the statement in meaning ("I said yes to Northwind Insurance" against "I will
never again work for a big corporation"), so one similarity search misses them.

``gather`` therefore searches several ways and fuses them by rank:

- ``idea``: the statement's meaning (vectors) and its words (full text): support;
- ``vow``: the statement framed as a commitment ("I will never ..."), by meaning, and its
  words with the language of commitments, by full text: opposition and broken promises;

then it reads each passage of the pool sentence by sentence. The sentence that carries a
commitment, an absolute or a fear (``cues``) and is nearest to the statement in meaning
(each such sentence embedded once) is the passage's *pivot*: the exact words a
contradiction would rest on. Candidates are ranked by ``prerank``: the fused rank, the
pivot's similarity and the strength of its cue. This ranking decides which few
candidates the model is asked to judge side by side, so it has to be good on its own:
its recall is measured separately from the model's judgement (BENCHMARKS.md, Critique).

``spread`` picks, from the same pool, the best passage of each year: earlier versions of
the same idea across the years, oldest first.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.citations import find_loosely, sentence_spans
from index.embeddings import Embedder
from index.records import Passage
from index.relevance import content_words, stem, words
from index.search import DateRange, Mode, Searcher

# Phrases of commitment and absolutes, with the weight each kind adds to a candidate.
# Written for real journals, not for the sample's planted cases: each is a common way of
# binding oneself ("for good", "this is the year") or of stating an absolute that a later
# entry can contradict ("the one thing", "I could never", "I don't care about").
CUES: dict[str, tuple[float, re.Pattern[str]]] = {
    "vow": (
        1.0,
        re.compile(
            r"\b(?:never again|(?:i|we)(?: will|'ll| shall|’ll) never|i(?: will not|'ll not|"
            r" won't| won’t) ever|never going to|i promised?|promised myself|i swear|i vow|"
            r"for good|once and for all|from now on|no more|i'm done with|i am done with|"
            r"i’m done with|giving up|give up|quit(?:ting)?|ever again|the last time i)\b",
            re.IGNORECASE,
        ),
    ),
    "plan": (
        0.8,
        re.compile(
            r"\b(?:this is the year|this year i|next year i|i(?:'m| am|’m) going to|"
            r"i will finally|i(?:'m| am|’m) finally|i plan to|my plan is|resolution|"
            r"starting (?:today|tomorrow|monday)|(?:19|20)\d\d is the year)\b",
            re.IGNORECASE,
        ),
    ),
    "fear": (
        0.6,
        re.compile(
            r"\b(?:afraid|scared|fear(?:s|ed)?|frightened|terrified|worr(?:y|ied|ies)|dread|"
            r"anxious|panic(?:ked)?|nightmare)\b",
            re.IGNORECASE,
        ),
    ),
    "absolute": (
        0.5,
        re.compile(
            r"\b(?:never|always|the one thing|the only (?:thing|reason)|every single|"
            r"i could(?:n't| not|n’t)|i can(?:'t|not|’t) imagine|i (?:honestly |really )?"
            r"do(?:n't|n’t| not) care|i hate|i love|i need|nothing (?:matters|is)|"
            r"everything|completely|absolutely|forever)\b",
            re.IGNORECASE,
        ),
    ),
}
COMMITMENT_WORDS = "never promise swear vow again forever good year always"

RARE_SHARE = 4  # a word in fewer than pool / 4 passages is rare
MAX_RARE_WORDS = 8
MAX_WORDS_TRIED = 24
RRF_K = 5  # the search's own constant: a passage first in one list counts
PIVOTS_PER_PASSAGE = 2  # sentences of a passage whose meaning is compared, at most
PIVOT_POOL = 30  # passages of the fused pool read sentence by sentence
MIN_PIVOT_WORDS = 4
EMBED_BATCH = 8
WEIGHTS = {"rank": 1.0, "similarity": 2.0, "cue": 1.0}


@dataclass(frozen=True)
class Pivot:
    """The sentence of a passage a contradiction would rest on, relative to the passage."""

    start: int
    end: int
    cue: str  # vow, plan, fear, absolute, or "" (the nearest sentence, no cue)
    similarity: float  # of the sentence to the statement (the nearest statement sentence)


@dataclass(frozen=True)
class Candidate:
    """A passage that may push back on the statement, and why it was picked."""

    passage: Passage
    found_by: tuple[str, ...]  # the searches that found it: idea-vector, vow-text, ...
    similarity: float | None  # the passage's cosine similarity to the statement
    fused: float  # reciprocal-rank score over the searches
    pivot: Pivot
    prerank: float

    @property
    def quote(self) -> str:
        return self.passage.text[self.pivot.start : self.pivot.end]


@dataclass(frozen=True)
class Pool:
    """Every passage the searches found, ranked, and the searches themselves."""

    candidates: tuple[Candidate, ...]  # by prerank, best first
    queries: tuple[tuple[str, str], ...]  # (name, what was searched)


def statement_sentences(text: str) -> list[str]:
    spans = sentence_spans(text)
    found = [text[a:b] for a, b in spans if len(words(text[a:b])) >= 3]
    return found or [text.strip()]


def cue_of(sentence: str) -> str:
    """The strongest kind of commitment language in ``sentence``, or ""."""
    best, weight = "", 0.0
    for name, (cue_weight, pattern) in CUES.items():
        if cue_weight > weight and pattern.search(sentence):
            best, weight = name, cue_weight
    return best


def cue_weight(cue: str) -> float:
    return CUES[cue][0] if cue else 0.0


def is_the_statement(passage: Passage, statement: str) -> bool:
    """Whether the passage holds the whole statement, word for word: a quote of the archive
    critiqued as text must not be its own counter-evidence. One sentence in common is not
    enough: the same plan written again years later is exactly what a critique looks for."""
    return len(words(statement)) >= 6 and find_loosely(statement, passage.text) is not None


def gather(
    searcher: Searcher,
    embedder: Embedder,
    statement: str,
    *,
    pool: int,
    dates: DateRange | None = None,
    exclude: frozenset[tuple[str, int]] = frozenset(),
) -> Pool:
    """Search for support and opposition, read the pool's sentences, rank the candidates."""
    dates = dates or DateRange()
    sentences = statement_sentences(statement)
    topic = " ".join(content_words(statement))
    vow_framed = f"I will never {statement.strip()}"
    queries = (
        ("idea-vector", statement.strip()),
        ("idea-text", topic),
        ("vow-vector", vow_framed),
        ("vow-text", f"{topic} {COMMITMENT_WORDS}" if topic else ""),
        ("commitments-text", COMMITMENT_WORDS),
    )
    lists: dict[str, list[Passage]] = {}
    for name, query in queries:
        if not query.strip():
            continue
        mode: Mode = "vector" if name.endswith("vector") else "text"
        lists[name] = searcher.search(query, k=pool, dates=dates, mode=mode)

    weights = dict.fromkeys(lists, 1.0)
    for word, (weight, hits) in _rare_words(searcher, statement, pool, dates).items():
        lists[f"word:{word}"] = hits
        weights[f"word:{word}"] = weight

    fused: dict[str, float] = defaultdict(float)
    found_by: dict[str, list[str]] = defaultdict(list)
    passages: dict[str, Passage] = {}
    similarity: dict[str, float] = {}
    for name, hits in lists.items():
        for rank, hit in enumerate(hits, start=1):
            if (hit.doc_id, hit.entry_index) in exclude or is_the_statement(hit, statement):
                continue
            # A rare word's hits all contain it: each counts as that list's first.
            fused[hit.chunk_id] += weights[name] / (RRF_K + (1 if name[:5] == "word:" else rank))
            found_by[hit.chunk_id].append(name)
            passages.setdefault(hit.chunk_id, hit)
            if name == "idea-vector":
                similarity[hit.chunk_id] = hit.score
    ranked = sorted(fused, key=lambda cid: (-fused[cid], cid))[:PIVOT_POOL]
    pivots = _pivots(embedder, sentences, [passages[cid] for cid in ranked])
    best_fused = max(fused.values(), default=1.0)
    candidates = []
    for cid in ranked:
        pivot = pivots[cid]
        score = (
            WEIGHTS["rank"] * fused[cid] / best_fused
            + WEIGHTS["similarity"] * pivot.similarity
            + WEIGHTS["cue"] * cue_weight(pivot.cue)
        )
        candidates.append(
            Candidate(
                passage=passages[cid],
                found_by=tuple(found_by[cid]),
                similarity=similarity.get(cid),
                fused=fused[cid],
                pivot=pivot,
                prerank=score,
            )
        )
    candidates.sort(key=lambda c: (-c.prerank, c.passage.chunk_id))
    return Pool(tuple(candidates), tuple((n, q) for n, q in queries if q.strip()))


def _rare_words(
    searcher: Searcher, statement: str, pool: int, dates: DateRange
) -> dict[str, tuple[float, list[Passage]]]:
    """The statement's rare words (names, places, things: "Instagram", "laptop") and the
    passages holding them, each weighted by how rare it is.

    A word found in fewer than ``pool // RARE_SHARE`` passages is rare; its weight is its
    inverse document frequency within the pool size, from 1 (one passage) down towards 0.
    Earlier versions of the same idea share such words even when their meaning, embedded
    whole, is far apart ("I put a photo of the garden on Instagram" and "I deleted Instagram
    for good").
    """
    found: dict[str, tuple[float, list[Passage]]] = {}
    seen: set[str] = set()
    # A whole entry has hundreds of words: try the longest (the rarest, mostly) first, and
    # a bounded number of them, one full-text search each.
    tried = sorted(content_words(statement), key=lambda w: (-len(w), w))[:MAX_WORDS_TRIED]
    for word in tried:
        key = stem(word)
        if key in seen or len(word) < 4 or word.isdigit():
            continue
        seen.add(key)
        hits = searcher.search(word, k=pool, dates=dates, mode="text")
        if not hits or len(hits) > pool // RARE_SHARE:
            continue
        found[word] = (1.0 - math.log(len(hits)) / math.log(pool), hits)
        if len(found) == MAX_RARE_WORDS:
            break
    return found


def _pivots(
    embedder: Embedder, statement: Sequence[str], passages: Sequence[Passage]
) -> dict[str, Pivot]:
    """Each passage's pivot: of its sentences with a cue (or, with none, the one sharing most
    words with the statement), the nearest in meaning to a statement sentence.

    Few sentences are embedded (at most ``PIVOTS_PER_PASSAGE`` a passage, most passages
    one): on two shared cores embedding is the critique's main cost before the model."""
    statement_stems = {stem(w) for w in content_words(" ".join(statement))}
    options: list[tuple[str, int, int, str]] = []  # chunk id, start, end, cue
    for passage in passages:
        spans = [
            (a, b)
            for a, b in sentence_spans(passage.text)
            if len(words(passage.text[a:b])) >= MIN_PIVOT_WORDS
        ] or [(0, len(passage.text))]
        cued = [(a, b, cue_of(passage.text[a:b])) for a, b in spans]
        cued = [item for item in cued if item[2]]

        def shared(span: tuple[int, int], text: str = passage.text) -> int:
            return len(statement_stems & {stem(w) for w in words(text[span[0] : span[1]])})

        by_words = sorted(spans, key=lambda s: -shared(s))
        chosen = sorted(cued, key=lambda c: -shared((c[0], c[1])))[:PIVOTS_PER_PASSAGE]
        if not chosen:  # no commitment language: the sentence sharing most words
            chosen = [(*by_words[0], "")]
        options += [(passage.chunk_id, a, b, cue) for a, b, cue in chosen]
    if not options:
        return {}
    texts = {cid: p.text for cid, p in ((p.chunk_id, p) for p in passages)}
    sentences = [texts[c][a:b] for c, a, b, _ in options]
    # Small batches: the embedded runtime encodes a few texts on one thread, which on two
    # busy cores was 5x faster here than its thread pool on forty (0.35 s against 1.9 s
    # for ten sentences, load average 8).
    sentence_vectors = np.concatenate(
        [
            embedder.embed_documents(sentences[i : i + EMBED_BATCH])
            for i in range(0, len(sentences), EMBED_BATCH)
        ]
    )
    statement_vectors = np.stack([embedder.embed_query(s) for s in statement])
    similarities = (sentence_vectors @ statement_vectors.T).max(axis=1)
    best: dict[str, Pivot] = {}
    for (cid, a, b, cue), sim in zip(options, similarities, strict=True):
        pivot = Pivot(a, b, cue, float(sim))
        current = best.get(cid)
        if current is None or _pivot_score(pivot) > _pivot_score(current):
            best[cid] = pivot
    return best


def _pivot_score(pivot: Pivot) -> float:
    return WEIGHTS["similarity"] * pivot.similarity + WEIGHTS["cue"] * cue_weight(pivot.cue)


def spread_by_year(candidates: Sequence[Candidate], limit: int) -> list[Candidate]:
    """The best candidate of each year, then the second best of each, oldest year first."""
    by_year: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in sorted(candidates, key=lambda c: -(c.similarity or 0.0)):
        by_year[candidate.passage.date.year].append(candidate)
    picked: list[Candidate] = []
    depth = 0
    while len(picked) < limit and any(len(group) > depth for group in by_year.values()):
        layer = [by_year[year][depth] for year in sorted(by_year) if len(by_year[year]) > depth]
        picked.extend(layer[: limit - len(picked)])
        depth += 1
    return picked
