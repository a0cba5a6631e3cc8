"""pytest fixtures for Ollama: the test server on loopback, and a real Ollama when one answers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from config import Settings, load_settings
from tests.ollama_server import OllamaServer, OllamaState, default_state

SettingsFactory = Callable[..., Settings]


@pytest.fixture
def ollama_state() -> OllamaState:
    """What the test server holds: ponder's default models, and more to pull."""
    return default_state()


@pytest.fixture
def ollama_server(ollama_state: OllamaState) -> Iterator[OllamaServer]:
    """The Ollama-API test server on 127.0.0.1 and a free port, stopped after the test."""
    server = OllamaServer(ollama_state).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ollama_settings(ollama_server: OllamaServer) -> SettingsFactory:
    """Settings pointed at the test server; keywords override (``llm__num_ctx=4096``)."""

    def make(**overrides: object) -> Settings:
        environ = {
            "PONDER_OLLAMA__HOST": ollama_server.url,
            "PONDER_EMBEDDINGS__PROVIDER": "ollama",
            "PONDER_LLM__PROVIDER": "ollama",
        }
        environ |= {f"PONDER_{key.upper()}": str(value) for key, value in overrides.items()}
        return load_settings(environ=environ, config_file=None).settings

    return make


@pytest.fixture(scope="session")
def real_ollama_host() -> str:
    """The URL of a real Ollama at OLLAMA_HOST (or the default), or skip the test.

    Session-scoped so it reads the environment before each test's isolation hides
    OLLAMA_HOST. With PONDER_TEST_OLLAMA=1 an unreachable server fails instead of skipping,
    so a machine meant to test against Ollama cannot pass by skipping.
    """
    environ = {"OLLAMA_HOST": os.environ["OLLAMA_HOST"]} if "OLLAMA_HOST" in os.environ else {}
    # ponder's own reading of OLLAMA_HOST; os.devnull keeps any user config file out of it.
    loaded = load_settings(environ=environ, config_file=Path(os.devnull))
    host = loaded.settings.ollama.host
    try:
        response = httpx.get(f"{host}/api/version", timeout=1.0)
        reachable = response.status_code == 200 and "version" in response.json()
    except (httpx.HTTPError, ValueError):
        reachable = False
    if not reachable:
        message = f"no Ollama answers at {host} (start one with `ollama serve`)"
        if os.environ.get("PONDER_TEST_OLLAMA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return host
