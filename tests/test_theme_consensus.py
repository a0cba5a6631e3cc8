"""The consensus of several UMAP layouts: co-association, its clustering, and the real
pipeline (UMAP, HDBSCAN, consensus) on small synthetic groups of vectors."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from config import ThemesSettings
from index import themes
from index.theme_consensus import coassociation, consensus_labels, layout_seeds
from index.themes import canonical, cluster


def labels(*values: int) -> npt.NDArray[np.int64]:
    return np.asarray(values, dtype=np.int64)


def test_coassociation_is_the_share_of_layouts_that_put_two_entries_together() -> None:
    together = coassociation([labels(0, 0, 1, -1), labels(3, 3, 3, -1)])
    assert together[0, 1] == 1.0  # together in both
    assert together[0, 2] == 0.5  # in the second only (label numbers do not matter)
    assert together[3, 3] == 0.0  # an outlier shares a theme with nobody, not even itself
    assert np.array_equal(together, together.T)


def test_consensus_keeps_groups_most_layouts_agree_on_and_drops_small_ones() -> None:
    # Entries 0-3 share a cluster in every layout, 4-6 in 3 of 4 (and 6 with 0-3 in one),
    # 7-8 in all but are too few, 9 nowhere.
    sets = [
        labels(0, 0, 0, 0, 1, 1, 1, 2, 2, -1),
        labels(0, 0, 0, 0, 1, 1, 1, 2, 2, -1),
        labels(0, 0, 0, 0, 1, 1, 1, 2, 2, -1),
        labels(0, 0, 0, 0, -1, 5, 0, 2, 2, -1),
    ]
    found = consensus_labels(coassociation(sets), min_size=3, agreement=0.5)
    assert len(set(found[:4])) == 1 and found[0] >= 0
    assert len(set(found[4:7])) == 1 and found[4] >= 0 and found[4] != found[0]
    assert list(found[7:]) == [-1, -1, -1]


def test_the_agreement_decides_what_merges() -> None:
    # Two groups that share a cluster in 2 of 5 layouts: one theme at 0.4, two above it.
    sets = [labels(0, 0, 0, 1, 1, 1)] * 3 + [labels(0, 0, 0, 0, 0, 0)] * 2
    together = coassociation(sets)
    assert len(set(consensus_labels(together, min_size=3, agreement=0.4))) == 1
    assert len(set(consensus_labels(together, min_size=3, agreement=0.5))) == 2


def test_layout_seeds_start_with_the_seed_and_are_reproducible() -> None:
    seeds = layout_seeds(42, 10)
    assert seeds[0] == 42 and len(set(seeds)) == 10
    assert seeds == layout_seeds(42, 10)
    assert layout_seeds(42, 3) == seeds[:3]
    assert layout_seeds(42, 1) == [42]
    assert layout_seeds(7, 10) != seeds


def groups_of_vectors(
    per_group: int = 30, groups: int = 3, dim: int = 48, spread: float = 0.35, seed: int = 0
) -> np.ndarray:
    """Unit vectors scattered around ``groups`` random directions (the entries' themes)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, dim))
    points = np.concatenate([c + spread * rng.normal(size=(per_group, dim)) for c in centres])
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_the_consensus_finds_the_groups_and_is_deterministic() -> None:
    vectors = groups_of_vectors()
    settings = ThemesSettings(consensus_layouts=5, consensus_epochs=50, cluster_selection="eom")
    found = cluster(vectors, settings)
    truth = np.repeat(np.arange(3), 30)
    for group in range(3):
        members = found[truth == group]
        assert (members == members[0]).mean() >= 0.9 and members[0] >= 0
    assert len({int(label) for label in found if label >= 0}) == 3
    assert np.array_equal(found, cluster(vectors, settings))  # same vectors and seed


def test_one_layout_is_the_single_layout_method() -> None:
    vectors = groups_of_vectors()
    single = cluster(vectors, ThemesSettings(consensus_layouts=1, cluster_selection="eom"))
    again = cluster(vectors, ThemesSettings(consensus_layouts=1, cluster_selection="eom"))
    assert np.array_equal(single, again)
    assert len({int(label) for label in single if label >= 0}) == 3


def test_above_the_consensus_limit_one_layout_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # Loose groups, on which one short layout and a consensus of three partition differently
    # (checked first, so that the fallback below is observable); the limit is lowered instead
    # of generating 6,000 entries.
    vectors = groups_of_vectors(dim=16, spread=0.8, seed=1)
    consensus = ThemesSettings(consensus_layouts=3, consensus_epochs=30, umap_epochs=30)
    single = canonical(cluster(vectors, consensus.model_copy(update={"consensus_layouts": 1})))
    assert not np.array_equal(canonical(cluster(vectors, consensus)), single)

    monkeypatch.setattr(themes, "CONSENSUS_MAX_ENTRIES", len(vectors))  # at the limit: consensus
    assert not np.array_equal(canonical(cluster(vectors, consensus)), single)
    monkeypatch.setattr(themes, "CONSENSUS_MAX_ENTRIES", len(vectors) - 1)  # above it: one layout
    assert np.array_equal(canonical(cluster(vectors, consensus)), single)
