"""Fusion by entry: an entry's second passage in a ranking adds part of a vote
(search.entry_support), on rankings by hand and through a real index."""

from __future__ import annotations

from pathlib import Path

from index.records import Passage
from index.search import fuse_rankings
from tests.conftest import AppFactory, passage, write


def ids(hits: list[Passage]) -> list[str]:
    return [hit.chunk_id for hit in hits]


def test_a_second_passage_lifts_its_entry_above_a_passing_mention() -> None:
    # "story" is told over two passages, second and third in both rankings; "mention" is
    # first in both with a single passage.
    ranking = [passage("mention-1"), passage("story-1"), passage("story-2"), passage("x-1")]
    alone = fuse_rankings([ranking, ranking], rrf_k=3)
    assert ids(alone)[:2] == ["mention-1", "story-1"]
    backed = fuse_rankings([ranking, ranking], rrf_k=3, support=1.0)
    assert ids(backed)[:2] == ["story-1", "mention-1"]  # 2 x (1/5 + 1/6) > 2 x 1/4
    # Half a vote: 2 x (1/5 + 0.5/6) = 0.567 > 0.5, still ahead, by less.
    half = fuse_rankings([ranking, ranking], rrf_k=3, support=0.5)
    assert ids(half)[:2] == ["story-1", "mention-1"]
    assert half[0].score < backed[0].score
    # The second passage keeps its own score (2 x 1/6), not its entry's.
    assert next(h for h in half if h.chunk_id == "story-2").score == 2 / 6


def test_only_the_second_passage_counts_and_never_twice() -> None:
    ranking = [passage("a-1"), passage("a-2"), passage("a-3"), passage("a-2")]
    (best, *_rest) = fuse_rankings([ranking], rrf_k=3, support=0.5)
    assert best.chunk_id == "a-1"
    assert best.score == 1 / 4 + 0.5 / 5  # the third passage and the repeat add nothing


def test_search_uses_the_setting(make_app: AppFactory, archive: Path) -> None:
    story = " ".join(["The heron stood in the river by the old mill, grey and still."] * 6)
    write(archive, "journal.md", f"## 2014-03-02\n\n{story}\n\n## 2015-06-01\n\nA heron.\n")
    scores = {}
    for support in ("0", "1"):
        app = make_app(index__chunk_tokens="40", search__entry_support=support)
        app.sync()
        hits = app.searcher().search("heron river mill", k=4, mode="text")
        assert len({hit.chunk_id for hit in hits if hit.date.year == 2014}) >= 2
        fused = app.searcher().search("heron river mill", k=4, mode="hybrid")
        scores[support] = max(hit.score for hit in fused if hit.date.year == 2014)
    assert scores["1"] > scores["0"]
