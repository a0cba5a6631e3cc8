"""Reading Day One JSON exports: one entry per journal entry, dated in its own time zone."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ingest.dates import date_from_text, make_date
from ingest.decoding import decode_text
from ingest.entries import DateSource, Entry, Markup, NotWriting, ReadFailed, ReadResult
from ingest.readers._common import (
    first_line_heading,
    has_words,
    mtime_date,
    normalise_tags,
    trimmed,
)
from ingest.readers.markdown import body_tags, scan

READER = "dayone"

NOT_DAY_ONE = "JSON that is not a Day One export"

# Day One escapes Markdown punctuation the writer typed ("Hello\\!"); the writer's text
# is the unescaped one.
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")


@dataclass(frozen=True)
class _Piece:
    text: str
    date: dt.date
    source: DateSource
    tags: tuple[str, ...]


def read(data: bytes, rel_path: str, mtime: float) -> ReadResult:
    """Every Day One entry with text; source_text is their texts joined by blank lines."""
    text, decode_warnings = decode_text(data)
    entries = _export_entries(text)
    warnings = list(decode_warnings)
    pieces = [_piece(item, mtime, warnings) for item in entries]
    kept = [piece for piece in pieces if piece is not None]
    if len(kept) < len(pieces):
        warnings.append(f"{len(pieces) - len(kept)} entries without text skipped")
    if not kept:
        raise NotWriting("Day One export with no text entries")
    source, result = _assemble(kept)
    return ReadResult(READER, source, tuple(result), None, tuple(warnings))


def _export_entries(text: str) -> list[dict[str, object]]:
    """The export's entries list; anything else is not a Day One export."""
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError) as exc:
        if '"creationDate"' in text and '"entries"' in text:
            raise ReadFailed(f"broken Day One export ({type(exc).__name__}: {exc})"[:200]) from exc
        raise NotWriting(NOT_DAY_ONE) from exc
    entries = parsed.get("entries") if isinstance(parsed, dict) else None
    if not isinstance(entries, list):
        raise NotWriting(NOT_DAY_ONE)
    items = [item for item in entries if isinstance(item, dict)]
    if entries and not any("creationDate" in item for item in items):
        raise NotWriting(NOT_DAY_ONE)
    return items


def _piece(item: dict[str, object], mtime: float, warnings: list[str]) -> _Piece | None:
    raw = item.get("text")
    if not isinstance(raw, str) or not has_words(raw):
        return None
    text = _ESCAPE.sub(r"\1", raw).strip()
    when = _creation_date(item, warnings)
    if when is not None:
        date, source = when, DateSource.EXPORT
    elif (found := date_from_text(text)) is not None:
        date, source = found, DateSource.TEXT
    else:
        date, source = mtime_date(mtime), DateSource.FILE_TIME
    tags = item.get("tags")
    own = tuple(str(tag) for tag in tags if isinstance(tag, str)) if isinstance(tags, list) else ()
    return _Piece(text, date, source, own)


def _creation_date(item: dict[str, object], warnings: list[str]) -> dt.date | None:
    """creationDate (UTC) as a date on the writer's clock: in the entry's timeZone."""
    value = item.get("creationDate")
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    zone = item.get("timeZone")
    if isinstance(zone, str) and zone:
        try:
            moment = moment.astimezone(ZoneInfo(zone))
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            warnings.append(f"unknown time zone {zone[:40]!r}: date taken in UTC")
    return make_date(moment.year, moment.month, moment.day)


def _assemble(pieces: list[_Piece]) -> tuple[str, list[Entry]]:
    parts: list[str] = []
    entries: list[Entry] = []
    pos = 0
    for piece in pieces:
        if parts:
            pos += 2
        start, end = trimmed(piece.text, 0, len(piece.text))
        text = piece.text[start:end]
        tags = [*piece.tags, *body_tags(text, 0, len(text), scan(text, 0)[1])]
        entries.append(
            Entry(
                text=text,
                start=pos,
                end=pos + len(text),
                date=piece.date,
                date_source=piece.source,
                title=first_line_heading(text),
                tags=normalise_tags(tags),
                markup=Markup.MARKDOWN,
            )
        )
        parts.append(text)
        pos += len(text)
    return "\n\n".join(parts), entries
