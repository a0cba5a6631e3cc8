"""Embedded embedding throughput: ponder's embedder against a plain sentence-transformers encode.

What it measures: chunks per second embedding the same passages (about 150 words each,
cut from the paragraphs of sample/archive) with ponder's embedded embedder as configured
(``--runtime``: by default ONNX Runtime; ``embed_documents``, as ingest calls it) and with a plain
``SentenceTransformer.encode(texts, batch_size=B, normalize_embeddings=True)`` on the same
weights, the same batch size, in the same process. The two alternate, three rounds each
after a warm-up, and each side's median is kept, so that a machine busy with something else
for a while slows both. The ratio is ponder / plain: 1.0 means ponder adds nothing.

    python bench/bench_embed.py [--chunks 512] [--batch-size 32] [--rounds 3] [--runtime auto]
        [--model all-MiniLM-L6-v2]    # or all-mpnet-base-v2 (config/mpnet-parts.txt), or a folder
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.embedded_models import (  # noqa: E402
    EMBEDDED_RUNTIMES,
    load_embedder,
    resolve_model_path,
)


def passages(count: int, words: int = 150) -> list[str]:
    """Passages of about ``words`` words from the sample archive's paragraphs, in order."""
    paragraphs: list[str] = []
    for path in sorted((REPO / "sample" / "archive").rglob("*")):
        if path.suffix in (".md", ".txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
            paragraphs += [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    found: list[str] = []
    current: list[str] = []
    while len(found) < count:
        for paragraph in paragraphs:
            current.append(paragraph)
            if sum(len(p.split()) for p in current) >= words:
                found.append(" ".join(current))
                current = []
                if len(found) == count:
                    break
    return found


def rate(embed: Callable[[list[str]], object], texts: list[str]) -> float:
    started = time.perf_counter()
    embed(texts)
    return len(texts) / (time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runtime", choices=EMBEDDED_RUNTIMES, default="auto")
    parser.add_argument("--model", default="all-MiniLM-L6-v2", help="embeddings.embedded_model")
    args = parser.parse_args(argv)

    from sentence_transformers import SentenceTransformer

    texts = passages(args.chunks)
    ponder = load_embedder(args.model, batch_size=args.batch_size, runtime=args.runtime)
    plain = SentenceTransformer(
        str(resolve_model_path(args.model)), device="cpu", local_files_only=True
    )

    def plain_encode(batch: list[str]) -> object:
        return plain.encode(
            batch,
            batch_size=args.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    rate(ponder.embed_documents, texts[:64])  # warm-up: first calls allocate
    rate(plain_encode, texts[:64])
    ours, theirs = [], []
    for _ in range(args.rounds):
        ours.append(rate(ponder.embed_documents, texts))
        theirs.append(rate(plain_encode, texts))
    ponder_rate, plain_rate = statistics.median(ours), statistics.median(theirs)
    print(
        json.dumps(
            {
                "model": ponder.model_id,
                "ponder_runtime": type(ponder).__name__,
                "chunks": len(texts),
                "batch_size": args.batch_size,
                "rounds": args.rounds,
                "ponder_chunks_per_s": round(ponder_rate, 1),
                "plain_chunks_per_s": round(plain_rate, 1),
                "ratio": round(ponder_rate / plain_rate, 3),
                "ponder_rounds": [round(r, 1) for r in ours],
                "plain_rounds": [round(r, 1) for r in theirs],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
