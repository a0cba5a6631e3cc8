"""Chat models behind one small interface, chosen by config through a registry."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from config import Settings
from index.embeddings import ProviderUnavailable, choose_runtime

log = logging.getLogger(__name__)

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


class ChatModel(Protocol):
    """Streams a reply to a conversation, token by token."""

    @property
    def model_id(self) -> str:
        """Provider and model, e.g. ``ollama/llama3.1:8b``."""
        ...

    @property
    def context_window(self) -> int:
        """Tokens the model is run with (prompt and reply together)."""
        ...

    def parameters(self) -> dict[str, object]:
        """Everything sent to the model besides the messages (for the transparency panel)."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` costs this model (an estimate where the model has no tokenizer)."""
        ...

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        """Yield the reply in pieces.

        Raises:
            ChatFailed: the model failed before or during the reply; what was streamed so
                far stays with the caller.
            ProviderUnavailable: the runtime or model is missing.
        """
        ...


class ChatFailed(Exception):
    """The model stopped mid-reply or refused; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (about 3.5 characters a token for English prose)."""
    return max(1, int(len(text) / 3.5) + 1) if text else 0


Script = Callable[[Sequence[ChatMessage]], str]


def _default_script(messages: Sequence[ChatMessage]) -> str:
    """Cites the first numbered passage of the prompt, or says nothing was found."""
    prompt = "\n".join(m.content for m in messages)
    match = re.search(r"^\[(\d+)\][^\n]*\n(.+?)$", prompt, flags=re.MULTILINE)
    if not match:
        return "I could not find anything about that in your writing."
    first_line = match.group(2).strip()
    return f"You wrote about this: {first_line[:80]} [{match.group(1)}]."


@dataclass
class FakeChat:
    """A scripted, deterministic chat model for tests: no weights, no server."""

    script: Script = _default_script
    window: int = 8192
    chunk_size: int = 4  # characters per streamed piece
    fail_after: int | None = None  # raise ChatFailed after this many pieces
    calls: list[list[ChatMessage]] = field(default_factory=list)

    @property
    def model_id(self) -> str:
        return "fake/scripted"

    @property
    def context_window(self) -> int:
        return self.window

    def parameters(self) -> dict[str, object]:
        return {"num_ctx": self.window}

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        self.calls.append(list(messages))
        reply = self.script(messages)
        for index, start in enumerate(range(0, len(reply), self.chunk_size)):
            if self.fail_after is not None and index >= self.fail_after:
                raise ChatFailed("the fake model stopped mid-reply", hint="scripted failure")
            yield reply[start : start + self.chunk_size]


@dataclass(frozen=True)
class ChatChoice:
    """The chat model in use, which provider it came from, and why that one."""

    model: ChatModel
    provider: str
    reason: str


def _fake(settings: Settings) -> ChatModel:
    return FakeChat(window=settings.llm.num_ctx)


def _ollama(settings: Settings) -> ChatModel:
    from index import ollama_models

    return ollama_models.OllamaChat.connect(settings)


class LazyChat:
    """A chat model whose weights load on first use.

    Choosing a model (for ``ponder status`` or the settings page) then costs a file check,
    not seconds of loading; the first question pays for it once.
    """

    def __init__(self, model_id: str, load: Callable[[], ChatModel]) -> None:
        self._model_id = model_id
        self._load = load
        self._loaded: ChatModel | None = None

    @property
    def loaded(self) -> ChatModel:
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def context_window(self) -> int:
        return self.loaded.context_window

    def parameters(self) -> dict[str, object]:
        return self.loaded.parameters()

    def count_tokens(self, text: str) -> int:
        return self.loaded.count_tokens(text)

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        return self.loaded.stream(messages)

    @property
    def last_stats(self) -> object:
        return getattr(self._loaded, "last_stats", {})


def _embedded(settings: Settings) -> ChatModel:
    import importlib.util

    from index import embedded_models

    if importlib.util.find_spec("llama_cpp") is None:
        raise ProviderUnavailable(
            "the embedded chat runtime (llama-cpp-python) is not installed",
            hint=embedded_models.EMBEDDED_HINT,
        )
    path = embedded_models.resolve_gguf(settings)  # checks the file; loads nothing
    return LazyChat(f"embedded/{path.stem}", lambda: embedded_models.LlamaCppChat.load(settings))


CHAT_MODELS: dict[str, Callable[[Settings], ChatModel]] = {
    "fake": _fake,
    "ollama": _ollama,
    "embedded": _embedded,
}


def choose_chat(settings: Settings) -> ChatChoice:
    """The configured chat model; ``auto`` tries Ollama, then the embedded runtime.

    Raises:
        ProviderUnavailable: nothing configured can run, with the fix in ``hint``.
    """
    model, provider, reason = choose_runtime(
        "chat",
        settings.llm.provider,
        CHAT_MODELS,
        settings,
        settings.llm.ollama_model,
        lambda m: m.model_id,
    )
    return ChatChoice(model, provider, reason)
