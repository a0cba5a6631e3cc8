"""What every reader shares: entry spans, splitting at dated headings, and date precedence."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ingest.dates import date_from_filename, date_from_text, date_line, split_dated_heading
from ingest.entries import DateSource, Entry, Markup, NotWriting

# Real headings have levels 1-6 (Markdown, HTML, DOCX; Org may go deeper); a line that is
# nothing but a date splits plain text, and sits below every heading level.
DATE_LINE_LEVEL = 100

_WORD = re.compile(r"[^\W_]")
_HASHTAG = re.compile(r"(?<!\S)#[^\s#]+")

TagFinder = Callable[[int, int], Iterable[str]]


@dataclass(frozen=True)
class Mark:
    """A line that may start an entry: a heading, or a line that is only a date.

    ``start`` is where the line begins in the source, ``end`` where its body begins.
    """

    start: int
    end: int
    level: int
    text: str


@dataclass(frozen=True)
class Block:
    """A paragraph-like piece of extracted text (HTML, DOCX); a heading when level is set."""

    text: str
    level: int | None = None


@dataclass(frozen=True)
class Document:
    """What dates and labels a document's entries besides their own headings."""

    source: str
    rel_path: str
    mtime: float
    markup: Markup
    front_date: dt.date | None = None
    metadata_date: dt.date | None = None
    title: str | None = None
    tags: tuple[str, ...] = ()
    tag_finder: TagFinder | None = field(default=None, compare=False)


def has_words(text: str) -> bool:
    """True when the text holds a letter or digit, not just markup and whitespace."""
    return _WORD.search(text) is not None


def normalise_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Lower-cased, without a leading '#', deduplicated and sorted."""
    cleaned = {tag.strip().lstrip("#").strip().lower() for tag in tags}
    return tuple(sorted(tag for tag in cleaned if tag))


def mtime_date(mtime: float) -> dt.date:
    """The file time as a local date; a nonsense mtime falls back to the epoch."""
    try:
        return dt.datetime.fromtimestamp(mtime).date()
    except (OverflowError, OSError, ValueError):
        return dt.date(1970, 1, 1)


def iter_lines(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, str]]:
    """(line start, line end including its newline, line without its newline) in a range."""
    stop = len(text) if end is None else end
    pos = start
    while pos < stop:
        newline = text.find("\n", pos, stop)
        line_end = stop if newline < 0 else newline + 1
        yield pos, line_end, text[pos:line_end].rstrip("\r\n")
        pos = line_end


def date_line_marks(text: str, start: int = 0, end: int | None = None) -> list[Mark]:
    """Every line in the range that is nothing but a date."""
    return [
        Mark(line_start, line_end, DATE_LINE_LEVEL, line)
        for line_start, line_end, line in iter_lines(text, start, end)
        if line.strip() and date_line(line)
    ]


def join_blocks(blocks: Iterable[Block]) -> tuple[str, list[Mark]]:
    """Extracted blocks as one text, blank line between blocks, with heading marks."""
    parts: list[str] = []
    marks: list[Mark] = []
    pos = 0
    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if parts:
            pos += 2
        level = block.level
        if level is None and "\n" not in text and date_line(text):
            level = DATE_LINE_LEVEL
        if level is not None:
            marks.append(Mark(pos, pos + len(text), level, text))
        parts.append(text)
        pos += len(text)
    return "\n\n".join(parts), marks


def build_entries(doc: Document, start: int, end: int, marks: Sequence[Mark]) -> tuple[Entry, ...]:
    """The entries of source[start:end]: one per dated heading when a level has two or more.

    Raises NotWriting when nothing in the range is writing.
    """
    dated = {mark: parsed for mark in marks if (parsed := split_dated_heading(mark.text))}
    level = _split_level([mark.level for mark in dated])
    if level is None:
        entries = _single_entry(doc, start, end, marks, dated)
    else:
        entries = _dated_entries(doc, start, end, marks, dated, level)
    if not entries:
        raise NotWriting("no text (only headings or markup)")
    return tuple(entries)


def _split_level(levels: list[int]) -> int | None:
    """The level with the most dated headings (two at least); the shallower on a tie."""
    counts = {level: levels.count(level) for level in set(levels)}
    candidates = [level for level, count in counts.items() if count >= 2]
    if not candidates:
        return None
    return min(candidates, key=lambda level: (-counts[level], level))


def _single_entry(
    doc: Document,
    start: int,
    end: int,
    marks: Sequence[Mark],
    dated: dict[Mark, tuple[dt.date, str | None]],
) -> list[Entry]:
    heading = next((mark for mark in dated if mark.level < DATE_LINE_LEVEL), None)
    # Words only in date lines or the dated heading do not make an entry.
    if not has_words(_without(doc.source, start, end, list(dated))):
        return []
    heading_date, heading_title = dated[heading] if heading else (None, None)
    text_start, text_end = trimmed(doc.source, start, end)
    when, source = pick_date(doc, doc.source[text_start:text_end], heading_date)
    entry = _entry(doc, text_start, text_end, when, source, doc.title or heading_title)
    return [entry]


def _dated_entries(
    doc: Document,
    start: int,
    end: int,
    marks: Sequence[Mark],
    dated: dict[Mark, tuple[dt.date, str | None]],
    level: int,
) -> list[Entry]:
    # Under heading levels, a shallower heading ("# 2020" above "## 2020-01-01") closes the
    # entry before it; date lines are not a hierarchy, so only the next date line does.
    cuts = [
        mark
        for mark in marks
        if (mark.level == level and mark in dated)
        or (level < DATE_LINE_LEVEL and mark.level < level)
    ]
    bounds = [mark.start for mark in cuts] + [end]
    # Undated text between dated sections takes the date of the section it sits in (a
    # journal's preamble, that of the first entry) rather than the file's mtime, which
    # would put a 2013 journal's introduction in the year it was last saved.
    first_dated = next(dated[mark][0] for mark in cuts if mark in dated)
    entries = _gap_entry(doc, start, bounds[0], marks, first_dated)
    current = first_dated
    for mark, section_end in zip(cuts, bounds[1:], strict=True):
        if mark.level == level and mark in dated:
            current = dated[mark][0]
            entries += _heading_entry(doc, mark, section_end, dated[mark])
        else:
            entries += _gap_entry(doc, mark.start, section_end, marks, current)
    return entries


def _heading_entry(
    doc: Document, mark: Mark, end: int, parsed: tuple[dt.date, str | None]
) -> list[Entry]:
    if not has_words(doc.source[mark.end : end]):
        return []  # a dated heading with nothing under it
    text_start, text_end = trimmed(doc.source, mark.start, end)
    when, title = parsed
    return [_entry(doc, text_start, text_end, when, DateSource.HEADING, title)]


def _gap_entry(
    doc: Document, start: int, end: int, marks: Sequence[Mark], section_date: dt.date
) -> list[Entry]:
    """Text outside dated sections (before the first, or under an undated heading).

    It is an entry only when it has words besides headings and tags: a lone "# Journal"
    title above the entries is not writing of its own. Front matter still dates it first;
    otherwise the neighbouring dated heading does.
    """
    inside = [mark for mark in marks if start <= mark.start < end]
    if not has_words(_HASHTAG.sub("", _without(doc.source, start, end, inside))):
        return []
    text_start, text_end = trimmed(doc.source, start, end)
    when, source = pick_date(doc, doc.source[text_start:text_end], section_date)
    return [_entry(doc, text_start, text_end, when, source, None)]


def _without(source: str, start: int, end: int, marks: Iterable[Mark]) -> str:
    """source[start:end] with the given marks' lines cut out."""
    pieces: list[str] = []
    pos = start
    for mark in sorted(marks, key=lambda mark: mark.start):
        if start <= mark.start < end:
            pieces.append(source[pos : mark.start])
            pos = max(pos, min(mark.end, end))
    pieces.append(source[pos:end])
    return "".join(pieces)


