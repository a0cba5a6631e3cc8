"""Readers: every format's entries, dates and titles, bad inputs, and the span invariant."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from typing import Any

import docx
import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import readers
from ingest.entries import DateSource, Entry, Markup, NotWriting, ReadFailed, ReadResult
from ingest.readers import SUPPORTED_SUFFIXES, read_document
from ingest.readers import docx as docx_reader
from ingest.readers import pdf as pdf_reader

MTIME = dt.datetime(2021, 6, 1, 12, 0).timestamp()
MTIME_DATE = dt.date(2021, 6, 1)
D = dt.date(2019, 3, 4)


def read(data: bytes | str, rel_path: str, mtime: float = MTIME) -> ReadResult:
    """read_document, checking the invariants every result must keep."""
    raw = data.encode() if isinstance(data, str) else data
    result = read_document(raw, rel_path, mtime)
    check_spans(result)
    return result


def check_spans(result: ReadResult) -> None:
    previous_end = 0
    for entry in result.entries:
        assert result.source_text[entry.start : entry.end] == entry.text
        assert entry.text == entry.text.strip()
        assert entry.text
        assert entry.start >= previous_end
        previous_end = entry.end


def dates(result: ReadResult) -> list[tuple[dt.date, DateSource]]:
    return [(entry.date, entry.date_source) for entry in result.entries]


def only(result: ReadResult) -> Entry:
    assert len(result.entries) == 1
    return result.entries[0]


def test_supported_suffixes() -> None:
    assert {".md", ".markdown", ".txt", ".text", ".org", ".html", ".htm"} <= SUPPORTED_SUFFIXES
    assert {".docx", ".pdf", ".json", ".xml"} <= SUPPORTED_SUFFIXES
    assert all(suffix == suffix.lower() and suffix.startswith(".") for suffix in SUPPORTED_SUFFIXES)


def test_suffix_is_case_insensitive_and_unknown_suffixes_are_skipped() -> None:
    assert read("Hello world", "NOTE.MD").reader == "markdown"
    with pytest.raises(NotWriting, match="unsupported"):
        read_document(b"hello", "picture.png", MTIME)


def test_unexpected_errors_become_a_short_read_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(data: bytes, rel_path: str, mtime: float) -> ReadResult:
        raise ValueError("boom\n" + "x" * 500)

    monkeypatch.setitem(readers.READERS, ".md", explode)
    with pytest.raises(ReadFailed) as caught:
        read_document(b"text", "a.md", MTIME)
    assert caught.value.reason.startswith("ValueError: boom x")
    assert len(caught.value.reason) <= readers.MAX_REASON
    assert "\n" not in caught.value.reason


# Markdown -----------------------------------------------------------------------------

JOURNAL_MD = """\
---
title: My journal
tags: [Life, daily]
---
# Journal

Kept since the move. #intro

## 2019-03-04 — the move

We moved. #Moving #1 see http://example.com/#frag and [[Note#Heading]]

```
#notatag
## 2019-03-09
```

## 2019-03-05

## Tuesday 5 March 2019

