"""Entries into passages that keep their exact span and survive edits elsewhere.

Passages are cut at paragraph ends, not packed greedily from the top of the entry: a
greedy packer shifts every later boundary when one line grows, so a one-line edit would
re-embed the rest of the entry. Here a passage ends at the first paragraph end once it
holds half the target size, so boundaries are decided by the text around them and an
edit re-embeds only its own passage (rarely a neighbour). Paragraphs longer than the
target are split by llama-index's sentence splitter.

A passage of several paragraphs also lists them (``Chunk.parts``): each is embedded too, so
that search can find a passage by the one paragraph a question is about, which a vector of
the whole passage blurs (BENCHMARKS.md, "Retrieval").
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.cleaning import search_text
from ingest.entries import Entry
from ingest.split_memo import SplitMemo

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# Sentence ends for paragraphs too long for one passage. The splitter's default is NLTK's
# punkt, whose import alone costs seconds per process; prose splits well enough on
# terminal punctuation followed by whitespace.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences with their trailing whitespace, so that they join back into ``text``."""
    pieces = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


@dataclass(frozen=True)
class Chunk:
    """A passage: ``source_text[start:end] == text``."""

    entry_index: int
    start: int
    end: int
    text: str
    search_text: str
    text_hash: str  # of search_text: the embedding cache key
    # The paragraphs of search_text (without the entry title), when there are several:
    # each gets its own vector. Empty for a passage of one paragraph.
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Unit:
    start: int  # in the entry's text
    end: int
    tokens: int
    ends_paragraph: bool


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def chunk_ids(doc_id: str, chunks: Sequence[Chunk]) -> list[str]:
    """Ids that depend on the passage and its document, not on its position."""
    seen: Counter[str] = Counter()
    ids = []
    for chunk in chunks:
        key = f"{doc_id}\0{text_hash(chunk.text)}\0{seen[chunk.text]}"
        ids.append(hashlib.sha256(key.encode("utf-8")).hexdigest()[:32])
        seen[chunk.text] += 1
    return ids


def token_encoder() -> Callable[[str], Sequence[int]]:
    """How passages are measured: the tokenizer llama-index's splitter counts with by default
    (``llama_index.core.utils.get_tokenizer``: tiktoken's cl100k_base read from the copy
    llama-index ships, so it works offline), made without importing llama_index.core for it.
    ``tests/test_chunking.py`` checks that the two agree."""
    with _ENCODER_LOADING:  # one load, whichever thread asks first
        return _token_encoder()


def prefetch_token_encoder() -> None:
    """Load the token encoder in a background thread (about 0.15 s of reading tiktoken's
    file), for a sync that will chunk something after opening the index."""

    def load() -> None:
        # A failure here is raised again, with its message, where the chunker asks for the
        # encoder; a thread's traceback on the terminal would say nothing more.
        with contextlib.suppress(Exception):
            token_encoder()

    threading.Thread(target=load, name="load token encoder", daemon=True).start()


_ENCODER_LOADING = threading.Lock()


@functools.cache
def _token_encoder() -> Callable[[str], Sequence[int]]:
    import tiktoken

    spec = importlib.util.find_spec("llama_index.core")  # its location, not its import
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("llama-index-core is not installed; reinstall ponder")
    shipped = Path(spec.submodule_search_locations[0]) / "_static" / "tiktoken_cache"
    # As get_tokenizer does: the shipped file unless the user points tiktoken elsewhere.
    borrowed = "TIKTOKEN_CACHE_DIR" not in os.environ
    if borrowed:
        os.environ["TIKTOKEN_CACHE_DIR"] = str(shipped)
    try:
        encoding = tiktoken.encoding_for_model("gpt-3.5-turbo")
    finally:
        if borrowed:
            del os.environ["TIKTOKEN_CACHE_DIR"]
    return functools.partial(encoding.encode, allowed_special="all")


