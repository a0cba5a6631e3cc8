"""Reading WordPress WXR exports: posts and pages (drafts too) as dated entries."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import defusedxml
import defusedxml.ElementTree as SafeET

from ingest.dates import find_date, make_date
from ingest.entries import DateSource, Entry, Markup, NotWriting, ReadFailed, ReadResult
from ingest.readers._common import has_words, mtime_date, normalise_tags
from ingest.readers.html import html_text

READER = "wordpress"

NOT_WXR = "XML that is not a WordPress export"

_WP_NAMESPACE = re.compile(r"\{(https?://wordpress\.org/export/\d+\.\d+/)\}")
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_POST_TYPES = frozenset({"post", "page"})
# Trash is writing the writer threw away; auto-drafts are WordPress's empty placeholders.
_SKIPPED_STATUSES = frozenset({"trash", "auto-draft"})
# Shortcodes wrap media, not words: [caption ...]<img> A caption[/caption] keeps the caption.
_SHORTCODE = re.compile(
    r"\[/?(?:caption|wp_caption|gallery|embed|audio|video|playlist|youtube|vimeo|soundcloud"
    r"|tweet|instagram|googlemaps)\b[^\]]*\]",
    re.I,
)


@dataclass(frozen=True)
class _Post:
    title: str
    text: str
    date: dt.date
    source: DateSource
    tags: tuple[str, ...]


def read(data: bytes, rel_path: str, mtime: float) -> ReadResult:
    """Each post or page with text, as "title\\n\\ntext"; dated by wp:post_date."""
    if not data.strip():
        raise NotWriting("empty file")
    root = _parse(data)
    namespace = _wp_namespace(root)
    posts = [
        post for item in root.iter("item") if (post := _post(item, namespace, mtime)) is not None
    ]
    if not posts:
        raise NotWriting("WordPress export with no posts")
    source, entries = _assemble(posts)
    return ReadResult(READER, source, tuple(entries), _channel_title(root), ())


def _parse(data: bytes) -> ET.Element:
    """Parse refusing entity declarations and external references (entity bombs, XXE)."""
    try:
        return SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise ReadFailed(
            f"XML with entity declarations or external references refused ({type(exc).__name__})"
        ) from exc
    except ET.ParseError as exc:
        if b"wordpress.org/export/" in data[:65536]:
            raise ReadFailed(f"broken WordPress export (invalid XML: {exc})"[:200]) from exc
        raise NotWriting(NOT_WXR) from exc


def _wp_namespace(root: ET.Element) -> str:
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise NotWriting(NOT_WXR)
    for element in channel:
        match = _WP_NAMESPACE.match(element.tag)
        if match:
            return match[1]
    raise NotWriting(NOT_WXR)


def _channel_title(root: ET.Element) -> str | None:
    title = (root.findtext("channel/title") or "").strip()
    return title or None


def _post(item: ET.Element, wp: str, mtime: float) -> _Post | None:
    post_type = (item.findtext(f"{{{wp}}}post_type") or "").strip()
    status = (item.findtext(f"{{{wp}}}status") or "").strip()
    if post_type not in _POST_TYPES or status in _SKIPPED_STATUSES:
        return None
    content = _SHORTCODE.sub("", item.findtext(_CONTENT) or "")
    blocks = html_text(content, autop=True).blocks if content.strip() else []
    text = "\n\n".join(block.text.strip() for block in blocks if block.text.strip())
    if not has_words(text):
        return None
    title = " ".join((item.findtext("title") or "").split())
    date, source = _post_date(item, wp, mtime)
    return _Post(title, text, date, source, _tags(item))


def _post_date(item: ET.Element, wp: str, mtime: float) -> tuple[dt.date, DateSource]:
    """wp:post_date; drafts carry 0000-00-00, then pubDate; then the file time."""
    found = _wp_date(item.findtext(f"{{{wp}}}post_date")) or _rfc822_date(item.findtext("pubDate"))
    if found is not None:
        return found, DateSource.EXPORT
    return mtime_date(mtime), DateSource.FILE_TIME


def _wp_date(value: str | None) -> dt.date | None:
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value or "")
    return make_date(int(match[1]), int(match[2]), int(match[3])) if match else None


def _rfc822_date(value: str | None) -> dt.date | None:
    """pubDate, e.g. "Mon, 04 Mar 2019 10:00:00 +0000"; drafts say "30 Nov -0001", which
    email.utils would read as the year 2000, so the date is found by pattern instead."""
    found = find_date(value or "")
    return found[0] if found else None


def _tags(item: ET.Element) -> tuple[str, ...]:
    """Post tags and categories, without WordPress's default "Uncategorized"."""
    names = [
        (category.text or "").strip()
        for category in item.findall("category")
        if category.get("domain") in ("post_tag", "category")
    ]
    return normalise_tags(name for name in names if name.lower() != "uncategorized")


def _assemble(posts: list[_Post]) -> tuple[str, list[Entry]]:
    parts: list[str] = []
    entries: list[Entry] = []
    pos = 0
    for post in posts:
        if parts:
            pos += 2
        text = f"{post.title}\n\n{post.text}" if post.title else post.text
        entries.append(
            Entry(
                text=text,
                start=pos,
                end=pos + len(text),
                date=post.date,
                date_source=post.source,
                title=post.title or None,
                tags=post.tags,
                markup=Markup.PLAIN,
            )
        )
        parts.append(text)
        pos += len(text)
    return "\n\n".join(parts), entries