Rain all day `#code`, #rain.
"""


def test_markdown_journal_splits_at_dated_headings() -> None:
    result = read(JOURNAL_MD, "notes/journal.md")
    assert result.reader == "markdown"
    assert result.title == "My journal"
    assert result.source_text == JOURNAL_MD
    intro, move, rain = result.entries  # the empty 2019-03-05 entry is dropped
    assert intro.text == "# Journal\n\nKept since the move. #intro"
    # The preamble takes the date of the first entry, not the file's mtime.
    assert (intro.date, intro.date_source) == (dt.date(2019, 3, 4), DateSource.HEADING)
    assert move.text.startswith("## 2019-03-04 — the move\n")
    assert move.text.endswith("## 2019-03-09\n```")  # the fenced heading is not a heading
    assert (move.date, move.date_source, move.title) == (D, DateSource.HEADING, "the move")
    assert move.tags == ("daily", "life", "moving")
    assert (rain.date, rain.title) == (dt.date(2019, 3, 5), None)
    assert rain.tags == ("daily", "life", "rain")
    assert all(entry.markup is Markup.MARKDOWN for entry in result.entries)


def test_markdown_title_only_preamble_is_not_an_entry() -> None:
    text = "# Journal 2019\n\n## 2019-03-04\nOne.\n\n## 2019-03-05\nTwo.\n"
    result = read(text, "j.md")
    assert result.title == "Journal 2019"
    assert dates(result) == [(D, DateSource.HEADING), (dt.date(2019, 3, 5), DateSource.HEADING)]


def test_markdown_shallower_heading_closes_an_entry() -> None:
    text = "# 2019\n## 2019-12-31\nLast.\n# 2020\n## 2020-01-01\nFirst.\n"
    result = read(text, "j.md")
    assert [entry.text for entry in result.entries] == [
        "## 2019-12-31\nLast.",
        "## 2020-01-01\nFirst.",
    ]


def test_markdown_setext_and_date_line_journals() -> None:
    setext = "2019-03-04\n==========\n\nOne.\n\n2019-03-05\n==========\n\nTwo.\n"
    assert [e.text for e in read(setext, "j.md").entries] == [
        "2019-03-04\n==========\n\nOne.",
        "2019-03-05\n==========\n\nTwo.",
    ]
    lines = "**2019-03-04**\nOne.\n\n**2019-03-05**\nTwo.\n"
    assert dates(read(lines, "j.md")) == [
        (D, DateSource.HEADING),
        (dt.date(2019, 3, 5), DateSource.HEADING),
    ]


def test_markdown_dated_headings_at_different_levels_do_not_split() -> None:
    text = "# 2019-03-04\n\nOne.\n\n## 2019-03-05\n\nTwo.\n"
    entry = only(read(text, "a.md"))
    assert (entry.date, entry.date_source) == (D, DateSource.HEADING)


def test_markdown_date_precedence() -> None:
    body = "# 2019-03-04 — the move\n\nMarch 6, 2019\n\nWords.\n"
    front = "---\ndate: 2017-05-05\n---\n"
    assert dates(read(front + body, "2018-01-01.md")) == [
        (dt.date(2017, 5, 5), DateSource.FRONT_MATTER)
    ]
    assert dates(read(body, "2018-01-01.md")) == [(D, DateSource.HEADING)]
    no_heading = "March 6, 2019\n\nWords.\n"
    assert dates(read(no_heading, "2018-01-01.md")) == [(dt.date(2018, 1, 1), DateSource.FILENAME)]
    assert dates(read(no_heading, "notes.md")) == [(dt.date(2019, 3, 6), DateSource.TEXT)]
    assert dates(read("Words.\n", "notes.md")) == [(MTIME_DATE, DateSource.FILE_TIME)]


def test_markdown_front_matter_is_outside_the_entry_but_inside_the_source() -> None:
    text = "---\ntitle: Essay\ncreated: 2019-03-04T10:00:00Z\ntags: 'a, B c'\n---\n\nThe body.\n"
    result = read(text, "essay.md")
    entry = only(result)
    assert result.source_text == text
    assert entry.text == "The body."
    assert entry.start == text.index("The body.")
    assert (entry.date, entry.date_source, entry.title) == (D, DateSource.FRONT_MATTER, "Essay")
    assert entry.tags == ("a", "b", "c")


@pytest.mark.parametrize(
    "yaml", ["title: [unclosed", "date: 2019-02-30", "x: !!python/object:os.system"]
)
def test_markdown_invalid_front_matter_is_text_with_a_warning(yaml: str) -> None:
    result = read(f"---\n{yaml}\n---\nBody.\n", "a.md")
    assert only(result).text.startswith("---")
    assert result.warnings and "front matter is not valid YAML" in result.warnings[0]


def test_markdown_paragraph_between_rules_is_not_front_matter() -> None:
    entry = only(read("---\nJust a thought.\n---\nMore.\n", "a.md"))
    assert entry.text == "---\nJust a thought.\n---\nMore."


def test_markdown_front_matter_only_is_not_writing() -> None:
    with pytest.raises(NotWriting):
        read("---\ntitle: x\n---\n", "a.md")


def test_markdown_crlf_spans_match_the_file() -> None:
    text = "## 2019-03-04\r\nOne line.\r\n\r\n## 2019-03-05\r\nTwo.\r\n"
    result = read(text, "j.md")
    assert result.source_text == text
    assert [e.text for e in result.entries] == [
        "## 2019-03-04\r\nOne line.",
        "## 2019-03-05\r\nTwo.",
    ]


# Plain text ---------------------------------------------------------------------------


def test_plaintext_single_entry() -> None:
    result = read("  Just some words.\n", "2019/03/04.txt")
    entry = only(result)
    assert (result.reader, entry.text, entry.markup) == (
        "plaintext",
        "Just some words.",
        Markup.PLAIN,
    )
    assert (entry.date, entry.date_source, entry.start) == (D, DateSource.FILENAME, 2)


def test_plaintext_splits_at_date_lines() -> None:
    text = (
        "Intro words\n\n2019-03-04\nFirst day.\n\n=== 5 March 2019 ===\nSecond day.\n2019-03-06\n"
    )
    result = read(text, "log.txt")
    assert [e.text for e in result.entries] == [
        "Intro words",
        "2019-03-04\nFirst day.",
        "=== 5 March 2019 ===\nSecond day.",
    ]
    assert dates(result)[1:] == [(D, DateSource.HEADING), (dt.date(2019, 3, 5), DateSource.HEADING)]


def test_plaintext_single_date_line_dates_by_text() -> None:
    entry = only(read("2019-03-04\n\nWords.\n", "notes.text"))
    assert (entry.date, entry.date_source) == (D, DateSource.TEXT)


# Org ----------------------------------------------------------------------------------

ORG = """\
#+TITLE: Org journal
#+DATE: <2018-01-01 Mon>
#+FILETAGS: :journal:

