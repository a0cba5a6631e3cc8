"""Reading HTML pages: visible text as paragraphs, the title, and dates from meta/time tags."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from ingest.dates import parse_date_value
from ingest.decoding import decode_text
from ingest.entries import Markup, NotWriting, ReadResult
from ingest.readers._common import Block, Document, build_entries, has_words, join_blocks

READER = "html"

# Never shown to a reader of the page (head is read for title and dates first).
_DROP = frozenset(
    {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "embed"}
)
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
        "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
        "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_CELLS = frozenset({"td", "th"})
_DATE_META = frozenset(
    {
        "date", "dc.date", "dc.date.created", "dcterms.created", "dcterms.date",
        "article:published_time", "datepublished", "pubdate", "publish_date",
    }
)  # fmt: skip
_DECLARED_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")


@dataclass(frozen=True)
class HtmlText:
    """The readable content of a page or fragment."""

    blocks: list[Block]
    title: str | None
    date: dt.date | None


def read(data: bytes, rel_path: str, mtime: float) -> ReadResult:
    """An HTML page as extracted text; dated by meta/time tags before filename and text."""
    markup, warnings = _decode(data)
    page = html_text(markup)
    source, marks = join_blocks(page.blocks)
    if not has_words(source):
        raise NotWriting("no text in HTML page")
    doc = Document(
        source=source,
        rel_path=rel_path,
        mtime=mtime,
        markup=Markup.PLAIN,
        front_date=page.date,
        title=page.title,
    )
    entries = build_entries(doc, 0, len(source), marks)
    return ReadResult(READER, source, entries, page.title, warnings)


def _decode(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode as any text file, but trust the page's declared charset over a guess."""
    text, warnings = decode_text(data)
    guessed = any(w.startswith(("mixed encoding", "not UTF-8")) for w in warnings)
    declared = _DECLARED_CHARSET.search(data[:4096])
    if not guessed or not declared:
        return text, warnings
    name = declared[1].decode("ascii", errors="replace")
    try:
        codec = codecs.lookup(name)
    except LookupError:
        return text, warnings
    if codec.name == "utf-8":
        return text, warnings
    decoded = data.decode(codec.name, errors="replace").replace("\x00", "")
    return decoded, (f"decoded as {name} (declared by the page)",)


def html_text(markup: str, *, autop: bool = False) -> HtmlText:
    """Title, date and text blocks of an HTML document or fragment.

    With ``autop`` a blank line in the source also ends a paragraph and a newline breaks
    a line, as WordPress renders post content that has no <p> tags.
    """
    soup = BeautifulSoup(markup, "lxml")
    title = _title(soup)
    date = _page_date(soup)
    collector = _Collector(autop)
    collector.walk(soup)
    return HtmlText(collector.blocks, title, date)


def _title(soup: BeautifulSoup) -> str | None:
    for tag in (soup.find("title"), soup.find("h1")):
        if isinstance(tag, Tag):
            text = _SPACES.sub(" ", tag.get_text()).strip()
            if text:
                return text
    return None


def _page_date(soup: BeautifulSoup) -> dt.date | None:
    """The first date from <meta name=date|dcterms.created|...>, then from <time>."""
    for meta in soup.find_all("meta"):
        key = meta.get("name") or meta.get("property") or meta.get("itemprop")
        if isinstance(key, str) and key.strip().lower() in _DATE_META:
            found = parse_date_value(meta.get("content"))
            if found:
                return found
    for time in soup.find_all("time"):
        found = parse_date_value(time.get("datetime") or time.get_text())
        if found:
            return found
    return None


class _Collector:
    """Walks the tree without recursion (hostile pages nest deeply), gathering blocks."""

    def __init__(self, autop: bool) -> None:
        self.autop = autop
        self.blocks: list[Block] = []
        self.pieces: list[tuple[str, str]] = []  # (text, kind): kind is text, pre or br
        self.level: int | None = None
        self.pre_depth = 0

    def walk(self, root: Tag) -> None:
        stack: list[tuple[Tag | NavigableString, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if isinstance(node, Tag):
                if leaving:
                    self._close(node.name)
                elif node.name not in _DROP:
                    self._open(node.name)
                    stack.append((node, True))
                    stack.extend(
                        (child, False)
                        for child in reversed(node.contents)
                        if isinstance(child, Tag | NavigableString)
                    )
            elif not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                self._text(str(node))
        self._flush()

    def _open(self, name: str) -> None:
        if name == "br":
            self.pieces.append(("\n", "br"))
        elif name in _CELLS and "".join(text for text, _ in self.pieces).strip():
            self.pieces.append((" | ", "text"))
        elif name in _BLOCKS:
            self._flush()
            self.level = _HEADINGS.get(name, self.level)
            self.pre_depth += name == "pre"

    def _close(self, name: str) -> None:
        if name in _BLOCKS and name not in _CELLS:
            self._flush()
            if name in _HEADINGS:
                self.level = None
            self.pre_depth -= name == "pre"

    def _text(self, text: str) -> None:
        if self.pre_depth:
            self.pieces.append((text, "pre"))
        elif self.autop and "\n" in text:
            for index, paragraph in enumerate(_PARAGRAPH_BREAK.split(text)):
                if index:
                    self._flush()
                for number, line in enumerate(paragraph.split("\n")):
                    if number:
                        self.pieces.append(("\n", "br"))
                    self.pieces.append((line, "text"))
        else:
            self.pieces.append((text, "text"))

    def _flush(self) -> None:
        if not self.pieces:
            return
        preformatted = any(kind == "pre" for _, kind in self.pieces)
        out: list[str] = []
        run: list[str] = []
        for text, kind in [*self.pieces, ("", "end")]:
            if kind == "text":
                run.append(text)
                continue
            out.append(_SPACES.sub(" ", "".join(run)))
            run = []
            out.append(text)
        lines = "".join(out).split("\n")
        joined = "\n".join(line.rstrip() if preformatted else line.strip() for line in lines)
        self.pieces = []
        if joined.strip():
            self.blocks.append(Block(joined.strip("\n") if preformatted else joined, self.level))
