"""The shapes a reader hands to the write path: a document's text and its dated entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class DateSource(StrEnum):
    """Where an entry's date came from, most trustworthy first."""

    FRONT_MATTER = "front_matter"  # YAML front matter, Org #+DATE, HTML <meta>/<time>
    EXPORT = "export"  # a journal export's own field (Day One creationDate, WXR post_date)
    HEADING = "heading"  # the entry's dated heading in a many-entry file
    FILENAME = "filename"  # 2019-03-04.md, 20190304.txt, 2019/03/04/, "2019-03-04 title"
    TEXT = "text"  # a date in the entry's first lines
    DOCUMENT_METADATA = "document_metadata"  # DOCX/PDF core properties
    FILE_TIME = "file_time"  # the file's mtime: the last resort


class Markup(StrEnum):
    """How an entry's text is marked up; decides how it is cleaned for search."""

    MARKDOWN = "markdown"
    ORG = "org"
    PLAIN = "plain"


@dataclass(frozen=True)
class Entry:
    """One dated piece of writing inside a document.

    ``source_text[start:end] == text`` always holds for the ReadResult that owns it,
    so an exact quote can be shown from any sub-span of ``text``.
    """

    text: str
    start: int
    end: int
    date: dt.date
    date_source: DateSource
    title: str | None = None
    tags: tuple[str, ...] = ()
    markup: Markup = Markup.PLAIN


@dataclass(frozen=True)
class ReadResult:
    """What a reader made of one file.

    ``source_text`` is ponder's reading of the file: the decoded file itself for text
    formats (so spans match what the writer sees in an editor), the extracted text for
    DOCX, PDF, HTML and journal exports. It is stored, so quotes stay checkable.
    """

    reader: str
    source_text: str
    entries: tuple[Entry, ...]
    title: str | None = None
    warnings: tuple[str, ...] = field(default=())


class ReadFailed(Exception):
    """The file could not be read; recorded as status ``failed`` with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotWriting(Exception):
    """The file is not writing ponder indexes (empty, binary, unknown export...).

    Recorded as status ``skipped`` with this reason.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
