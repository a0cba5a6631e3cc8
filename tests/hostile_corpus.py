"""A hostile corpus: files built to break a reader, exhaust memory or time, or confuse a
sync, each with the status ponder must give it. ``python -m tests.hostile_corpus DIR``
writes it into DIR (with ``--huge`` also the 200 MB file, sparse).

Bad inputs already covered one by one in tests/test_bad_input.py (empty, binary, broken
DOCX, the zip-bomb DOCX, a symlink loop, a FIFO, an unreadable file) are reused here, so the
whole corpus runs together beside good files.
"""

from __future__ import annotations

import io
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

GOOD = {
    "good/2014-03-02 harbour.md": "---\ndate: 2014-03-02\n---\n\nThe harbour at dusk, the "
    "boats coming in one by one, and me counting them like years.\n",
    "good/2019-07-08.txt": "A long walk along the cliff path. I decided to stop working "
    "weekends, and I wrote it down so I could not pretend otherwise later.\n",
    "good/garden.html": "<html><body><h1>2016-05-01</h1><p>Broad beans in the garden, "
    "and the first real warmth of the year on my back.</p></body></html>",
}
HUGE_BYTES = 200_000_000


@dataclass(frozen=True)
class Hostile:
    """A file and the verdict it must end with: ``status`` and words of its reason."""

    rel: str
    status: str  # "indexed", "skipped", "failed"
    reason: str = ""  # words the reason contains (lower case)
    contains: str = ""  # for indexed files: text a passage must hold


def _zip_bomb_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * 250_000_000)  # 250 MB in ~250 KB
    return buffer.getvalue()


def _laughs(depth: int = 9) -> str:
    """A billion-laughs DOCTYPE: ten times more text at every level."""
    lines = ['<!ENTITY lol0 "lol">']
    for level in range(1, depth + 1):
        lines.append(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">')
    return "\n".join(lines)


def _looping_pdf() -> bytes:
    """A PDF whose page tree is its own child and whose xref chain points at itself."""
    objects = [
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n",
        b"2 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >> endobj\n",
        b"3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n",
        b"4 0 obj << /Length 44 >> stream\nBT /F1 12 Tf 72 720 Td (loop) Tj ET\nendstream endobj\n",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for obj in objects:
        offsets.append(len(body))
        body += obj
    xref_at = len(body)
    xref = b"xref\n0 5\n0000000000 65535 f \n" + b"".join(
        f"{o:010d} 00000 n \n".encode() for o in offsets
    )
    trailer = f"trailer << /Size 5 /Root 1 0 R /Prev {xref_at} >>\nstartxref\n{xref_at}\n%%EOF\n"
    return body + xref + trailer.encode()


def build(root: Path, huge: bool = True) -> list[Hostile]:
    """Write the corpus and the good files under ``root``; the verdict each must get."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in GOOD.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    cases: list[tuple[Hostile, bytes]] = [
        (
            Hostile("cp1252.txt", "indexed", contains="Café"),
            "Café au lait, crème brûlée, naïveté: a winter in Lyon.\n".encode("cp1252"),
        ),
        (
            Hostile("utf16-bom.md", "indexed", contains="moor"),
            "\ufeffRain on the moor and a letter from my father.\n".encode("utf-16-le"),
        ),
        (
            Hostile("mixed.md", "indexed", "mixed encoding", contains="naïve"),
            "Café in UTF-8, and then ".encode() + b"na\xefve in cp1252, in one file.\n",
        ),
        (
            Hostile("nul.md", "indexed", "nul", contains="stray"),
            b"A line before.\n" * 3 + b"A stray\x00 NUL byte.\n" + b"A line after.\n" * 3,
        ),
        (
            Hostile("one-line-5mb.txt", "indexed", contains="kilometre"),
            b"One long kilometre of text without a newline. " * 110_000,
        ),
        (Hostile("zip-bomb.docx", "failed", "decompresses"), _zip_bomb_docx()),
        (
            # HTML parsers do not expand DTD entities: the text stays tiny.
            Hostile("entity-bomb.html", "indexed"),
            f'<?xml version="1.0"?>\n<!DOCTYPE html [\n{_laughs()}\n]>\n'
            "<html><body><p>&lol9;</p></body></html>\n".encode(),
        ),
        (
            Hostile("wordpress-bomb.xml", "failed"),
            f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{_laughs()}\n]>\n'
            '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>'
            "<title>&lol9;</title></item></channel></rss>\n".encode(),
        ),
        (
            Hostile("malformed.pdf", "failed"),
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage",
        ),
        (Hostile("looping.pdf", "failed", "cyclic"), _looping_pdf()),
        (
            Hostile("it's.md", "indexed", contains="apostrophe"),
            b"An apostrophe in my name.\n",
        ),
        (
            Hostile("x' OR '1'='1.md", "indexed", contains="injection"),
            b"Not an injection, just a note.\n",
        ),
        (
            Hostile('"; DROP TABLE chunks; --.txt', "indexed", contains="drop"),
            b"A note that says drop everything and walk.\n",
        ),
    ]
    verdicts = []
    for verdict, data in cases:
        (root / verdict.rel).write_bytes(data)
        verdicts.append(verdict)
    # NFC and NFD spellings of one name, side by side: two files, one name once normalised.
    nfc = unicodedata.normalize("NFC", "twin-café.md")
    nfd = unicodedata.normalize("NFD", "twin-café.md")
    (root / nfc).write_text("The NFC twin: a note about the café.\n", encoding="utf-8")
    (root / nfd).write_text("The NFD twin: another note about the café.\n", encoding="utf-8")
    verdicts.append(Hostile(nfc, "indexed", contains="NFC twin"))
    verdicts.append(Hostile(nfd, "skipped", "another unicode form"))
    (root / "loop").mkdir(exist_ok=True)
    (root / "loop" / "again").symlink_to(root / "loop", target_is_directory=True)
    (root / "self.md").symlink_to(root / "self.md")
    verdicts.append(Hostile("self.md", "skipped", "symbolic link"))
    if huge:
        with (root / "huge-200mb.md").open("wb") as handle:  # sparse: no disk, no write time
            handle.truncate(HUGE_BYTES)
        verdicts.append(Hostile("huge-200mb.md", "skipped", "limit"))
    return verdicts


if __name__ == "__main__":
    for item in build(Path(sys.argv[1]), huge="--huge" in sys.argv):
        print(f"{item.status:>10}  {item.rel}")
