"""Reading Word documents: paragraphs and tables in order, headings, core-property dates."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator

import docx
from docx.document import Document as DocxDocument
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.dates import heading_date, parse_date_value
from ingest.entries import Markup, NotWriting, ReadFailed, ReadResult
from ingest.readers._common import Block, Document, build_entries, has_words, join_blocks

READER = "docx"

# A DOCX is a zip: refuse archives that would inflate past this, or by an absurd ratio
# (real documents compress 3-20x; a bomb compresses 1000x).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
RATIO_CHECK_ABOVE_BYTES = 10 * 1024 * 1024
MAX_MEMBERS = 10_000

_HEADING_STYLE = re.compile(r"heading\s*(\d)$", re.I)
_MB = 1024 * 1024


def read(data: bytes, rel_path: str, mtime: float) -> ReadResult:
    """A DOCX as its paragraphs, split at dated Heading paragraphs."""
    check_zip(data)
    document = _open(data)
    blocks = list(_blocks(document))
    source, marks = join_blocks(blocks)
    if not has_words(source):
        raise NotWriting("no text in DOCX")
    created, title = _core_properties(document)
    title = title or _first_title(blocks)
    doc = Document(
        source=source,
        rel_path=rel_path,
        mtime=mtime,
        markup=Markup.PLAIN,
        metadata_date=created,
        title=title,
    )
    entries = build_entries(doc, 0, len(source), marks)
    return ReadResult(READER, source, entries, title, ())


def check_zip(data: bytes) -> None:
    """Refuse what is not a DOCX zip, and zip bombs, before any member is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise ReadFailed(f"not a valid DOCX (not a zip archive: {exc})") from exc
    if len(members) > MAX_MEMBERS:
        raise ReadFailed(f"not a valid DOCX ({len(members)} files in the archive)")
    if "word/document.xml" not in {member.filename for member in members}:
        raise ReadFailed("not a valid DOCX (no word/document.xml)")
    # Declared sizes bound what zipfile will inflate (it stops at file_size), so the
    # header is enough to judge.
    total = sum(member.file_size for member in members)
    packed = max(1, sum(member.compress_size for member in members))
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ReadFailed(
            f"DOCX decompresses to {total // _MB} MB (limit {MAX_UNCOMPRESSED_BYTES // _MB} MB); "
            "refusing a possible zip bomb"
        )
    if total > RATIO_CHECK_ABOVE_BYTES and total / packed > MAX_RATIO:
        raise ReadFailed(
            f"DOCX decompresses to {total // _MB} MB from {packed // 1024} KB "
            f"({total // packed}:1); refusing a possible zip bomb"
        )


def _core_properties(document: DocxDocument) -> tuple[dt.date | None, str | None]:
    """Creation date and title; a broken core.xml costs the metadata, not the document."""
    try:
        properties = document.core_properties
        return parse_date_value(properties.created), (properties.title or "").strip() or None
    except Exception:  # malformed docProps/core.xml: python-docx raises assorted errors
        return None, None


def _open(data: bytes) -> DocxDocument:
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, lxml errors, its own errors...
        raise ReadFailed(f"not a valid DOCX ({type(exc).__name__}: {exc})"[:200]) from exc


def _blocks(document: DocxDocument) -> Iterator[Block]:
    """Body paragraphs and table rows in document order."""
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            yield Block(item.text, _heading_level(item))
        elif isinstance(item, Table):
            yield from _table_rows(item)


def _heading_level(paragraph: Paragraph) -> int | None:
    """Heading N styles; Title counts as a level above every heading."""
    style = paragraph.style
    name = (style.name or "") if style is not None else ""
    if name.lower() == "title":
        return 0
    match = _HEADING_STYLE.search(name)
    return int(match[1]) if match else None


def _table_rows(table: Table) -> Iterator[Block]:
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue  # a merged cell appears once per grid column it spans
            seen.add(id(cell._tc))
            text = " ".join(cell.text.split())
            if text:
                cells.append(text)
        yield Block(" | ".join(cells))


def _first_title(blocks: list[Block]) -> str | None:
    for block in blocks:
        if block.level in (0, 1) and block.text.strip() and heading_date(block.text) is None:
            return block.text.strip()
    return None
