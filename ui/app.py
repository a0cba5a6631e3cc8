"""The Streamlit entry point: page setup, the process's runtime, and navigation between pages.

Run by ``ponder ui`` (never imported). Which pages exist depends on the state of things:
with no archive folder, the first-run page; otherwise chat, themes, critique, library and
settings.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import runtime
from ui.widgets import guarded, show_error

# Not "pages/": Streamlit would also list that folder's files as pages of its own.
PAGES = Path(__file__).with_name("app_pages")

# An emoji favicon becomes a data: URL; a ":material/...:" one would be fetched from Google.
st.set_page_config(page_title="ponder", page_icon="🪶", layout="wide")

with guarded():
    app = runtime.current()
    if app.error is not None:
        show_error(*app.error)
        st.stop()
    if app.needs_archive:
        pages = [
            st.Page(
                PAGES / "welcome.py", title="Welcome", icon=":material/waving_hand:", default=True
            ),
            st.Page(PAGES / "settings.py", title="Settings", icon=":material/settings:"),
        ]
    else:
        pages = [
            st.Page(PAGES / "chat.py", title="Chat", icon=":material/chat:", default=True),
            st.Page(PAGES / "themes.py", title="Themes", icon=":material/insights:"),
            st.Page(PAGES / "critique.py", title="Critique", icon=":material/gavel:"),
            st.Page(PAGES / "library.py", title="Library", icon=":material/library_books:"),
            st.Page(PAGES / "settings.py", title="Settings", icon=":material/settings:"),
        ]
    page = st.navigation(pages)
    goto = st.session_state.pop("goto", None)  # a page asked for another after a rerun
    for candidate in pages:
        if goto and candidate.url_path == goto and candidate is not page:
            st.switch_page(candidate)
    page.run()
