"""The user's Ollama (chat, embeddings, listing and pulling models): the one user of its client."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import ollama

from config import Settings
from index.chat import ChatFailed, ChatMessage, estimate_tokens
from index.embeddings import Matrix, ProviderUnavailable, normalize
from index.records import Vector

log = logging.getLogger(__name__)

# Models trained with task prefixes embed badly without them.
_PREFIXES: dict[str, tuple[str, str]] = {
    "nomic-embed-text": ("search_document: ", "search_query: "),
    "mxbai-embed-large": ("", "Represent this sentence for searching relevant passages: "),
    "snowflake-arctic-embed": ("", "Represent this sentence for searching relevant passages: "),
}
_PROBE_TIMEOUT_SECONDS = 3.0
_LIST_TIMEOUT_SECONDS = 10.0  # listing and /api/show for each model
_EMBEDDINGS_SETTING = "PONDER_EMBEDDINGS__PROVIDER"
_CHAT_SETTING = "PONDER_LLM__PROVIDER"
# What Ollama reports in a reply's last chunk, kept for the transparency panel.
_STAT_FIELDS = (
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
    "load_duration",
    "total_duration",
    "done_reason",
)


def task_prefixes(model: str) -> tuple[str, str]:
    """(document prefix, query prefix) for a model name such as ``nomic-embed-text:v1.5``."""
    base = model.split(":", 1)[0].rsplit("/", 1)[-1]
    return _PREFIXES.get(base, ("", ""))


# -- errors ------------------------------------------------------------------------


def not_running(
    host: str, provider_setting: str | None = _EMBEDDINGS_SETTING
) -> ProviderUnavailable:
    """The server is not there; ``provider_setting`` names the switch to the embedded runtime."""
    hint = (
        "Start it with `ollama serve` (install: https://ollama.com/download), "
        "set OLLAMA_HOST if it runs elsewhere"
    )
    if provider_setting:
        hint += f", or use the embedded runtime ({provider_setting}=embedded)"
    return ProviderUnavailable(f"Ollama is not reachable at {host}", hint=hint + ".")


def model_missing(model: str) -> ProviderUnavailable:
    return ProviderUnavailable(
        f"Ollama does not have the model {model}",
        hint=f"Pull it: `ponder models pull {model}` (or `ollama pull {model}`).",
    )


@dataclass(frozen=True)
class _Failure:
    """What went wrong talking to Ollama, in words."""

    message: str
    hint: str
    missing: bool  # the server or the model is not there, as opposed to failing while answering

    def unavailable(self) -> ProviderUnavailable:
        return ProviderUnavailable(self.message, hint=self.hint)


@dataclass(frozen=True)
class _Call:
    """Who was asked what: enough to explain any failure of one call."""

    host: str
    model: str
    timeout: float
    doing: str  # "to answer", "to embed", ...
    provider_setting: str | None = None

    def explain(self, exc: Exception) -> _Failure | None:
        """The failure ``exc`` means, or None when it is not a failure talking to Ollama."""
        if isinstance(exc, ollama.ResponseError):
            return self._refused(exc)
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | ConnectionError):
            down = not_running(self.host, self.provider_setting)
            return _Failure(str(down), down.hint, missing=True)
        if isinstance(exc, httpx.TimeoutException):
            return _Failure(
                f"Ollama at {self.host} did not answer within {self.timeout:g} s",
                "A large model on a busy machine can be slow: raise ollama.timeout_seconds "
                "(PONDER_OLLAMA__TIMEOUT_SECONDS), or check the server's load with `ollama ps`.",
                missing=False,
            )
        if isinstance(exc, httpx.TransportError):
            return _Failure(
                f"Ollama at {self.host} closed the connection before it finished ({exc})",
                "The server may have stopped or crashed: check its log and `ollama ps`, "
                "then try again.",
                missing=False,
            )
        if isinstance(exc, ValueError | httpx.HTTPError):  # bad JSON, or JSON of the wrong shape
            return _Failure(
                f"Ollama at {self.host} sent a response ponder cannot read ({_first_line(exc)})",
                "Check that OLLAMA_HOST points at an Ollama server; update Ollama if it is old.",
                missing=False,
            )
        return None

    def _refused(self, exc: ollama.ResponseError) -> _Failure:
        if exc.status_code == 404 and self.model:
            missing = model_missing(self.model)
            return _Failure(str(missing), missing.hint, missing=True)
        with_model = f" with {self.model}" if self.model else ""
        return _Failure(
            f"Ollama at {self.host} failed {self.doing}{with_model}: {exc.error}",
            "Check the server's log; `ollama ps` shows what it has loaded.",
            missing=False,
        )


@contextmanager
def _explained(call: _Call) -> Iterator[None]:
    """Turn a failure talking to Ollama into ProviderUnavailable with its fix."""
    try:
        yield
    except Exception as exc:
        failure = call.explain(exc)
        if failure is None:
            raise
        raise failure.unavailable() from exc


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _client(host: str, timeout: float) -> ollama.Client:
    return ollama.Client(host=host, timeout=timeout)


# -- the models the server holds ------------------------------------------------------


def has_model(names: Sequence[str], model: str) -> bool:
    """Whether ``model`` is among Ollama's names (``name`` means ``name:latest``)."""
    wanted = model if ":" in model else f"{model}:latest"
    return wanted in names or model in names


