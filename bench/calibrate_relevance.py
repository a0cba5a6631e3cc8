"""How often `ponder ask` finds something relevant, for answerable and unanswerable questions.

`ponder ask` calls the model only when a passage is relevant (``index.relevance``): it
covers the question's content words, or its similarity to the question reaches the
embedding model's threshold. A threshold too high answers "nothing in your writing matches"
while the answer is in the index; too low, questions the archive says nothing about reach
the model (which is told to say so). This prints, for thresholds around the model's, the
number of each question set's questions that would count as found, from the candidates ask
chooses from (``PassageChooser.candidates``: passage or closest-paragraph similarity, and
naming the content words), so a threshold can be chosen for a model nobody measured, such
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
from ui.services import Services

THRESHOLD_STEPS = (-0.1, -0.05, -0.02, 0.0, 0.02, 0.05, 0.1)
NO_TOPIC = 2.0  # a question with no topic words: every entry in range counts, whatever t


def best_scores(app: Services, questions: Sequence[str]) -> list[tuple[float, bool]]:
    """Per question, from the candidates ask would choose from: the best ``closeness``
    (``NO_TOPIC`` when the question has no topic words, -1.0 when nothing was found), and
    whether a candidate names the question's content words (relevant at any threshold)."""
    chooser = app.passage_chooser()
    rows = []
    for question in questions:
        reading = chooser.read(question)
        if not reading.query:
            rows.append((NO_TOPIC, False))
            continue
        candidates = chooser.candidates(reading, chooser.threshold())
        best = max((c.similarity for c in candidates if c.similarity is not None), default=-1.0)
        rows.append((best, any(c.covers for c in candidates)))
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
        print(f"\n{path} ({kind}, {len(rows)}): questions found, by threshold")
        print(f"  covering alone: {sum(1 for _, covered in rows if covered)}")
        for step in THRESHOLD_STEPS:
            threshold = round(base + step, 2)
            found = sum(1 for best, covered in rows if covered or best >= threshold)
            print(f"  {threshold:.2f}: {found:3d}")


if __name__ == "__main__":
    main()
