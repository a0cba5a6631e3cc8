"""Themes: what the writer keeps returning to across the years, found in every entry.

The way BERTopic does it, on scikit-learn and umap-learn (BERTopic itself needs torch):

1. one vector per entry: the normalised mean of its passages' vectors, as the index holds
   them (no model runs), joined by the entry's words (TF-IDF reduced by LSA,
   ``clustering_vectors``); entries with too few content words are set aside first;
2. UMAP to a few dimensions (cosine, fixed ``random_state``: deterministic);
3. HDBSCAN density clustering; what belongs nowhere (label -1) is set aside as outliers.
   Steps 2-3 run on several layouts (seeds drawn from the one seed) and the themes are
   the groups of entries the layouts agree on (``index.theme_consensus``): one layout is
   one draw of a chaotic optimisation;
4. class-based TF-IDF keywords per cluster (``index.theme_words``);
5. per theme: its timeline normalised by how much was written in each period, first seen,
   peak, last seen, trend, and representative quotes (the entries nearest its centroid);
6. a name and a description from the chat model, one call per theme (``index.theme_names``).

Sizes scale with the archive, not with any one archive: ``min_cluster_size`` grows with the
square root of the number of entries (``cluster_size``), so a 150-entry archive finds
themes of 5-6 entries and a 3,000-entry one themes of 27 or more.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from config import ThemesSettings
from index.search import EntryScope
from index.store import Store
from index.theme_consensus import (
    CONSENSUS_MAX_ENTRIES,
    coassociation,
    consensus_labels,
    layout_seeds,
)
from index.theme_words import class_tfidf_keywords, content_words, lexical_vectors

Matrix = npt.NDArray[np.float32]
Trend = Literal["emerging", "fading", "steady", "recurring"]
Granularity = Literal["year", "month"]
Progress = Callable[[str], None]

# Entries with fewer content words than this say too little to be placed in a theme.
MIN_CONTENT_WORDS = 12
# The peak is the period whose share of the writing is highest *with confidence* (see
# ``peak_period``): each period's share is shrunk towards the theme's overall share by this
# many entries' worth of evidence, and then taken at the lower end of its uncertainty, this
# many standard deviations down (one-sided 95 %).
PEAK_PRIOR_ENTRIES = 4.0
PEAK_CONFIDENCE_Z = 1.645
# Trend thresholds (see ``trend``): how much the recent share must differ from the earlier.
TREND_RATIO = 1.6


class NotEnoughWriting(Exception):
    """Too few entries for themes to mean anything; ``hint`` says how many are needed."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Entry:
    """One dated entry of the archive, as themes see it."""

    key: str  # "<doc_id>#<entry_index>": stable across renames
    doc_id: str
    entry_index: int
    path: str
    date: dt.date
    title: str
    text: str  # the entry's passages' search text, for keywords
    fingerprint: str  # changes when any of its passages' text does
    chunk_texts: tuple[str, ...]  # the exact passages, for quotes
    chunk_vectors: Matrix = field(repr=False, compare=False)
    vector: Matrix = field(repr=False, compare=False)  # normalised mean of chunk_vectors


@dataclass(frozen=True)
class EntryRef:
    """An entry a theme holds (for drill-down: the ask pipeline can be scoped to these)."""

    doc_id: str
    entry_index: int
    path: str
    date: dt.date


@dataclass(frozen=True)
class Quote:
    path: str
    date: dt.date
    text: str  # a passage of the entry, exactly as written
    doc_id: str = ""
    entry_index: int = 0