def list_model_names(
    client: ollama.Client, host: str, provider_setting: str | None = _EMBEDDINGS_SETTING
) -> list[str]:
    call = _Call(host, "", _PROBE_TIMEOUT_SECONDS, "to list its models", provider_setting)
    with _explained(call):
        response = client.list()
    return [m.model for m in response.models if m.model]


@dataclass(frozen=True)
class ModelInfo:
    """One model the Ollama server holds, as ``ponder models`` shows it."""

    name: str
    size: int  # bytes on disk
    family: str
    parameter_size: str
    quantization: str
    context_length: int | None  # what the model was trained with; None if Ollama did not say


@dataclass(frozen=True)
class PullProgress:
    """One step of a pull: a status, and for a download its layer and byte counts."""

    status: str
    digest: str = ""
    total: int = 0
    completed: int = 0


def configured_models(settings: Settings) -> dict[str, str]:
    """The Ollama models ponder is configured to use, by role."""
    return {"chat": settings.llm.ollama_model, "embeddings": settings.embeddings.ollama_model}


def list_models(settings: Settings) -> list[ModelInfo]:
    """The models on the configured server, with details from /api/tags and /api/show.

    Raises:
        ProviderUnavailable: the server is down or answers nonsense, with the fix in ``hint``.
    """
    host = settings.ollama.host
    # Metadata, not generation: a host that does not answer (a GPU box that is off, a wrong
    # address) must not hold the settings page or `ponder models` for the full timeout.
    timeout = min(settings.ollama.timeout_seconds, _LIST_TIMEOUT_SECONDS)
    client = _client(host, timeout)
    call = _Call(host, "", timeout, "to list its models")
    with _explained(call):
        listed = client.list().models
        return [_model_info(client, m) for m in listed if m.model]


def _model_info(client: ollama.Client, listed: ollama.ListResponse.Model) -> ModelInfo:
    assert listed.model is not None  # list_models skips nameless entries
    details = listed.details
    return ModelInfo(
        name=listed.model,
        size=int(listed.size or 0),
        family=(details.family if details else None) or "",
        parameter_size=(details.parameter_size if details else None) or "",
        quantization=(details.quantization_level if details else None) or "",
        context_length=_trained_context(client, listed.model),
    )


def _trained_context(client: ollama.Client, model: str) -> int | None:
    """The context length a model was trained with (``<arch>.context_length`` in /api/show)."""
    try:
        info = client.show(model).modelinfo or {}
    except ollama.ResponseError:  # one odd model should not hide the others
        return None
    lengths = [v for k, v in info.items() if k.endswith(".context_length") and isinstance(v, int)]
    return lengths[0] if lengths else None


def pull_model(settings: Settings, name: str) -> Iterator[PullProgress]:
    """Pull ``name`` onto the configured server, yielding its progress as Ollama reports it.

    Raises:
        ProviderUnavailable: the server is down, or cannot pull that name.
    """
    host = settings.ollama.host
    client = _client(host, settings.ollama.timeout_seconds)
    call = _Call(host, name, settings.ollama.timeout_seconds, "to pull")
    with _explained(call):
        try:
            for step in client.pull(name, stream=True):
                yield PullProgress(
                    status=step.status or "",
                    digest=step.digest or "",
                    total=int(step.total or 0),
                    completed=int(step.completed or 0),
                )
        except ollama.ResponseError as exc:  # Ollama names an unknown model inside the stream
            raise ProviderUnavailable(
                f"Ollama could not pull {name}: {exc.error}",
                hint="Check the name at https://ollama.com/library (a tag may be needed, e.g. "
                "`ponder models pull llama3.1:8b`), and that the server can reach the internet.",
            ) from exc


# -- embeddings ------------------------------------------------------------------------


