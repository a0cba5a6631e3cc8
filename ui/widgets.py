"""What every page shares: errors shown as a message with their fix, and job progress panels."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from index.privacy import remote_notice
from ui.background import Job
from ui.runtime import AppRuntime, explain
from ui.services import Services

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
# Session key of the EntryScope the chat page asks within (set by the Themes page).
CHAT_SCOPE = "chat-scope"


def show_error(message: str, hint: str = "") -> None:
    st.error(f"{message}\n\n**What to do:** {hint}" if hint else message, icon=":material/error:")


def show_exception(exc: Exception) -> None:
    """An error as the user should see it: a known one with its fix, a bug said plainly."""
    explained = explain(exc)
    if explained is None:
        log.exception("unexpected error in a page")
        show_error(
            f"Something went wrong inside ponder: {type(exc).__name__}: {exc}",
            "The details are in the terminal running `ponder ui`. Please report it.",
        )
    else:
        show_error(*explained)


@contextmanager
def guarded() -> Iterator[None]:
    """Show any error raised inside as a message; Streamlit's own control flow passes."""
    try:
        yield
    except Exception as exc:  # a page must end in a message, never a traceback
        show_exception(exc)


def job_outcome(job: Job) -> None:
    """How a finished job ended, in one line."""
    if job.status == "done":
        st.success(f"{job.label}: done in {job.seconds:.1f}s.", icon=":material/check_circle:")
    elif job.status == "cancelled":
        st.warning(
            f"{job.label}: cancelled. What was done so far is kept.", icon=":material/stop_circle:"
        )
    elif job.status == "failed":
        show_error(f"{job.label} failed: {job.error}", job.hint)


def job_panel(app: AppRuntime, kind: str) -> Job | None:
    """The latest job of ``kind``: a live progress bar with Cancel while it runs (the page
    reruns when it ends), else its outcome. Returns the job."""
    job = app.jobs.latest(kind)
    if job is None:
        return None
    if job.running:
        _live_progress(kind)
    else:
        job_outcome(job)
    return job


@st.fragment(run_every=POLL_SECONDS)
def _live_progress(kind: str) -> None:
    """Polled while the job runs: only this fragment reruns, so the page stays usable."""
    from ui import runtime

    job = runtime.current().jobs.latest(kind)
    if job is None or not job.running:
        st.rerun()  # the whole page: what the job changed is shown
        return
    fraction = job.fraction
    text = f"{job.label}… {job.message}".strip()
    if fraction is None:
        st.progress(0.0, text=text)
    else:
        st.progress(fraction, text=f"{text} ({job.done}/{job.total})")
    if job.cancel_requested:
        st.caption("Cancelling after the current step…")
    elif st.button("Cancel", key=f"cancel-{kind}"):
        job.cancel()


OLLAMA_STEPS = """\
1. Install Ollama from [ollama.com/download](https://ollama.com/download)
   (Linux: `curl -fsSL https://ollama.com/install.sh | sh`).
2. Start it: `ollama serve` (the installers also start it as a service).
3. Fetch the models ponder uses: `ollama pull {embed}` and `ollama pull {chat}`
   (or pull them from the Settings page once Ollama runs).
"""


def embedded_available() -> str:
    """Why the embedded runtime cannot run here, or "" when it can."""
    import importlib.util

    missing = [
        package
        for package, module in (
            ("sentence-transformers", "sentence_transformers"),
            ("llama-cpp-python", "llama_cpp"),
        )
        if importlib.util.find_spec(module) is None
    ]
    if missing:
        return f"{' and '.join(missing)} not installed: pip install 'ponder[embedded]'"
    return ""


def runtime_help(app: AppRuntime, problem: str, hint: str = "") -> None:
    """No model runtime: say so plainly, how to install Ollama, and the embedded mode."""
    assert app.services is not None
    settings = app.services.settings
    st.warning(f"ponder cannot reach a model: {problem}", icon=":material/power_off:")
    if hint:
        st.caption(hint)
    st.markdown(
        "ponder talks with a language model that runs **on this machine**. The usual one is "
        f"[Ollama](https://ollama.com), expected at `{settings.ollama.host}`."
    )
    st.markdown(
        OLLAMA_STEPS.format(embed=settings.embeddings.ollama_model, chat=settings.llm.ollama_model)
    )
    st.markdown(
        "**Or use the embedded mode**: no server, everything inside ponder. Its embeddings "
        "(all-MiniLM-L6-v2) are good; its chat model is a tiny demo model that shows how ponder "
        "works but reflects poorly. An index built with one embedding model must be rebuilt "
        "(Library → Re-index) after switching to another."
    )
    why_not = embedded_available()
    if why_not:
        st.caption(f"The embedded mode is not installed here ({why_not}).")
    elif st.button("Use the embedded mode", key="use-embedded"):
        with guarded():
            app.save_settings({"embeddings.provider": "embedded", "llm.provider": "embedded"})
            st.rerun()


def privacy_notice(services: Services | None) -> None:
    """Say where the writing goes when a configured model server is not this machine."""
    host = services.remote_host() if services is not None else None
    if host is not None:
        st.warning(remote_notice(host), icon=":material/public:")
