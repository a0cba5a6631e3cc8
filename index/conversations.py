"""Saved conversations: one JSON file (the record) and one Markdown file (to read) each.

Conversations live in ``<data_dir>/conversations/<id>.json`` and ``<id>.md``, never in the
archive: a saved answer must not come back as the writer's own writing at the next sync.
Every write goes to a temporary file in the same folder and is moved into place with
``os.replace``, so a crash leaves the old version or the new one, never half a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from index.answer import (
    Answer,
    Citation,
    Exchange,
    answer_from_json,
    answer_json,
    citation_from_json,
    citation_json,
)

FORMAT_VERSION = 1
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$")
_TITLE_CHARS = 70


class ConversationError(Exception):
    """A conversation cannot be found, read or written; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Turn:
    """One question of a conversation and what came of it."""

    question: str
    standalone_question: str
    answer: str
    citations: tuple[Citation, ...]
    asked_at: dt.datetime
    model: str
    searched: str  # the date range in words, e.g. "from 2014-01-01 to 2014-12-31"
    found: bool
    error: str | None = None
    # Everything about the answer as it was asked (prompt, passages with scores, model and
    # parameters, timings): a saved conversation stays inspectable. None in older saves.
    details: Answer | None = None

    @classmethod
    def of(cls, answer: Answer, asked_at: dt.datetime) -> Turn:
        return cls(
            question=answer.question,
            standalone_question=answer.standalone_question,
            answer=answer.text,
            citations=answer.citations,
            asked_at=asked_at,
            model=answer.model,
            searched=answer.scope.describe(),
            found=answer.found,
            error=answer.error,
            details=answer,
        )


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created: dt.datetime
    turns: tuple[Turn, ...] = ()

    @property
    def updated(self) -> dt.datetime:
        return self.turns[-1].asked_at if self.turns else self.created

    def history(self) -> list[Exchange]:
        """The exchanges so far, as the next question's context."""
        return [Exchange(turn.question, turn.answer) for turn in self.turns]

    def with_turn(self, turn: Turn) -> Conversation:
        title = self.title or _title_from(turn.question)
        return replace(self, title=title, turns=(*self.turns, turn))


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    created: dt.datetime
    updated: dt.datetime
    turns: int


