"""The embedded model on ONNX Runtime: the same vectors as sentence-transformers, no torch.

The conversion runs for real (torch exports the shipped MiniLM once per test run, into the
run's model cache), and every comparison is against sentence-transformers on the same
weights.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.embedded_models import SentenceTransformerEmbedder, load_embedder, shipped_minilm_path
from index.embeddings import ProviderUnavailable
from index.onnx_embedder import OnnxEmbedder, read_pipeline

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(
        shipped_minilm_path() is None or importlib.util.find_spec("onnxruntime") is None,
        reason="the embedded extra is not installed",
    ),
]

REPO = Path(__file__).resolve().parents[1]
TEXTS = [
    "The waves broke on the harbour wall.",
    "   I filed my tax return late again.   ",  # sentence-transformers strips; so must we
    "Café au lait, naïve résumé: ein schöner Tag am Meer.",
    "Dad rang. " * 200,  # far past the 256 word pieces the model reads
    "",
    "x",
    "When we moved to Whitby I thought the sea would fix me. It did not; it was only the sea.",
]


@pytest.fixture(scope="module")
def minilm() -> Path:
    path = shipped_minilm_path()
    assert path is not None
    return path


@pytest.fixture(scope="module")
def onnx(minilm: Path, model_cache: Path) -> OnnxEmbedder:
    return OnnxEmbedder.load(minilm, "all-MiniLM-L6-v2", batch_size=4, cache=model_cache)


def test_the_same_vectors_as_sentence_transformers(onnx: OnnxEmbedder) -> None:
    torch_runtime = SentenceTransformerEmbedder.load("all-MiniLM-L6-v2", batch_size=4)
    assert onnx.model_id == torch_runtime.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert onnx.dimension == torch_runtime.dimension == 384
    ours, theirs = onnx.embed_documents(TEXTS), torch_runtime.embed_documents(TEXTS)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-4
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    query = "the ocean at the harbour"
    assert np.abs(onnx.embed_query(query) - torch_runtime.embed_query(query)).max() < 1e-4
    # Batches are formed by length: the order of the input must not matter.
    shuffled = onnx.embed_documents(TEXTS[::-1])[::-1]
    assert np.abs(shuffled - ours).max() < 1e-5
    assert onnx.embed_documents([]).shape == (0, 384)


def test_the_conversion_is_made_once_and_reused(
    onnx: OnnxEmbedder, minilm: Path, model_cache: Path
) -> None:
    (converted,) = (model_cache / "onnx").glob("all-MiniLM-L6-v2-*.onnx")
    before = converted.stat()
    again = OnnxEmbedder.load(minilm, "all-MiniLM-L6-v2", batch_size=4, cache=model_cache)
    after = converted.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert np.array_equal(again.embed_query("tide"), onnx.embed_query("tide"))
    assert not list((model_cache / "onnx").glob(".*"))  # no temp file left behind


def test_a_damaged_conversion_is_made_again(
    onnx: OnnxEmbedder, minilm: Path, model_cache: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(model_cache / "onnx", cache / "onnx")
    (converted,) = (cache / "onnx").glob("*.onnx")
    converted.write_bytes(converted.read_bytes()[: 1 << 20])  # a copy cut short
    repaired = OnnxEmbedder.load(minilm, "all-MiniLM-L6-v2", batch_size=4, cache=cache)
    assert converted.stat().st_size > 50 << 20
    assert np.abs(repaired.embed_query("tide") - onnx.embed_query("tide")).max() < 1e-5


def test_a_pipeline_it_cannot_reproduce_goes_to_sentence_transformers(
    minilm: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dense = tmp_path / "with-dense"
    shutil.copytree(minilm, dense)
    modules = json.loads((dense / "modules.json").read_text())
    dense_layer = {
        "idx": 3,
        "name": "3",
        "path": "3_Dense",
        "type": "sentence_transformers.models.Dense",
    }
    (dense / "modules.json").write_text(json.dumps([*modules, dense_layer]))
    assert read_pipeline(minilm) is not None and read_pipeline(dense) is None

    max_pooled = tmp_path / "max-pooled"
    shutil.copytree(minilm, max_pooled)
    pooling = json.loads((max_pooled / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_max_tokens=True)
    (max_pooled / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    assert read_pipeline(max_pooled) is None
    with pytest.raises(ProviderUnavailable) as refused:
        load_embedder(str(max_pooled), runtime="onnx", cache=tmp_path / "cache")
    assert "sentence-transformers" in refused.value.hint
    with caplog.at_level(logging.WARNING):
        fallback = load_embedder(str(max_pooled), runtime="auto", cache=tmp_path / "cache")
    assert isinstance(fallback, SentenceTransformerEmbedder)
    assert "using sentence-transformers" in caplog.text
    assert not (tmp_path / "cache" / "onnx").exists()  # no conversion was attempted


def test_embedding_with_onnx_never_imports_torch(onnx: OnnxEmbedder, model_cache: Path) -> None:
    script = (
        "import sys\n"
        "from index.embedded_models import load_embedder\n"
        "embedder = load_embedder('all-MiniLM-L6-v2', runtime='onnx')\n"
        "assert embedder.embed_query('the sea').shape == (384,)\n"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers', 'sklearn')"
        " if m in sys.modules]\n"
        "print(type(embedder).__name__, heavy)\n"
    )
    env = {**os.environ, "PONDER_CACHE_DIR": str(model_cache), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["OnnxEmbedder", "[]"]
