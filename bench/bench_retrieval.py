"""Retrieval latency at 100,000 passages: search, and the ask pipeline up to the prompt.

What it measures, on an index of ``--chunks`` passages (default 100,000) built once through
``index.store.Store`` (random unit vectors of dimension 384, texts recombined from the
sentences of sample/archive, dates over 2010-2024, 50 passages a document):

- ``search``: ``Searcher.search(question, k=8)`` in hybrid mode: embedding the question,
  the vector search, the full-text search, fusion and the per-entry cap;
- ``ask, to the prompt``: ``Asker.ask`` up to its ``Retrieved`` event, which it yields
  once the passages are chosen and the prompt is assembled, just before the model is
  called: time parsing, the candidate search (``Searcher.gather``: the vector and
  full-text searches, fused as ``search`` fuses them), the relevance rule, fitting the
  passages into the context window and rendering the numbered prompt.

Questions are the 167 of sample/questions.json and bench/eval_questions.json (the first
``--queries``, default 100), after 5 warm-up questions. p50 and p95 in milliseconds.
``--embedder embedded`` embeds the questions with all-MiniLM-L6-v2 (the vectors in the
index are random either way: this measures time, not quality); ``fake`` uses the hashing
embedder, to separate the model's share. The chat model is the scripted fake: it is never
called in the timed part.

    python bench/bench_retrieval.py [--chunks 100000] [--embedder embedded] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from machine_info import cpu_model, memory_gib  # this folder: the scripts run as `python bench/...`

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from config import load_settings  # noqa: E402
from index.answer import Retrieved  # noqa: E402
from index.records import ChunkRecord, DocStatus, DocumentRecord  # noqa: E402
from index.store import SCHEMA_VERSION, Store  # noqa: E402
from ui.services import Services  # noqa: E402

DIMENSION = 384
PER_DOCUMENT = 50
PER_ENTRY = 5
PARTS = (0, 2, 3, 4)  # paragraph vectors of a passage: none (one paragraph), or several
MODELS = {"fake": "fake-hashing-384", "embedded": "sentence-transformers/all-MiniLM-L6-v2"}


def sentences() -> list[str]:
    """The sentences of the sample archive's prose, for passages that read like writing."""
    found: list[str] = []
    for path in sorted((REPO / "sample" / "archive").rglob("*")):
        if path.suffix not in (".md", ".txt"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for piece in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            if 4 <= len(piece.split()) <= 60 and not piece.startswith(("#", "---")):
                found.append(piece)
    return found


def unit_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    matrix = rng.standard_normal((count, DIMENSION)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix


def batches(chunks: int, seed: int) -> Iterator[tuple[list[DocumentRecord], list[ChunkRecord]]]:
    """Documents and their passages, 100 documents (5,000 passages) a batch."""
    rng = random.Random(seed)
    vectors = np.random.default_rng(seed)
    pool = sentences()
    now = dt.datetime.now(dt.UTC)
    first = dt.date(2010, 1, 1)
    documents = chunks // PER_DOCUMENT
    for start in range(0, documents, 100):
        docs, records = [], []
        for number in range(start, min(start + 100, documents)):
            doc_id = f"doc{number:06d}"
            path = f"journal/{2010 + number % 15}/journal-{number:06d}.md"
            matrix = unit_vectors(vectors, PER_DOCUMENT)
            offset = 0
            for index in range(PER_DOCUMENT):
                text = " ".join(rng.sample(pool, rng.randint(3, 7)))
                digest = hashlib.sha256(f"{doc_id}\0{index}\0{text}".encode()).hexdigest()
                entry = index // PER_ENTRY
                records.append(
                    ChunkRecord(
                        chunk_id=digest[:32],
                        doc_id=doc_id,
                        path=path,
                        entry_index=entry,
                        entry_title="",
                        date=first + dt.timedelta(days=(number * 10 + entry) % 5400),
                        date_source="heading",
                        start=offset,
                        end=offset + len(text),
                        text=text,
                        search_text=text,
                        text_hash=digest[32:64],
                        tags=(),
                        vector=matrix[index],
                        # As ingest writes them: a vector per paragraph of a passage of
                        # several (on the generated archive, 3 passages in 4, ~2.7 each).
                        part_vectors=tuple(unit_vectors(vectors, rng.choice(PARTS))),
                    )
                )
                offset += len(text) + 2
            docs.append(
                DocumentRecord(
                    doc_id=doc_id,
                    path=path,
                    content_hash=doc_id,
                    size=offset,
                    mtime_ns=0,
                    status=DocStatus.INDEXED,
                    reason="",
                    reader="markdown",
                    entry_count=PER_DOCUMENT // PER_ENTRY,
                    chunk_count=PER_DOCUMENT,
                    first_date=records[-PER_DOCUMENT].date,
                    last_date=records[-1].date,
                    title="",
                    indexed_at=now,
                )
            )
        yield docs, records


def build(index: Path, chunks: int, model: str, seed: int) -> float:
    """Write the index (once: an index of the right size and model is reused)."""
    store = Store.open(str(index), read_consistency=None, keep_versions=dt.timedelta(0))
    meta = store.meta()
    started = time.perf_counter()
    if (
        meta
        and meta.embedding_model == model
        and meta.schema_version == SCHEMA_VERSION
        and store.chunk_count() == chunks
    ):
        store.optimize()  # an index kept from a run before a vector index existed gets one
        return time.perf_counter() - started
    store.reset()
    store.bind_embedder(model, DIMENSION)
    for docs, records in batches(chunks, seed):
        store.replace_documents(docs, records)
    store.optimize()  # compaction, the full-text index, and any vector index the store keeps
    return time.perf_counter() - started


def questions(limit: int) -> list[str]:
    found = []
    for name in ("sample/questions.json", "bench/eval_questions.json"):
        data = json.loads((REPO / name).read_text(encoding="utf-8"))
        found += [q["q"] for q in data["questions"]]
    return found[: limit + 5]


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1)}


