"""Where llama-index's sentence splitter cut each paragraph too long for one passage, kept
in the data dir so that a new process re-chunking a file need not import llama-index.

A one-line edit re-chunks its whole file (a one-file journal holds years of entries), and
any paragraph in it longer than a passage goes through llama-index's ``SentenceSplitter``,
whose import (``llama_index.core`` with every index and query engine) is about 0.7 s of
the edit's command on two cores. The cuts are a pure function of the paragraph, the
passage size and the splitter's version, so they are remembered under a hash of those:
the changed paragraph is split again, the others are looked up. Like the embedding cache,
the memo can only make chunking faster, never different; a missing or damaged file is an
empty memo.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

Spans = list[tuple[int, int]]


class SplitMemo:
    """Paragraph cuts by key, loaded from ``path`` on first use and written back by ``save``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._cuts: dict[str, Spans] | None = None
        self._changed = False

    @staticmethod
    def key(paragraph: str, settings: Sequence[object]) -> str:
        """The memo key of ``paragraph`` cut under ``settings`` (sizes, splitter version)."""
        parts = [*(str(s) for s in settings), paragraph]
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]

    def get(self, key: str) -> Spans | None:
        return self._loaded().get(key)

    def put(self, key: str, spans: Spans) -> None:
        self._loaded()[key] = spans
        self._changed = True

    def save(self) -> None:
        """Write the memo if it learned anything (atomically: never half a file)."""
        if self.path is None or not self._changed or self._cuts is None:
            return
        partial = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(self._cuts, separators=(",", ":")), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError as exc:  # a cache: a full disk costs the next edit time, not the sync
            log.warning(
                "could not save %s (%s); long paragraphs will be split again", self.path, exc
            )
            return
        self._changed = False

    def _loaded(self) -> dict[str, Spans]:
        if self._cuts is None:
            self._cuts = _read(self.path) if self.path is not None else {}
        return self._cuts


def _read(path: Path) -> dict[str, Spans]:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict):
        return {}
    cuts: dict[str, Spans] = {}
    for key, spans in saved.items():
        try:
            cuts[str(key)] = [(int(start), int(end)) for start, end in spans]
        except (TypeError, ValueError):
            continue  # a damaged entry is one paragraph split again
    return cuts
