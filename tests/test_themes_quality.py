"""Themes on the sample archive with the real (embedded MiniLM) embedder, against its ground
truth: planted themes recovered and their peak years, matched as ``index.theme_eval`` says."""

from __future__ import annotations

import importlib.util
import json

import pytest

from index.theme_eval import recovery
from index.theme_runs import Themer
from index.themes import ThemeReport
from tests.conftest import REPO
from ui.services import Services

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("sentence_transformers") is None,
        reason="the embedded extra (sentence-transformers) is not installed",
    ),
]

GROUND_TRUTH = json.loads((REPO / "sample" / "ground_truth.json").read_text(encoding="utf-8"))
# What the sample measures today with the default runtime (BENCHMARKS.md, "Themes"): 9 of
# 10 planted themes (the 90 %; 10 of 10 measured) and 5 of 8 peak years (its target
# is 80 %, 7 of 8). Themes are a consensus of 10 UMAP layouts over the entries' embeddings
# and words. The default seed is one draw: over seeds 0-23 the method averages 9.96
# recovered and 0.839 of the peaks (embeddings alone: 8.88 and 0.729, but 6 of 8 on this
# seed). A floor, not a target.
MIN_RECALL = 0.9
MIN_PEAK_RATE = 0.625


@pytest.fixture(scope="module")
def sample_themes(embedded_sample: Services) -> ThemeReport:
    """The sample's themes, from its MiniLM index (no model naming)."""
    app = embedded_sample
    return Themer(app.store, app.settings, app.data_dir).themes(name=False)


def test_planted_themes_are_recovered_with_their_peaks(sample_themes: ThemeReport) -> None:
    result = recovery(sample_themes.themes, GROUND_TRUTH["themes"], sample_themes.periods)
    summary = json.dumps(result.as_json(), indent=1)
    assert result.recall >= MIN_RECALL, summary
    assert result.peak_rate >= MIN_PEAK_RATE, summary
    # The peak rule itself agrees with the ground truth: every planted theme's own entries
    # peak in its planted year (the rule is not where the misses come from).
    assert result.rule_peak_rate == 1.0, summary


def test_no_theme_is_named_by_boilerplate(sample_themes: ThemeReport) -> None:
    boilerplate = {"dear", "love", "monday", "sunday", "january", "morning", "today", "posted"}
    for theme in sample_themes.themes:
        words = {w for k in theme.keywords for w in k.split()}
        assert not words & boilerplate, theme.keywords
        assert not any(ch.isdigit() for k in theme.keywords for ch in k)