class Chunker:
    """Splits entries into passages of about ``chunk_tokens`` tokens."""

    def __init__(
        self, chunk_tokens: int, chunk_overlap: int, memo: SplitMemo | None = None
    ) -> None:
        self._target = chunk_tokens
        self._overlap = min(chunk_overlap, chunk_tokens // 4)
        self._encode = token_encoder()
        self._sentence_splitter: Any = None
        self._memo = memo or SplitMemo()
        splitter_version = importlib.metadata.version("llama-index-core")
        self._memo_settings = (self._target, self._overlap, splitter_version)

    def _count(self, text: str) -> int:
        return len(self._encode(text))

    def _cut(self, paragraph: str) -> list[tuple[int, int]]:
        """The spans of the pieces llama-index's splitter cuts a too-long paragraph into:
        from the memo when this paragraph was cut before (ingest/split_memo.py)."""
        key = SplitMemo.key(paragraph, self._memo_settings)
        known = self._memo.get(key)
        if known is not None and _plausible(known, len(paragraph)):
            return known
        spans = locate(paragraph, self._splitter.split_text(paragraph))
        self._memo.put(key, spans)
        return spans

    @property
    def _splitter(self) -> Any:
        """llama-index's sentence splitter, built for the first paragraph too long for one
        passage that the memo does not know (1 paragraph in 70 is too long in the generated
        archive), so that most edits never import llama_index.core (about 0.7 s)."""
        if self._sentence_splitter is None:
            from llama_index.core.node_parser import SentenceSplitter

            self._sentence_splitter = SentenceSplitter(
                chunk_size=self._target,
                chunk_overlap=self._overlap,
                include_metadata=False,
                include_prev_next_rel=False,
                chunking_tokenizer_fn=split_sentences,
                tokenizer=self._encode,
            )
        return self._sentence_splitter

    def chunk(self, source_text: str, entries: Sequence[Entry]) -> list[Chunk]:
        chunks: list[Chunk] = []
        for index, entry in enumerate(entries):
            for number, (start, end) in enumerate(self._spans(entry.text)):
                text = source_text[entry.start + start : entry.start + end]
                cleaned = search_text(text, entry.markup)
                if not cleaned.strip():
                    continue
                parts = paragraph_texts(cleaned)
                if entry.title and number > 0 and entry.title not in cleaned:
                    # A passage from the middle of an entry embeds better knowing its title.
                    cleaned = f"{entry.title}\n\n{cleaned}"
                chunks.append(
                    Chunk(
                        entry_index=index,
                        start=entry.start + start,
                        end=entry.start + end,
                        text=text,
                        search_text=cleaned,
                        text_hash=text_hash(cleaned),
                        parts=tuple(parts) if len(parts) > 1 else (),
                    )
                )
        return chunks

    def _spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        current: list[_Unit] = []
        size = 0
        for unit in self._units(text):
            if current and size + unit.tokens > self._target:
                spans.append((current[0].start, current[-1].end))
                current, size = [], 0
            current.append(unit)
            size += unit.tokens
            if unit.ends_paragraph and size >= self._target // 2:
                spans.append((current[0].start, current[-1].end))
                current, size = [], 0
        if current:
            spans.append((current[0].start, current[-1].end))
        return spans

    def _units(self, text: str) -> list[_Unit]:
        units: list[_Unit] = []
        for start, end in _paragraphs(text):
            paragraph = text[start:end]
            tokens = self._count(paragraph)
            if tokens <= self._target:
                units.append(_Unit(start, end, tokens, ends_paragraph=True))
                continue
            pieces = self._cut(paragraph)
            for number, (piece_start, piece_end) in enumerate(pieces):
                units.append(
                    _Unit(
                        start + piece_start,
                        start + piece_end,
                        self._count(paragraph[piece_start:piece_end]),
                        ends_paragraph=number == len(pieces) - 1,
                    )
                )
        return units


def _plausible(spans: Sequence[tuple[int, int]], length: int) -> bool:
    """Spans a split of a paragraph of ``length`` characters could have made."""
    starts = [start for start, _ in spans]
    return (
        bool(spans)
        and starts == sorted(starts)
        and all(0 <= start < end <= length for start, end in spans)
    )


def paragraph_texts(text: str) -> list[str]:
    """The paragraphs of ``text``, stripped."""
    return [text[start:end] for start, end in _paragraphs(text)]


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Spans of the paragraphs of ``text``, without surrounding whitespace."""
    spans = []
    start = 0
    for match in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((start + lead, start + len(piece.rstrip())))
        if match:
            start = match.end()
    return spans


def locate(text: str, pieces: Sequence[str]) -> list[tuple[int, int]]:
    """The span of each piece in ``text``, in order.

    The splitter may rejoin sentences with other whitespace than the source had, so a
    piece that is not found verbatim is matched with any run of whitespace between its
    words. Pieces may overlap, so each search starts after the previous start.
    """
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in pieces:
        words = piece.split()
        if not words:
            continue
        found = text.find(piece, cursor)
        if found >= 0:
            span = (found, found + len(piece))
        else:
            pattern = re.compile(r"\s+".join(re.escape(word) for word in words))
            match = pattern.search(text, cursor) or pattern.search(text)
            if match is None:
                raise ValueError(f"passage not found in its entry: {piece[:60]!r}")
            span = match.span()
        spans.append(span)
        cursor = span[0] + 1
    return spans
