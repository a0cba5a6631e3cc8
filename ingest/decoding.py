"""Turning a text file's bytes into str: BOMs, mixed encodings, guesses, and binary refusal."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from ingest.entries import NotWriting, ReadFailed

# How much of the file the binary sniff looks at, and how much of it may be control bytes.
SNIFF_BYTES = 8192
MAX_CONTROL_RATIO = 0.01

# A UTF-8 file with at most this many undecodable bytes (or 2% of its size) is read as UTF-8
# with stray Windows-1252 bytes: the usual result of pasting from an old file into a new one.
MIXED_MIN_BAD_BYTES = 4
MIXED_MAX_BAD_RATIO = 0.02

UNDECODABLE = "undecodable text (not UTF-8, no credible encoding found)"

# Checked in this order: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# C0 controls and DEL, except the whitespace ones text files really contain (\t \n \f \r).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Lone surrogates are how Python's surrogateescape handler marks bytes that are not UTF-8.
_ESCAPED_RUN = re.compile(r"[\udc80-\udcff]+")


def decode_text(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode a text file, returning the text (verbatim but for removed NULs) and warnings.

    Raises:
        NotWriting: the file is empty, whitespace only, or binary.
        ReadFailed: no encoding decodes it credibly.
    """
    if not data.strip():
        raise NotWriting("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _finish(*_decode_with_bom(data[len(bom) :], encoding))
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    _refuse_binary(data[:SNIFF_BYTES].decode("latin-1"))
    warnings: list[str] = []
    nuls = data.count(b"\x00")
    if nuls:
        data = data.replace(b"\x00", b"")
        warnings.append(f"{nuls} NUL bytes removed")
    return _finish(_decode_unmarked(data, warnings), warnings)


def _decode_with_bom(body: bytes, encoding: str) -> tuple[str, list[str]]:
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ReadFailed(f"undecodable text (invalid {encoding.upper()}: {exc.reason})") from exc
    # A UTF-16 file can still carry binary junk; judge it on its characters.
    _refuse_binary(text[:SNIFF_BYTES])
    nuls = text.count("\x00")
    return text.replace("\x00", ""), [f"{nuls} NUL bytes removed"] if nuls else []


def _refuse_binary(sample: str) -> None:
    if sample and len(_CONTROL.findall(sample)) > MAX_CONTROL_RATIO * len(sample):
        raise NotWriting("binary content in a text file")


def _decode_unmarked(data: bytes, warnings: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    escaped = data.decode("utf-8", errors="surrogateescape")
    bad = sum(len(run) for run in _ESCAPED_RUN.findall(escaped))
    if bad <= max(MIXED_MIN_BAD_BYTES, int(len(data) * MIXED_MAX_BAD_RATIO)):
        warnings.append(f"mixed encoding: {bad} bytes decoded as Windows-1252")
        return _ESCAPED_RUN.sub(_as_cp1252, escaped)
    text, encoding = _guess(data)
    warnings.append(f"not UTF-8: decoded as {encoding}")
    return text


def _as_cp1252(match: re.Match[str]) -> str:
    raw = match.group().encode("utf-8", errors="surrogateescape")
    # Five bytes are undefined in Windows-1252; Latin-1 maps them to C1 controls instead.
    return "".join(_cp1252_byte(byte) for byte in raw)


def _cp1252_byte(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return bytes([byte]).decode("latin-1")


def _guess(data: bytes) -> tuple[str, str]:
    """charset_normalizer's best guess, preferring Windows-1252 when it fits as well.

    charset_normalizer breaks ties between single-byte encodings arbitrarily (often
    Windows-1250, which turns French "è" into "č"); Western writers' files are far more
    often Windows-1252, so that wins a tie.
    """
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        raise ReadFailed(UNDECODABLE)
    for match in matches:
        if "cp1252" in match.could_be_from_charset and match.chaos <= best.chaos + 0.01:
            return data.decode("cp1252", errors="replace"), "Windows-1252"
    text = str(best)
    if not text.strip():
        raise ReadFailed(UNDECODABLE)
    return text, best.encoding


def _finish(text: str, warnings: list[str]) -> tuple[str, tuple[str, ...]]:
    if not text.strip():
        raise NotWriting("empty file")
    return text, tuple(warnings)
