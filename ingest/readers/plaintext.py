"""Reading plain-text files: one entry, or one per line that is only a date."""

from __future__ import annotations

from ingest.decoding import decode_text
from ingest.entries import Markup, ReadResult
from ingest.readers._common import Document, build_entries, date_line_marks

READER = "plaintext"


def read(data: bytes, rel_path: str, mtime: float) -> ReadResult:
    """A text file as one entry, or split at lines like "2019-03-04" or "=== 4 March 2019 ==="."""
    source, warnings = decode_text(data)
    doc = Document(source=source, rel_path=rel_path, mtime=mtime, markup=Markup.PLAIN)
    entries = build_entries(doc, 0, len(source), date_line_marks(source))
    return ReadResult(READER, source, entries, None, warnings)