* 2019
** 2019-03 March
*** 2019-03-04 Monday :work:
Went to work.
*** TODO 2019-03-05 Tuesday
Stayed home.
** 2019-04 April
*** <2019-04-01 Mon> fools
Joke.
"""


def test_org_datetree_splits_at_dated_headings() -> None:
    result = read(ORG, "j.org")
    assert (result.reader, result.title) == ("org", "Org journal")
    assert [e.text for e in result.entries] == [
        "*** 2019-03-04 Monday :work:\nWent to work.",
        "*** TODO 2019-03-05 Tuesday\nStayed home.",
        "*** <2019-04-01 Mon> fools\nJoke.",
    ]
    assert dates(result) == [
        (D, DateSource.HEADING),
        (dt.date(2019, 3, 5), DateSource.HEADING),
        (dt.date(2019, 4, 1), DateSource.HEADING),
    ]
    assert [e.tags for e in result.entries] == [("journal", "work"), ("journal",), ("journal",)]
    assert result.entries[2].title == "fools"
    assert result.entries[0].markup is Markup.ORG


def test_org_single_entry_uses_keywords() -> None:
    text = (
        ":PROPERTIES:\n:ID: abc\n:END:\n#+title: A note\n#+date: [2019-03-04 Mon]\n\nBody words.\n"
    )
    entry = only(read(text, "n.org"))
    assert entry.text == "Body words."
    assert (entry.date, entry.date_source, entry.title) == (D, DateSource.FRONT_MATTER, "A note")


def test_org_dated_top_level_headings() -> None:
    text = "* 2019-03-04 Mon\nOne.\n* <2019-03-05 Tue>\nTwo.\n"
    assert dates(read(text, "j.org")) == [
        (D, DateSource.HEADING),
        (dt.date(2019, 3, 5), DateSource.HEADING),
    ]


# HTML ---------------------------------------------------------------------------------

PAGE = """<!doctype html><html><head><title>My Post</title>
<meta name="date" content="2018-02-03"><style>p {color: red}</style>
<script>var secret = "hidden";</script></head>
<body><nav>Home</nav><h1>My Post</h1><p>Hello <b>bold</b>
world.</p><p>Line<br>break</p><noscript>no js</noscript><template>tpl</template>
<svg><text>svg text</text></svg><!-- a comment -->
<table><tr><td>a</td><td>b</td></tr></table><ul><li>one</li><li>two</li></ul></body></html>"""


def test_html_text_blocks_and_meta_date() -> None:
    result = read(PAGE, "2017-01-01 post.html")
    assert result.source_text == (
        "Home\n\nMy Post\n\nHello bold world.\n\nLine\nbreak\n\na | b\n\none\n\ntwo"
    )
    entry = only(result)
    assert (entry.date, entry.date_source, entry.title) == (
        dt.date(2018, 2, 3),
        DateSource.FRONT_MATTER,
        "My Post",
    )
    assert entry.markup is Markup.PLAIN
    assert result.title == "My Post"


PUBLISHED = '<meta property="article:published_time" content="2019-03-04T10:00:00+01:00">'
CREATED = '<meta name="dcterms.created" content="2019-03-04">'
TIME = '<time datetime="2019-03-04">yesterday</time>'
FRONT = (D, DateSource.FRONT_MATTER)


@pytest.mark.parametrize(
    ("head", "body", "path", "expected"),
    [
        (PUBLISHED, "", "2017-01-01.htm", FRONT),
        (CREATED, "", "a.html", FRONT),
        ("", TIME, "a.html", FRONT),
        ("", "", "2019-03-04.html", (D, DateSource.FILENAME)),
        ("", "<p>March 4, 2019</p>", "a.html", (D, DateSource.TEXT)),
        ("", "", "a.html", (MTIME_DATE, DateSource.FILE_TIME)),
    ],
)
def test_html_date_sources(head: str, body: str, path: str, expected: Any) -> None:
    page = f"<html><head>{head}</head><body>{body}<p>Some words.</p></body></html>"
    assert dates(read(page, path)) == [expected]


def test_html_title_falls_back_to_h1_and_declared_charset_is_honoured() -> None:
    page = '<meta charset="windows-1252"><h1>Caf\xe9 notes</h1><p>Cr\xe8me br\xfbl\xe9e.</p>'
    result = read(page.encode("cp1252"), "a.html")
    assert result.title == "Café notes"
    assert "Crème brûlée." in result.source_text


def test_html_without_text_is_not_writing() -> None:
    with pytest.raises(NotWriting):
        read("<html><head><script>x()</script></head><body><img src=a.png></body></html>", "a.html")


# DOCX ---------------------------------------------------------------------------------


def make_docx(build: Any) -> bytes:
    document = docx.Document()
    document.core_properties.created = dt.datetime(2015, 6, 7, 8, 0)
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_splits_at_dated_headings_with_tables() -> None:
    def build(d: Any) -> None:
        d.add_paragraph("My Diary", style="Title")
        d.add_heading("2019-03-04 — the move", 1)
        d.add_paragraph("We moved house.")
        table = d.add_table(rows=2, cols=2)
        for (row, col), text in {
            (0, 0): "Box",
            (0, 1): "Count",
            (1, 0): "Books",
            (1, 1): "12",
        }.items():
            table.cell(row, col).text = text
        d.add_heading("5 March 2019", 1)
        d.add_paragraph("Unpacked.")
        d.add_heading("2019-03-06", 1)

    result = read(make_docx(build), "diary.docx")
    assert (result.reader, result.title) == ("docx", "My Diary")
    assert result.source_text.startswith("My Diary\n\n2019-03-04 — the move\n\nWe moved house.")
    assert [e.text for e in result.entries] == [
        "2019-03-04 — the move\n\nWe moved house.\n\nBox | Count\n\nBooks | 12",
        "5 March 2019\n\nUnpacked.",
    ]
    assert dates(result) == [(D, DateSource.HEADING), (dt.date(2019, 3, 5), DateSource.HEADING)]
    assert result.entries[0].title == "the move"


def test_docx_metadata_date_ranks_after_text_and_before_file_time() -> None:
    def words(text: str) -> Any:
        return lambda d: d.add_paragraph(text)

    created = make_docx(words("Plain words."))
    assert dates(read(created, "essay.docx")) == [
        (dt.date(2015, 6, 7), DateSource.DOCUMENT_METADATA)
    ]
    assert dates(read(created, "2019-03-04.docx")) == [(D, DateSource.FILENAME)]
    with_text_date = make_docx(words("March 4, 2019 — plain words."))
    assert dates(read(with_text_date, "essay.docx")) == [(D, DateSource.TEXT)]
    assert dates(read(without_created(created), "essay.docx")) == [
        (MTIME_DATE, DateSource.FILE_TIME)
    ]


def without_created(data: bytes) -> bytes:
    """The DOCX with <dcterms:created> removed from its core properties."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members["docProps/core.xml"] = re.sub(
        rb"<dcterms:created[^>]*>[^<]*</dcterms:created>", b"", members["docProps/core.xml"]
    )
    return zip_of(members)


