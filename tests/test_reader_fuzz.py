"""Fuzzing the readers: on any bytes, every reader returns entries whose spans hold (the
text at ``source_text[start:end]`` is the entry's text) or raises NotWriting/ReadFailed,
nothing else, and quickly.

Two kinds of input: arbitrary bytes, and real files of each format (the sample archive, a
small valid PDF) with bytes flipped, cut, inserted or repeated, which gets past the magic
numbers into the parsers. Every input that ever broke the property is kept in
tests/fuzz_regressions/ (named ``<anything>.<suffix>``) and replayed first.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.entries import NotWriting, ReadFailed, ReadResult
from ingest.readers import READERS, read_document
from tests.conftest import SAMPLE_ARCHIVE

REGRESSIONS = Path(__file__).parent / "fuzz_regressions"
SUFFIXES = sorted(READERS)
CALL_BUDGET_S = 10.0  # generous: the machine is shared; a hang is what this catches


def minimal_pdf(text: str = "A note about the harbour") -> bytes:
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >> stream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj " % number + obj + b" endobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    body += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return body


def seeds() -> dict[str, list[bytes]]:
    """Small valid files of every format ponder reads."""
    found: dict[str, list[bytes]] = {suffix: [] for suffix in SUFFIXES}
    for path in sorted(SAMPLE_ARCHIVE.rglob("*")):
        suffix = path.suffix.lower()
        if path.is_file() and suffix in found and path.stat().st_size < 200_000:
            found[suffix].append(path.read_bytes())
    found[".pdf"].append(minimal_pdf())
    found[".org"].append(b"#+TITLE: A day\n#+DATE: 2014-03-02\n* The sea\nWe walked.\n")
    found[".htm"] = found[".html"]
    found[".markdown"] = found[".md"]
    found[".text"] = found[".txt"]
    return {suffix: sorted(files, key=len)[:3] for suffix, files in found.items() if files}


SEEDS = seeds()


def check(data: bytes, suffix: str) -> None:
    """The property: entries whose spans hold, or NotWriting/ReadFailed; in time."""
    started = time.monotonic()
    try:
        result = read_document(data, f"fuzz/2015-06-07 case{suffix}", 1_500_000_000.0)
    except (NotWriting, ReadFailed) as exc:
        assert exc.reason and "\n" not in exc.reason
        result = None
    took = time.monotonic() - started
    assert took < CALL_BUDGET_S, f"{suffix} took {took:.1f} s"
    if result is not None:
        assert isinstance(result, ReadResult)
        for entry in result.entries:
            assert result.source_text[entry.start : entry.end] == entry.text
            assert isinstance(entry.date, dt.date)


@st.composite
def mutated(draw: st.DrawFn, suffix: str) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS[suffix])))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "delete"]))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "repeat":
            end = min(len(data), at + draw(st.integers(1, 64)))
            data[at:at] = data[at:end] * draw(st.integers(2, 20))
        else:
            del data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES") or 40),  # FUZZ_EXAMPLES=2000: longer
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # the failures worth keeping are kept as files, below
)


@pytest.mark.parametrize("suffix", SUFFIXES)
@FUZZ
@given(data=st.binary(max_size=2048))
def test_any_bytes(suffix: str, data: bytes) -> None:
    check(data, suffix)


@pytest.mark.parametrize("suffix", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_damaged_real_files(suffix: str, data: st.DataObject) -> None:
    check(data.draw(mutated(suffix)), suffix)


@pytest.mark.parametrize(
    "case", sorted(REGRESSIONS.glob("*.*")) if REGRESSIONS.is_dir() else [], ids=lambda p: p.name
)
def test_kept_regressions(case: Path) -> None:
    check(case.read_bytes(), case.suffix.lower())
