"""A consensus of several UMAP layouts: the groups of entries that the layouts agree on.

Why: on a few hundred entries one UMAP layout is one draw of a chaotic optimisation. The
sample archive's planted themes, clustered from single layouts with 24 different seeds,
are recovered 6 to 9 times out of 10 (BENCHMARKS.md, "Themes"); which draw a user gets
depends on the seed and on noise in the 7th decimal of the vectors. Clustering each of
several layouts and keeping what they agree on removes most of that luck. It is the
evidence-accumulation method of Fred and Jain (2005):

1. each layout (UMAP with its own seed, then HDBSCAN) labels every entry;
2. the **co-association** of two entries is the share of layouts in which they share a
   theme (an outlier shares a theme with nobody);
3. average-linkage clustering on ``1 - co-association``, cut where two groups share a
   theme in fewer than ``agreement`` of the layouts on average; groups smaller than the
   archive's minimum theme size are outliers.

Average linkage rather than HDBSCAN on the co-association: measured on the sample, HDBSCAN
on these few distinct distances (multiples of ``1/layouts``) recovered fewer planted themes
and peaks. Memory grows with the square of the entries, hence ``CONSENSUS_MAX_ENTRIES``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Labels = npt.NDArray[np.int64]

# Above this many entries one layout is used: the co-association matrix (4 bytes a pair)
# and average linkage's condensed distances (8 bytes a pair, halved) take 0.3 GB at 6,000
# entries and grow with the square; and every layout costs as much as the single one did.
CONSENSUS_MAX_ENTRIES = 6_000


def layout_seeds(seed: int, layouts: int) -> list[int]:
    """``layouts`` UMAP seeds derived from ``seed``: the first is ``seed`` itself (one layout
    is exactly the single-layout method), the others independent draws from it."""
    if layouts <= 1:
        return [seed]
    derived = np.random.SeedSequence(seed).generate_state(layouts - 1)
    return [seed, *(int(value) % 2**31 for value in derived)]


def coassociation(label_sets: Sequence[Labels]) -> npt.NDArray[np.float32]:
    """The share of the label sets in which each pair of entries shares a cluster (outliers,
    label -1, share one with nobody; an entry with itself: the share in which it is placed)."""
    count = len(label_sets[0])
    together = np.zeros((count, count), dtype=np.float32)
    for labels in label_sets:
        placed = labels >= 0
        same = (labels[:, None] == labels[None, :]) & placed[:, None]
        together += same
    together /= len(label_sets)
    return together


def consensus_labels(together: npt.NDArray[np.float32], min_size: int, agreement: float) -> Labels:
    """Clusters of entries that share a theme in at least ``agreement`` of the layouts, on
    average between every two members of merged groups (average linkage); clusters smaller
    than ``min_size`` become outliers (-1). Deterministic: ties are broken by entry order."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    count = len(together)
    if count < 2:
        return np.full(count, -1, dtype=np.int64)
    # Rounded: shares are multiples of 1/layouts, and float32's rounding of them must not
    # decide whether an average of exactly ``agreement`` is in (it is: the cut is "<=").
    condensed = squareform(together, checks=False).astype(np.float64)
    np.subtract(1.0, condensed, out=condensed)  # in place: at 6,000 entries each copy is 0.14 GB
    np.round(condensed, 6, out=condensed)
    tree = linkage(condensed, method="average")
    groups = fcluster(tree, t=1.0 - agreement + 1e-9, criterion="distance")
    sizes = Counter(int(group) for group in groups)
    return np.asarray(
        [int(group) if sizes[int(group)] >= min_size else -1 for group in groups], dtype=np.int64
    )
