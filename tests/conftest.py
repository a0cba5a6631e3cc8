"""Shared fixtures: every test runs offline, with its data, config and archive in tmp_path."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from config import load_settings
from index.records import Passage
from ui.services import Services

pytest_plugins = ["tests.ollama_fixtures"]

REPO = Path(__file__).resolve().parents[1]
SAMPLE_ARCHIVE = REPO / "sample" / "archive"
# Every file the tests share (the sample archive, its ground truth and questions): ponder
# must never write them, so the whole run fails if any changed.
SHARED_ARCHIVES = (REPO / "sample",)
_FINGERPRINTS = pytest.StashKey[dict[str, str]]()


def fingerprint(root: Path) -> dict[str, str]:
    """path -> (kind, size, mtime, sha256 or link target) of everything under ``root``."""
    prints = {}
    for path in sorted(root.rglob("*")):
        stat = path.lstat()
        if path.is_symlink():
            what = f"link {os.readlink(path)}"
        elif path.is_file():
            what = f"file {stat.st_size} {hashlib.sha256(path.read_bytes()).hexdigest()}"
        else:
            what = "dir"
        prints[str(path.relative_to(root))] = f"{what} {stat.st_mode:o} {stat.st_mtime_ns}"
    return prints


def _shared_fingerprints() -> dict[str, str]:
    return {
        f"{root.name}/{rel}": value
        for root in SHARED_ARCHIVES
        for rel, value in fingerprint(root).items()
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_FINGERPRINTS] = _shared_fingerprints()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_FINGERPRINTS, None)
    if before is None:
        return
    after = _shared_fingerprints()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "the shared archive was written during the run: " + ", ".join(changed[:20])
        if reporter is not None:
            reporter.write_line(f"FAILED (archive integrity): {message}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the whole run: the embedded GGUF (250 MB) is assembled at most once."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, model_cache: Path
) -> None:
    """No test sees the developer's config, data or Ollama."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("PONDER_") or name == "OLLAMA_HOST":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("PONDER_CACHE_DIR", str(model_cache))


@pytest.fixture
def app_runtimes() -> Iterator[None]:
    """Stops every app runtime the test built (watchers, locks, jobs) when it ends."""
    yield
    from tests.app_support import close_runtimes  # streamlit only for the app's tests

    close_runtimes()


@pytest.fixture
def runner(archive: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI on ``archive`` and ``data_dir`` with the fake embedder and chat model."""
    monkeypatch.setenv("PONDER_ARCHIVE", str(archive))
    monkeypatch.setenv("PONDER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PONDER_EMBEDDINGS__PROVIDER", "fake")
    monkeypatch.setenv("PONDER_LLM__PROVIDER", "fake")
    return CliRunner()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "archive"
    path.mkdir()
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def offline_services(archive: Path, data: Path, embeddings: str = "fake") -> Services:
    """Services on ``archive`` with ``data`` as data dir, the fake chat model and no config
    file, for fixtures that outlive one test (``make_app`` is per test)."""
    return Services(
        load_settings(
            environ={
                "PONDER_ARCHIVE": str(archive),
                "PONDER_DATA_DIR": str(data),
                "PONDER_EMBEDDINGS__PROVIDER": embeddings,
                "PONDER_LLM__PROVIDER": "fake",
            },
            config_file=data / "none.toml",
        )
    )


AppFactory = Callable[..., Services]


def fake_env(archive: Path, data_dir: Path) -> dict[str, str]:
    """The settings of a test: this archive and data dir, the fake providers, and no old
    index versions kept."""
    return {
        "PONDER_ARCHIVE": str(archive),
        "PONDER_DATA_DIR": str(data_dir),
        "PONDER_EMBEDDINGS__PROVIDER": "fake",
        "PONDER_LLM__PROVIDER": "fake",
        "PONDER_INDEX__KEEP_VERSIONS_MINUTES": "0",
    }


@pytest.fixture
def make_app(archive: Path, data_dir: Path) -> AppFactory:
    """Services on the test archive with the fake embedder; keyword args override settings."""

    def make(**overrides: Any) -> Services:
        flags = {key.replace("__", "."): value for key, value in overrides.items()}
        return Services(load_settings(flags, environ=fake_env(archive, data_dir)))

    return make


@pytest.fixture
def app(make_app: AppFactory) -> Iterator[Services]:
    yield make_app()


def passage(chunk_id: str, entry_index: int = 0, paragraph: float | None = None) -> Passage:
    """A search hit for ranking tests: ``chunk_id`` is "<entry>-<n>", so the passages of one
    entry (its ``doc_id``) share the part before the dash."""
    return Passage(
        chunk_id=chunk_id,
        doc_id=chunk_id.split("-")[0],
        path="a.md",
        entry_index=entry_index,
        date=dt.date(2014, 1, 1),
        date_source="heading",
        entry_title="",
        start=0,
        end=1,
        text=chunk_id,
        tags=(),
        score=0.0,
        paragraph_similarity=paragraph,
    )


def write(root: Path, rel: str, text: str | bytes, mtime: float | None = None) -> Path:
    """Write a file under ``root`` (creating folders), optionally with a fixed mtime."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def ponder_in_a_new_process(
    archive: Path, data_dir: Path, commands: list[list[str]], then: str = ""
) -> str:
    """Run ponder's CLI ``commands`` in one fresh interpreter on the fake providers, then the
    Python statements ``then`` (they may inspect ``sys.modules``); what it printed.

    For what only a new process shows, such as the modules a command imports.
    """
    code = (
        "import sys\nfrom ui.cli import cli\n"
        f"for command in {commands!r}:\n"
        "    try:\n        cli(command)\n"
        "    except SystemExit as exit:\n        assert not exit.code, (command, exit.code)\n"
        f"{then}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, **fake_env(archive, data_dir)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def embedded_sample(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Services:
    """The sample archive indexed with the embedded MiniLM embedder, once per session.

    Shared by the quality tests (themes, critique): ingesting it takes a minute or more on
    two busy cores. Tests may add their own files to its data dir, never change the index.
    """
    data = tmp_path_factory.mktemp("embedded-sample")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("PONDER_CACHE_DIR", str(model_cache))
        app = offline_services(SAMPLE_ARCHIVE, data, embeddings="embedded")
        report = app.sync()
    assert report.failed == 0
    return app
