"""The first-run page: choose the folder of writing (or the sample archive), then index it.

Shown instead of the chat while no archive folder is configured. The choice is saved to
the user's config file, so ``ponder`` on the command line uses the same folder.
"""

from __future__ import annotations

import streamlit as st

from index.embeddings import ProviderUnavailable
from ui import runtime
from ui.runtime import SAMPLE_ARCHIVE, AppRuntime
from ui.widgets import guarded, runtime_help


def choose_folder(app: AppRuntime) -> None:
    assert app.services is not None
    configured = app.services.settings.archive.path
    if configured is not None:
        st.warning(f"The archive folder `{configured}` is not there any more. Choose another.")
    st.subheader("1. Where is your writing?")
    st.markdown(
        "A folder of journals, essays, notes or exports: Markdown, text, Org, HTML, Word, "
        "PDF, Day One JSON, WordPress XML. ponder reads it and never writes inside it."
    )
    with st.form("folder"):
        folder = st.text_input("Folder", placeholder="/home/you/Writing")
        if st.form_submit_button("Use this folder", type="primary"):
            with guarded():
                app.choose_archive(folder)
                start_first_sync(app)
    if SAMPLE_ARCHIVE.is_dir():
        st.markdown("Or look around first with a sample archive of invented writing:")
        if st.button("Use the sample archive"):
            with guarded():
                app.choose_archive(str(SAMPLE_ARCHIVE))
                start_first_sync(app)
    if app.overridden("archive.path"):
        st.caption(
            f"The archive is set by {app.source_of('archive.path')}, which wins over the "
            "config file: change it there."
        )


def start_first_sync(app: AppRuntime) -> None:
    """Index the new archive in the background and show its progress on the library page."""
    app.sync()
    st.session_state["goto"] = "library"  # app.py switches once the library page exists
    st.rerun()


def check_models(app: AppRuntime) -> None:
    assert app.services is not None
    st.subheader("2. A model to talk with")
    try:
        with st.spinner("Looking for a model runtime…"):
            choice = app.services.embedder()
    except ProviderUnavailable as exc:
        runtime_help(app, str(exc), exc.hint)
        return
    st.success(f"Embeddings: {choice.provider} ({choice.reason}).", icon=":material/check_circle:")


def render(app: AppRuntime) -> None:
    st.title("Welcome to ponder")
    st.markdown(
        "ponder keeps a dated, searchable index of your own writing **on this machine** and "
        "lets you ask a local model about it, with every answer citing what you wrote. "
        "Nothing leaves the machine."
    )
    choose_folder(app)
    check_models(app)


with guarded():
    render(runtime.current())