@dataclass(frozen=True)
class Theme:
    id: int
    name: str
    description: str
    keywords: tuple[str, ...]
    entries: tuple[EntryRef, ...]
    share: float  # of the archive's (or the period's) placed entries
    timeline: tuple[tuple[str, float], ...]  # period -> share of that period's entries
    counts: tuple[tuple[str, int], ...]  # period -> this theme's entries then
    first_seen: dt.date
    peak: str
    last_seen: dt.date
    trend: Trend
    quotes: tuple[Quote, ...]
    named_by: str = "keywords"  # "keywords" or the chat model's id

    @property
    def size(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class Freshness:
    """How current the themes are."""

    computed_at: dt.datetime  # the last full discovery
    updated_at: dt.datetime  # the last change, full or incremental
    how: Literal["computed", "updated", "cached"]
    entries: int  # entries the themes reflect
    assigned_since: int  # entries placed into existing themes since the full discovery
    changed_since: int = 0  # entries changed in the index since (when only peeking)


@dataclass(frozen=True)
class ThemeReport:
    themes: tuple[Theme, ...]
    entries: int  # entries considered (after the date filter)
    outliers: int  # entries that belong to no theme
    set_aside: int  # entries too short to place
    granularity: Granularity
    periods: tuple[tuple[str, int], ...]  # every period with its entry count
    freshness: Freshness
    since: dt.date | None = None
    until: dt.date | None = None
    seconds: float = 0.0
    message: str = ""  # set when there are no themes, saying why
    entry_dates: tuple[dt.date, ...] = ()  # of every entry considered, for comparisons

    def find(self, name: str) -> Theme | None:
        """A theme by its number in the list (from 1), its name, the start of its name, or
        one of its keywords (case-insensitive)."""
        wanted = name.strip().lower()
        if wanted.isdigit() and 1 <= int(wanted) <= len(self.themes):
            return self.themes[int(wanted) - 1]
        for theme in self.themes:
            if wanted == theme.name.lower():
                return theme
        for theme in self.themes:
            if theme.name.lower().startswith(wanted) or wanted in theme.keywords:
                return theme
        return None


# -- entries ---------------------------------------------------------------------------

_CHUNK_COLUMNS = (
    *("doc_id", "path", "entry_index", "entry_title", "date", "start"),
    *("text", "search_text", "text_hash", "vector"),
)


def load_entries(
    store: Store, since: dt.date | None = None, until: dt.date | None = None
) -> list[Entry]:
    """Every entry of the index (within the dates), in a fixed order: date, document, index."""
    if store.chunk_count() == 0:
        return []
    table = store.chunks(_CHUNK_COLUMNS)
    columns = {name: table.column(name).to_pylist() for name in _CHUNK_COLUMNS if name != "vector"}
    vectors = np.asarray(
        table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False),
        dtype=np.float32,
    ).reshape(table.num_rows, -1)
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for row, (doc_id, index) in enumerate(
        zip(columns["doc_id"], columns["entry_index"], strict=True)
    ):
        groups[(doc_id, int(index))].append(row)
    entries = []
    for (doc_id, index), rows in groups.items():
        rows.sort(key=lambda r: int(columns["start"][r]))
        date = min(columns["date"][r] for r in rows)
        if (since and date < since) or (until and date > until):
            continue
        chunk_vectors = vectors[rows]
        mean = chunk_vectors.mean(axis=0)
        norm = float(np.linalg.norm(mean)) or 1.0
        hashes = "\0".join(str(columns["text_hash"][r]) for r in rows)
        entries.append(
            Entry(
                key=f"{doc_id}#{index}",
                doc_id=doc_id,
                entry_index=index,
                path=columns["path"][rows[0]],
                date=date,
                title=columns["entry_title"][rows[0]] or "",
                text="\n".join(columns["search_text"][r] or "" for r in rows),
                fingerprint=hashlib.sha1(hashes.encode()).hexdigest()[:16],
                chunk_texts=tuple(columns["text"][r] for r in rows),
                chunk_vectors=chunk_vectors,
                vector=(mean / norm).astype(np.float32),
            )
        )
    entries.sort(key=lambda e: (e.date, e.doc_id, e.entry_index))
    return entries


