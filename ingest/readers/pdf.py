"""Reading PDFs: each page's text, refusing encrypted, huge, and text-less files."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
from pypdf.errors import PdfReadError

from ingest.dates import parse_date_value
from ingest.entries import Markup, NotWriting, ReadFailed, ReadResult
from ingest.readers._common import Document, build_entries, date_line_marks, has_words

READER = "pdf"

MAX_PAGES = 2000


def read(data: bytes, rel_path: str, mtime: float) -> ReadResult:
    """A PDF's extracted text, pages joined by blank lines, split at date-only lines."""
    reader = _open(data)
    warnings: list[str] = []
    pages = _page_texts(reader, warnings)
    source = "\n\n".join(pages)
    if not has_words(source):
        raise NotWriting("no extractable text (scanned PDF?)")
    created, title = _metadata(reader)
    doc = Document(
        source=source,
        rel_path=rel_path,
        mtime=mtime,
        markup=Markup.PLAIN,
        metadata_date=created,
        title=title,
    )
    entries = build_entries(doc, 0, len(source), date_line_marks(source))
    return ReadResult(READER, source, entries, title, tuple(warnings))


def _open(data: bytes) -> pypdf.PdfReader:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _unlocks_without_password(reader):
            raise ReadFailed("encrypted PDF")
        count = len(reader.pages)
    except ReadFailed:
        raise
    except Exception as exc:  # pypdf raises PdfReadError, but also ValueError, KeyError...
        raise ReadFailed(f"not a valid PDF ({type(exc).__name__}: {exc})"[:200]) from exc
    if count > MAX_PAGES:
        raise ReadFailed(f"PDF has {count} pages (limit {MAX_PAGES})")
    return reader


def _unlocks_without_password(reader: pypdf.PdfReader) -> bool:
    """Many PDFs are encrypted only against editing, with an empty password for reading."""
    try:
        return reader.decrypt("") != pypdf.PasswordType.NOT_DECRYPTED
    except (PdfReadError, NotImplementedError, ValueError, pypdf.errors.DependencyError):
        return False


def _page_texts(reader: pypdf.PdfReader, warnings: list[str]) -> list[str]:
    """Each page's stripped text; a page that fails costs a warning, not the document."""
    texts: list[str] = []
    failed: list[int] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception:  # a damaged content stream on one page
            failed.append(number)
            continue
        text = text.replace("\x00", "").strip()
        if text:
            texts.append(text)
    if failed and not texts:
        raise ReadFailed(f"text extraction failed on all {len(failed)} page(s)")
    if failed:
        shown = ", ".join(str(number) for number in failed[:10])
        warnings.append(f"text extraction failed on {len(failed)} page(s): {shown}")
    return texts


def _metadata(reader: pypdf.PdfReader) -> tuple[dt.date | None, str | None]:
    """Creation date and title from the document info; broken metadata is ignored."""
    try:
        info = reader.metadata
        if info is None:
            return None, None
        title = info.title
        return parse_date_value(info.creation_date), (title.strip() or None) if title else None
    except Exception:  # malformed dates raise from pypdf's accessors
        return None, None