def test_docx_without_text_is_not_writing() -> None:
    with pytest.raises(NotWriting, match="no text"):
        read(make_docx(lambda d: d.add_paragraph("   ")), "empty.docx")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not a zip at all", "not a valid DOCX (not a zip archive"),
        (b"PK\x03\x04broken", "not a valid DOCX"),
    ],
)
def test_broken_docx_fails(data: bytes, reason: str) -> None:
    with pytest.raises(ReadFailed, match=reason.replace("(", r"\(")):
        read(data, "x.docx")


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_zip_without_document_xml_is_not_a_docx() -> None:
    with pytest.raises(ReadFailed, match=r"not a valid DOCX \(no word/document.xml\)"):
        read(zip_of({"hello.txt": b"hi"}), "x.docx")


def test_docx_with_garbage_xml_fails() -> None:
    with pytest.raises(ReadFailed, match="not a valid DOCX"):
        read(zip_of({"word/document.xml": b"<not xml"}), "x.docx")


def test_zip_bomb_docx_is_refused_by_ratio() -> None:
    real = make_docx(lambda d: d.add_paragraph("Words."))
    with zipfile.ZipFile(io.BytesIO(real)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members["word/media/zeros.bin"] = b"\0" * (24 * 1024 * 1024)
    with pytest.raises(ReadFailed, match=r"decompresses to 24 MB .*zip bomb"):
        read(zip_of(members), "bomb.docx")


def test_zip_bomb_docx_is_refused_by_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docx_reader, "MAX_UNCOMPRESSED_BYTES", 2 * 1024 * 1024)
    real = make_docx(lambda d: d.add_paragraph("Words."))
    with zipfile.ZipFile(io.BytesIO(real)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members["word/media/big.bin"] = bytes(range(256)) * (12 * 1024)  # 3 MB
    with pytest.raises(ReadFailed, match=r"DOCX decompresses to 3 MB \(limit 2 MB\)"):
        read(zip_of(members), "big.docx")


# PDF ----------------------------------------------------------------------------------


def make_pdf(pages: list[list[str]], info: dict[str, str] | None = None) -> bytes:
    """A minimal valid PDF by hand: Helvetica text, one line per string."""
    objects: list[bytes] = [b"", b""]  # catalog and page tree, filled in below
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids: list[int] = []
    for lines in pages:
        escaped = [
            line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines
        ]
        ops = ["BT /F1 12 Tf 72 720 Td 14 TL", *(f"({line}) Tj T*" for line in escaped), "ET"]
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects)
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids))
    entries = "".join(f"/{key} ({value}) " for key, value in (info or {}).items())
    objects.append(f"<< {entries}>>".encode("latin-1"))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (len(objects) + 1, len(objects))
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_pdf_pages_and_date_lines() -> None:
    data = make_pdf(
        [["2019-03-04", "First day (in the city)."], ["2019-03-05", "Second day."]],
        {"Title": "Diary", "CreationDate": "D:20150101120000Z"},
    )
    result = read(data, "d.pdf")
    assert result.source_text == "2019-03-04\nFirst day (in the city).\n\n2019-03-05\nSecond day."
    assert (result.reader, result.title) == ("pdf", "Diary")
    assert dates(result) == [(D, DateSource.HEADING), (dt.date(2019, 3, 5), DateSource.HEADING)]


