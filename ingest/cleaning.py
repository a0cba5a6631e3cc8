"""The text ponder embeds and full-text indexes: an entry with its markup reduced to words."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from ingest.entries import Markup

Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]

_WORD = re.compile(r"[^\W_]")


def _wikilink(match: re.Match[str]) -> str:
    """[[Note|alias]] reads as alias, [[folder/Note#Heading]] as "Note Heading"."""
    alias = match["alias"]
    if alias and alias.strip():
        return alias.strip()
    note, _, heading = match["target"].partition("#")
    note = note.rsplit("/", 1)[-1].removesuffix(".md")
    if heading.startswith("^"):
        heading = ""  # a block id (^a1b2c3), not words
    return f"{note} {heading}".strip()


def _org_link(match: re.Match[str]) -> str:
    description = match["desc"]
    if description:
        return description
    target = match["target"]
    if target.startswith("id:"):
        return ""
    return target.removeprefix("file:")


# A backslash-escaped character ("\\*") is literal: it is parked in a private-use plane
# while the rules run, so no rule mistakes it for markup, and restored at the end.
_PARKED = 0xF0000
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_PARKED_CHAR = re.compile("[\U000f0000-\U000f007f]")


def _park(match: re.Match[str]) -> str:
    return chr(_PARKED + ord(match[1]))


def _unpark(match: re.Match[str]) -> str:
    return chr(ord(match[0]) - _PARKED)


# Order matters: escapes are parked first; code fences and comments go before links so
# nothing inside them is mistaken for one; links go before emphasis so "[*a*](url)" keeps
# its words.
_MARKDOWN_RULES: tuple[Rule, ...] = (
    (_ESCAPED, _park),
    (re.compile(r"^[ \t]{0,3}(?:`{3,}|~{3,}).*$", re.M), ""),
    (re.compile(r"<!--.*?-->", re.S), " "),
    (re.compile(r"!\[\[[^\]\n]*\]\]"), ""),
    (re.compile(r"\[\[(?P<target>[^\]\n|]*)(?:\|(?P<alias>[^\]\n]*))?\]\]"), _wikilink),
    (re.compile(r"!\[[^\]\n]*\](?:\((?:[^()\n]|\([^()\n]*\))*\)|\[[^\]\n]*\])"), ""),
    (re.compile(r"\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)"), r"\1"),
    (re.compile(r"^[ \t]{0,3}\[(?!\^)[^\]\n]+\]:[ \t]*\S+.*$", re.M), ""),
    (re.compile(r"^[ \t]{0,3}\[\^[^\]\n]+\]:[ \t]*", re.M), ""),
    (re.compile(r"\[\^[^\]\n]+\]"), ""),
    (re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]"), r"\1"),
    (re.compile(r"<((?:https?|mailto|ftp):[^>\s]+)>"), r"\1"),
    (re.compile(r"</?(?:br|p|div|li|tr|td|th|h[1-6])\b[^<>]*>", re.I), " "),
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"), ""),
    (re.compile(r"^[ \t]{0,3}#{1,6}(?=[ \t]|$)", re.M), ""),
    (re.compile(r"[ \t]+#+[ \t]*$", re.M), ""),
    (re.compile(r"^[ \t]{0,3}(?:(?:[-*_=][ \t]*){3,})$", re.M), ""),
    (re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+", re.M), ""),
    (re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?", re.M), ""),
    (re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*(?::?-{3,}:?)?[ \t]*$", re.M), ""),
    (re.compile(r"\|"), " "),
    (re.compile(r"(`+)(.+?)\1"), r"\2"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)"), r"\1"),
    (re.compile(r"(~~|==)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"%%"), " "),
    (re.compile(r"(?<!\S)#(?=[^\s#])"), ""),
    (_PARKED_CHAR, _unpark),
)

_ORG_RULES: tuple[Rule, ...] = (
    (re.compile(r"^[ \t]*:(?:PROPERTIES|LOGBOOK):[ \t]*$.*?^[ \t]*:END:[ \t]*$", re.M | re.S), ""),
    (re.compile(r"^[ \t]*#\+(?:begin|end)_\S*.*$", re.M | re.I), ""),
    (re.compile(r"^[ \t]*#\+\w+:[ \t]*", re.M), ""),
    (re.compile(r"^[ \t]*#(?=[ \t]|$)[ \t]?", re.M), ""),
    (re.compile(r"^\*+[ \t]+", re.M), ""),
    (re.compile(r"[ \t]+:((?:[\w@#%]+:)+)[ \t]*$", re.M), lambda m: " " + m[1].replace(":", " ")),
    (re.compile(r"\b(?:SCHEDULED|DEADLINE|CLOSED):"), ""),
    (re.compile(r"\[\[(?P<target>[^\]\n]+)\](?:\[(?P<desc>[^\]\n]*)\])?\]"), _org_link),
    (re.compile(r"[<\[](\d{4}-\d{2}-\d{2}[^\]>\n]*)[>\]]"), r"\1"),
    (re.compile(r"^[ \t]*(?:[-+]|\d{1,9}[.)])[ \t]+(?:\[[ X-]\][ \t]+)?", re.M), ""),
    (re.compile(r"^[ \t]*\|[-+|]*$", re.M), ""),
    (re.compile(r"\|"), " "),
    (re.compile(r"(?<![\w])([*/_=~+])(?=\S)([^\n]*?\S)\1(?![\w])"), r"\2"),
)

_RULES: dict[Markup, tuple[Rule, ...]] = {
    Markup.MARKDOWN: _MARKDOWN_RULES,
    Markup.ORG: _ORG_RULES,
    Markup.PLAIN: (),
}


def search_text(text: str, markup: Markup) -> str:
    """The words of an entry for embedding and full-text search, markup and links reduced.

    Line structure is kept (single newlines, at most one blank line between paragraphs)
    so chunkers can still see paragraphs; runs of spaces and tabs become one space.
    """
    cleaned = text
    for pattern, replacement in _RULES[markup]:
        cleaned = pattern.sub(replacement, cleaned)
    if markup is Markup.MARKDOWN:
        cleaned = html.unescape(cleaned)
    cleaned = collapse_whitespace(cleaned)
    if not _WORD.search(cleaned) and _WORD.search(text):
        # Only markup around the words (a lone embed, say): keep the text as written.
        return collapse_whitespace(text)
    return cleaned


def collapse_whitespace(text: str) -> str:
    """Spaces and tabs to one space, lines trimmed, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