def _title_from(question: str) -> str:
    words = " ".join(question.split())
    if len(words) <= _TITLE_CHARS:
        return words
    return words[:_TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Conversations:
    """The saved conversations in one folder (``<data_dir>/conversations``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def new(self, title: str = "", now: dt.datetime | None = None) -> Conversation:
        """A new, unsaved conversation with a fresh id (its start time and 4 random hex)."""
        created = now or _now()
        stamp = created.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
        return Conversation(id=f"{stamp}-{secrets.token_hex(2)}", title=title, created=created)

    def save(self, conversation: Conversation) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = json.dumps(conversation_json(conversation), indent=2, ensure_ascii=False)
        _write_atomic(self._path(conversation.id, ".json"), data)
        _write_atomic(self._path(conversation.id, ".md"), conversation_markdown(conversation))

    def load(self, conversation_id: str) -> Conversation:
        """Raises ConversationError when there is no such conversation or it cannot be read."""
        path = self._path(conversation_id, ".json")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise self._missing(conversation_id) from None
        except (OSError, ValueError) as exc:
            raise ConversationError(
                f"cannot read conversation {conversation_id}: {exc}",
                hint=f"The file is {path}; move it aside to start afresh.",
            ) from None
        return conversation_from_json(data)

    def summaries(self) -> list[ConversationSummary]:
        """Every saved conversation, the most recently used first; unreadable files skipped."""
        summaries = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            if not _ID.match(path.stem):
                continue
            try:
                conversation = self.load(path.stem)
            except (ConversationError, KeyError, TypeError, ValueError):
                continue
            summaries.append(
                ConversationSummary(
                    conversation.id,
                    conversation.title,
                    conversation.created,
                    conversation.updated,
                    len(conversation.turns),
                )
            )
        return sorted(summaries, key=lambda s: (s.updated, s.id), reverse=True)

    def rename(self, conversation_id: str, title: str) -> Conversation:
        conversation = replace(self.load(conversation_id), title=" ".join(title.split()))
        self.save(conversation)
        return conversation

    def delete(self, conversation_id: str) -> None:
        json_path = self._path(conversation_id, ".json")
        if not json_path.exists():
            raise self._missing(conversation_id)
        json_path.unlink()
        self._path(conversation_id, ".md").unlink(missing_ok=True)

    def export(self, conversation_id: str, target: Path, archive: Path | None = None) -> Path:
        """Write a conversation to ``target``: JSON for a ``.json`` name, Markdown otherwise.

        A folder as ``target`` gets ``<id>.md`` inside it. Refuses a target inside the
        archive: the next sync would index the conversation as the writer's own writing.
        """
        conversation = self.load(conversation_id)
        if target.is_dir():
            target = target / f"{conversation.id}.md"
        if archive is not None and _inside(target, archive):
            raise ConversationError(
                f"{target} is inside your archive ({archive})",
                hint="ponder never writes into the archive (it would be read back as your "
                "writing); export somewhere else.",
            )
        if target.suffix.lower() == ".json":
            text = json.dumps(conversation_json(conversation), indent=2, ensure_ascii=False)
        else:
            text = conversation_markdown(conversation)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(target, text)
        return target

    def _path(self, conversation_id: str, suffix: str) -> Path:
        # Ids become file names: anything but our own shape could reach outside the folder.
        if not _ID.match(conversation_id):
            raise self._missing(conversation_id)
        return self.folder / f"{conversation_id}{suffix}"

    def _missing(self, conversation_id: str) -> ConversationError:
        return ConversationError(
            f"no conversation {conversation_id!r}",
            hint="`ponder conversations list` shows the saved ones.",
        )


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _write_atomic(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- JSON ------------------------------------------------------------------------------------


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "id": conversation.id,
        "title": conversation.title,
        "created": conversation.created.isoformat(),
        "updated": conversation.updated.isoformat(),
        "turns": [_turn_json(turn) for turn in conversation.turns],
    }


def _turn_json(turn: Turn) -> dict[str, Any]:
    return {
        "question": turn.question,
        "standalone_question": turn.standalone_question,
        "answer": turn.answer,
        "citations": [citation_json(c) for c in turn.citations],
        "asked_at": turn.asked_at.isoformat(),
        "model": turn.model,
        "searched": turn.searched,
        "found": turn.found,
        "error": turn.error,
        "details": answer_json(turn.details) if turn.details else None,
    }


def conversation_from_json(data: dict[str, Any]) -> Conversation:
    return Conversation(
        id=data["id"],
        title=data.get("title", ""),
        created=dt.datetime.fromisoformat(data["created"]),
        turns=tuple(_turn_from_json(turn) for turn in data.get("turns", [])),
    )


def _turn_from_json(data: dict[str, Any]) -> Turn:
    return Turn(
        question=data["question"],
        standalone_question=data.get("standalone_question", data["question"]),
        answer=data.get("answer", ""),
        citations=tuple(citation_from_json(c) for c in data.get("citations", [])),
        asked_at=dt.datetime.fromisoformat(data["asked_at"]),
        model=data.get("model", ""),
        searched=data.get("searched", ""),
        found=bool(data.get("found", True)),
        error=data.get("error"),
        details=_details_from_json(data.get("details")),
    )


def _details_from_json(data: object) -> Answer | None:
    """The saved answer's details; a damaged record loses only them, never the turn."""
    if not isinstance(data, dict):
        return None
    try:
        return answer_from_json(data)
    except (KeyError, TypeError, ValueError):
        return None


# -- Markdown --------------------------------------------------------------------------------


def conversation_markdown(conversation: Conversation) -> str:
    """The conversation to read: each answer followed by its sources as dated quotes."""
    lines = [
        f"# {conversation.title or 'Conversation'}",
        "",
        f"_{conversation.created:%Y-%m-%d %H:%M} UTC · {len(conversation.turns)} "
        f"question{'s' if len(conversation.turns) != 1 else ''} · ponder conversation "
        f"{conversation.id}_",
    ]
    for turn in conversation.turns:
        lines += ["", f"## {turn.question}", ""]
        if turn.standalone_question != turn.question:
            lines += [f"_Searched as: {turn.standalone_question}_", ""]
        lines.append(_inert(turn.answer.strip()) or "_(no answer)_")
        if turn.error:
            lines += ["", f"> **The answer stopped early:** {turn.error}"]
        if turn.citations:
            lines += ["", "**Sources**", ""]
            for citation in turn.citations:
                lines += _citation_markdown(citation)
        lines += ["", f"_{turn.asked_at:%Y-%m-%d %H:%M} · {turn.model} · {turn.searched}_"]
    return "\n".join(lines) + "\n"


def _inert(text: str) -> str:
    """Model output and archive text made harmless in a Markdown viewer.

    A remote image loads by itself when the file is opened: a prompt-injected note could
    make the model write one that carries the writer's words off to a server. Images
    become plain text, and raw HTML shows as text.
    """
    return text.replace("<", "&lt;").replace("![", "!\\[")


def _citation_markdown(citation: Citation) -> list[str]:
    title = f" — {citation.title}" if citation.title else ""
    unverified = " (the file has changed since)" if not citation.verified else ""
    quote = [f"   > {line}".rstrip() for line in _inert(citation.quote.strip()).splitlines()]
    header = f"{citation.key}. {citation.date.isoformat()} · {citation.path}{title}{unverified}"
    return [header, *quote]
