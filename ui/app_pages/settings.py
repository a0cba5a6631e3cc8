"""The settings page: the model runtime in use and why, Ollama's models, pulls, the embedded
runtime's embedding model, and locations.

The same use-cases as ``ponder status`` (which provider and why), ``ponder models`` and
``ponder models pull``; choices are saved to the user's config file, where the command
line finds them too.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from index import embedded_models, ollama_models
from index.embeddings import ProviderUnavailable
from index.ollama_models import ModelInfo
from ui import runtime
from ui.background import Job
from ui.runtime import AppRuntime
from ui.widgets import guarded, job_panel, privacy_notice, runtime_help, show_exception

PROVIDERS = ("auto", "ollama", "embedded")


def _size(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _overridden(app: AppRuntime, key: str) -> None:
    """Say so when the environment or a flag sets ``key``: the config file cannot win."""
    if app.overridden(key):
        st.caption(f"`{key}` is set by {app.source_of(key)}, which wins over the config file.")


def providers(app: AppRuntime) -> None:
    services = app.services
    assert services is not None
    st.subheader("Models in use")
    for label, choose in (("Embeddings", services.embedder), ("Chat", services.chat)):
        try:
            with st.spinner(f"Checking the {label.lower()} runtime…"):
                choice = choose()
        except ProviderUnavailable as exc:
            st.markdown(f"**{label}:** unavailable: {exc}")
            if exc.hint:
                st.caption(exc.hint)
            continue
        except Exception as exc:  # a broken runtime is diagnosed here, not raised
            show_exception(exc)
            continue
        model = getattr(choice, "embedder", None) or getattr(choice, "model", None)
        model_id = getattr(model, "model_id", "?")
        st.markdown(f"**{label}:** `{model_id}` from **{choice.provider}** — {choice.reason}")
    settings = services.settings
    current = settings.embeddings.provider
    options = PROVIDERS if current in PROVIDERS else (*PROVIDERS, current)
    with st.form("provider"):
        chosen = st.radio(
            "Runtime",
            options,
            index=options.index(current),
            horizontal=True,
            help="auto: Ollama when it is running with the models, else the embedded runtime.",
        )
        if st.form_submit_button("Save runtime"):
            with guarded():
                app.save_settings({"embeddings.provider": chosen, "llm.provider": chosen})
                st.rerun()
    _overridden(app, "embeddings.provider")


def ollama_section(app: AppRuntime) -> None:
    services = app.services
    assert services is not None
    settings = services.settings
    st.subheader("Ollama")
    st.caption(f"Server: `{settings.ollama.host}`")
    try:
        with st.spinner("Asking Ollama for its models…"):
            present = ollama_models.list_models(settings)
    except ProviderUnavailable as exc:
        runtime_help(app, str(exc), exc.hint)
        return
    configured = ollama_models.configured_models(settings)
    model_table(present, configured)
    choose_models(app, present, configured)
    pull_section(app, configured, [m.name for m in present])


def model_table(present: list[ModelInfo], configured: dict[str, str]) -> None:
    if not present:
        st.info("Ollama has no models yet: pull the two below.")
        return
    rows = [
        {
            "model": m.name,
            "size": _size(m.size),
            "family": m.family,
            "parameters": m.parameter_size,
            "quantization": m.quantization,
            "context length": m.context_length,
            "ponder uses it for": ", ".join(
                role for role, name in configured.items() if ollama_models.has_model([m.name], name)
            ),
        }
        for m in present
    ]
    st.dataframe(rows, hide_index=True, width="stretch", key="ollama-models")


def choose_models(app: AppRuntime, present: list[ModelInfo], configured: dict[str, str]) -> None:
    names = [m.name for m in present]

    def options(current: str) -> list[str]:
        return names if ollama_models.has_model(names, current) else [current, *names]

    def index_of(choices: list[str], current: str) -> int:
        return next(
            (i for i, name in enumerate(choices) if ollama_models.has_model([name], current)), 0
        )

    chat_choices = options(configured["chat"])
    embed_choices = options(configured["embeddings"])
    with st.form("models"):
        chat = st.selectbox(
            "Chat model", chat_choices, index=index_of(chat_choices, configured["chat"])
        )
        embed = st.selectbox(
            "Embedding model",
            embed_choices,
            index=index_of(embed_choices, configured["embeddings"]),
            help="Changing it means re-indexing the archive (Library → Re-index).",
        )
        if st.form_submit_button("Save models"):
            with guarded():
                app.save_settings({"llm.ollama_model": chat, "embeddings.ollama_model": embed})
                if not ollama_models.has_model([embed], configured["embeddings"]):
                    st.session_state["reindex-advice"] = embed
                st.rerun()
    for key in ("llm.ollama_model", "embeddings.ollama_model"):
        _overridden(app, key)


def pull_section(app: AppRuntime, configured: dict[str, str], names: list[str]) -> None:
    settings = app.services.settings if app.services else None
    assert settings is not None
    missing = [name for name in configured.values() if not ollama_models.has_model(names, name)]
    with st.form("pull"):
        name = st.text_input(
            "Pull a model",
            value=missing[0] if missing else "",
            placeholder="e.g. llama3.1:8b",
            help="Any name from ollama.com/library; Ollama downloads it.",
        )
        running = app.jobs.latest("pull")
        busy = running is not None and running.running
        if st.form_submit_button("Pull", disabled=busy) and name.strip():
            with guarded():
                start_pull(app, name.strip())
                st.rerun()
    job_panel(app, "pull")


def start_pull(app: AppRuntime, name: str) -> Job:
    settings = app.services.settings if app.services else None
    assert settings is not None

    def work(job: Job) -> str:
        for step in ollama_models.pull_model(settings, name):
            if step.total:  # a layer's download: bytes done of bytes
                job.progress(step.completed, step.total, step.status)
            else:  # "pulling manifest", "verifying sha256 digest", "success"
                job.note(step.status)
        return name

    return app.jobs.start("pull", f"Pulling {name}", work)


def embedded_section(app: AppRuntime) -> None:
    """The embedded runtime's embedding model: which ones are installed, and the choice."""
    services = app.services
    assert services is not None
    st.subheader("Embedded runtime")
    st.caption(
        "No server: the models run inside ponder. Used when the runtime is embedded, or auto "
        "without Ollama."
    )
    try:
        shipped = embedded_models.shipped_embeddings()
    except Exception as exc:  # a broken install is diagnosed here, not raised
        show_exception(exc)
        return
    for model in shipped:
        status = "installed" if model.missing is None else f"not installed: {model.missing}"
        st.markdown(f"- **{model.name}**: {model.about}. _{status}_")
    current = services.settings.embeddings.embedded_model
    names = [model.name for model in shipped]
    options = names if current in names else [current, *names]
    with st.form("embedded-model"):
        chosen = st.selectbox(
            "Embedded embedding model",
            options,
            index=options.index(current),
            help="A shipped model or a local sentence-transformers folder (config file). "
            "Changing it means re-indexing the archive (Library → Re-index).",
        )
        if st.form_submit_button("Save embedded model") and chosen != current:
            missing = next((m.missing for m in shipped if m.name == chosen), None)
            if missing:
                st.error(f"{chosen} is not installed here. {missing}")
            else:
                with guarded():
                    app.save_settings({"embeddings.embedded_model": chosen})
                    if not app.overridden("embeddings.embedded_model"):
                        st.session_state["reindex-advice"] = chosen
                    st.rerun()
    _overridden(app, "embeddings.embedded_model")