def test_pdf_metadata_date() -> None:
    data = make_pdf([["Just words."]], {"CreationDate": "D:20150101120000Z"})
    assert dates(read(data, "d.pdf")) == [(dt.date(2015, 1, 1), DateSource.DOCUMENT_METADATA)]


def test_pdf_without_text_is_not_writing() -> None:
    with pytest.raises(NotWriting, match=r"no extractable text \(scanned PDF\?\)"):
        read(make_pdf([[]]), "scan.pdf")


@pytest.mark.parametrize("data", [b"%PDF-1.4 garbage", make_pdf([["Words."]])[:150], b""])
def test_broken_pdf_fails(data: bytes) -> None:
    with pytest.raises(ReadFailed, match="not a valid PDF"):
        read(data, "broken.pdf")


def encrypted(data: bytes, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_pdf_fails_but_an_empty_user_password_reads() -> None:
    data = make_pdf([["Secret words."]])
    with pytest.raises(ReadFailed, match="encrypted PDF"):
        read(encrypted(data, "secret"), "locked.pdf")
    assert only(read(encrypted(data, ""), "restricted.pdf")).text == "Secret words."


def test_pdf_page_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_reader, "MAX_PAGES", 1)
    with pytest.raises(ReadFailed, match=r"PDF has 2 pages \(limit 1\)"):
        read(make_pdf([["One."], ["Two."]]), "long.pdf")


