"""Citation markers in a model's answer: reading [n], dropping unknown keys, choosing quotes.

A model cites the numbered passages it was shown as ``[2]``, ``[1, 3]``, ``[1][3]`` or
``[2-4]``. A key that names no passage is a model's invention: it is removed from the
answer (from the streamed text too, as it streams) and reported. Each remaining key maps
to its passage; the quote shown for it is one sentence of that passage when the answer
makes clear which (a sentence it quoted in quotation marks, or else the sentence sharing
most words with the claim), and the whole passage otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from index.relevance import stem, stems, words

MAX_MARKER = 30  # characters inside one marker's brackets; longer is not a citation
_MARKER = re.compile(rf"([ \t]*)\[([\d\s,;\-–]{{1,{MAX_MARKER}}})\]")
# What the end of a partial stream may hold back: spaces, then perhaps an unfinished marker.
_HELD_TAIL = re.compile(rf"[ \t]*(?:\[[\d\s,;\-–]{{0,{MAX_MARKER}}})?\Z")
_KEY = re.compile(r"^(\d{1,3})(?:\s*[-–]\s*(\d{1,3}))?$")
_MAX_RANGE = 50


def marker_keys(inner: str) -> list[int] | None:
    """The keys of one marker's inside ("1, 3", "2-4"), or None when it is not a citation."""
    keys: list[int] = []
    for part in re.split(r"[,;]", inner):
        match = _KEY.match(part.strip())
        if not match:
            return None
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high < low:
            return None
        keys.extend(range(low, min(high, low + _MAX_RANGE) + 1))
    return keys


@dataclass
class CitationCleaner:
    """Removes unknown keys from an answer, whole or as it streams.

    ``feed`` returns the text that is safe to show so far: it holds back trailing spaces
    and an unfinished ``[...`` until they resolve, so a dropped marker never flashes on
    screen and never leaves a stray space. What ``feed``s return, joined, is exactly
    ``clean(whole text)``.
    """

    valid: frozenset[int]
    _raw: str = ""
    _shown: int = 0
    cited: list[int] = field(default_factory=list)  # valid keys, in order of first use
    dropped: list[int] = field(default_factory=list)  # unknown keys, in order of first use

    def feed(self, piece: str) -> str:
        self._raw += piece
        hold = _HELD_TAIL.search(self._raw)
        safe = hold.start() if hold else len(self._raw)
        return self._advance(self._clean(self._raw[:safe], record=False))

    def finish(self) -> str:
        """The rest of the text; afterwards ``text``, ``cited`` and ``dropped`` are final."""
        return self._advance(self.clean(self._raw))

    @property
    def raw(self) -> str:
        """The text as fed, markers and all."""
        return self._raw

    @property
    def text(self) -> str:
        return self._clean(self._raw, record=False)

    def clean(self, text: str) -> str:
        self.cited.clear()
        self.dropped.clear()
        return self._clean(text, record=True)

    def _advance(self, cleaned: str) -> str:
        new = cleaned[self._shown :]
        self._shown = len(cleaned)
        return new

    def _clean(self, text: str, record: bool) -> str:
        def replace(match: re.Match[str]) -> str:
            keys = marker_keys(match.group(2))
            if keys is None:
                return match.group(0)
            kept = [k for k in keys if k in self.valid]
            if record:
                for key in keys:
                    target = self.cited if key in self.valid else self.dropped
                    if key not in target:
                        target.append(key)
            if len(kept) == len(keys):
                return match.group(0)
            if not kept:
                return ""
            return f"{match.group(1)}[{', '.join(str(k) for k in kept)}]"

        return _MARKER.sub(replace, text)


def strip_markers(text: str) -> str:
    """The text without any citation markers (for history the model sees again)."""
    return _MARKER.sub(lambda m: "" if marker_keys(m.group(2)) is not None else m.group(0), text)


# -- which words of a passage a citation points at ------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+|\n\s*")
_QUOTED = re.compile(r"[\"“]([^\"“”\n]{8,}?)[\"”]")
_MIN_QUOTE_WORDS = 3
_MIN_OVERLAP = 2
_ABBREVIATIONS = frozenset(
    ("i.e", "e.g", "mr", "mrs", "ms", "dr", "st", "vs", "etc", "approx", "no", "cf", "p", "pp")
)


