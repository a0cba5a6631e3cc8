"""Themes on the sample archive with the real (embedded MiniLM) embedder, against its ground
truth: planted themes recovered and their peak years, matched as ``index.theme_eval`` says."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import load_settings
from index.theme_eval import recovery
from index.theme_runs import Themer
from index.themes import ThemeReport
from tests.conftest import REPO, SAMPLE_ARCHIVE
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
# What the sample measures today (BENCHMARKS.md, "Themes"); the targets are 0.9 and
# 0.8. The recall target is met; the peak rate is one theme short of it (see BENCHMARKS.md).
MIN_RECALL = 0.9
MIN_PEAK_RATE = 0.75


@pytest.fixture(scope="module")
def sample_themes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThemeReport]:
    """The sample ingested once with MiniLM, and its themes (no model naming)."""
    data = tmp_path_factory.mktemp("sample-minilm")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        app = Services(
            load_settings(
                environ={
                    "PONDER_ARCHIVE": str(SAMPLE_ARCHIVE),
                    "PONDER_DATA_DIR": str(data),
                    "PONDER_EMBEDDINGS__PROVIDER": "embedded",
                    "PONDER_LLM__PROVIDER": "fake",
                },
                config_file=data / "none.toml",
            )
        )
        app.sync()
        yield Themer(app.store, app.settings, Path(data)).themes(name=False)


def test_planted_themes_are_recovered_with_their_peaks(sample_themes: ThemeReport) -> None:
    result = recovery(sample_themes.themes, GROUND_TRUTH["themes"])
    summary = json.dumps(result.as_json(), indent=1)
    assert result.recall >= MIN_RECALL, summary
    assert result.peak_rate >= MIN_PEAK_RATE, summary


def test_no_theme_is_named_by_boilerplate(sample_themes: ThemeReport) -> None:
    boilerplate = {"dear", "love", "monday", "sunday", "january", "morning", "today", "posted"}
    for theme in sample_themes.themes:
        words = {w for k in theme.keywords for w in k.split()}
        assert not words & boilerplate, theme.keywords
        assert not any(ch.isdigit() for k in theme.keywords for ch in k)
