"""The user's Ollama: the only module that imports the ollama client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np
import ollama

from config import Settings
from index.embeddings import Matrix, ProviderUnavailable, normalize
from index.records import Vector

# Models trained with task prefixes embed badly without them.
_PREFIXES: dict[str, tuple[str, str]] = {
    "nomic-embed-text": ("search_document: ", "search_query: "),
    "mxbai-embed-large": ("", "Represent this sentence for searching relevant passages: "),
    "snowflake-arctic-embed": ("", "Represent this sentence for searching relevant passages: "),
}
_PROBE_TIMEOUT_SECONDS = 3.0


def task_prefixes(model: str) -> tuple[str, str]:
    """(document prefix, query prefix) for a model name such as ``nomic-embed-text:v1.5``."""
    base = model.split(":", 1)[0].rsplit("/", 1)[-1]
    return _PREFIXES.get(base, ("", ""))


def not_running(host: str) -> ProviderUnavailable:
    return ProviderUnavailable(
        f"Ollama is not reachable at {host}",
        hint="Start it with `ollama serve` (install: https://ollama.com/download), "
        "set OLLAMA_HOST if it runs elsewhere, or use the embedded runtime "
        "(PONDER_EMBEDDINGS__PROVIDER=embedded).",
    )


def model_missing(model: str) -> ProviderUnavailable:
    return ProviderUnavailable(
        f"Ollama does not have the model {model}",
        hint=f"Pull it: `ollama pull {model}`.",
    )


def has_model(names: Sequence[str], model: str) -> bool:
    """Whether ``model`` is among Ollama's names (``name`` means ``name:latest``)."""
    wanted = model if ":" in model else f"{model}:latest"
    return wanted in names or model in names


def list_model_names(client: Any, host: str) -> list[str]:
    try:
        response = client.list()
    except (httpx.HTTPError, ConnectionError) as exc:
        raise not_running(host) from exc
    return [m.model for m in response.models if m.model]


class OllamaEmbedder:
    """Embeddings from Ollama's /api/embed, in batches, with the model's task prefixes."""

    def __init__(self, client: Any, host: str, model: str, batch_size: int, keep_alive: str):
        self._client = client
        self._host = host
        self._model = model
        self._batch_size = batch_size
        self._keep_alive = keep_alive
        self._document_prefix, self._query_prefix = task_prefixes(model)
        self._dimension = 0

    @classmethod
    def connect(cls, settings: Settings) -> OllamaEmbedder:
        """Check the server and the model, then learn the dimension from one probe."""
        host = settings.ollama.host
        model = settings.embeddings.ollama_model
        probe = ollama.Client(host=host, timeout=_PROBE_TIMEOUT_SECONDS)
        if not has_model(list_model_names(probe, host), model):
            raise model_missing(model)
        client = ollama.Client(host=host, timeout=settings.ollama.timeout_seconds)
        embedder = cls(client, host, model, settings.embeddings.batch_size, settings.llm.keep_alive)
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
        try:
            response = self._client.embed(
                model=self._model, input=texts, keep_alive=self._keep_alive
            )
        except ollama.ResponseError as exc:
            if exc.status_code == 404:
                raise model_missing(self._model) from exc
            raise ProviderUnavailable(
                f"Ollama failed to embed with {self._model}: {exc.error}",
                hint="Check `ollama ps` and the server log.",
            ) from exc
        except httpx.TimeoutException as exc:
            raise ProviderUnavailable(
                f"Ollama at {self._host} did not answer in time",
                hint="Raise ollama.timeout_seconds, or check the server's load.",
            ) from exc
        except (httpx.HTTPError, ConnectionError) as exc:
            raise not_running(self._host) from exc
        return normalize(response.embeddings)
