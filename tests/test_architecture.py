"""The import rules of DESIGN.md: one-way imports and one owner per third-party system."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ["config", "index", "ingest", "ui"]
# A package may import only from packages to its left.
ORDER = {name: rank for rank, name in enumerate(PACKAGES)}
OWNERS = {
    "lancedb": {"index/store.py"},
    "watchdog": {"ingest/watcher.py"},
    "ollama": {"index/ollama_models.py"},
    "sentence_transformers": {"index/embedded_models.py"},
    "onnxruntime": {"index/onnx_embedder.py", "index/onnx_export.py"},
    "torch": {"index/embedded_models.py", "index/onnx_export.py"},
    "transformers": {"index/embedded_models.py", "index/onnx_export.py"},
    "llama_cpp": {"index/embedded_models.py"},
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _modules() -> list[Path]:
    return [p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))]


def test_imports_flow_one_way() -> None:
    bad = []
    for path in _modules():
        own = path.relative_to(REPO).parts[0]
        for name in _imports(path):
            top = name.split(".")[0]
            if top in ORDER and ORDER[top] > ORDER[own]:
                bad.append(f"{path.relative_to(REPO)} imports {name}")
    assert not bad, "imports must flow config <- index <- ingest <- ui:\n" + "\n".join(bad)


def test_each_third_party_system_has_one_owner() -> None:
    bad = []
    for path in _modules():
        rel = path.relative_to(REPO).as_posix()
        for name in _imports(path):
            top = name.split(".")[0]
            if top in OWNERS and rel not in OWNERS[top]:
                bad.append(f"{rel} imports {top} (owner: {', '.join(sorted(OWNERS[top]))})")
            if top == "streamlit" and not rel.startswith("ui/"):
                bad.append(f"{rel} imports streamlit outside ui/")
    assert not bad, "\n".join(bad)


def test_every_module_says_what_it_owns() -> None:
    missing = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not ast.get_docstring(tree):
            missing.append(str(path.relative_to(REPO)))
    assert not missing, "modules without an opening docstring:\n" + "\n".join(missing)