def placeable(entry: Entry) -> bool:
    """Whether an entry says enough, beyond boilerplate, to be placed in a theme."""
    found = 0
    for start in range(0, len(entry.text), _PLACEABLE_SLICE):  # most entries: one slice
        # Slices cut a word or two at their edges: a few missed words, never a false one.
        found += len(content_words(entry.text[start : start + _PLACEABLE_SLICE]))
        if found >= MIN_CONTENT_WORDS:
            return True
    return False


_PLACEABLE_SLICE = 1500


# -- clustering ------------------------------------------------------------------------


def clustering_vectors(entries: Sequence[Entry], settings: ThemesSettings) -> Matrix:
    """What entries are clustered on: their embedding, and with ``lexical_weight`` their
    words (``theme_words.lexical_vectors``), each part of unit length, the whole
    renormalised so cosine similarity weighs them as set.

    An entry's embedding is the mean of its passages': a diary day about the garden, the
    news and a heatwave sits between all three, and the words it shares with other entries
    about heatwaves are what tie it to them. Measured on the sample over UMAP seeds 0-23
    (BENCHMARKS.md, themes): planted themes recovered 8.88 -> 9.96 of 10 on average,
    peak years right 0.729 -> 0.839. Entries joining between discoveries are placed in
    the same space (``assign``), its words refitted over every entry (seconds, against a
    discovery's UMAP layouts).
    """
    dense = np.stack([e.vector for e in entries]).astype(np.float32)
    if settings.lexical_weight <= 0:
        return dense
    words = lexical_vectors([e.text for e in entries], settings.lexical_dimensions)
    if words is None:
        return dense
    words = _fill_missing_words(dense, words)
    if words is None:
        return dense
    joined = np.hstack([dense, settings.lexical_weight * words])
    return np.asarray(joined / np.linalg.norm(joined, axis=1, keepdims=True), dtype=np.float32)


# Entries with no word shared with another get their word part from this many nearest.
WORD_NEIGHBOURS = 5


def _fill_missing_words(dense: Matrix, words: Matrix) -> Matrix | None:
    """``words`` with each empty row (a text that shares no word with the others) replaced
    by the normalised mean of its ``WORD_NEIGHBOURS`` nearest entries' rows by embedding;
    None when most rows are empty (a script without spaces, say: the words say nothing).

    An empty word part would otherwise make such entries nearer each other than entries
    whose words merely differ: under cosine similarity, only their embeddings would count.
    """
    empty = np.linalg.norm(words, axis=1) == 0
    if not empty.any():
        return words
    if empty.mean() > 0.5:
        return None
    full = np.flatnonzero(~empty)
    similarity = dense[empty] @ dense[full].T
    nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :WORD_NEIGHBOURS]
    borrowed = words[full][nearest].mean(axis=1)
    norms = np.linalg.norm(borrowed, axis=1, keepdims=True)
    filled = words.copy()
    filled[empty] = borrowed / np.where(norms > 0, norms, 1.0)
    return filled


def cluster_size(entries: int, settings: ThemesSettings) -> int:
    """HDBSCAN's min_cluster_size for an archive of ``entries``: grows with its square root."""
    if settings.min_cluster_size is not None:
        return settings.min_cluster_size
    return max(5, round(math.sqrt(entries) / 2))


def cluster(vectors: Matrix, settings: ThemesSettings) -> npt.NDArray[np.int64]:
    """One label per vector (-1: an outlier), from UMAP then HDBSCAN. Deterministic.

    With ``settings.consensus_layouts`` above one (and at most ``CONSENSUS_MAX_ENTRIES``
    vectors), that many UMAP layouts with seeds drawn from ``settings.seed`` are clustered
    each, and the labels are their consensus (``index.theme_consensus``).

    Raises:
        NotEnoughWriting: too few vectors for the method.
    """
    count = len(vectors)
    if count < settings.min_entries:
        raise NotEnoughWriting(
            f"not enough writing yet for themes: {count} entries with enough words "
            f"(themes need at least {settings.min_entries})",
            hint="Themes appear once the archive holds more dated entries; "
            "`ponder ingest` indexes new writing.",
        )
    neighbours = min(settings.umap_neighbors, count - 1)
    knn: tuple[Any, ...] = (None, None, None)
    if count <= EXACT_NEIGHBOURS_MAX:  # found once, shared by every layout
        knn = exact_neighbours(vectors, neighbours)
    size = cluster_size(count, settings)
    layouts = settings.consensus_layouts if count <= CONSENSUS_MAX_ENTRIES else 1
    if layouts <= 1:
        return density_clusters(layout(vectors, settings, settings.seed, knn), size, settings)
    label_sets = [
        density_clusters(
            layout(vectors, settings, seed, knn, settings.consensus_epochs), size, settings
        )
        for seed in layout_seeds(settings.seed, layouts)
    ]
    return consensus_labels(coassociation(label_sets), size, settings.consensus_agreement)


