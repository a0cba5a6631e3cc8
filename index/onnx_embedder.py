"""The embedded embedder on ONNX Runtime: a sentence-transformers model without torch.

sentence-transformers brings torch, transformers, SciPy, scikit-learn, pandas and SymPy
into the process: 370 MiB resident before the first text is embedded, most of a 1.5 GB
ingest budget. The same model as one ONNX file (``index.onnx_export``, made once in a
child process and cached) runs on ONNX Runtime and the tokenizers library in ~170 MiB,
and gives the same vectors (within 1e-6 here), so an index built by either runtime serves
the other: the model id is the model's, not the runtime's.

Only the pipelines these few lines reproduce exactly are taken: a Transformer, then mean
or CLS pooling, then optionally Normalize (``modules.json``), with a ``tokenizer.json``.
Anything else (dense layers, other poolings, prompts) is left to sentence-transformers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.embedded_models import recorded_model_id, return_freed_memory
from index.embeddings import Matrix, ProviderUnavailable, normalize
from index.records import Vector

log = logging.getLogger(__name__)

# Bump when index/onnx_export.py changes what it writes: cached files of older exports
# are then made again instead of reused.
EXPORT_VERSION = "2"
EXPORT_TIMEOUT_SECONDS = 900.0
FALLBACK_HINT = "Set embeddings.embedded_runtime = 'sentence-transformers' to use torch instead."
_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
_POOLING_MODES = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}
# The files whose change means another model: the export is keyed on them.
_MODEL_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json")


@dataclass(frozen=True)
class Pipeline:
    """What sentence-transformers does around the transformer, read from the model folder."""

    max_length: int
    pooling: str  # "mean" or "cls"
    lowercase: bool  # sentence_bert_config's do_lower_case, applied before tokenizing
    dimension: int


def read_pipeline(model_dir: Path) -> Pipeline | None:
    """The model's pipeline if this module reproduces it exactly, else None."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        types = [module["type"] for module in modules]
        if types not in ([_TRANSFORMER, _POOLING], [_TRANSFORMER, _POOLING, _NORMALIZE]):
            return None
        if modules[0].get("path", "") != "" or not (model_dir / "tokenizer.json").is_file():
            return None
        pooling_config = _read_json(model_dir / modules[1]["path"] / "config.json")
        sbert = _read_json(model_dir / "sentence_bert_config.json")
        config = _read_json(model_dir / "config.json")
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    modes = [mode for key, mode in _POOLING_MODES.items() if pooling_config.get(key)]
    others = [
        key
        for key, value in pooling_config.items()
        if key.startswith("pooling_mode_") and value and key not in _POOLING_MODES
    ]
    if len(modes) != 1 or others or not pooling_config.get("include_prompt", True):
        return None
    max_length = sbert.get("max_seq_length") or config.get("max_position_embeddings")
    dimension = pooling_config.get("word_embedding_dimension") or config.get("hidden_size")
    if not isinstance(max_length, int) or not isinstance(dimension, int):
        return None
    return Pipeline(max_length, modes[0], bool(sbert.get("do_lower_case")), dimension)


def _read_json(path: Path) -> dict[str, Any]:
    value = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if not isinstance(value, dict):
        raise ValueError(f"{path} is not a JSON object")
    return value


