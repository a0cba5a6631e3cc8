"""Embedding providers behind one small interface, chosen by config through a registry."""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from config import Settings
from index.records import Vector

log = logging.getLogger(__name__)

Matrix = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into unit vectors; documents and queries may be embedded differently."""

    @property
    def model_id(self) -> str:
        """Names the model and anything else that changes its vectors (recorded in the index)."""
        ...

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> Matrix: ...

    def embed_query(self, text: str) -> Vector: ...


class ProviderUnavailable(Exception):
    """A configured model runtime cannot be used; ``hint`` is the exact fix."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def normalize(matrix: npt.ArrayLike) -> Matrix:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    array = np.asarray(matrix, dtype=np.float32)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    unit: Matrix = np.divide(array, norms, out=np.zeros_like(array), where=norms > 0)
    return unit


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class FakeEmbedder:
    """Deterministic hashing embedder: words and word pairs hashed into buckets.

    No model, no randomness: texts sharing words land near each other, which is enough
    for tests of everything around the model.
    """

    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension

    @property
    def model_id(self) -> str:
        return f"fake-hashing-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return normalize(np.stack([self._vector(t) for t in texts]))

    def embed_query(self, text: str) -> Vector:
        vector: Vector = self.embed_documents([text])[0]
        return vector

    def _vector(self, text: str) -> Vector:
        vector = np.zeros(self._dimension, dtype=np.float32)
        words = [w.lower() for w in _WORD.findall(text)]
        features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
        for feature in features:
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self._dimension
            sign = 1.0 if digest[4] & 1 else -1.0
            vector[bucket] += sign
        return vector


class LazyEmbedder:
    """An embedder whose model loads on first use, or in the background once asked to.

    Its ``model_id`` is known without loading, so a sync with nothing to embed (the
    common case) never pays for starting a model.
    """

    def __init__(self, model_id: str, load: Callable[[], Embedder]) -> None:
        self._model_id = model_id
        self._load = load
        self._loaded: Embedder | None = None
        self._lock = threading.Lock()
        self._background: Future[Embedder] | None = None

    @property
    def is_loaded(self) -> bool:
        return self._loaded is not None

    def prefetch(self) -> None:
        """Start loading the model in a background thread, if it is not loaded or loading.

        For a caller that will probably embed and has other work first: the model's load
        (mostly native code: ONNX Runtime building its session, the tokenizer reading its
        file) then overlaps that work. A failure is raised by the first use, not here.
        """
        with self._lock:
            if self._loaded is not None or self._background is not None:
                return
            future: Future[Embedder] = Future()
            self._background = future

        def load() -> None:
            try:
                future.set_result(self._load())
            except BaseException as exc:  # handed to whoever uses the model first
                future.set_exception(exc)

        threading.Thread(target=load, name=f"load {self._model_id}", daemon=True).start()

    @property
    def loaded(self) -> Embedder:
        with self._lock:
            if self._loaded is None:
                background, self._background = self._background, None
                # A background load that failed is not retried in this call: its error is
                # the answer; the next use tries again.
                model = background.result() if background is not None else self._load()
                if model.model_id != self._model_id:
                    raise ProviderUnavailable(
                        f"expected model {self._model_id}, loaded {model.model_id}"
                    )
                self._loaded = model
            return self._loaded

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self.loaded.dimension

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        return self.loaded.embed_documents(texts)

    def embed_query(self, text: str) -> Vector:
        return self.loaded.embed_query(text)


@dataclass(frozen=True)
class EmbedderChoice:
    """The embedder in use, which provider it came from, and why that one."""

    embedder: Embedder
    provider: str
    reason: str


def _fake(settings: Settings) -> Embedder:
    return FakeEmbedder(settings.embeddings.fake_dimension)


def _embedded(settings: Settings) -> Embedder:
    # embedded_models imports torch only inside load(); checking it is installed is cheap.
    from index import embedded_models

    name = settings.embeddings.embedded_model
    model_id = embedded_models.check_installed(name)
    return LazyEmbedder(
        model_id,
        lambda: embedded_models.load_embedder(
            name,
            batch_size=settings.embeddings.batch_size,
            runtime=settings.embeddings.embedded_runtime,
        ),
    )


def _ollama(settings: Settings) -> Embedder:
    from index import ollama_models

    return ollama_models.OllamaEmbedder.connect(settings)


EMBEDDERS: dict[str, Callable[[Settings], Embedder]] = {
    "fake": _fake,
    "embedded": _embedded,
    "ollama": _ollama,
}


Runtime = TypeVar("Runtime")


def choose_runtime(
    kind: str,
    provider: str,
    registry: Mapping[str, Callable[[Settings], Runtime]],
    settings: Settings,
    ollama_model: str,
    model_id: Callable[[Runtime], str],
) -> tuple[Runtime, str, str]:
    """The configured runtime for ``kind`` ("embedding", "chat") and why it was chosen.

    ``auto`` tries Ollama with its configured model, then the embedded runtime; the
    reason names what was tried, so ``ponder status`` and the settings page can say why.

    Raises:
        ProviderUnavailable: nothing configured can run, with the fix in ``hint``.
    """
    if provider != "auto":
        return registry[provider](settings), provider, f"configured: {provider}"
    try:
        runtime = registry["ollama"](settings)
        reason = f"auto: Ollama at {settings.ollama.host} has {ollama_model}"
        log.info("%s: %s", kind, reason)
        return runtime, "ollama", reason
    except ProviderUnavailable as ollama_error:
        try:
            runtime = registry["embedded"](settings)
        except ProviderUnavailable as embedded_error:
            raise ProviderUnavailable(
                f"no {kind} runtime: {ollama_error}; and {embedded_error}",
                hint=f"{ollama_error.hint} Or install the embedded runtime: "
                "pip install 'ponder[embedded]'.",
            ) from None
        reason = f"auto: {ollama_error}; using the embedded {model_id(runtime)}"
        log.info("%s: %s", kind, reason)
        return runtime, "embedded", reason


def choose_embedder(settings: Settings) -> EmbedderChoice:
    """The configured embedder; ``auto`` tries Ollama, then the embedded runtime.

    Raises:
        ProviderUnavailable: nothing configured can run, with the fix in ``hint``.
    """
    embedder, provider, reason = choose_runtime(
        "embeddings",
        settings.embeddings.provider,
        EMBEDDERS,
        settings,
        settings.embeddings.ollama_model,
        lambda e: e.model_id,
    )
    return EmbedderChoice(embedder, provider, reason)