def measure(app: Services, asked: list[str]) -> dict[str, dict[str, float]]:
    searcher = app.searcher()
    asker = app.asker()
    search_ms, ask_ms = [], []
    for number, question in enumerate(asked):
        started = time.perf_counter()
        searcher.search(question, k=8)
        elapsed = (time.perf_counter() - started) * 1000
        if number >= 5:  # the first few load the model and warm the caches
            search_ms.append(elapsed)
        events = asker.ask(question)
        started = time.perf_counter()
        event = next(events)
        elapsed = (time.perf_counter() - started) * 1000
        del events  # dropped unfinished: the model is never called
        assert isinstance(event, Retrieved)
        if number >= 5:
            ask_ms.append(elapsed)
    return {"search": percentiles(search_ms), "ask, to the prompt": percentiles(ask_ms)}


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs ({cpu_model()}), {int(memory_gib())} GiB RAM, "
        f"Python {platform.python_version()}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--embedder", choices=sorted(MODELS), default="embedded")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the index here, keep it")
    args = parser.parse_args(argv)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="ponder-bench-retrieval-"))
    try:
        seconds = build(workdir / "index", args.chunks, MODELS[args.embedder], args.seed)
        environ = {
            "PONDER_DATA_DIR": str(workdir),
            "PONDER_EMBEDDINGS__PROVIDER": args.embedder,
            "PONDER_EMBEDDINGS__FAKE_DIMENSION": str(DIMENSION),
            "PONDER_LLM__PROVIDER": "fake",
            "HF_HUB_OFFLINE": "1",
        }
        app = Services(load_settings({}, environ=environ))
        figures = measure(app, questions(args.queries))
        store = app.store
        report = {
            "machine": machine(),
            "date": dt.date.today().isoformat(),
            "chunks": store.chunk_count(),
            "embedder": MODELS[args.embedder],
            "vector_index": store.vector_index_type(),
            "build_seconds": round(seconds, 1),
            "queries": args.queries,
            "ms": figures,
        }
        print(json.dumps(report, indent=2))
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
