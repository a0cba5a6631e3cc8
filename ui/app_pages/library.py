"""The library page: the archive, every document and its status, the watcher, sync and re-index.

The same use-cases as ``ponder status``, ``ponder ingest`` and ``ponder reindex``: the
status summary comes from ``Services.status``, the writes run as background jobs through
the runtime (which holds the writer lock for them).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from index.status import IndexStatus
from ui import runtime
from ui.runtime import AppRuntime, WatchInfo
from ui.widgets import guarded, job_panel


def _when(value: object) -> str:
    """An ISO time (watcher.json, last_sync.json) as a short local time, or a dash."""
    if not isinstance(value, str) or not value:
        return "—"
    try:
        moment = dt.datetime.fromisoformat(value).astimezone()
    except ValueError:
        return value
    if moment.date() == dt.datetime.now().astimezone().date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M")


def watcher_panel(info: WatchInfo) -> None:
    st.subheader("Live sync")
    state = info.state or {}
    if info.by_us or state.get("alive"):
        st.markdown(f"**{info.summary if info.by_us else 'watching: by another process'}**")
        cols = st.columns(4)
        cols[0].metric("Mode", str(state.get("mode") or "starting"))
        cols[1].metric("Changes queued", str(state.get("queue", 0)))
        cols[2].metric("Last event", _when(state.get("last_event")))
        cols[3].metric("Last sync", _when(state.get("last_sync")))
        if state.get("last_event_path"):
            st.caption(f"Last change seen: `{state['last_event_path']}`")
        if not info.by_us:
            st.caption(f"{info.summary} (pid {state.get('pid', '?')})")
        if state.get("notice"):
            st.info(str(state["notice"]))
        for failure in state.get("failures") or []:  # type: ignore[attr-defined]
            st.warning(f"{failure.get('path') or 'sync'}: {failure.get('reason')}")
    else:
        st.markdown(f"**{info.summary}**")
        st.caption("Use Sync now after changing files, or run `ponder watch` in a terminal.")


def actions(app: AppRuntime) -> None:
    busy = bool(app.jobs.running("write"))
    left, right = st.columns(2)
    if left.button("Sync now", disabled=busy, help="Make the index match the folder."):
        with guarded():
            app.sync()
            st.rerun()
    with right.popover("Re-index…", disabled=busy):
        st.write(
            "Rebuild the whole index with the configured embedding model. Passages already "
            "embedded with it come from the cache; the others are embedded again."
        )
        if st.button("Re-index now", type="primary"):
            with guarded():
                app.reindex()
                st.rerun()
    # One write job at a time: show whichever ran last.
    jobs = [j for j in (app.jobs.latest("sync"), app.jobs.latest("reindex")) if j]
    if jobs:
        latest = max(jobs, key=lambda j: j.started)
        job_panel(app, latest.kind)


def summary(state: IndexStatus, last_sync: str | None) -> None:
    counts = state.by_status
    cols = st.columns(5)
    cols[0].metric("Indexed", counts["indexed"])
    cols[1].metric("Skipped", counts["skipped"])
    cols[2].metric("Failed", counts["failed"])
    cols[3].metric("Entries", state.entry_count)
    cols[4].metric("Passages", state.chunk_count)
    facts = []
    if state.first_date:
        facts.append(f"written {state.first_date} to {state.last_date}")
    facts.append(f"embeddings: {state.meta.embedding_model if state.meta else 'none yet'}")
    facts.append(f"last sync: {_when(last_sync) if last_sync else 'never'}")
    if state.size_bytes is not None:
        facts.append(f"{state.size_bytes / 1e6:.1f} MB on disk")
    st.caption(" · ".join(facts))


def problems(state: IndexStatus) -> None:
    bad = state.problems()
    warned = state.warnings()
    if not bad and not warned:
        return
    st.subheader("Files that need a look")
    rows = [{"file": d.path, "status": d.status.value, "reason": d.reason} for d in bad]
    rows += [{"file": d.path, "status": "warning", "reason": d.reason} for d in warned]
    st.dataframe(rows, hide_index=True, width="stretch", key="problems")


def documents(state: IndexStatus) -> None:
    st.subheader("Documents")
    if not state.documents:
        st.info("Nothing is indexed yet: press Sync now.")
        return
    rows = [
        {
            "file": d.path,
            "status": d.status.value,
            "from": d.first_date,
            "to": d.last_date,
            "entries": d.entry_count,
            "passages": d.chunk_count,
            "reader": d.reader,
            "reason": d.reason,
        }
        for d in state.documents
    ]
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        key="documents",
        column_config={
            "from": st.column_config.DateColumn("from"),
            "to": st.column_config.DateColumn("to"),
        },
    )


def render(app: AppRuntime) -> None:
    services = app.services
    assert services is not None  # app.py shows the settings error instead
    st.title("Library")
    st.markdown(f"Archive folder: `{services.settings.archive.path}`")
    actions(app)
    watcher_panel(app.watch_info())
    state = services.status()
    last = services.last_sync()
    summary(state, str(last["finished_at"]) if last and last.get("finished_at") else None)
    problems(state)
    documents(state)


with guarded():
    render(runtime.current())