# Day One ------------------------------------------------------------------------------


def day_one(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"metadata": {"version": "1.0"}, "entries": list(entries)}).encode()


def test_day_one_entries_in_their_time_zones() -> None:
    late = "2019-03-04T23:30:00Z"
    data = day_one(
        {
            "uuid": "A",
            "creationDate": late,
            "timeZone": "Asia/Tokyo",
            "text": "# Late\n\nOut\\. Fun\\! #party",
            "tags": ["Fun"],
        },
        {"uuid": "B", "creationDate": late, "timeZone": "America/New_York", "text": "West."},
        {"uuid": "C", "creationDate": late, "text": "No zone."},
        {"uuid": "D", "creationDate": late, "photos": []},
    )
    result = read(data, "Journal.json")
    assert result.reader == "dayone"
    assert result.source_text == "# Late\n\nOut. Fun! #party\n\nWest.\n\nNo zone."
    assert dates(result) == [
        (dt.date(2019, 3, 5), DateSource.EXPORT),
        (D, DateSource.EXPORT),
        (D, DateSource.EXPORT),
    ]
    first = result.entries[0]
    assert (first.title, first.tags, first.markup) == ("Late", ("fun", "party"), Markup.MARKDOWN)
    assert "1 entries without text skipped" in result.warnings


def test_day_one_unknown_time_zone_and_missing_date() -> None:
    data = day_one(
        {"creationDate": "2019-03-04T23:30:00Z", "timeZone": "Nowhere/Land", "text": "One."},
        {"creationDate": "not a date", "text": "2019-03-06\nTwo."},
    )
    result = read(data, "j.json")
    assert dates(result) == [(D, DateSource.EXPORT), (dt.date(2019, 3, 6), DateSource.TEXT)]
    assert any("Nowhere/Land" in warning for warning in result.warnings)