def pick_date(doc: Document, text: str, heading_date: dt.date | None) -> tuple[dt.date, DateSource]:
    """The first date found, in order of trust: front matter, heading, filename, text,
    document metadata, file time. Later sources are only computed when needed."""
    finders: tuple[tuple[Callable[[], dt.date | None], DateSource], ...] = (
        (lambda: doc.front_date, DateSource.FRONT_MATTER),
        (lambda: heading_date, DateSource.HEADING),
        (lambda: date_from_filename(doc.rel_path), DateSource.FILENAME),
        (lambda: date_from_text(text), DateSource.TEXT),
        (lambda: doc.metadata_date, DateSource.DOCUMENT_METADATA),
    )
    for finder, source in finders:
        found = finder()
        if found is not None:
            return found, source
    return mtime_date(doc.mtime), DateSource.FILE_TIME


def trimmed(source: str, start: int, end: int) -> tuple[int, int]:
    """The span narrowed to exclude surrounding whitespace."""
    segment = source[start:end]
    left = len(segment) - len(segment.lstrip())
    right = len(segment.rstrip())
    if right <= left:
        return start, start
    return start + left, start + right


def _entry(
    doc: Document,
    start: int,
    end: int,
    when: dt.date,
    source: DateSource,
    title: str | None,
) -> Entry:
    tags = list(doc.tags)
    if doc.tag_finder is not None:
        tags += doc.tag_finder(start, end)
    return Entry(
        text=doc.source[start:end],
        start=start,
        end=end,
        date=when,
        date_source=source,
        title=title,
        tags=normalise_tags(tags),
        markup=doc.markup,
    )


def first_line_heading(text: str) -> str | None:
    """A Markdown "# Title" on an entry's first line (Day One keeps titles that way)."""
    first = text.lstrip().split("\n", 1)[0].strip()
    match = re.match(r"#{1,6}[ \t]+(.+?)[ \t#]*$", first)
    return match[1].strip() if match else None
