"""Choosing a reader by file suffix and turning any reader error into ReadFailed or NotWriting."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import PurePosixPath

from ingest.entries import NotWriting, ReadFailed, ReadResult

Reader = Callable[[bytes, str, float], ReadResult]


def _reader(module: str) -> Reader:
    """``ingest.readers.<module>.read``, imported on first call.

    The format libraries (python-docx, pypdf, BeautifulSoup...) cost a third of a second to
    import, and a sync that finds nothing changed reads no file at all.
    """

    def read(data: bytes, rel_path: str, mtime: float) -> ReadResult:
        loaded: Reader = importlib.import_module(f"ingest.readers.{module}").read
        return loaded(data, rel_path, mtime)

    return read


READERS: dict[str, Reader] = {
    ".md": _reader("markdown"),
    ".markdown": _reader("markdown"),
    ".txt": _reader("plaintext"),
    ".text": _reader("plaintext"),
    ".org": _reader("org"),
    ".html": _reader("html"),
    ".htm": _reader("html"),
    ".docx": _reader("docx"),
    ".pdf": _reader("pdf"),
    ".json": _reader("dayone"),
    ".xml": _reader("wordpress"),
}

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(READERS)

MAX_REASON = 200


def read_document(data: bytes, rel_path: str, mtime: float) -> ReadResult:
    """Read one file's bytes into its source text and dated entries.

    Args:
        data: the file's content.
        rel_path: posix path relative to the archive root (format and filename dates).
        mtime: the file's st_mtime, the date of last resort.

    Raises:
        NotWriting: the file is not writing (empty, binary, an unrelated JSON/XML...).
        ReadFailed: the file could not be read; never any other exception.
    """
    suffix = PurePosixPath(rel_path).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise NotWriting(f"unsupported file type {suffix or '(no suffix)'}")
    try:
        return reader(data, rel_path, mtime)
    except (NotWriting, ReadFailed):
        raise
    except RecursionError as exc:
        raise ReadFailed("document nested too deeply to read") from exc
    except Exception as exc:  # a library's bug or a hostile file must not stop a sync
        raise ReadFailed(short_reason(exc)) from exc


def short_reason(exc: BaseException) -> str:
    """One line naming the exception, trimmed: a reason to show, never a traceback."""
    message = " ".join(str(exc).split())
    reason = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"
