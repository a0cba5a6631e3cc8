"""Reading Markdown and Obsidian notes: front matter, #tags, and journals of dated headings."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

import yaml
from frontmatter.default_handlers import YAMLHandler

from ingest.dates import date_line, heading_date, parse_date_value
from ingest.decoding import decode_text
from ingest.entries import Markup, ReadResult
from ingest.readers._common import (
    DATE_LINE_LEVEL,
    Document,
    Mark,
    build_entries,
    iter_lines,
    normalise_tags,
)

READER = "markdown"

_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?:(.*?)\r?\n)??(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S
)
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)[^`]*?\1", re.S)
# Obsidian tags: after whitespace or line start, letters/digits/_-/ with at least one
# non-digit ("#1" is a number, not a tag).
_TAG = re.compile(r"(?<!\S)#([\w/-]*[^\W\d][\w/-]*)")
_DATE_KEYS = ("date", "created", "created_at", "creation_date", "date_created", "published")
_TITLE_KEYS = ("title",)
_TAG_KEYS = ("tags", "tag", "keywords")


@dataclass(frozen=True)
class FrontMatter:
    """The front-matter block's extent and the values ponder uses from it."""

    end: int = 0
    date: dt.date | None = None
    title: str | None = None
    tags: tuple[str, ...] = ()


def read(data: bytes, rel_path: str, mtime: float) -> ReadResult:
    """A Markdown file as one entry, or one per dated heading."""
    source, decode_warnings = decode_text(data)
    warnings = list(decode_warnings)
    front = parse_front_matter(source, warnings)
    marks, code_ranges = scan(source, front.end)
    title = front.title or _first_title(marks)
    doc = Document(
        source=source,
        rel_path=rel_path,
        mtime=mtime,
        markup=Markup.MARKDOWN,
        front_date=front.date,
        title=title,
        tags=front.tags,
        tag_finder=lambda start, end: body_tags(source, start, end, code_ranges),
    )
    entries = build_entries(doc, front.end, len(source), marks)
    if title is None and len(entries) == 1:
        title = entries[0].title
    return ReadResult(READER, source, entries, title, tuple(warnings))


def parse_front_matter(source: str, warnings: list[str]) -> FrontMatter:
    """The YAML front matter at the top of the file, if it is a YAML mapping."""
    match = _FRONT_MATTER.match(source)
    if not match:
        return FrontMatter()
    try:
        meta = YAMLHandler().load(match[1] or "")
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        # ValueError: PyYAML builds "2019-02-30" as a date and fails; bad front matter
        # costs its metadata, never the note.
        warnings.append(f"front matter is not valid YAML ({_first_line(str(exc))})")
        return FrontMatter()
    if meta is None:
        return FrontMatter(end=match.end())
    if not isinstance(meta, dict):
        # "---\nSome words\n---" is a paragraph between rules, not front matter.
        return FrontMatter()
    values = {str(key).strip().lower(): value for key, value in meta.items()}
    return FrontMatter(
        end=match.end(),
        date=_first_date(values.get(key) for key in _DATE_KEYS),
        title=_first_text(values.get(key) for key in _TITLE_KEYS),
        tags=normalise_tags(_tag_values(values.get(key) for key in _TAG_KEYS)),
    )


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:120]


def _first_date(values: Iterable[object]) -> dt.date | None:
    for value in values:
        found = parse_date_value(value)
        if found:
            return found
    return None


def _first_text(values: Iterable[object]) -> str | None:
    for value in values:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value).strip()
            if text:
                return text
    return None


def _tag_values(values: Iterable[object]) -> list[str]:
    """Tags as a YAML list, or a string separated by commas or spaces (Obsidian allows both)."""
    tags: list[str] = []
    for value in values:
        if isinstance(value, str):
            tags += re.split(r"[,\s]+", value)
        elif isinstance(value, list):
            tags += [str(item) for item in value if isinstance(item, str | int | float)]
    return tags


def scan(source: str, start: int) -> tuple[list[Mark], list[tuple[int, int]]]:
    """Headings and date-only lines outside code, and the code blocks' extents."""
    marks: list[Mark] = []
    code: list[tuple[int, int]] = []
    fence: tuple[str, int, int] | None = None  # fence character, length, block start
    previous: tuple[int, str, bool] | None = None  # start, text, follows a blank line
    blank_before = True
    for line_start, line_end, line in iter_lines(source, start):
        if fence is not None:
            if _closes(line, fence):
                code.append((fence[2], line_end))
                fence = None
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = (opening[1][0], len(opening[1]), line_start)
            previous, blank_before = None, False
            continue
        mark = _heading(line_start, line_end, line, previous, marks)
        if mark is not None:
            marks.append(mark)
        is_paragraph = bool(line.strip()) and mark is None
        previous = (line_start, line, blank_before) if is_paragraph else None
        blank_before = not line.strip()
    if fence is not None:
        code.append((fence[2], len(source)))  # an unclosed fence runs to the end
    return marks, code


def _closes(line: str, fence: tuple[str, int, int]) -> bool:
    closing = _FENCE.match(line)
    return bool(
        closing
        and closing[1][0] == fence[0]
        and len(closing[1]) >= fence[1]
        and not line[closing.end() :].strip()
    )


def _heading(
    line_start: int,
    line_end: int,
    line: str,
    previous: tuple[int, str, bool] | None,
    marks: list[Mark],
) -> Mark | None:
    atx = _ATX.match(line)
    if atx:
        return Mark(line_start, line_end, len(atx[1]), (atx[2] or "").strip())
    setext = _SETEXT.match(line)
    if setext and previous is not None and previous[2]:
        # "2019-03-04\n==========": the line above is the heading; it may already be
        # marked as a date line, which the heading replaces.
        if marks and marks[-1].start == previous[0]:
            marks.pop()
        level = 1 if setext[1][0] == "=" else 2
        return Mark(previous[0], line_end, level, previous[1].strip())
    if line.strip() and not line.startswith("    ") and date_line(line):
        return Mark(line_start, line_end, DATE_LINE_LEVEL, line)
    return None


def body_tags(source: str, start: int, end: int, code: list[tuple[int, int]]) -> list[str]:
    """Obsidian #tags in source[start:end], ignoring code blocks and code spans."""
    tags: list[str] = []
    for piece_start, piece_end in _outside(start, end, code):
        text = _CODE_SPAN.sub(" ", source[piece_start:piece_end])
        tags += [match[1].strip("/-") for match in _TAG.finditer(text)]
    return tags


def _outside(start: int, end: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    pos = start
    for hole_start, hole_end in holes:
        if hole_end <= pos or hole_start >= end:
            continue
        pieces.append((pos, max(pos, hole_start)))
        pos = max(pos, hole_end)
    pieces.append((pos, end))
    return [(a, b) for a, b in pieces if b > a]


def _first_title(marks: list[Mark]) -> str | None:
    """The first level-1 heading, unless it is a date (then it heads an entry)."""
    for mark in marks:
        if mark.level == 1 and mark.text and heading_date(mark.text) is None:
            return mark.text
    return None
