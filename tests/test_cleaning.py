"""search_text: the words of an entry, without Markdown, Obsidian, HTML or Org markup."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.cleaning import search_text
from ingest.entries import Markup

MD = Markup.MARKDOWN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See [[Note]].", "See Note."),
        ("See [[Note|the alias]].", "See the alias."),
        ("See [[Note#Heading]].", "See Note Heading."),
        ("See [[folder/Note.md#Heading|]].", "See Note Heading."),
        ("See [[Note#^a1b2c3]].", "See Note."),
        ("Photo: ![[embed.png]] done", "Photo: done"),
        ("A [link](https://example.com/a_(b)) here", "A link here"),
        ("An ![image](cat.png) here", "An here"),
        ("A [ref link][1] here\n\n[1]: https://example.com", "A ref link here"),
        ("<https://example.com>", "https://example.com"),
        ("## Heading ##\ntext", "Heading\ntext"),
        ("Title\n=====\ntext", "Title\n\ntext"),
        (
            "**bold**, __strong__, *em*, _it_, ~~gone~~, ==marked==",
            "bold, strong, em, it, gone, marked",
        ),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("<b>bold</b> and <span class='x'>span</span><br>next", "bold and span next"),
        ("x &amp; y &lt;3", "x & y <3"),
        ("> quoted\n> more", "quoted\nmore"),
        ("- item\n* item\n1. first\n- [x] done", "item\nitem\nfirst\ndone"),
        ("`code` and\n```python\nprint(1)\n```", "code and\n\nprint(1)"),
        ("\\*not emphasis\\*", "*not emphasis*"),
        ("An idea #idea/sub", "An idea idea/sub"),
        ("Footnote[^1].\n\n[^1]: The note.", "Footnote.\n\nThe note."),
        ("| a | b |\n|---|---|\n| c | d |", "a b\n\nc d"),
        ("<!-- hidden -->visible", "visible"),
    ],
)
def test_markdown(text: str, expected: str) -> None:
    assert search_text(text, MD) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#+TITLE: My notes\nbody", "My notes\nbody"),
        ("** TODO Call mum :family:phone:", "TODO Call mum family phone"),
        ("*bold* /italic/ _under_ =code= ~verb~ +strike+", "bold italic under code verb strike"),
        ("[[https://orgmode.org][Org]] and [[file:notes.org]]", "Org and notes.org"),
        ("[[id:1234-5678]] gone", "gone"),
        ("* <2019-03-04 Mon> rain", "2019-03-04 Mon rain"),
        ("* H\n:PROPERTIES:\n:ID: 42\n:END:\ntext", "H\n\ntext"),
        ("#+BEGIN_SRC python\nx = 1\n#+END_SRC", "x = 1"),
        ("- a\n+ b\n1) c", "a\nb\nc"),
        ("a/b/c path and 3*4*5", "a/b/c path and 3*4*5"),
    ],
)
def test_org(text: str, expected: str) -> None:
    assert search_text(text, Markup.ORG) == expected


def test_plain_only_collapses_whitespace() -> None:
    assert search_text("  lots   of\t space\r\n\r\n\r\n\r\nnext  **kept**", Markup.PLAIN) == (
        "lots of space\n\nnext **kept**"
    )


def test_markup_only_text_falls_back_to_the_text() -> None:
    assert search_text("![[photo.png]]", MD) == "![[photo.png]]"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab1 #*_=~/[]()!|<>`\\\n-+:.", max_size=80), st.sampled_from(list(Markup)))
def test_never_empty_for_text_with_words(text: str, markup: Markup) -> None:
    if any(char.isalnum() for char in text):
        assert any(char.isalnum() for char in search_text(text, markup))