@pytest.mark.parametrize(
    "data",
    [b'{"a": 1}', b"[1, 2]", b'{"entries": "x"}', b'{"entries": [{"text": "no dates"}]}', b"{bad"],
)
def test_other_json_is_not_writing(data: bytes) -> None:
    with pytest.raises(NotWriting, match="JSON that is not a Day One export"):
        read(data, "config.json")


def test_broken_day_one_export_fails() -> None:
    with pytest.raises(ReadFailed, match="broken Day One export"):
        read(b'{"entries": [{"creationDate": "2019-', "Journal.json")


def test_deeply_nested_json_fails_cleanly() -> None:
    data = b'{"entries": [{"creationDate": 1, "text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}"
    with pytest.raises((ReadFailed, NotWriting)):
        read_document(data, "deep.json", MTIME)


# WordPress ----------------------------------------------------------------------------


def wxr(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wp="http://wordpress.org/export/1.2/">\n'
        "<channel><title>My Blog</title><wp:wxr_version>1.2</wp:wxr_version>\n"
        + "\n".join(items)
        + "\n</channel></rss>"
    ).encode()


def item(
    title: str, content: str, post_type: str = "post", status: str = "publish", **extra: str
) -> str:
    fields = "".join(
        f"<{key.replace('_', ':', 1)}>{value}</{key.replace('_', ':', 1)}>"
        for key, value in extra.items()
    )
    return (
        f"<item><title>{title}</title><content:encoded><![CDATA[{content}]]></content:encoded>"
        f"<wp:post_type>{post_type}</wp:post_type><wp:status>{status}</wp:status>{fields}</item>"
    )


def test_wordpress_posts_pages_and_drafts() -> None:
    data = wxr(
        item(
            "First post",
            "Hello world.\n\nSecond <em>para</em>\nwith a line.<!-- wp:paragraph --><p>Block</p>"
            '[caption id="x"]<img src="a.jpg"> A caption[/caption]',
            wp_post_date="2019-03-04 10:00:00",
        ),
        item("About", "<p>A page.</p>", post_type="page", wp_post_date="2019-03-05 09:00:00"),
        item(
            "Draft",
            "Draft text",
            status="draft",
            wp_post_date="0000-00-00 00:00:00",
            pubDate="Wed, 06 Mar 2019 10:00:00 +0000",
        ),
        item(
            "Old draft",
            "Undated",
            status="draft",
            wp_post_date="0000-00-00 00:00:00",
            pubDate="Mon, 30 Nov -0001 00:00:00 +0000",
        ),
        item("Pic", "", post_type="attachment"),
        item("Menu", "Menu text", post_type="nav_menu_item"),
        item("Binned", "Thrown away", status="trash"),
    )
    result = read(data, "export.xml")
    assert (result.reader, result.title) == ("wordpress", "My Blog")
    assert [e.title for e in result.entries] == ["First post", "About", "Draft", "Old draft"]
    assert result.entries[0].text == (
        "First post\n\nHello world.\n\nSecond para\nwith a line.\n\nBlock\n\nA caption"
    )
    assert dates(result) == [
        (D, DateSource.EXPORT),
        (dt.date(2019, 3, 5), DateSource.EXPORT),
        (dt.date(2019, 3, 6), DateSource.EXPORT),
        (MTIME_DATE, DateSource.FILE_TIME),
    ]


def test_wordpress_tags_and_categories() -> None:
    post = (
        "<item><title>T</title><content:encoded>Words</content:encoded>"
        '<category domain="category" nicename="uncategorized">Uncategorized</category>'
        '<category domain="category" nicename="travel">Travel</category>'
        '<category domain="post_tag" nicename="rain">Rain</category>'
        "<wp:post_type>post</wp:post_type></item>"
    )
    assert only(read(wxr(post), "e.xml")).tags == ("rain", "travel")


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]><l>&b;</l>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ],
)
def test_entity_bombs_and_external_entities_fail(data: bytes) -> None:
    with pytest.raises(ReadFailed, match="entity"):
        read(data, "bomb.xml")