def locations(app: AppRuntime) -> None:
    services = app.services
    assert services is not None
    settings = services.settings
    st.subheader("Where things are")
    rows: list[dict[str, Any]] = [
        {
            "what": "Archive folder",
            "where": str(settings.archive.path or "(none)"),
            "set by": app.source_of("archive.path"),
        },
        {
            "what": "Data folder",
            "where": str(services.data_dir),
            "set by": app.source_of("index.data_dir"),
        },
        {"what": "Index", "where": services.store.uri, "set by": app.source_of("index.uri")},
        {"what": "Config file", "where": str(services.loaded.config_file), "set by": ""},
    ]
    st.dataframe(rows, hide_index=True, width="stretch", key="locations")
    with st.form("archive"):
        folder = st.text_input("Archive folder", value=str(settings.archive.path or ""))
        if st.form_submit_button("Use this folder"):
            with guarded():
                app.choose_archive(folder)
                app.sync()  # the index follows the new folder; the library shows it
                st.session_state["goto"] = "library"
                st.rerun()
    _overridden(app, "archive.path")


def reindex_advice() -> None:
    """After the embedding model changed: the index must be rebuilt before questions."""
    if st.session_state.get("reindex-advice"):
        st.info(
            f"The embedding model is now {st.session_state['reindex-advice']}: re-index the "
            "archive on the Library page before asking questions."
        )


def render(app: AppRuntime) -> None:
    st.title("Settings")
    privacy_notice(app.services)
    reindex_advice()
    providers(app)
    ollama_section(app)
    embedded_section(app)
    locations(app)


with guarded():
    render(runtime.current())
