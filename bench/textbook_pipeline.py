"""The textbook llama-index pipeline, for comparison: SimpleDirectoryReader, then
VectorStoreIndex on LanceDBVectorStore, with ponder's own embedder so only the pipeline
differs. Run by bench/run_all.py in a child process whose PYTHONPATH carries
llama-index-vector-stores-lancedb and its pylance (kept out of ponder's environment: the
pylance it pulls is a newer lance than the one lancedb 0.40 embeds).

What it measures: a full ingest (read, split, embed, write; the model load included, as in
ponder's in-process figure), a re-ingest of the unchanged folder (the textbook pipeline
has no sync: it rebuilds), and retrieval hit@k over a question set. A retrieved node hits
when it shares a run of 12 words with an entry that answers the question (the gold
entries' texts come from ponder's index, given as JSON): the textbook nodes carry no entry
dates to compare.

    python bench/textbook_pipeline.py ARCHIVE DB_DIR GOLD.json --k 5 --out result.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHINGLE = 12


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def shingles(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + SHINGLE]) for i in range(max(0, len(tokens) - SHINGLE + 1))}


def embed_model() -> Any:
    """ponder's embedded embedder (all-MiniLM-L6-v2, same batch size) as a llama-index one."""
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    from config import load_settings
    from index.embeddings import choose_embedder

    settings = load_settings({}, environ={"PONDER_EMBEDDINGS__PROVIDER": "embedded"}).settings
    ours = choose_embedder(settings).embedder

    class Ponder(BaseEmbedding):  # type: ignore[misc]
        _ours: Any = PrivateAttr()
        embed_s: float = 0.0  # time inside the model, the model's load included
        texts: int = 0

        def __init__(self) -> None:
            super().__init__(model_name=ours.model_id, embed_batch_size=256)
            self._ours = ours

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            started = time.perf_counter()
            vectors = [list(map(float, v)) for v in self._ours.embed_documents(texts)]
            self.embed_s += time.perf_counter() - started
            self.texts += len(texts)
            return vectors

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embeddings([text])[0]

        def _get_query_embedding(self, query: str) -> list[float]:
            return list(map(float, self._ours.embed_query(query)))

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return Ponder()


def build(archive: Path, db: Path, model: Any) -> tuple[Any, float, int]:
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.lancedb import LanceDBVectorStore

    started = time.perf_counter()
    documents = SimpleDirectoryReader(str(archive), recursive=True).load_data()
    store = LanceDBVectorStore(uri=str(db), table_name="textbook", mode="overwrite")
    context = StorageContext.from_defaults(vector_store=store)
    index = VectorStoreIndex.from_documents(documents, storage_context=context, embed_model=model)
    return index, time.perf_counter() - started, len(documents)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("db", type=Path)
    parser.add_argument("gold", type=Path, help="[{q, gold_texts: [...]}, ...] from ponder")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import lancedb

    model = embed_model()  # loaded inside the timed full ingest, on its first embed
    index, full_s, files = build(args.archive, args.db, model)
    full_embed_s, embedded = model.embed_s, model.texts
    rows = lancedb.connect(str(args.db)).open_table("textbook").count_rows()
    _index, again_s, _files = build(args.archive, args.db, model)
    retriever = index.as_retriever(similarity_top_k=args.k)
    questions = json.loads(args.gold.read_text(encoding="utf-8"))
    hits, started = 0, time.perf_counter()
    for question in questions:
        gold = set().union(*(shingles(t) for t in question["gold_texts"]))
        nodes = retriever.retrieve(question["q"])
        hits += any(shingles(n.node.get_content()) & gold for n in nodes)
    result = {
        "files": files,
        "full_ingest_s": round(full_s, 2),
        "full_embed_s": round(full_embed_s, 2),
        "nodes_embedded": embedded,
        "rows": rows,
        "reingest_s": round(again_s, 2),
        "questions": len(questions),
        f"hit@{args.k}": round(hits / max(len(questions), 1), 4),
        "query_s_mean": round((time.perf_counter() - started) / max(len(questions), 1), 4),
    }
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
