"""Ollama over real HTTP: the test server speaks its API to the client, llama-index and ponder."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

import httpx
import numpy as np
import ollama
import pytest
from click.testing import CliRunner

from config import load_settings
from index import ollama_models
from index.chat import ChatFailed, ChatMessage, FakeChat, choose_chat
from index.embeddings import FakeEmbedder, ProviderUnavailable, choose_embedder
from index.ollama_models import OllamaChat, OllamaEmbedder, has_model, list_models
from tests.ollama_fixtures import SettingsFactory
from tests.ollama_server import OllamaServer, OllamaState, chat_model
from ui.cli import cli

ANSWER = "You wrote about this: The sea was loud. [1]."  # FakeChat's reply to QUESTION
QUESTION = [
    ChatMessage("system", "Answer only from the passages, citing them."),
    ChatMessage("user", "[1] 2014-03-02 journal.md\nThe sea was loud.\n\nWhat about the sea?"),
]


def collect(chat: OllamaChat) -> tuple[list[str], Exception | None]:
    """The pieces streamed before any failure, and the failure."""
    pieces: list[str] = []
    try:
        for piece in chat.stream(QUESTION):
            pieces.append(piece)
    except (ChatFailed, ProviderUnavailable) as exc:
        return pieces, exc
    return pieces, None


def stopped_server_url() -> str:
    """The address of an Ollama that was there and is gone."""
    server = OllamaServer(OllamaState()).start()
    server.stop()
    return server.url


# -- the real client against the server -------------------------------------------------


def test_real_client_speaks_to_the_server(ollama_server: OllamaServer) -> None:
    client = ollama.Client(host=ollama_server.url, timeout=5)
    assert httpx.get(f"{ollama_server.url}/api/version").json()["version"]

    listed = {m.model: m for m in client.list().models}
    assert set(listed) == {"llama3.1:8b", "nomic-embed-text:latest"}
    assert listed["llama3.1:8b"].details.family == "llama"  # type: ignore[union-attr]
    shown = client.show("llama3.1:8b")
    assert shown.modelinfo["llama.context_length"] == 131072  # type: ignore[index]
    assert shown.capabilities == ["completion"]

    parts = list(
        client.chat(model="llama3.1:8b", messages=[asdict(m) for m in QUESTION], stream=True)
    )
    assert "".join(p.message.content or "" for p in parts) == ANSWER
    assert parts[-1].done and parts[-1].done_reason == "stop"
    assert parts[-1].eval_count == len(parts) - 1 and parts[-1].prompt_eval_count
    whole = client.chat(model="llama3.1:8b", messages=[asdict(m) for m in QUESTION])
    assert whole.message.content == ANSWER and whole.done

    assert client.generate(model="llama3.1:8b", prompt=QUESTION[1].content).response == ANSWER
    vectors = client.embed(model="nomic-embed-text", input=["the sea", "the moor"]).embeddings
    assert len(vectors) == 2 and len(vectors[0]) == 768

    with pytest.raises(ollama.ResponseError) as unknown:
        client.chat(model="mistral:7b", messages=[{"role": "user", "content": "hi"}])
    assert unknown.value.status_code == 404 and "not found" in unknown.value.error
    with pytest.raises(ollama.ResponseError) as not_chat:
        client.chat(model="nomic-embed-text", messages=[{"role": "user", "content": "hi"}])
    assert not_chat.value.status_code == 400


def test_real_client_pulls_with_streamed_progress(ollama_server: OllamaServer) -> None:
    client = ollama.Client(host=ollama_server.url, timeout=5)
    steps = list(client.pull("qwen2.5:0.5b", stream=True))
    assert steps[0].status == "pulling manifest" and steps[-1].status == "success"
    downloads = [s for s in steps if s.digest]
    assert downloads and all(s.total and s.completed is not None for s in downloads)
    assert "qwen2.5:0.5b" in {m.model for m in client.list().models}

    with pytest.raises(ollama.ResponseError, match="file does not exist"):
        list(client.pull("no-such-model", stream=True))


# -- ponder's chat model ------------------------------------------------------------------


def test_ollama_chat_streams_with_the_configured_options(
    ollama_server: OllamaServer, ollama_settings: SettingsFactory
) -> None:
    settings = ollama_settings(llm__num_ctx=4096, llm__temperature=0.7, llm__keep_alive="3m")
    chat = OllamaChat.connect(settings)
    pieces = list(chat.stream(QUESTION))

    assert "".join(pieces) == ANSWER and len(pieces) > 1
    sent = ollama_server.state.requests_to("/api/chat")[-1].body
    assert sent["options"] == {"num_ctx": 4096, "temperature": 0.7}
    assert sent["keep_alive"] == "3m" and sent["stream"] is True
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert chat.model_id == "ollama/llama3.1:8b" and chat.context_window == 4096
    assert chat.parameters() == {
        "model": "llama3.1:8b",
        "num_ctx": 4096,
        "temperature": 0.7,
        "keep_alive": "3m",
        "host": ollama_server.url,
    }
    assert chat.last_stats["eval_count"] == len(pieces)
    assert {"prompt_eval_count", "eval_duration", "load_duration"} <= set(chat.last_stats)


def test_num_ctx_beyond_the_models_training_is_not_promised(
    ollama_server: OllamaServer, ollama_settings: SettingsFactory
) -> None:
    # Ollama would quietly clamp num_ctx to 4096; the prompt must be budgeted for that.
    ollama_server.state.install(chat_model("llama3.1:8b", context_length=4096))
    chat = OllamaChat.connect(ollama_settings(llm__num_ctx=8192))
    list(chat.stream(QUESTION))
    assert chat.context_window == 4096
    assert ollama_server.state.requests_to("/api/chat")[-1].body["options"]["num_ctx"] == 4096


# -- ponder's embedder ----------------------------------------------------------------


def test_embedder_sends_batches_with_the_nomic_prefixes(
    ollama_server: OllamaServer, ollama_settings: SettingsFactory
) -> None:
    embedder = OllamaEmbedder.connect(ollama_settings())
    assert embedder.dimension == 768 and embedder.model_id == "ollama/nomic-embed-text"
    already = len(ollama_server.state.requests_to("/api/embed"))  # the dimension probe
    texts = [f"entry {i} about the sea" for i in range(70)]
    vectors = embedder.embed_documents(texts)

    sent = ollama_server.state.requests_to("/api/embed")[already:]
    assert [len(r.body["input"]) for r in sent] == [32, 32, 6]
    assert all(t.startswith("search_document: ") for r in sent for t in r.body["input"])
    assert all(r.body["keep_alive"] == "10m" for r in sent)
    expected = FakeEmbedder(768).embed_documents([f"search_document: {t}" for t in texts])
    assert np.allclose(vectors, expected, atol=1e-6)  # every vector in its text's place

    embedder.embed_query("sea")
    assert ollama_server.state.requests_to("/api/embed")[-1].body["input"] == ["search_query: sea"]


# -- llama-index's Ollama classes against the server ------------------------------------------


def test_llama_index_ollama_llm_round_trip(ollama_server: OllamaServer) -> None:
    from llama_index.core.llms import ChatMessage as LlamaMessage
    from llama_index.llms.ollama import Ollama

    llm = Ollama(
        model="llama3.1:8b", base_url=ollama_server.url, request_timeout=5.0, temperature=0.1
    )
    assert llm.metadata.context_window == 131072  # read from /api/show's model_info
    messages = [LlamaMessage(role=m.role, content=m.content) for m in QUESTION]

    reply = llm.chat(messages)
    assert reply.message.content == ANSWER
    assert reply.raw is not None and reply.raw["usage"]["completion_tokens"] > 0
    streamed = list(llm.stream_chat(messages))
    assert streamed[-1].message.content == ANSWER
    assert "".join(r.delta or "" for r in streamed) == ANSWER
    sent = ollama_server.state.requests_to("/api/chat")[-1].body
    assert sent["options"]["num_ctx"] == 131072 and sent["options"]["temperature"] == 0.1


def test_llama_index_ollama_embedding_round_trip(ollama_server: OllamaServer) -> None:
    from llama_index.embeddings.ollama import OllamaEmbedding

    embedding = OllamaEmbedding(
        model_name="nomic-embed-text",
        base_url=ollama_server.url,
        text_instruction="search_document:",
        query_instruction="search_query:",
    )
    vectors = embedding.get_text_embedding_batch(["the sea", "the moor", "the city"])
    query = embedding.get_query_embedding("sea")
    assert len(vectors) == 3 and len(query) == 768
    sent = ollama_server.state.requests_to("/api/embed")
    assert sent[0].body["input"] == ["search_document: the sea", *sent[0].body["input"][1:]]
    assert sent[-1].body["input"] == "search_query: sea"  # a single text is sent bare


# -- auto ----------------------------------------------------------------------------------


def test_auto_chooses_ollama_when_it_has_the_models_and_says_why(
    ollama_server: OllamaServer,
    ollama_settings: SettingsFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    settings = ollama_settings(llm__provider="auto", embeddings__provider="auto")
    chat = choose_chat(settings)
    embedder = choose_embedder(settings)
    assert chat.provider == "ollama" and isinstance(chat.model, OllamaChat)
    assert embedder.provider == "ollama" and isinstance(embedder.embedder, OllamaEmbedder)
    assert f"Ollama at {ollama_server.url} has llama3.1:8b" in chat.reason
    assert f"Ollama at {ollama_server.url} has nomic-embed-text" in embedder.reason
    assert "chat: auto: Ollama at" in caplog.text and "embeddings: auto: Ollama" in caplog.text


def test_auto_without_the_configured_model_says_why(
    ollama_server: OllamaServer, ollama_settings: SettingsFactory
) -> None:
    del ollama_server.state.models["nomic-embed-text:latest"]
    settings = ollama_settings(embeddings__provider="auto")
    try:
        choice = choose_embedder(settings)
    except ProviderUnavailable as exc:  # the embedded runtime is not installed either
        assert "ponder models pull nomic-embed-text" in exc.hint
    else:
        assert choice.provider == "embedded"
        assert "Ollama does not have the model nomic-embed-text" in choice.reason


# -- failure modes ---------------------------------------------------------------------------


def test_server_down_at_start_is_one_clear_message(ollama_settings: SettingsFactory) -> None:
    settings = ollama_settings(ollama__host=stopped_server_url())
    with pytest.raises(ProviderUnavailable) as error:
        OllamaChat.connect(settings)
    assert str(error.value) == f"Ollama is not reachable at {settings.ollama.host}"
    assert (
        "ollama serve" in error.value.hint and "PONDER_LLM__PROVIDER=embedded" in error.value.hint
    )
    with pytest.raises(ProviderUnavailable, match="not reachable") as embed_error:
        OllamaEmbedder.connect(settings)
    assert "PONDER_EMBEDDINGS__PROVIDER=embedded" in embed_error.value.hint


def test_server_gone_between_connecting_and_asking(ollama_settings: SettingsFactory) -> None:
    server = OllamaServer().start()
    try:
        chat = OllamaChat.connect(ollama_settings(ollama__host=server.url))
    finally:
        server.stop()
    pieces, error = collect(chat)
    assert pieces == [] and isinstance(error, ProviderUnavailable)
    assert "not reachable" in str(error) and "ollama serve" in error.hint


def test_server_dying_mid_stream_keeps_the_partial_answer(
    ollama_server: OllamaServer, ollama_settings: SettingsFactory
) -> None:
    chat = OllamaChat.connect(ollama_settings())
    ollama_server.state.fail("/api/chat", die_after=3)
    pieces, error = collect(chat)
    assert "".join(pieces) == ANSWER[:12] and len(pieces) == 3
    assert isinstance(error, ChatFailed)
    assert f"Ollama at {ollama_server.url} closed the connection" in str(error)
    assert "crashed" in error.hint


def test_stream_ending_without_ollamas_last_chunk_is_a_failure(
    ollama_server: OllamaServer, ollama_settings: SettingsFactory
) -> None:
    chat = OllamaChat.connect(ollama_settings())
    ollama_server.state.fail("/api/chat", end_after=2)
    pieces, error = collect(chat)
    assert len(pieces) == 2 and isinstance(error, ChatFailed)
    assert "without finishing" in str(error)


def test_model_failing_mid_reply_reports_ollamas_error(
    ollama_server: OllamaServer, ollama_settings: SettingsFactory
) -> None:
    ollama_server.state.install(chat_model("llama3.1:8b", chat=FakeChat(fail_after=2)))
    pieces, error = collect(OllamaChat.connect(ollama_settings()))
    assert len(pieces) == 2 and isinstance(error, ChatFailed)
    assert "failed to answer with llama3.1:8b: the fake model stopped mid-reply" in str(error)


def test_unknown_model_names_the_pull_command(
    ollama_server: OllamaServer, ollama_settings: SettingsFactory
) -> None:
    with pytest.raises(ProviderUnavailable) as error:
        OllamaChat.connect(ollama_settings(llm__ollama_model="mistral:7b"))
    assert str(error.value) == "Ollama does not have the model mistral:7b"
    assert "`ponder models pull mistral:7b`" in error.value.hint

    chat = OllamaChat.connect(ollama_settings())
    del ollama_server.state.models["llama3.1:8b"]  # removed after ponder connected
    _, gone = collect(chat)
    assert isinstance(gone, ProviderUnavailable) and "ponder models pull llama3.1:8b" in gone.hint


def test_slow_server_times_out_with_the_setting_to_raise(
    ollama_server: OllamaServer, ollama_settings: SettingsFactory
) -> None:
    settings = ollama_settings(ollama__timeout_seconds=0.3)
    chat = OllamaChat.connect(settings)
    embedder = OllamaEmbedder.connect(settings)
    ollama_server.state.fail("/api/chat", latency=5)
    ollama_server.state.fail("/api/embed", latency=5)

    _, error = collect(chat)
    assert isinstance(error, ChatFailed)
    assert str(error) == f"Ollama at {ollama_server.url} did not answer within 0.3 s"
    assert "ollama.timeout_seconds" in error.hint
    with pytest.raises(ProviderUnavailable, match=r"did not answer within 0\.3 s"):
        embedder.embed_documents(["the sea"])


def test_listing_models_never_waits_for_the_full_timeout(
    ollama_server: OllamaServer,
    ollama_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ollama_models, "_LIST_TIMEOUT_SECONDS", 0.3)
    settings = ollama_settings(ollama__timeout_seconds=120)
    ollama_server.state.fail("/api/tags", latency=5)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match=r"did not answer within 0\.3 s"):
        list_models(settings)
    assert time.monotonic() - started < 4


def test_malformed_responses_are_clear_errors(
    ollama_server: OllamaServer, ollama_settings: SettingsFactory
) -> None:
    settings = ollama_settings()
    chat = OllamaChat.connect(settings)
    embedder = OllamaEmbedder.connect(settings)
    for route in ("/api/chat", "/api/embed", "/api/tags"):
        ollama_server.state.fail(route, malformed=True)

    pieces, error = collect(chat)
    assert len(pieces) == 1 and isinstance(error, ChatFailed)
    assert "sent a response ponder cannot read" in str(error)
    with pytest.raises(ProviderUnavailable, match="cannot read"):
        embedder.embed_query("sea")
    with pytest.raises(ProviderUnavailable, match="cannot read"):
        OllamaChat.connect(settings)
    with pytest.raises(ProviderUnavailable, match="cannot read"):
        list_models(settings)


def test_server_error_carries_ollamas_reason(
    ollama_server: OllamaServer, ollama_settings: SettingsFactory
) -> None:
    settings = ollama_settings()
    chat = OllamaChat.connect(settings)
    embedder = OllamaEmbedder.connect(settings)
    ollama_server.state.fail("/api/chat", status=500, error="out of memory")
    ollama_server.state.fail("/api/embed", status=500, error="out of memory")

    _, error = collect(chat)
    assert isinstance(error, ChatFailed)
    assert (
        str(error)
        == f"Ollama at {ollama_server.url} failed to answer with llama3.1:8b: out of memory"
    )
    with pytest.raises(
        ProviderUnavailable, match="failed to embed with nomic-embed-text: out of memory"
    ):
        embedder.embed_documents(["the sea"])


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def runner(
    ollama_server: OllamaServer, archive: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.setenv("PONDER_OLLAMA__HOST", ollama_server.url)
    monkeypatch.setenv("PONDER_ARCHIVE", str(archive))
    monkeypatch.setenv("PONDER_DATA_DIR", str(data_dir))
    return CliRunner()


def test_models_lists_details_and_what_ponder_uses(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["models"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[2:]}
    assert lines["llama3.1:8b"].split()[1:] == [
        "4.9",
        "GB",
        "llama",
        "8.0B",
        "Q4_K_M",
        "131072",
        "chat",
    ]
    assert lines["nomic-embed-text:latest"].split()[-2:] == ["2048", "embeddings"]
    assert "Missing" not in result.output


def test_models_json(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["models", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    chat = next(m for m in data["models"] if m["name"] == "llama3.1:8b")
    assert chat == {
        "name": "llama3.1:8b",
        "size": 4_920_753_328,
        "family": "llama",
        "parameter_size": "8.0B",
        "quantization": "Q4_K_M",
        "context_length": 131072,
        "configured_as": ["chat"],
    }
    assert data["configured"]["embeddings"] == {"model": "nomic-embed-text", "present": True}


def test_models_names_a_missing_configured_model_and_its_fix(
    runner: CliRunner, ollama_server: OllamaServer
) -> None:
    del ollama_server.state.models["llama3.1:8b"]
    result = runner.invoke(cli, ["models"])
    assert result.exit_code == 0, result.output
    assert "run `ponder models pull llama3.1:8b`" in result.output
    data = json.loads(runner.invoke(cli, ["models", "--json"]).output)
    assert data["configured"]["chat"] == {"model": "llama3.1:8b", "present": False}


def test_models_pull_shows_progress_and_installs(
    runner: CliRunner, ollama_server: OllamaServer
) -> None:
    result = runner.invoke(cli, ["models", "pull", "qwen2.5:0.5b"])
    assert result.exit_code == 0, result.output
    assert "pulling manifest" in result.output and "success" in result.output
    assert result.output.count("pulling ") >= 4  # the manifest and one bar a layer
    assert f"Pulled qwen2.5:0.5b onto Ollama at {ollama_server.url}." in result.output
    listed = json.loads(runner.invoke(cli, ["models", "--json"]).output)
    assert "qwen2.5:0.5b" in [m["name"] for m in listed["models"]]


def test_models_pull_of_an_unknown_name_is_one_clear_message(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["models", "pull", "no-such-model"])
    assert result.exit_code == 1
    assert "Ollama could not pull no-such-model: pull model manifest: file does not exist" in (
        result.output
    )
    assert "ollama.com/library" in result.output and "Traceback" not in result.output


def test_models_without_a_server_says_how_to_start_one(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PONDER_OLLAMA__HOST", stopped_server_url())
    for args in (["models"], ["models", "pull", "llama3.1:8b"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1
        assert "Ollama is not reachable at" in result.output and "ollama serve" in result.output
        assert "Traceback" not in result.output


def test_status_shows_the_providers_and_why(
    runner: CliRunner, ollama_server: OllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PONDER_LLM__PROVIDER", "auto")
    monkeypatch.setenv("PONDER_EMBEDDINGS__PROVIDER", "auto")
    result = runner.invoke(cli, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["chat_provider"]["provider"] == "ollama"
    assert ollama_server.url in data["chat_provider"]["reason"]
    assert data["embedding_provider"]["provider"] == "ollama"
    text = runner.invoke(cli, ["status"]).output
    assert f"auto: Ollama at {ollama_server.url} has llama3.1:8b" in text


def test_status_survives_an_unreachable_provider(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PONDER_OLLAMA__HOST", stopped_server_url())
    monkeypatch.setenv("PONDER_LLM__PROVIDER", "ollama")
    monkeypatch.setenv("PONDER_EMBEDDINGS__PROVIDER", "ollama")
    result = runner.invoke(cli, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "Ollama is not reachable" in data["chat_provider"]["error"]
    assert "Ollama is not reachable" in data["embedding_provider"]["error"]


# -- a real Ollama, when one is reachable ---------------------------------------------------------


@pytest.mark.ollama
def test_real_ollama_lists_embeds_and_chats(real_ollama_host: str) -> None:
    settings = load_settings(
        environ={"PONDER_OLLAMA__HOST": real_ollama_host}, config_file=None
    ).settings
    present = [m.name for m in list_models(settings)]
    wanted = [settings.embeddings.ollama_model, settings.llm.ollama_model]
    missing = [name for name in wanted if not has_model(present, name)]
    if missing:
        pytest.skip(f"pull {', '.join(missing)} first: ponder models pull NAME")

    embedder = OllamaEmbedder.connect(settings)
    vectors = embedder.embed_documents(["The sea was loud.", "I filed my tax return."])
    query = embedder.embed_query("the ocean")
    assert float(vectors[0] @ query) > float(vectors[1] @ query)

    chat = OllamaChat.connect(settings)
    reply = "".join(chat.stream([ChatMessage("user", "Say the single word: sea")]))
    assert reply.strip() and isinstance(chat.last_stats.get("eval_count"), int)
