"""Inert Markdown: no image and no HTML survives, whatever the model or a note writes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from ui.safe_markdown import inert

_PARSER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def _loads(markdown: str) -> list[str]:
    """What a CommonMark renderer would fetch or render as HTML: images and raw HTML."""
    found = []
    stack = list(_PARSER.parse(markdown))
    while stack:
        token = stack.pop()
        if token.type == "image":
            found.append(f"image {token.attrs.get('src')}")
        if token.type in ("html_inline", "html_block"):
            found.append(f"html {token.content}")
        stack.extend(token.children or [])
    return found


def test_images_of_every_kind_stay_text() -> None:
    for text in [
        "![x](http://203.0.113.7/p.png)",
        '![x](<http://203.0.113.7/p q.png> "title")',
        "![a [nested] alt](http://203.0.113.7/p.png)",
        "![ref][r]\n\n[r]: http://203.0.113.7/p.png",
        "![r]\n\n[r]: http://203.0.113.7/p.png",
        "\\\\![x](http://203.0.113.7/p.png)",  # an escaped backslash, then an image
        "`code` ![x](http://203.0.113.7/p.png)",
        "> quoted ![x](http://203.0.113.7/p.png)",
        "- item ![x](http://203.0.113.7/p.png)",
    ]:
        assert _loads(text), text  # the attack works on the raw text...
        assert not _loads(inert(text)), text  # ...and not on the inert one
        assert "203.0.113.7" in inert(text)  # the words are still shown


def test_html_stays_text() -> None:
    for text in [
        '<img src="http://203.0.113.7/p.png">',
        "<IMG SRC=http://203.0.113.7/p.png>",
        "\\\\<img src=x>",
        "<!-- comment -->",
        "<http://203.0.113.7/autolink>",
        "<script>alert(1)</script>",
        "</div>",
    ]:
        assert not _loads(inert(text)), text


def test_ordinary_writing_is_unchanged() -> None:
    text = "I walked to the sea [1]. It was 3 < 4 degrees!\n\n## 2014-03-02\n- a *list*\n"
    assert inert(text) == text


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "!",
                "[",
                "]",
                "(",
                ")",
                "<",
                ">",
                "\\",
                "`",
                "img",
                "x",
                " ",
                "\n",
                "http://h/p",
                "*",
                '"',
                ":",
                "a",
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_no_arrangement_of_markup_loads_anything(text: str) -> None:
    assert not _loads(inert(text))
