"""Measuring critiques: does a critique of a later statement cite the earlier passage?

The sample archive plants contradictions and broken vows (sample/ground_truth.json,
"contradictions": each an ``earlier`` and a ``later`` passage with path, date and quote).
For each, the later quote is critiqued as of its date, its own entry left out, and two
things are checked separately:

- **candidate recall**: the earlier passage is among the candidates the model is asked to
  judge (retrieval and the model-free ranking alone);
- **citation recall**: the earlier passage is among the finished critique's citations
  (after the model's judgement and the citation checks).

A citation matches when it is in the earlier passage's file and dated its date, or when
its span holds the earlier quote. ``bench/eval_critique.py`` and tests/test_critique_eval.py
both call ``evaluate_critique``; a held-out archive with the same JSON is measured the same way.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from index.answer import Citation
from index.critique import Critic, Critique
from index.store import Store


@dataclass(frozen=True)
class Side:
    path: str
    date: dt.date
    quote: str


@dataclass(frozen=True)
class Planted:
    id: str
    kind: str
    earlier: Side
    later: Side


@dataclass(frozen=True)
class CaseResult:
    id: str
    kind: str
    candidate_rank: int | None  # 1-based rank of the earlier passage among the judged
    cited: bool
    verdict: str  # the model's verdict on the earlier passage, if it was judged
    ms: float


@dataclass(frozen=True)
class CritiqueEval:
    model: str
    cases: tuple[CaseResult, ...]

    @property
    def candidate_recall(self) -> float:
        return _share(c.candidate_rank is not None for c in self.cases)

    @property
    def citation_recall(self) -> float:
        return _share(c.cited for c in self.cases)

    def as_json(self) -> dict[str, Any]:
        times = sorted(c.ms for c in self.cases)
        return {
            "model": self.model,
            "cases": len(self.cases),
            "candidate_recall": round(self.candidate_recall, 3),
            "citation_recall": round(self.citation_recall, 3),
            "median_ms": round(times[len(times) // 2], 1) if times else None,
            "results": [
                {
                    "id": c.id,
                    "kind": c.kind,
                    "candidate_rank": c.candidate_rank,
                    "cited": c.cited,
                    "verdict": c.verdict,
                    "ms": round(c.ms, 1),
                }
                for c in self.cases
            ],
        }


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def _side(data: Mapping[str, Any]) -> Side:
    return Side(str(data["path"]), dt.date.fromisoformat(str(data["date"])), str(data["quote"]))


def planted(ground_truth: Mapping[str, Any]) -> list[Planted]:
    """The planted contradictions of a ground-truth file (its "contradictions" list)."""
    return [
        Planted(
            str(item["id"]), str(item.get("kind", "")), _side(item["earlier"]), _side(item["later"])
        )
        for item in ground_truth.get("contradictions", [])
    ]


def matches(citation: Citation, side: Side, source_text: str = "") -> bool:
    """Whether a citation points at ``side``'s passage: its file and date, or its words."""
    if citation.path == side.path and citation.date == side.date:
        return True
    if citation.path != side.path or not source_text:
        return False
    at = source_text.find(side.quote)
    return at >= 0 and citation.start < at + len(side.quote) and at < citation.end


def _later_entries(store: Store, side: Side) -> frozenset[tuple[str, int]]:
    """The entries (doc id, entry index) the later quote belongs to: left out of its own
    critique, as ``ponder critique --entry`` leaves out the entry it critiques."""
    documents = {d.path: d for d in store.documents()}
    document = documents.get(side.path)
    if document is None:
        return frozenset()
    at = document.source_text.find(side.quote)
    if at < 0:
        return frozenset()
    rows = store.chunks(("doc_id", "entry_index", "start", "end")).to_pylist()
    return frozenset(
        (row["doc_id"], row["entry_index"])
        for row in rows
        if row["doc_id"] == document.doc_id and row["start"] <= at < row["end"]
    )


def _cited(critique: Critique, side: Side, store: Store) -> bool:
    documents = {d.path: d for d in store.documents()}
    document = documents.get(side.path)
    record = store.document(document.doc_id) if document else None
    text = record.source_text if record else ""
    return any(matches(c, side, text) for c in critique.citations())


def evaluate_critique(critic: Critic, store: Store, cases: Sequence[Planted]) -> CritiqueEval:
    """Critique each planted case's later quote; see the module docstring for the checks."""
    results = []
    model = ""
    for case in cases:
        started = time.perf_counter()
        critique = critic.run(
            case.later.quote,
            as_of=case.later.date,
            exclude=_later_entries(store, case.later),
        )
        model = critique.model
        rank = next(
            (
                index
                for index, judged in enumerate(critique.judged, start=1)
                if judged.candidate.passage.path == case.earlier.path
                and judged.candidate.passage.date == case.earlier.date
            ),
            None,
        )
        verdict = critique.judged[rank - 1].verdict if rank else ""
        results.append(
            CaseResult(
                id=case.id,
                kind=case.kind,
                candidate_rank=rank,
                cited=_cited(critique, case.earlier, store),
                verdict=verdict,
                ms=(time.perf_counter() - started) * 1000,
            )
        )
    return CritiqueEval(model, tuple(results))