@dataclass(frozen=True)
class Claim:
    """A sentence of the answer and the keys it cites."""

    sentence: str
    keys: tuple[int, ...]


def claims(answer: str) -> list[Claim]:
    """Each citation marker of a (cleaned) answer with the sentence it ends or follows."""
    found = []
    previous_end = 0
    for match in _MARKER.finditer(answer):
        keys = marker_keys(match.group(2))
        if keys is None:
            continue
        found.append(Claim(_sentence_before(answer, previous_end, match.start()), tuple(keys)))
        previous_end = match.end()
    return found


def _sentence_before(answer: str, floor: int, position: int) -> str:
    """The sentence a marker at ``position`` belongs to: back to the previous boundary."""
    end = position
    text = answer[floor:end].rstrip()
    if text.endswith((".", "!", "?")):  # "... the sea. [2]": the marker follows the stop
        text = text[:-1]
    boundaries = [m.end() for m in re.finditer(r"[.!?][\"”’)]*\s+|\n", text)]
    start = boundaries[-1] if boundaries else 0
    return text[start:].strip()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The spans of the sentences (and lines) of ``text``, whitespace trimmed."""
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if not _ends_sentence(text, match):
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    trimmed = []
    for begin, end in spans:
        piece = text[begin:end]
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if piece.strip():
            trimmed.append((begin + left, begin + right))
    return trimmed


def _ends_sentence(text: str, boundary: re.Match[str]) -> bool:
    """Whether a stop really ends a sentence: not "i.e. Linda", "Mr. Ali", "3. 4"."""
    if "\n" in boundary.group(0):
        return True
    following = text[boundary.end() : boundary.end() + 1]
    if following and following.islower():
        return False
    before = text[: boundary.start()].rstrip('"”’)')
    word = before[max(before.rfind(" "), before.rfind("\n")) + 1 :].rstrip(".!?").lower()
    return word not in _ABBREVIATIONS and not (len(word) == 1 and word.isalpha())


def find_loosely(needle: str, haystack: str) -> tuple[int, int] | None:
    """Where ``needle``'s words occur in ``haystack`` in order, whatever the spacing and case."""
    needle_words = words(needle)
    if len(needle_words) < _MIN_QUOTE_WORDS:
        return None
    pattern = r"(?<!\w)" + r"\W+".join(re.escape(w) for w in needle_words) + r"(?!\w)"
    match = re.search(pattern, haystack, flags=re.IGNORECASE)
    return match.span() if match else None


def quote_span(passage_text: str, claims_citing: Sequence[Claim]) -> tuple[int, int]:
    """The part of a passage to show as the quote for the claims that cite it.

    A sentence the answer put in quotation marks wins (widened to its whole sentence in the
    passage); else the passage sentence sharing most content words with a citing claim,
    when it shares at least two; else the whole passage.
    """
    sentences = sentence_spans(passage_text)
    whole = (sentences[0][0], sentences[-1][1]) if sentences else (0, len(passage_text))
    for claim in claims_citing:
        for quoted in _QUOTED.findall(claim.sentence):
            span = find_loosely(quoted, passage_text)
            if span:
                return _widen(span, sentences)
    if len(sentences) <= 1:
        return whole
    best: tuple[int, tuple[int, int]] | None = None
    for claim in claims_citing:
        claim_stems = stems(claim.sentence)
        for span in sentences:
            shared = len(claim_stems & {stem(w) for w in words(passage_text[span[0] : span[1]])})
            if shared >= _MIN_OVERLAP and (best is None or shared > best[0]):
                best = (shared, span)
    return best[1] if best else whole


def _widen(span: tuple[int, int], sentences: Sequence[tuple[int, int]]) -> tuple[int, int]:
    start = min((s for s, e in sentences if s <= span[0] < e), default=span[0])
    end = max((e for s, e in sentences if s < span[1] <= e), default=span[1])
    return start, end