def exported_model(model_dir: Path, name: str, pipeline: Pipeline, cache: Path) -> Path:
    """The ONNX file of the model in ``model_dir`` (called ``name``) in ``cache``, exported
    first if it is not there yet.

    Raises:
        ProviderUnavailable: the export failed (torch or onnx missing, an architecture the
            exporter cannot trace, a file that does not match torch); with the way back.
    """
    key = hashlib.sha256(f"{EXPORT_VERSION}|{pipeline.max_length}".encode())
    for file_name in _MODEL_FILES:
        path = model_dir / file_name
        if path.is_file():
            stat = path.stat()
            key.update(f"|{file_name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    out = cache / "onnx" / f"{name}-{key.hexdigest()[:16]}.onnx"
    if out.is_file():
        return out
    log.info("converting %s to ONNX (once; cached in %s)", name, out.parent)
    source_root = str(Path(__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [source_root, os.environ.get("PYTHONPATH")])),
        # The weights are local: transformers must not even ask a hub about them.
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    command = [
        sys.executable,
        "-m",
        "index.onnx_export",
        str(model_dir),
        str(out),
        str(pipeline.max_length),
    ]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=EXPORT_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProviderUnavailable(
            f"could not convert {name} to ONNX: {exc}", FALLBACK_HINT
        ) from None
    if done.returncode != 0 or not out.is_file():
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise ProviderUnavailable(f"could not convert {name} to ONNX: {reason}", FALLBACK_HINT)
    return out


def _tokenizer(model_dir: Path, pipeline: Pipeline) -> Any:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    except Exception as exc:  # the tokenizers library says what is wrong with the file
        raise ProviderUnavailable(
            f"cannot read {model_dir / 'tokenizer.json'}: {exc}", FALLBACK_HINT
        ) from None
    tokenizer.enable_truncation(max_length=pipeline.max_length)
    tokenizer.enable_padding()
    return tokenizer


def _session(path: Path) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.inter_op_num_threads = 1
    # Threads that spin while they wait for each other lose badly once another busy
    # process shares the cores (the same reason llama.cpp runs on half of them).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_cpu_mem_arena = True  # see _RUN: it is emptied after every batch
    options.log_severity_level = 3  # warnings about unused initialisers are noise
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _run_options() -> Any:
    import onnxruntime

    # The arena makes a batch's many allocations cheap (a third faster than without one
    # on a loaded machine), but kept, it holds the largest batch's activations for the
    # process's life (+200 MiB resident). Shrunk after each run, the peak is the lowest
    # of the three: 596-610 MiB embedding 576 passages, against 643-666 without an arena
    # and 794-801 with a kept one.
    options = onnxruntime.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


class OnnxEmbedder:
    """A sentence-transformers model run by ONNX Runtime; normalised vectors."""

    def __init__(
        self, session: Any, tokenizer: Any, name: str, pipeline: Pipeline, batch_size: int
    ) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._name = name
        self._pipeline = pipeline
        self._batch_size = batch_size
        self._inputs = {entry.name for entry in session.get_inputs()}
        self._run_options = _run_options()
        # One session, shared by the app's chat and its watcher threads.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, model_dir: Path, name: str, *, batch_size: int, cache: Path) -> OnnxEmbedder:
        """Load ``model_dir`` (exporting it to ``cache`` first if needed).

        Raises:
            ProviderUnavailable: onnxruntime is missing, the pipeline is not one this
                module reproduces, or the export failed.
        """
        import importlib.util

        if importlib.util.find_spec("onnxruntime") is None:
            raise ProviderUnavailable("onnxruntime is not installed", FALLBACK_HINT)
        pipeline = read_pipeline(model_dir)
        if pipeline is None:
            raise ProviderUnavailable(
                f"{name}'s pipeline is not plain Transformer + mean/CLS pooling", FALLBACK_HINT
            )
        tokenizer = _tokenizer(model_dir, pipeline)
        path = exported_model(model_dir, name, pipeline, cache)
        try:
            session = _session(path)
        except Exception as exc:  # a damaged cache file (a full disk, a copy cut short)
            log.warning("embeddings: %s is damaged (%s); converting again", path, exc)
            path.unlink(missing_ok=True)
            session = _session(exported_model(model_dir, name, pipeline, cache))
        embedder = cls(session, tokenizer, name, pipeline, batch_size)
        embedder.embed_documents(["warm up"])
        return embedder

    @property
    def model_id(self) -> str:
        return recorded_model_id(self._name)

    @property
    def dimension(self) -> int:
        return self._pipeline.dimension

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Longest first, as sentence-transformers does: a batch of similar lengths pads less.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            try:
                for start in range(0, len(order), self._batch_size):
                    batch = order[start : start + self._batch_size]
                    vectors[batch] = self._encode([texts[i] for i in batch])
            finally:
                if len(texts) > 1:
                    return_freed_memory()
        return normalize(vectors)

    def embed_query(self, text: str) -> Vector:
        vector: Vector = self.embed_documents([text])[0]
        return vector

    def _encode(self, texts: Sequence[str]) -> Matrix:
        # sentence-transformers strips each text (and lowercases when configured) first.
        prepared = [t.strip().lower() if self._pipeline.lowercase else t.strip() for t in texts]
        encodings = self._tokenizer.encode_batch(prepared)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        hidden = self._session.run(None, feeds, self._run_options)[0]
        if self._pipeline.pooling == "cls":
            return np.asarray(hidden[:, 0], dtype=np.float32)
        weights = mask[..., None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        return np.asarray(summed / np.clip(weights.sum(axis=1), 1e-9, None), dtype=np.float32)
