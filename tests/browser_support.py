"""Driving `ponder ui` in Debian's headless Chromium: the server process, the browser, egress.

Used by the end-to-end test and by bench/bench_ui.py. Nothing is downloaded: the browser
and its driver are Debian's (/usr/bin/chromium, /usr/bin/chromedriver, installed by
.ci/run), and Selenium Manager is kept offline by passing the driver's path and SE_OFFLINE.

Every request the browser would send off this machine goes to an *egress canary*
instead: a recording HTTP proxy on 127.0.0.1 (Chromium sends loopback requests directly and
everything else to its proxy). So a regression that makes the page fetch a remote image or
font is both caught and kept from leaving the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = REPO / "test-artifacts"


def browser_missing() -> str:
    """Why the browser tests cannot run here, or "" when they can."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        return f"{' and '.join(missing)} missing (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the egress canary -------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    server: _CanaryServer

    def _record(self) -> None:
        self.server.seen.append(self.requestline)
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = do_PUT = do_OPTIONS = _record  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        return


class _CanaryServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.seen: list[str] = []


@contextmanager
def egress_canary() -> Iterator[_CanaryServer]:
    """A proxy on loopback that answers 403 to everything and records what was asked."""
    server = _CanaryServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


# Hosts Chromium itself calls (updates, sign-in), whatever the page does.
# Exact names: fonts.googleapis.com or a CDN would still count as the page's.
_BROWSER_HOUSEKEEPING = frozenset(
    {
        "update.googleapis.com",
        "accounts.google.com",
        "clients2.google.com",
        "content-autofill.googleapis.com",
        "safebrowsingohttpgateway.googleapis.com",
        "redirector.gvt1.com",
    }
)


def from_page(seen: list[str]) -> list[str]:
    """The canary's requests that are not Chromium's own housekeeping."""
    kept = []
    for line in seen:
        target = line.split()[1] if len(line.split()) > 1 else line
        host = urlsplit(target if "://" in target else f"//{target}").hostname or ""
        if host not in _BROWSER_HOUSEKEEPING:
            kept.append(line)
    return kept


# -- the browser ----------------------------------------------------------------------

# Chromium's own background traffic (updates, sync, autofill, safe browsing) is switched
# off as far as flags allow; what remains (component updates, account checks) goes to
# Google's service hosts and is told apart by ``from_page``.
_QUIET_CHROMIUM = (
    "--headless=new",
    "--no-sandbox",  # root in CI containers
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-client-side-phishing-detection",
    "--disable-domain-reliability",
    "--metrics-recording-only",
    "--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter,"
    "Translate,InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater,"
    "NetworkTimeServiceQuerying",
    "--window-size=1280,900",
)


@contextmanager
def chromium(proxy_port: int) -> Iterator[Any]:
    """Headless Chromium through Debian's chromedriver, its egress sent to ``proxy_port``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a browser
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in _QUIET_CHROMIUM:
        options.add_argument(argument)
    options.add_argument(f"--proxy-server=http://127.0.0.1:{proxy_port}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver: Any) -> list[str]:
    """Every URL the page asked for since the last call (Chromium's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message.get("method") == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return urls


def off_machine(urls: list[str]) -> list[str]:
    """The URLs among ``urls`` that do not go to 127.0.0.1 (data: and blob: stay local)."""
    local_schemes = {"data", "blob", "about", "chrome", "chrome-extension"}
    return [
        url
        for url in urls
        if urlsplit(url).scheme not in local_schemes and urlsplit(url).hostname != "127.0.0.1"
    ]


# -- the server ----------------------------------------------------------------------


@dataclass
class PonderUI:
    """`ponder ui` in a child process, as a user starts it."""

    port: int
    env: Mapping[str, str]
    args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_path: Path) -> PonderUI:
        self.log_path = log_path
        command = [sys.executable, "-m", "ui.cli", "ui", "--port", str(self.port), *self.args]
        self.started_at = time.perf_counter()
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=dict(self.env), stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def wait_healthy(self, timeout: float = 60.0) -> float:
        """Seconds from start until Streamlit answers its health check."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"ponder ui exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/_stcore/health", timeout=1.0).status_code == 200:
                    return time.perf_counter() - self.started_at
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"ponder ui did not come up within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (the app stops its watcher and releases the lock), SIGKILL if it hangs."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


@contextmanager
def ponder_ui(
    port: int, env: Mapping[str, str], log_path: Path, args: list[str] | None = None
) -> Iterator[PonderUI]:
    server = PonderUI(port, env, args or []).start(log_path)
    try:
        yield server
    finally:
        server.stop()


def copy_sample(target: Path) -> Path:
    """A private copy of the sample archive (tests may add files to it)."""
    shutil.copytree(REPO / "sample" / "archive", target)
    return target
