"""Privacy: nothing ponder does opens a connection off this machine, and a model server that
is not this machine is named, visibly, wherever text is sent to it.

Each use-case runs under a socket guard (tests/egress_guard.py) that records and refuses
any connection or name lookup towards an address that is not loopback: in this process,
and in child processes through a ``sitecustomize`` on their PYTHONPATH. Themes and
critique join USE_CASES with one line each when they land.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import egress_guard
from tests.app_support import app_test, close_runtimes, fake_env
from tests.conftest import REPO, AppFactory, write
from tests.ollama_server import OllamaServer
from ui.cli import cli
from ui.services import Services

NOTES = {
    "journal.md": "## 2014-03-02\nWe walked to the sea and talked about leaving the city.\n\n"
    "## 2016-05-01\nRain all day. I promised myself I would stop working weekends.\n",
    "notes/2018-02-03.txt": "Worked all weekend again. The promise did not last.\n",
}
REMOTE = "http://198.51.100.7:11434"  # TEST-NET-2: documentation only, never routed


@pytest.fixture
def guard() -> Iterator[list[str]]:
    egress_guard.attempts.clear()
    egress_guard.install()
    try:
        yield egress_guard.attempts
    finally:
        egress_guard.uninstall()
        close_runtimes()


@pytest.fixture(params=["fake", "ollama"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def env(
    provider: str,
    archive: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    ollama_server: OllamaServer,
) -> dict[str, str]:
    """The archive, with settings for the fake models or the Ollama test server on loopback."""
    for rel, text in NOTES.items():
        write(archive, rel, text)
    extra = {}
    if provider == "ollama":
        extra = {
            "ollama__host": ollama_server.url,
            "embeddings__provider": "ollama",
            "llm__provider": "ollama",
        }
    fake_env(monkeypatch, archive, data_dir, **extra)
    return {k: v for k, v in os.environ.items() if k.startswith("PONDER_")}


def services() -> Services:
    from config import load_settings

    return Services(load_settings())


def ingest(_env: dict[str, str]) -> None:
    app = services()
    with app.writer_lock():
        assert app.sync().added == len(NOTES)


def search(env: dict[str, str]) -> None:
    ingest(env)
    assert services().searcher().search("the sea")


def ask(env: dict[str, str]) -> None:
    ingest(env)
    events = list(services().asker().ask("What did I promise about weekends?"))
    assert events


def command_line(_env: dict[str, str]) -> None:
    runner = CliRunner()
    for args in (
        ["ingest", "--json"],
        ["search", "the sea", "--json"],
        ["ask", "What did I promise?"],
        ["status"],
        ["config", "show"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
        assert "note:" not in result.output  # loopback only: no notice


def app_pages(env: dict[str, str]) -> None:
    ingest(env)
    for page in (None, "app_pages/chat.py", "app_pages/library.py", "app_pages/settings.py"):
        at = app_test(page)
        assert not at.exception, (page, at.exception)
        assert not [w for w in at.warning if "not this machine" in str(w.value)]


def child_processes(env: dict[str, str]) -> None:
    """`ponder ingest` and `ponder ask` as real processes, guarded by sitecustomize."""
    folder = egress_guard.sitecustomize_dir(Path(env["PONDER_DATA_DIR"]).parent / "guard")
    log = folder / "attempts.log"
    child_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]),
        egress_guard.LOG_ENV: str(log),
    }
    for args in (["ingest", "--json"], ["ask", "What did I promise?"]):
        done = subprocess.run(
            [sys.executable, "-m", "ui.cli", *args],
            cwd=REPO,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
    assert not log.exists() or not log.read_text(), log.read_text()


USE_CASES: dict[str, Callable[[dict[str, str]], None]] = {
    "ingest": ingest,
    "search": search,
    "ask": ask,
    "cli": command_line,
    "app": app_pages,
    "child-processes": child_processes,
    # "themes": themes,      <- one line each when they land
    # "critique": critique,
}


@pytest.mark.parametrize("use_case", USE_CASES)
def test_nothing_connects_off_this_machine(
    use_case: str, provider: str, env: dict[str, str], guard: list[str]
) -> None:
    if use_case == "child-processes" and provider == "fake":
        pytest.skip("one child run is enough: the Ollama one sends the most")
    USE_CASES[use_case](env)
    assert guard == [], f"{use_case} tried to leave the machine: {guard}"


# -- the guard itself ---------------------------------------------------------------------


def test_the_guard_refuses_and_records_every_kind_of_egress(guard: list[str]) -> None:
    import socket

    import httpx

    with pytest.raises(OSError):
        socket.create_connection(("198.51.100.7", 80), timeout=1)
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("example.com", 443)
    with pytest.raises(httpx.ConnectError):
        httpx.get("http://198.51.100.7/", timeout=1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(OSError):
        udp.sendto(b"x", ("198.51.100.7", 53))
    assert len(guard) == 4, guard
    with socket.socket() as server:  # loopback stays open
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=1).close()
    assert len(guard) == 4


def test_a_guarded_child_records_its_attempts(tmp_path: Path) -> None:
    folder = egress_guard.sitecustomize_dir(tmp_path / "guard")
    log = tmp_path / "attempts.log"
    code = "import socket\ntry:\n    socket.create_connection(('198.51.100.7', 80), 1)\n"
    code += "except OSError:\n    pass\n"
    env = {**os.environ, "PYTHONPATH": str(folder), egress_guard.LOG_ENV: str(log)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert "198.51.100.7" in log.read_text()


# -- the notice when Ollama is not this machine -------------------------------------------


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:11434", True),
        ("http://127.8.9.1:11434", True),
        ("http://localhost:11434", True),
        ("http://[::1]:11434", True),
        ("127.0.0.1:11434", True),
        ("http://192.168.1.20:11434", False),
        ("http://ollama.example.com", False),
        ("http://gpu-box:11434", False),  # a name is not trusted: it could point anywhere
        ("https://[2001:db8::1]:11434", False),
    ],
)
def test_loopback_is_recognised_without_resolving_names(url: str, loopback: bool) -> None:
    from index.privacy import is_loopback_url

    assert is_loopback_url(url) is loopback


def test_the_cli_says_where_text_goes_once_per_command(
    archive: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, guard: list[str]
) -> None:
    write(archive, "a.md", "A note about the sea.\n")
    fake_env(
        monkeypatch,
        archive,
        data_dir,
        ollama__host=REMOTE,
        embeddings__provider="ollama",
        llm__provider="ollama",
        ollama__timeout_seconds="2",
    )
    result = CliRunner().invoke(cli, ["ask", "What about the sea?"])
    assert result.stderr.count(f"note: Your writing is sent to the Ollama server at {REMOTE}") == 1
    # The guard stopped the attempt; nothing but the configured host was tried.
    assert guard and all("198.51.100.7" in attempt for attempt in guard)


def test_no_notice_for_runtimes_that_stay_here(make_app: AppFactory) -> None:
    told: list[str] = []
    local = make_app(ollama__host=REMOTE)  # fake models: the remote host is never used
    local.notify = told.append
    local.embedder(), local.chat()
    assert told == [] and local.remote_host() is None


def test_the_app_shows_where_text_goes(
    archive: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, guard: list[str]
) -> None:
    write(archive, "a.md", "A note about the sea.\n")
    fake_env(monkeypatch, archive, data_dir, ollama__host=REMOTE, llm__provider="ollama")
    for page in ("app_pages/chat.py", "app_pages/settings.py"):
        at = app_test(page)
        warnings = " ".join(str(w.value) for w in at.warning)
        assert f"sent to the Ollama server at {REMOTE}" in warnings, page