@pytest.mark.parametrize(
    "data",
    [b"<note><to>x</to></note>", b"<rss><channel><title>Feed</title></channel></rss>", b"<oops"],
)
def test_other_xml_is_not_writing(data: bytes) -> None:
    with pytest.raises(NotWriting, match="XML that is not a WordPress export"):
        read(data, "other.xml")


def test_broken_wordpress_export_fails() -> None:
    with pytest.raises(ReadFailed, match="broken WordPress export"):
        read(wxr(item("T", "Words"))[:-30], "export.xml")


def test_wordpress_export_without_posts_is_not_writing() -> None:
    with pytest.raises(NotWriting, match="no posts"):
        read(wxr(item("Pic", "", post_type="attachment")), "export.xml")


# Bad inputs through read_document ------------------------------------------------------


@pytest.mark.parametrize("suffix", [".md", ".txt", ".org", ".html", ".json"])
def test_binary_with_a_text_suffix_is_not_writing(suffix: str) -> None:
    with pytest.raises(NotWriting, match="binary content"):
        read(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "image" + suffix)


@pytest.mark.parametrize("suffix", [".md", ".txt", ".org", ".html", ".json", ".xml"])
def test_empty_files_are_not_writing(suffix: str) -> None:
    with pytest.raises(NotWriting, match="empty file"):
        read(b" \n\t\n", "empty" + suffix)


def test_undecodable_text_fails() -> None:
    with pytest.raises(ReadFailed, match="undecodable"):
        read(bytes(range(0x80, 0x100)) * 3, "garbage.md")


def test_mixed_encoding_and_nul_bytes_are_read_with_warnings() -> None:
    result = read(b"Dear diary, the caf\xe9 was closed. " * 3, "a.txt")
    assert "café" in result.source_text
    assert result.warnings == ("mixed encoding: 3 bytes decoded as Windows-1252",)
    result = read(b"A long line of prose for the diary today. " * 5 + b"\x00end", "b.md")
    assert result.warnings == ("1 NUL bytes removed",)
    assert result.source_text.endswith("today. end")


# The span invariant, generated ---------------------------------------------------------

_WORDS = st.text(alphabet="abc xyz#*_`[]()-=:é—\r\t", min_size=0, max_size=30)
_LINE_STYLES = ["## {d}", "# {d} — title", "{d}", "=== {d} ===", "### {d} Mon", "**{d}**"]


@st.composite
def journals(draw: st.DrawFn) -> str:
    parts: list[str] = []
    if draw(st.booleans()):
        parts.append("---\ntitle: T\ntags: [a]\n---\n")
    for _ in range(draw(st.integers(0, 6))):
        day = draw(st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)))
        style = draw(st.sampled_from(_LINE_STYLES))
        written = draw(st.sampled_from([day.isoformat(), f"{day:%B} {day.day}, {day.year}"]))
        parts.append(style.format(d=written) + draw(st.sampled_from(["\n", "\r\n"])))
        parts += [draw(_WORDS) + "\n" for _ in range(draw(st.integers(0, 3)))]
        if draw(st.booleans()):
            parts.append("```\n" + draw(_WORDS) + "\n")
    return "".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journals(), st.sampled_from(["journal.md", "log.txt", "2019-03-04.md"]))
def test_generated_journals_keep_the_span_invariant(text: str, name: str) -> None:
    try:
        result = read_document(text.encode(), name, MTIME)
    except NotWriting:
        return
    check_spans(result)
    assert result.source_text == text
    for entry in result.entries:
        assert any(char.isalnum() for char in entry.text)


@settings(max_examples=150, deadline=None)
@given(
    st.text(max_size=200), st.sampled_from(["a.md", "a.txt", "a.org", "a.html", "a.json", "a.xml"])
)
def test_any_text_reads_or_raises_only_our_errors(text: str, name: str) -> None:
    try:
        result = read_document(text.encode("utf-8", errors="surrogatepass"), name, MTIME)
    except (NotWriting, ReadFailed):
        return
    check_spans(result)