class OllamaEmbedder:
    """Embeddings from Ollama's /api/embed, in batches, with the model's task prefixes."""

    def __init__(
        self,
        client: ollama.Client,
        host: str,
        model: str,
        batch_size: int,
        keep_alive: str,
        timeout: float,
    ) -> None:
        self._client = client
        self._model = model
        self._batch_size = batch_size
        self._keep_alive = keep_alive
        self._call = _Call(host, model, timeout, "to embed", _EMBEDDINGS_SETTING)
        self._document_prefix, self._query_prefix = task_prefixes(model)
        self._dimension = 0

    @classmethod
    def connect(cls, settings: Settings) -> OllamaEmbedder:
        """Check the server and the model, then learn the dimension from one probe."""
        host = settings.ollama.host
        model = settings.embeddings.ollama_model
        probe = _client(host, _PROBE_TIMEOUT_SECONDS)
        if not has_model(list_model_names(probe, host), model):
            raise model_missing(model)
        timeout = settings.ollama.timeout_seconds
        embedder = cls(
            _client(host, timeout),
            host,
            model,
            settings.embeddings.batch_size,
            settings.llm.keep_alive,
            timeout,
        )
        embedder._dimension = int(embedder._embed(["dimension probe"]).shape[1])
        return embedder

    @property
    def model_id(self) -> str:
        return f"ollama/{self._model}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        batches = [
            self._embed([self._document_prefix + t for t in texts[i : i + self._batch_size]])
            for i in range(0, len(texts), self._batch_size)
        ]
        return np.concatenate(batches)

    def embed_query(self, text: str) -> Vector:
        vector: Vector = self._embed([self._query_prefix + text])[0]
        return vector

    def _embed(self, texts: list[str]) -> Matrix:
        with _explained(self._call):
            response = self._client.embed(
                model=self._model, input=texts, keep_alive=self._keep_alive
            )
            vectors = normalize(response.embeddings)
        if vectors.shape[0] != len(texts):  # a short answer would misalign every vector after it
            raise ProviderUnavailable(
                f"Ollama returned {vectors.shape[0]} embeddings for {len(texts)} texts",
                hint="Update Ollama, and check the server's log.",
            )
        return vectors


# -- chat --------------------------------------------------------------------------------


class OllamaChat:
    """A chat model on the user's Ollama, streamed, run with ponder's context window."""

    def __init__(
        self,
        client: ollama.Client,
        host: str,
        model: str,
        num_ctx: int,
        temperature: float,
        keep_alive: str,
        timeout: float,
    ) -> None:
        self._client = client
        self._host = host
        self._model = model
        self._options: dict[str, Any] = {"num_ctx": num_ctx, "temperature": temperature}
        self._keep_alive = keep_alive
        self._call = _Call(host, model, timeout, "to answer", _CHAT_SETTING)
        # What Ollama reported about the last reply (token counts, durations in ns).
        self.last_stats: dict[str, object] = {}

    @classmethod
    def connect(cls, settings: Settings) -> OllamaChat:
        """Check the server has the configured model; raise ProviderUnavailable if not."""
        host = settings.ollama.host
        model = settings.llm.ollama_model
        probe = _client(host, _PROBE_TIMEOUT_SECONDS)
        if not has_model(list_model_names(probe, host, _CHAT_SETTING), model):
            raise model_missing(model)
        num_ctx = _usable_context(probe, model, settings.llm.num_ctx)
        timeout = settings.ollama.timeout_seconds
        return cls(
            _client(host, timeout),
            host,
            model,
            num_ctx,
            settings.llm.temperature,
            settings.llm.keep_alive,
            timeout,
        )

    @property
    def model_id(self) -> str:
        return f"ollama/{self._model}"

    @property
    def context_window(self) -> int:
        return int(self._options["num_ctx"])

    def parameters(self) -> dict[str, object]:
        return {
            "model": self._model,
            **self._options,
            "keep_alive": self._keep_alive,
            "host": self._host,
        }

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        """Yield the reply as Ollama streams it; failures become ChatFailed/ProviderUnavailable."""
        self.last_stats = {}
        finished = False
        try:
            for part in self._client.chat(
                model=self._model,
                messages=[{"role": m.role, "content": m.content} for m in messages],
                stream=True,
                options=self._options,
                keep_alive=self._keep_alive,
            ):
                if part.done:
                    finished = True
                    self.last_stats = _stats(part)
                if part.message.content:
                    yield part.message.content
        except Exception as exc:
            failure = self._call.explain(exc)
            if failure is None:
                raise
            if failure.missing:
                raise failure.unavailable() from exc
            raise ChatFailed(failure.message, hint=failure.hint) from exc
        if not finished:  # the stream ended cleanly but without Ollama's closing chunk
            raise ChatFailed(
                f"Ollama at {self._host} ended the reply without finishing it",
                hint="The server may have restarted: ask again.",
            )


def _usable_context(client: ollama.Client, model: str, num_ctx: int) -> int:
    """``num_ctx``, or the model's trained context if smaller.

    Ollama quietly clamps a larger num_ctx to the model's trained length; budgeting the
    prompt for the clamped window is what keeps passages from being cut off unseen.
    """
    try:
        trained = _trained_context(client, model)
    except (httpx.HTTPError, ConnectionError, ValueError):
        trained = None
    if trained is not None and trained < num_ctx:
        log.warning(
            "llm.num_ctx is %d but %s was trained with %d tokens: using %d",
            num_ctx,
            model,
            trained,
            trained,
        )
        return trained
    return num_ctx


def _stats(part: ollama.ChatResponse) -> dict[str, object]:
    values = {name: getattr(part, name, None) for name in _STAT_FIELDS}
    return {name: value for name, value in values.items() if value is not None}