def layout(
    vectors: Matrix,
    settings: ThemesSettings,
    seed: int,
    knn: tuple[Any, ...],
    epochs: int | None = None,
) -> Matrix:
    """The vectors reduced by UMAP to a few dimensions (cosine; ``seed`` fixes the layout).
    ``epochs``: the optimisation's length, default ``settings.umap_epochs``."""
    import umap  # imported here: numba compiles on first use, which only themes pay for

    count = len(vectors)
    reducer = umap.UMAP(
        n_neighbors=min(settings.umap_neighbors, count - 1),
        n_components=min(settings.umap_components, count - 2),
        min_dist=0.0,
        metric="cosine",
        random_state=seed,
        low_memory=True,
        n_jobs=1,  # what a fixed random_state implies anyway (UMAP warns otherwise)
        n_epochs=epochs or settings.umap_epochs,
        precomputed_knn=knn,
    )
    with warnings.catch_warnings():  # "no search index": ponder never transforms new data
        warnings.simplefilter("ignore", UserWarning)
        reduced: Matrix = reducer.fit_transform(vectors.astype(np.float32))
    return reduced


def density_clusters(reduced: Matrix, size: int, settings: ThemesSettings) -> npt.NDArray[np.int64]:
    """HDBSCAN's labels of a layout (-1: an outlier), themes of at least ``size`` entries."""
    from sklearn.cluster import HDBSCAN

    clusterer = HDBSCAN(
        min_cluster_size=size,
        min_samples=max(2, size // 2),
        metric="euclidean",
        cluster_selection_method=settings.cluster_selection,
        copy=True,
    )
    labels: npt.NDArray[np.int64] = np.asarray(clusterer.fit_predict(reduced), dtype=np.int64)
    return labels


# Up to this many entries the nearest neighbours are found exactly, by matrix products (0.2 s
# for 3,000 entries), rather than by UMAP's approximate NN-descent (20 s there on two loaded
# cores, plus its numba compilation in every new process). Above it, NN-descent.
EXACT_NEIGHBOURS_MAX = 20_000
_BLOCK = 1024


def exact_neighbours(
    vectors: Matrix, k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Each vector's ``k`` nearest (itself first) by cosine distance, as UMAP wants them."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    indices = np.empty((len(unit), k), dtype=np.int64)
    distances = np.empty((len(unit), k), dtype=np.float32)
    for start in range(0, len(unit), _BLOCK):
        block = unit[start : start + _BLOCK] @ unit.T
        rows = np.arange(len(block))
        block[rows, rows + start] = 2.0  # itself first, whatever rounding says
        order = np.argsort(-block, axis=1, kind="stable")[:, :k]
        indices[start : start + len(block)] = order
        nearest = np.take_along_axis(block, order, axis=1)
        nearest[:, 0] = 1.0
        distances[start : start + len(block)] = np.clip(1.0 - nearest, 0.0, 2.0)
    return indices, distances


def canonical(labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Labels renumbered by cluster size (largest first), then first member: stable ids."""
    sizes = Counter(int(label) for label in labels if label >= 0)
    first: dict[int, int] = {}
    for position, label in enumerate(labels):
        first.setdefault(int(label), position)
    order = sorted(sizes, key=lambda lab: (-sizes[lab], first[lab]))
    mapping = {old: new for new, old in enumerate(order)}
    return np.asarray([mapping.get(int(label), -1) for label in labels], dtype=np.int64)


def centroid(vectors: Matrix) -> Matrix:
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean)) or 1.0
    result: Matrix = (mean / norm).astype(np.float32)
    return result


# -- a theme's shape over time -----------------------------------------------------------


def granularity(entries: Sequence[Entry]) -> Granularity:
    """Years, unless the writing spans fewer than three calendar years: then months."""
    years = {e.date.year for e in entries}
    return "year" if len(years) >= 3 else "month"


def period_of(date: dt.date, by: Granularity) -> str:
    return f"{date.year:04d}" if by == "year" else f"{date.year:04d}-{date.month:02d}"


def all_periods(entries: Sequence[Entry], by: Granularity) -> list[str]:
    """Every period from the first entry's to the last's, the empty ones included."""
    if not entries:
        return []
    first, last = entries[0].date, entries[-1].date
    if by == "year":
        return [f"{y:04d}" for y in range(first.year, last.year + 1)]
    periods = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods


def peak_period(counts: dict[str, int], totals: dict[str, int], overall_share: float) -> str:
    """The period where the theme took the largest share of the writing, with confidence.

    A period's share ``k / n`` (``k`` of its ``n`` entries on the theme) is estimated as
    ``m = (k + a*p) / (n + a)``: shrunk towards the theme's overall share ``p`` by
    ``a = PEAK_PRIOR_ENTRIES`` entries' worth of evidence (a Beta prior's posterior mean).
    The peak is the period with the highest lower bound ``m - z * sqrt(m(1-m) / (n+a+1))``
    (the posterior's standard deviation, ``z = PEAK_CONFIDENCE_Z``), so a period wins by
    having a higher share *and enough entries to show it*:

    - one entry on the theme in a year of one or two is not a peak over three of ten;
    - 5 of 16 entries is a peak over 4 of 12 (31 % against 33 % is one entry's noise, and
      the 16 entries say more): the sample's father theme, planted with its most entries in
      2016, would peak in 2017 by the bare share of its own planted entries;
    - but a clearly higher share still wins over more entries: 10 of 30 over 40 of 300,
      because the timeline is normalised by how much was written then.
    """
    a, p = PEAK_PRIOR_ENTRIES, overall_share
    best, best_bound = "", -math.inf
    for period, total in totals.items():
        if total == 0:
            continue
        shrunk = (counts.get(period, 0) + a * p) / (total + a)
        spread = math.sqrt(max(shrunk * (1.0 - shrunk), 0.0) / (total + a + 1.0))
        bound = shrunk - PEAK_CONFIDENCE_Z * spread
        if bound > best_bound + 1e-12:
            best, best_bound = period, bound
    return best


def trend(counts: Sequence[int], totals: Sequence[int]) -> Trend:
    """How a theme moves over the archive's periods (oldest first).

    - ``emerging``: its share of the most recent third of the periods is at least
      ``TREND_RATIO`` times its share of the earlier two thirds;
    - ``fading``: its share of the earlier periods is at least ``TREND_RATIO`` times its
      recent share;
    - ``recurring``: neither, and it comes and goes: its periods with entries form two or
      more runs separated by at least one period of writing without it;
    - ``steady``: neither, present without such gaps.
    """
    written = [(k, n) for k, n in zip(counts, totals, strict=True) if n > 0]
    if not written:
        return "steady"
    recent_len = max(1, len(written) // 3)
    earlier, recent = written[:-recent_len], written[-recent_len:]
    recent_share = sum(k for k, _ in recent) / sum(n for _, n in recent)
    if not earlier:
        return "steady"
    earlier_share = sum(k for k, _ in earlier) / sum(n for _, n in earlier)
    if recent_share >= TREND_RATIO * earlier_share and recent_share > 0:
        return "emerging"
    if earlier_share >= TREND_RATIO * recent_share and earlier_share > 0:
        return "fading"
    present = [k > 0 for k, _ in written]
    first = present.index(True) if True in present else 0
    last = len(present) - 1 - present[::-1].index(True) if True in present else 0
    runs, inside = 0, False
    for flag in present[first : last + 1]:
        if flag and not inside:
            runs += 1
        inside = flag
    return "recurring" if runs >= 2 else "steady"


# -- building themes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A theme before its timeline: members, keywords, centroid and (maybe) a name."""

    id: int
    members: tuple[str, ...]  # entry keys
    keywords: tuple[str, ...]
    centroid: tuple[float, ...]
    name: str = ""
    description: str = ""
    named_by: str = "keywords"


def drafts_from_labels(
    entries: Sequence[Entry], labels: npt.NDArray[np.int64], settings: ThemesSettings
) -> list[Draft]:
    """Keywords and centroid of every cluster."""
    ids = sorted({int(label) for label in labels if label >= 0})
    texts = [
        "\n".join(e.text for e, label in zip(entries, labels, strict=True) if label == theme)
        for theme in ids
    ]
    outliers = "\n".join(e.text for e, label in zip(entries, labels, strict=True) if label < 0)
    keywords = class_tfidf_keywords([*texts, outliers], settings.keywords)
    drafts = []
    for position, theme in enumerate(ids):
        members = [e for e, label in zip(entries, labels, strict=True) if label == theme]
        matrix = np.stack([e.vector for e in members])
        center = centroid(matrix)
        words = tuple(word for word, _ in keywords[position])
        if not words:
            continue  # nothing but boilerplate in common: not a theme
        drafts.append(
            Draft(
                id=theme,
                members=tuple(e.key for e in members),
                keywords=words,
                centroid=tuple(float(x) for x in center),
            )
        )
    return drafts


NEIGHBOURS = 5  # entries that vote on where a new entry belongs
MIN_VOTES = 2  # of them that must share a theme for the new entry to join it


def assign(
    entry: Entry,
    known: Sequence[Entry],
    labels: Sequence[int],
    space: Mapping[str, Matrix] | None = None,
) -> int:
    """The theme a new or changed entry joins, or -1: the theme at least ``MIN_VOTES`` of its
    ``NEIGHBOURS`` nearest entries (among those already placed; ``labels``, -1 for an
    outlier) belong to; ties go to the theme of the nearest. Close to HDBSCAN's own
    approximate prediction. A centroid alone would favour the members that made it, and a
    similarity floor would depend on how tight each theme happens to be.

    ``space``: each entry's vector by key in the space the themes were found in
    (``clustering_vectors``); without it, the embeddings.
    """
    if not known or not placeable(entry):
        return -1

    def vector(e: Entry) -> Matrix:
        return space[e.key] if space is not None else e.vector

    similarities = np.stack([vector(e) for e in known]) @ vector(entry)
    nearest = sorted(range(len(known)), key=lambda i: (-float(similarities[i]), known[i].key))
    votes = Counter(labels[i] for i in nearest[:NEIGHBOURS] if labels[i] >= 0)
    if not votes or max(votes.values()) < MIN_VOTES:
        return -1
    best = max(votes.values())
    return next(labels[i] for i in nearest[:NEIGHBOURS] if votes.get(labels[i]) == best)


def build_report(
    entries: Sequence[Entry],
    drafts: Sequence[Draft],
    freshness: Freshness,
    settings: ThemesSettings,
    *,
    set_aside: int,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> ThemeReport:
    """Themes with their timelines, trends and quotes, from drafts over ``entries``."""
    by = granularity(entries)
    periods = all_periods(entries, by)
    totals = Counter(period_of(e.date, by) for e in entries)
    period_totals = {p: totals.get(p, 0) for p in periods}
    by_key = {e.key: e for e in entries}
    themes = []
    placed = 0
    for draft in drafts:
        members = [by_key[k] for k in draft.members if k in by_key]
        if not members:
            continue
        placed += len(members)
        members.sort(key=lambda e: (e.date, e.doc_id, e.entry_index))
        counts = Counter(period_of(e.date, by) for e in members)
        share = len(members) / max(len(entries), 1)
        timeline = tuple(
            (p, round(counts.get(p, 0) / n, 4) if n else 0.0) for p, n in period_totals.items()
        )
        themes.append(
            Theme(
                id=draft.id,
                name=draft.name or keyword_name(draft.keywords),
                description=draft.description or keyword_description(draft.keywords, members, by),
                keywords=draft.keywords,
                entries=tuple(EntryRef(e.doc_id, e.entry_index, e.path, e.date) for e in members),
                share=round(share, 4),
                timeline=timeline,
                counts=tuple((p, counts.get(p, 0)) for p in periods),
                first_seen=members[0].date,
                peak=peak_period(counts, period_totals, share),
                last_seen=members[-1].date,
                trend=trend(
                    [counts.get(p, 0) for p in periods], [period_totals[p] for p in periods]
                ),
                quotes=quotes(members, np.asarray(draft.centroid, dtype=np.float32), settings),
                named_by=draft.named_by,
            )
        )
    themes.sort(key=lambda t: (-t.size, t.id))
    message = ""
    if not themes:
        message = (
            "no themes stand out yet: the entries do not gather into groups of at least "
            f"{cluster_size(len(entries), settings)} on one subject"
        )
    return ThemeReport(
        themes=tuple(themes),
        entries=len(entries),
        outliers=len(entries) - placed - set_aside,
        set_aside=set_aside,
        granularity=by,
        periods=tuple(period_totals.items()),
        freshness=freshness,
        since=since,
        until=until,
        message=message,
        entry_dates=tuple(e.date for e in entries),
    )


def quotes(members: Sequence[Entry], center: Matrix, settings: ThemesSettings) -> tuple[Quote, ...]:
    """The passages nearest the theme's centre, from distinct entries, nearest first."""
    ranked = sorted(
        members, key=lambda e: (-float(e.vector @ center), e.date, e.doc_id, e.entry_index)
    )
    chosen = []
    for entry in ranked[: settings.quotes]:
        similarities = entry.chunk_vectors @ center
        best = int(np.argmax(similarities))
        chosen.append(
            Quote(entry.path, entry.date, entry.chunk_texts[best], entry.doc_id, entry.entry_index)
        )
    return tuple(chosen)


def keyword_name(keywords: Sequence[str]) -> str:
    """A name from the first keywords, when no model names the theme."""
    words = [w for w in keywords if " " not in w][:3] or list(keywords[:2])
    if not words:
        return "Untitled theme"
    return ", ".join([words[0].capitalize(), *words[1:]])


def keyword_description(keywords: Sequence[str], members: Sequence[Entry], by: Granularity) -> str:
    words = list(keywords[:4])
    said = ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]
    first, last = members[0].date, members[-1].date
    span = f"from {first.year} to {last.year}" if first.year != last.year else f"in {first.year}"
    return f"You keep coming back to {said}: {len(members)} entries {span}."


# -- comparing a period with the rest ----------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """How much more (or less) of a theme there was in a period than in the rest."""

    theme: Theme
    in_period: int  # the theme's entries in the period
    share_in_period: float
    share_elsewhere: float
    lift: float  # share_in_period / share_elsewhere (inf when absent elsewhere)


@dataclass(frozen=True)
class Comparison:
    period: str
    since: dt.date
    until: dt.date
    entries_in_period: int
    entries_elsewhere: int
    over: tuple[Difference, ...]  # more than usual, most over first
    under: tuple[Difference, ...]  # less than usual, most under first


def compare(
    report: ThemeReport, label: str, since: dt.date, until: dt.date, ratio: float = 1.5
) -> Comparison:
    """Themes over- and under-represented between ``since`` and ``until`` against the rest.

    Over: the theme's share of the period's entries is at least ``ratio`` times its share of
    the other entries, with at least two entries in the period. Under: its share elsewhere
    is at least ``ratio`` times its share in the period (absent counts), with at least two
    entries elsewhere. Shares are of all entries, placed or not.
    """
    dates = report.entry_dates
    inside_total = sum(1 for d in dates if since <= d <= until)
    outside_total = len(dates) - inside_total
    over, under = [], []
    for theme in report.themes:
        inside = sum(1 for e in theme.entries if since <= e.date <= until)
        outside = theme.size - inside
        share_in = inside / inside_total if inside_total else 0.0
        share_out = outside / outside_total if outside_total else 0.0
        lift = share_in / share_out if share_out else math.inf if share_in else 1.0
        difference = Difference(theme, inside, round(share_in, 4), round(share_out, 4), lift)
        if inside >= 2 and share_in >= ratio * share_out:
            over.append(difference)
        elif outside >= 2 and share_out >= ratio * share_in:
            under.append(difference)
    over.sort(key=lambda d: (-d.lift, -d.in_period, d.theme.id))
    under.sort(key=lambda d: (d.lift, d.theme.id))
    return Comparison(label, since, until, inside_total, outside_total, tuple(over), tuple(under))


# -- JSON ------------------------------------------------------------------------------


def theme_json(theme: Theme) -> dict[str, Any]:
    return {
        "id": theme.id,
        "name": theme.name,
        "description": theme.description,
        "keywords": list(theme.keywords),
        "size": {"entries": theme.size, "share": theme.share},
        "timeline": dict(theme.timeline),
        "counts": dict(theme.counts),
        "first_seen": theme.first_seen.isoformat(),
        "peak": theme.peak,
        "last_seen": theme.last_seen.isoformat(),
        "trend": theme.trend,
        "quotes": [
            {"path": q.path, "date": q.date.isoformat(), "text": q.text} for q in theme.quotes
        ],
        "named_by": theme.named_by,
        "entries": [{"path": e.path, "date": e.date.isoformat()} for e in theme.entries],
    }


def report_json(report: ThemeReport) -> dict[str, Any]:
    fresh = report.freshness
    return {
        "themes": [theme_json(t) for t in report.themes],
        "entries": report.entries,
        "outliers": report.outliers,
        "set_aside": report.set_aside,
        "granularity": report.granularity,
        "periods": dict(report.periods),  # every period's entry count: the timelines' base
        "since": report.since.isoformat() if report.since else None,
        "until": report.until.isoformat() if report.until else None,
        "message": report.message,
        "freshness": {
            "computed_at": fresh.computed_at.isoformat(),
            "updated_at": fresh.updated_at.isoformat(),
            "how": fresh.how,
            "entries": fresh.entries,
            "assigned_since": fresh.assigned_since,
            "changed_since": fresh.changed_since,
        },
        "seconds": round(report.seconds, 3),
    }


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    def row(d: Difference) -> dict[str, Any]:
        return {
            "name": d.theme.name,
            "entries_in_period": d.in_period,
            "share_in_period": d.share_in_period,
            "share_elsewhere": d.share_elsewhere,
            "lift": None if math.isinf(d.lift) else round(d.lift, 2),
        }

    return {
        "period": comparison.period,
        "since": comparison.since.isoformat(),
        "until": comparison.until.isoformat(),
        "entries_in_period": comparison.entries_in_period,
        "entries_elsewhere": comparison.entries_elsewhere,
        "over": [row(d) for d in comparison.over],
        "under": [row(d) for d in comparison.under],
    }


def theme_scope(theme: Theme) -> EntryScope:
    """The theme's entries as a search scope: the chat, asked within the theme."""
    return EntryScope(
        tuple((e.doc_id, e.entry_index) for e in theme.entries),
        label=f"the theme “{theme.name}” ({theme.size} entries)",
    )
