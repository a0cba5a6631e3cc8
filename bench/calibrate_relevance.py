"""How often `ponder ask` finds something relevant, for answerable and unanswerable questions.

`ponder ask` calls the model only when a passage is relevant (``index.relevance``): it
covers the question's content words, or its similarity to the question reaches the
embedding model's threshold. A threshold too high answers "nothing in your writing matches"
while the answer is in the index; too low, questions the archive says nothing about reach
the model (which is told to say so). This prints, for thresholds around the model's, the
share of each question set that would count as found, from the same candidates ask gathers
(``index.passage_choice``), so a threshold can be chosen for a model nobody measured, such
as the one your Ollama serves (then set ``ask.min_similarity``).

    python bench/calibrate_relevance.py --archive A --data-dir D \
        --answerable sample/questions.json --unanswerable bench/unanswerable_questions.json

Question files are ``{"questions": [{"q": ...}, ...]}`` (gold items, if any, are ignored).
``bench/unanswerable_questions.json`` asks about things most archives never mention
(skydiving, a yacht, Kilimanjaro); check that yours does not before you trust the figures.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from config.loader import load_settings
from index.passage_choice import closeness
from index.relevance import covers, stems
from ui.services import Services

THRESHOLD_STEPS = (-0.1, -0.05, -0.02, 0.0, 0.02, 0.05, 0.1)


def best_scores(app: Services, questions: Sequence[str]) -> list[tuple[float, float, bool]]:
    """Per question: the best passage similarity, the best ``closeness`` (passage or its
    closest paragraph), and whether any candidate covers the query's content words."""
    chooser = app.passage_chooser()
    rows = []
    for question in questions:
        choice = chooser.choose(question)  # for how ask reads the question; then its pool
        found = app.searcher().gather(
            choice.scope.topic or question,
            words=choice.scope.topic if choice.query else "",
            pool=app.settings.search.candidates,
            dates=choice.scope.dates,
        )
        query_stems = stems(choice.query)
        passage_best = max(found.similarity.values(), default=-1.0)
        close_best = max(
            (closeness(found.similarity.get(p.chunk_id), p) or -1.0 for p in found.passages),
            default=-1.0,
        )
        covered = any(covers(query_stems, p.text) for p in found.passages)
        rows.append((passage_best, close_best, covered))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="an ingested data dir")
    parser.add_argument("--answerable", type=Path, action="append", default=[])
    parser.add_argument("--unanswerable", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    app = Services(load_settings({"archive.path": args.archive, "index.data_dir": args.data_dir}))
    base = app.passage_chooser().threshold()
    meta = app.store.meta()
    print(f"model {meta.embedding_model if meta else '?'}, threshold now {base:.2f}")
    sets = [(path, "answerable") for path in args.answerable]
    sets += [(path, "unanswerable") for path in args.unanswerable]
    for path, kind in sets:
        questions = [item["q"] for item in json.loads(path.read_text())["questions"]]
        rows = best_scores(app, questions)
        print(f"\n{path} ({kind}, {len(rows)}): found by threshold, passage / closeness rule")
        print(f"  covering alone: {sum(1 for r in rows if r[2])}")
        for step in THRESHOLD_STEPS:
            threshold = round(base + step, 2)
            passage = sum(1 for r in rows if r[2] or r[0] >= threshold)
            close = sum(1 for r in rows if r[2] or r[1] >= threshold)
            print(f"  {threshold:.2f}: {passage:3d} / {close:3d}")


if __name__ == "__main__":
    main()
