"""Critique quality on planted contradictions: candidate recall and citation recall.

Ingests an archive (default: sample/archive) with the chosen embedder into a temporary
data dir, then critiques the ``later.quote`` of every item of the ground truth's
"contradictions" (as of its date, its own entry left out) with ``index.critique_eval``,
and reports, with the chat model that judged:

- candidate recall: the earlier passage is among the candidates the model is asked to
  judge (retrieval and the model-free ranking only);
- citation recall: the earlier passage is among the finished critique's citations (after
  the model's verdicts and the citation checks);
- per case: the earlier passage's rank among the candidates, the model's verdict on it,
  the seconds the critique took.

A held-out archive with a ground truth of the same shape is measured the same way:

    python bench/eval_critique.py [--archive DIR --ground-truth FILE]
        [--embeddings embedded|fake|ollama] [--chat fake|embedded|ollama] [--judged 6]
        [--keep DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from machine_info import describe  # this folder: the scripts run as `python bench/...`

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import load_settings  # noqa: E402
from index.critique_eval import evaluate_critique, planted  # noqa: E402
from ui.services import Services  # noqa: E402


def _machine() -> dict[str, Any]:
    return describe()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--archive", type=Path, default=ROOT / "sample" / "archive")
    parser.add_argument("--ground-truth", type=Path, default=ROOT / "sample" / "ground_truth.json")
    parser.add_argument("--embeddings", default="embedded")
    parser.add_argument("--chat", default="fake")
    parser.add_argument("--judged", type=int, default=None, help="critique.judged")
    parser.add_argument("--keep", type=Path, help="data dir to keep (and reuse) the index in")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    data = args.keep or Path(tempfile.mkdtemp(prefix="ponder-critique-eval-"))
    environ = {
        "PONDER_ARCHIVE": str(args.archive),
        "PONDER_DATA_DIR": str(data),
        "PONDER_EMBEDDINGS__PROVIDER": args.embeddings,
        "PONDER_LLM__PROVIDER": args.chat,
        **{k: v for k, v in os.environ.items() if k.startswith(("PONDER_OLLAMA", "OLLAMA"))},
    }
    if args.judged is not None:
        environ["PONDER_CRITIQUE__JUDGED"] = str(args.judged)
    try:
        app = Services(load_settings(environ=environ, config_file=data / "none.toml"))
        load_before = os.getloadavg()
        started = time.perf_counter()
        with app.writer_lock():
            report = app.sync()
        ingest_s = time.perf_counter() - started
        critic = app.critic()
        # Load the models before anything is timed (not a whole critique: a slow model's
        # critique is minutes).
        app.searcher().search("warm up", k=1)
        app.chat().model.count_tokens("warm up")
        cases = planted(json.loads(args.ground_truth.read_text(encoding="utf-8")))
        started = time.perf_counter()
        result = evaluate_critique(critic, app.store, cases)
        eval_s = time.perf_counter() - started
        summary = {
            **result.as_json(),
            "embeddings": app.embedder().embedder.model_id,
            "archive": str(args.archive),
            "passages": app.store.chunk_count(),
            "ingest_s": round(ingest_s, 1),
            "ingested_files": report.added + report.updated + report.unchanged,
            "eval_s": round(eval_s, 1),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            **_machine(),
        }
    finally:
        if args.keep is None:
            shutil.rmtree(data, ignore_errors=True)
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(
        f"chat {summary['model']}, embeddings {summary['embeddings']}, "
        f"{summary['passages']} passages"
    )
    print(
        f"candidate recall {summary['candidate_recall']:.3f} · citation recall "
        f"{summary['citation_recall']:.3f} · median critique {summary['median_ms'] / 1000:.1f} s"
    )
    for case in summary["results"]:
        rank = case["candidate_rank"] or "-"
        print(
            f"  {case['id']:4} {case['kind']:14} rank {rank!s:3} cited {case['cited']!s:5} "
            f"verdict {case['verdict'] or '-':15} {case['ms'] / 1000:.1f} s"
        )
    print(
        f"{summary['cpu']}, {summary['cores']} cores, {summary['memory']}; load "
        f"{summary['loadavg_before']} -> {summary['loadavg_after']}"
    )


if __name__ == "__main__":
    main()
