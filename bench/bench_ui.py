"""The web app: time to an interactive page, and what the app adds to the model's first token.

Time to interactive is measured from starting `ponder ui` (a child process, the sample
archive already indexed, as `python3 tasks.py run` leaves it) to the chat box being on
screen in headless Chromium; the browser is started beforehand and is not counted. The
page load alone (from asking the browser for the page, server already up) is reported too.

First-token overhead: the chat model is the Ollama test server's with a fixed delay
before its first piece. Its own time to first token is measured by asking it directly
with the `ollama` client; the app's is measured in the browser, from the Enter key
(a keydown listener) to the answer's first piece appearing in the page (a
MutationObserver), both on the page's clock. The overhead is the difference: the script
rerun, retrieval (embedding the question, vector and full-text search), the prompt, and
the trip through Streamlit's websocket to the page.

    python bench/bench_ui.py [--embedder fake|embedded] [--questions 7] [--ttft 0.5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import ollama  # noqa: E402

from config import load_settings  # noqa: E402
from index.chat import FakeChat  # noqa: E402
from tests.browser_support import (  # noqa: E402
    PonderUI,
    chromium,
    copy_sample,
    egress_canary,
    free_port,
    off_machine,
    requested_urls,
)
from tests.ollama_server import OllamaServer, chat_model, default_state  # noqa: E402
from ui.services import Services  # noqa: E402

# The answer to QUESTIONS[n] starts with "RqNN", which no other text on the page holds, so
# the page's clock can tell when this answer's first piece arrived.
QUESTIONS = [  # answerable with the fake embedder too: each topic word is in the archive
    "What did I write about leaving Leeds for the sea?",
    "What did I write about my father?",
    "What did I write about the garden?",
    "What did I write about the novel?",
    "What did I write about Whitby?",
    "What did I write about Iris?",
    "What did I write about running?",
]

OBSERVE = """
const mark = arguments[0];
if (window.__observer) window.__observer.disconnect();
window.__first = null; window.__enter = null;
if (!window.__listening) {
  window.__listening = true;
  document.addEventListener('keydown', e => {
    if (e.key === 'Enter' && window.__enter === null) window.__enter = performance.now();
  }, true);
}
window.__observer = new MutationObserver(() => {
  if (window.__first === null && window.__enter !== null &&
      document.body.innerText.includes(mark)) window.__first = performance.now();
});
window.__observer.observe(document.body, {subtree: true, childList: true, characterData: true});
"""


def _mark(number: int) -> str:
    return f"Rq{number:02d}"


def _reply(messages: Any) -> str:
    asked = messages[-1].content
    number = next((n for n, q in enumerate(QUESTIONS) if q in asked), 99)
    mark = _mark(number)
    return f"{mark} you wrote about this [1]. " + "More words follow the first piece. " * 5


def model_ttft(url: str, runs: int) -> list[float]:
    """Seconds from asking the test server directly to its first piece."""
    client = ollama.Client(host=url)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        stream = client.chat(
            model="llama3.1:8b",
            messages=[{"role": "user", "content": "[1] 2014-01-01 · x.md\nhello"}],
            stream=True,
        )
        for part in stream:
            if part.message.content:
                times.append(time.perf_counter() - started)
                break
        for _ in stream:  # drain, so the server's handler ends
            pass
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedder", default="fake", choices=["fake", "embedded"])
    parser.add_argument("--questions", type=int, default=len(QUESTIONS))
    parser.add_argument("--ttft", type=float, default=0.5, help="the model's delay, seconds")
    parser.add_argument("--starts", type=int, default=3, help="cold starts of `ponder ui`")
    parser.add_argument(
        "--settle", type=float, default=10.0, help="seconds between page and first question"
    )
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    archive = copy_sample(base / "archive")
    state = default_state().install(
        chat_model("llama3.1:8b", chat=FakeChat(script=_reply, chunk_size=4))
    )
    state.fail("/api/chat", latency=args.ttft)
    with OllamaServer(state) as server, egress_canary() as canary:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PONDER_", "OLLAMA_"))}
        env.update(
            HOME=str(base / "home"),
            XDG_CONFIG_HOME=str(base / "home" / ".config"),
            PONDER_ARCHIVE=str(archive),
            PONDER_DATA_DIR=str(base / "data"),
            PONDER_EMBEDDINGS__PROVIDER=args.embedder,
            PONDER_LLM__PROVIDER="ollama",
            PONDER_OLLAMA__HOST=server.url,
        )
        services = Services(load_settings(environ=env, config_file=base / "none.toml"))
        with services.writer_lock():
            services.sync()
        direct = model_ttft(server.url, 5)

        starts: list[dict[str, float]] = []
        overheads: list[float] = []
        leaks: list[str] = []
        with chromium(canary.server_address[1]) as driver:
            for attempt in range(args.starts):
                ui = PonderUI(free_port(), env).start(base / f"ui-{attempt}.log")
                try:
                    healthy = ui.wait_healthy()
                    asked = time.perf_counter()
                    driver.get(ui.url)
                    _wait(driver, "textarea[data-testid=stChatInputTextArea]")
                    done = time.perf_counter()
                    starts.append(
                        {
                            "server_up": healthy,
                            "interactive": done - ui.started_at,
                            "page_load": done - asked,
                        }
                    )
                    if attempt == args.starts - 1:
                        time.sleep(args.settle)  # the app loads the models in the background
                        overheads = ask_all(driver, args.questions, statistics.median(direct))
                    leaks += off_machine(requested_urls(driver))
                finally:
                    ui.stop()

    result = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        "embedder": args.embedder,
        "model_ttft_s": [round(t, 4) for t in direct],
        "starts": [{k: round(v, 3) for k, v in s.items()} for s in starts],
        "first_token_overhead_ms": [round(o * 1000, 1) for o in overheads],
        "off_machine_requests": leaks,
    }
    out = REPO / "bench" / "results" / f"ui-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    inter = [s["interactive"] for s in starts]
    loads = [s["page_load"] for s in starts]
    print(
        f"\ntime to interactive: median {statistics.median(inter):.2f}s from `ponder ui` "
        f"(page load alone {statistics.median(loads):.2f}s); model TTFT median "
        f"{statistics.median(direct) * 1000:.0f} ms; app overhead on the first token: "
        f"median {statistics.median(overheads) * 1000:.0f} ms, "
        f"max {max(overheads) * 1000:.0f} ms over {len(overheads)} questions"
    )


def ask_all(driver: Any, count: int, ttft: float) -> list[float]:
    from selenium.webdriver.common.keys import Keys

    overheads = []
    for number, question in enumerate(QUESTIONS[:count]):
        _click_new_conversation(driver)
        driver.execute_script(OBSERVE, _mark(number))
        box = _wait(driver, "textarea[data-testid=stChatInputTextArea]")
        box.send_keys(question)
        box.send_keys(Keys.ENTER)
        deadline = time.monotonic() + 60
        first = None
        while time.monotonic() < deadline:
            first, enter = driver.execute_script("return [window.__first, window.__enter];")
            if first is not None:
                break
            time.sleep(0.02)
        if first is None or enter is None:
            driver.save_screenshot(str(REPO / "bench" / "results" / "ui-failed.png"))
            raise AssertionError(f"no first token (enter at {enter})")
        overheads.append((first - enter) / 1000 - ttft)
        _wait(driver, "[data-testid=stButtonGroup] button")  # the answer finished
    return overheads


def _click_new_conversation(driver: Any) -> None:
    from selenium.common.exceptions import WebDriverException

    try:
        _wait(driver, "[data-testid=stSidebar] button", "New conversation").click()
    except WebDriverException:
        return
    # Until the empty page is drawn: a question typed into the page before that lands in the
    # previous conversation, and is then a follow-up that costs a second model call.
    _wait(driver, "h1", "Chat")
    time.sleep(0.2)


def _wait(driver: Any, css: str, text: str = "") -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(d: Any) -> Any:
        return next((e for e in d.find_elements(By.CSS_SELECTOR, css) if text in e.text), False)

    wait = WebDriverWait(driver, 60, ignored_exceptions=(StaleElementReferenceException,))
    return wait.until(found)


if __name__ == "__main__":
    main()
