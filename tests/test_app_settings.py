"""The settings page against the Ollama test server: providers and why, models, pulls, saving."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index import embedded_models
from tests.app_support import app_test, fake_env, frame, texts
from tests.ollama_server import OllamaServer
from ui import runtime

# Every runtime a test builds (watchers, locks, jobs) is stopped after it.
pytestmark = pytest.mark.usefixtures("app_runtimes")


@pytest.fixture
def with_ollama(
    archive: Path, data_dir: Path, ollama_server: OllamaServer, monkeypatch: pytest.MonkeyPatch
) -> OllamaServer:
    fake_env(
        monkeypatch,
        archive,
        data_dir,
        ollama__host=ollama_server.url,
        embeddings__provider="ollama",
        llm__provider="ollama",
    )
    return ollama_server


def _config_file() -> Path:
    app = runtime.current()
    assert app.services is not None
    return app.services.loaded.config_file


def test_shows_the_providers_in_use_and_why_and_ollamas_models(with_ollama: OllamaServer) -> None:
    at = app_test("app_pages/settings.py")
    assert not at.exception
    page = texts(at)
    assert "ollama/nomic-embed-text" in page and "ollama/llama3.1:8b" in page
    assert "configured: ollama" in page
    models = {row["model"]: row for row in frame(at, "context length")}
    assert models["llama3.1:8b"]["context length"] == 131072
    assert models["llama3.1:8b"]["ponder uses it for"] == "chat"
    assert models["nomic-embed-text:latest"]["ponder uses it for"] == "embeddings"
    assert models["nomic-embed-text:latest"]["family"] == "nomic-bert"
    where = {row["what"]: row["where"] for row in frame(at, "where")}
    assert where["Data folder"].endswith("data")


def test_pulls_a_model_with_progress_then_chooses_it(with_ollama: OllamaServer) -> None:
    at = app_test("app_pages/settings.py")
    pull = next(t for t in at.text_input if t.label == "Pull a model")
    pull.set_value("qwen2.5:0.5b")
    next(b for b in at.button if b.label == "Pull").click().run()
    job = runtime.current().jobs.latest("pull")
    assert job is not None
    assert job.wait(30)
    assert job.status == "done", job.error
    assert job.total > 0 and job.done == job.total  # byte progress of the last layer
    at.run()
    assert "qwen2.5:0.5b" in {row["model"] for row in frame(at, "context length")}
    assert "Pulling qwen2.5:0.5b: done" in texts(at)

    chat = next(s for s in at.selectbox if s.label == "Chat model")
    chat.set_value("qwen2.5:0.5b")
    next(b for b in at.button if b.label == "Save models").click().run()
    assert not at.exception
    assert 'ollama_model = "qwen2.5:0.5b"' in _config_file().read_text()
    assert "ollama/qwen2.5:0.5b" in texts(at)  # the services were rebuilt with it


def test_a_failed_pull_says_why(with_ollama: OllamaServer) -> None:
    at = app_test("app_pages/settings.py")
    next(t for t in at.text_input if t.label == "Pull a model").set_value("no-such-model")
    next(b for b in at.button if b.label == "Pull").click().run()
    job = runtime.current().jobs.latest("pull")
    assert job is not None and job.wait(30)
    at.run()
    assert job.status == "failed"
    assert "could not pull no-such-model" in texts(at)


def test_without_ollama_it_explains_and_offers_the_embedded_mode(
    archive: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_env(
        monkeypatch,
        archive,
        data_dir,
        ollama__host="http://127.0.0.1:9",  # discard port: nothing answers
        llm__provider="ollama",
    )
    at = app_test("app_pages/settings.py")
    assert not at.exception
    page = texts(at)
    assert "Ollama is not reachable at http://127.0.0.1:9" in page
    assert "ollama serve" in page and "ollama pull nomic-embed-text" in page
    assert "embedded mode" in page


def test_the_embedded_embedding_model_is_shown_and_chosen(
    archive: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_env(monkeypatch, archive, data_dir, ollama__host="http://127.0.0.1:9")
    # all-mpnet-base-v2 as on a machine without its parts: nothing installed, nothing cached.
    parts, cache = embedded_models.MPNET_PARTS, os.environ.get("PONDER_CACHE_DIR")
    monkeypatch.setattr(embedded_models, "MPNET_PARTS", ("ponder-test-no-such-part-001",) * 5)
    monkeypatch.setenv("PONDER_CACHE_DIR", str(tmp_path / "empty-cache"))
    at = app_test("app_pages/settings.py")
    assert not at.exception
    page = texts(at)
    assert "all-MiniLM-L6-v2" in page and "all-mpnet-base-v2" in page
    assert "ponder-test-no-such-part-001 is missing" in page
    assert "--require-hashes -r config/mpnet-parts.txt" in page

    choice = next(s for s in at.selectbox if s.label == "Embedded embedding model")
    assert choice.value == "all-MiniLM-L6-v2"
    choice.set_value("all-mpnet-base-v2")
    next(b for b in at.button if b.label == "Save embedded model").click().run()
    assert not at.exception
    assert "all-mpnet-base-v2 is not installed here" in texts(at)  # refused, nothing saved
    config = _config_file()
    assert not config.exists() or "all-mpnet-base-v2" not in config.read_text()

    # The parts as the test machine has them.
    monkeypatch.setattr(embedded_models, "MPNET_PARTS", parts)
    if cache is None:
        monkeypatch.delenv("PONDER_CACHE_DIR")
    else:
        monkeypatch.setenv("PONDER_CACHE_DIR", cache)
    if embedded_models.shipped_embeddings()[1].missing is not None:
        pytest.skip("all-mpnet-base-v2's parts are not installed")
    at = app_test("app_pages/settings.py")
    next(s for s in at.selectbox if s.label == "Embedded embedding model").set_value(
        "all-mpnet-base-v2"
    )
    next(b for b in at.button if b.label == "Save embedded model").click().run()
    assert not at.exception
    assert 'embedded_model = "all-mpnet-base-v2"' in _config_file().read_text()
    assert "The embedding model is now all-mpnet-base-v2: re-index" in texts(at)
