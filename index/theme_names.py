"""Names and descriptions for themes from the chat model: one call per theme, never per entry.

The model sees the theme's keywords and a few of its representative passages and answers
in two lines ("Name: ...", "Description: You ..."). A model that is missing, fails, or
answers in another shape leaves the theme with its keyword name: naming is a nicety, the
themes stand without it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from index.chat import ChatFailed, ChatMessage, ChatModel
from index.embeddings import ProviderUnavailable

log = logging.getLogger(__name__)

PASSAGE_CHARS = 600  # of each passage shown to the model
PASSAGES = 3
REPLY_CHARS = 1200  # stop reading a rambling reply here

SYSTEM = (
    "You help a writer see the themes in their own private writing. You are given the "
    "keywords and a few passages of one theme. Reply with exactly two lines:\n"
    "Name: a short name for the theme (2 to 5 words, no quotes)\n"
    "Description: one sentence addressed to the writer, starting 'You keep coming back to'"
)

_NAME = re.compile(r"^\s*\**name\**\s*[:\-]\s*(.+)$", re.I | re.M)
_DESCRIPTION = re.compile(r"^\s*\**description\**\s*[:\-]\s*(.+)$", re.I | re.M)


def naming_messages(keywords: Sequence[str], passages: Sequence[str]) -> list[ChatMessage]:
    shown = "\n\n".join(
        f"[{number}] {text.strip()[:PASSAGE_CHARS]}"
        for number, text in enumerate(passages[:PASSAGES], start=1)
    )
    user = f"Keywords: {', '.join(keywords)}\n\nPassages:\n{shown}\n\nName:"
    return [ChatMessage("system", SYSTEM), ChatMessage("user", user)]


def parse_naming(reply: str) -> tuple[str, str] | None:
    """(name, description) from the model's reply, or None when it is not usable."""
    text = reply.strip()
    name_match = _NAME.search(text)
    # The prompt ends with "Name:", so a completion-style reply starts with the name.
    first_line = text.splitlines()[0] if text else ""
    name = name_match.group(1) if name_match else first_line
    name = name.strip().strip("\"'*`#").strip()
    description_match = _DESCRIPTION.search(text)
    description = description_match.group(1).strip().strip("\"'*") if description_match else ""
    words = name.split()
    if not 1 <= len(words) <= 8 or len(name) > 60 or not re.search(r"[A-Za-z]", name):
        return None
    if not description.lower().startswith("you"):
        description = ""
    return name[0].upper() + name[1:], description


def name_theme(
    model: ChatModel, keywords: Sequence[str], passages: Sequence[str]
) -> tuple[str, str] | None:
    """One call to the model; None when it fails or answers in another shape."""
    pieces: list[str] = []
    try:
        for piece in model.stream(naming_messages(keywords, passages)):
            pieces.append(piece)
            if sum(len(p) for p in pieces) > REPLY_CHARS:
                break
    except (ChatFailed, ProviderUnavailable) as exc:
        log.info("naming a theme failed, keeping its keyword name: %s", exc)
        return None
    return parse_naming("".join(pieces))
