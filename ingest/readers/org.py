"""Reading Org files: #+TITLE/#+DATE keywords, headline tags, dated headings and datetrees."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable

import orgparse

from ingest.dates import parse_date_value
from ingest.decoding import decode_text
from ingest.entries import Markup, ReadResult
from ingest.readers._common import Document, Mark, build_entries

READER = "org"

_KEYWORD = re.compile(r"^[ \t]*#\+(\w+):[ \t]*(.*?)[ \t]*$")
_HEADLINE = re.compile(r"^(\*+)[ \t]+(.*?)(?:[ \t]+(:(?:[\w@#%]+:)+))?[ \t]*$")
# The opening lines a file-level keyword block may hold: keywords, comments, blank lines,
# and the property drawer org-roam puts first (:PROPERTIES: :ID: ... :END:).
_PREAMBLE_LINE = re.compile(r"^[ \t]*(?:#\+\w+:.*|#(?:[ \t].*)?|:[\w-]+:.*)?[ \t]*$")


def read(data: bytes, rel_path: str, mtime: float) -> ReadResult:
    """An Org file as one entry, or one per dated headline of the busiest dated level."""
    source, decode_warnings = decode_text(data)
    warnings = list(decode_warnings)
    # Offsets per line, split exactly as orgparse splits (str.splitlines), so its line
    # numbers index into the source.
    lines = source.splitlines(keepends=True)
    offsets = _line_offsets(lines)
    keywords = _keywords(lines)
    headings = _headings(source, lines, offsets, warnings)
    starts = [mark.start for mark, _ in headings]
    title = keywords.get("TITLE") or None
    filetags = re.findall(r"[^:\s]+", keywords.get("FILETAGS", ""))
    doc = Document(
        source=source,
        rel_path=rel_path,
        mtime=mtime,
        markup=Markup.ORG,
        front_date=parse_date_value(keywords.get("DATE", "")),
        title=title,
        tags=tuple(filetags),
        tag_finder=lambda start, end: _tags_between(headings, starts, start, end),
    )
    marks = [mark for mark, _ in headings]
    entries = build_entries(doc, _body_start(lines, offsets), len(source), marks)
    if title is None and len(entries) == 1:
        title = entries[0].title
    return ReadResult(READER, source, entries, title, tuple(warnings))


def _line_offsets(lines: list[str]) -> list[int]:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return offsets


def _keywords(lines: list[str]) -> dict[str, str]:
    """#+KEY: value lines anywhere in the file; the first occurrence of a key wins."""
    found: dict[str, str] = {}
    for line in lines:
        match = _KEYWORD.match(line.rstrip("\r\n"))
        if match:
            found.setdefault(match[1].upper(), match[2])
    return found


def _body_start(lines: list[str], offsets: list[int]) -> int:
    """Where the writing starts: after the file's opening block of keywords and comments."""
    for index, line in enumerate(lines):
        if not _PREAMBLE_LINE.match(line.rstrip("\r\n")):
            return offsets[index]
    return offsets[-1]


def _headings(
    source: str, lines: list[str], offsets: list[int], warnings: list[str]
) -> list[tuple[Mark, tuple[str, ...]]]:
    """Headlines with their own tags, from orgparse; line by line if orgparse fails."""
    try:
        root = orgparse.loads(source)
        found = [
            _mark(lines, offsets, node.linenumber - 1, node.level, node.heading, node.shallow_tags)
            for node in root[1:]
        ]
    except Exception as exc:  # orgparse raises assorted errors on odd timestamps
        warnings.append(f"orgparse failed ({type(exc).__name__}); headlines read line by line")
        return _headings_by_line(lines, offsets)
    if any(mark is None for mark in found):
        warnings.append("orgparse line numbers did not match; headlines read line by line")
        return _headings_by_line(lines, offsets)
    return [mark for mark in found if mark is not None]


def _mark(
    lines: list[str], offsets: list[int], index: int, level: int, text: str, tags: Iterable[str]
) -> tuple[Mark, tuple[str, ...]] | None:
    if not 0 <= index < len(lines) or not lines[index].startswith("*" * level):
        return None
    return Mark(offsets[index], offsets[index + 1], level, text), tuple(tags)


def _headings_by_line(lines: list[str], offsets: list[int]) -> list[tuple[Mark, tuple[str, ...]]]:
    found: list[tuple[Mark, tuple[str, ...]]] = []
    for index, line in enumerate(lines):
        match = _HEADLINE.match(line.rstrip("\r\n"))
        if match:
            tags = tuple(t for t in (match[3] or "").split(":") if t)
            found.append((Mark(offsets[index], offsets[index + 1], len(match[1]), match[2]), tags))
    return found


def _tags_between(
    headings: list[tuple[Mark, tuple[str, ...]]], starts: list[int], start: int, end: int
) -> list[str]:
    """Tags of the headlines inside an entry's span (``starts``: the headlines' offsets)."""
    tags: list[str] = []
    for mark, own in headings[bisect_left(starts, start) :]:
        if mark.start >= end:
            break
        tags += own
    return tags
