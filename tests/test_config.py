"""Settings: layered defaults < config file < environment < flags, with provenance."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings
from config.loader import index_uri


def test_defaults_load_and_say_where_they_came_from(tmp_path: Path) -> None:
    loaded = load_settings(environ={}, config_file=tmp_path / "none.toml")
    assert loaded.settings.embeddings.provider == "ollama"
    assert loaded.settings.llm.num_ctx == 8192
    assert loaded.sources["search.k"] == "defaults.toml"
    assert loaded.settings.index.data_dir is not None  # the platform's user data dir


def test_layers_override_in_order(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[search]\nk = 5\ncandidates = 40\n[archive]\nignore = ["drafts/"]\n')
    loaded = load_settings(
        {"search.k": 3},
        config_file=config,
        environ={"PONDER_SEARCH__CANDIDATES": "30", "PONDER_SEARCH__RRF_K": "10"},
    )
    search = loaded.settings.search
    assert (search.k, search.candidates, search.rrf_k, search.per_entry) == (3, 30, 10, 2)
    assert loaded.sources["search.k"] == "flag --k"
    assert loaded.sources["search.candidates"] == "env PONDER_SEARCH__CANDIDATES"
    assert loaded.sources["archive.ignore"] == f"config file {config}"
    assert loaded.sources["search.per_entry"] == "defaults.toml"
    assert loaded.settings.archive.ignore == ["drafts/"]


def test_config_file_merges_deeply(tmp_path: Path) -> None:
    # Setting one key of a section keeps the section's other defaults.
    config = tmp_path / "config.toml"
    config.write_text("[llm]\nollama_model = 'qwen2.5:7b'\n")
    llm = load_settings(environ={}, config_file=config).settings.llm
    assert llm.ollama_model == "qwen2.5:7b"
    assert llm.num_ctx == 8192 and llm.provider == "ollama"


def test_shortcuts_and_config_env(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text("[ui]\nport = 9000\n")
    loaded = load_settings(
        environ={
            "PONDER_ARCHIVE": str(tmp_path / "writing"),
            "PONDER_DATA_DIR": str(tmp_path / "data"),
            "PONDER_CONFIG": str(config),
        }
    )
    assert loaded.settings.archive.path == (tmp_path / "writing").resolve()
    assert loaded.settings.index.data_dir == (tmp_path / "data").resolve()
    assert loaded.settings.ui.port == 9000
    assert loaded.sources["archive.path"] == "env PONDER_ARCHIVE"
    assert index_uri(loaded.settings) == str((tmp_path / "data" / "index").resolve())


def test_env_lists_as_json(tmp_path: Path) -> None:
    loaded = load_settings(
        environ={"PONDER_ARCHIVE__IGNORE": '["a/", "*.log"]'}, config_file=tmp_path / "x"
    )
    assert loaded.settings.archive.ignore == ["a/", "*.log"]


def test_ollama_host_is_honoured_but_ponder_wins(tmp_path: Path) -> None:
    none = tmp_path / "none.toml"
    host = load_settings(environ={"OLLAMA_HOST": "gpu-box:11434"}, config_file=none)
    assert host.settings.ollama.host == "http://gpu-box:11434"
    both = load_settings(
        environ={"OLLAMA_HOST": "gpu-box:11434", "PONDER_OLLAMA__HOST": "http://other:1"},
        config_file=none,
    )
    assert both.settings.ollama.host == "http://other:1"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PONDER_SEARCH__NOPE": "1"}, "unknown setting variable PONDER_SEARCH__NOPE"),
        ({"PONDER_NOSECTION__K": "1"}, "unknown setting variable"),
        ({"PONDER_SEARCH__K": "many"}, "search.k"),
        ({"PONDER_EMBEDDINGS__PROVIDER": "openai"}, "embeddings.provider"),
        ({"PONDER_SEARCH__K": "0"}, "greater than or equal to 1"),
    ],
)
def test_bad_values_are_clear_errors(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        load_settings(environ=environ, config_file=tmp_path / "none.toml")
    assert error.value.hint


def test_unknown_key_in_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[search]\nkk = 3\n")
    with pytest.raises(ConfigError, match=r"search\.kk.*config file"):
        load_settings(environ={}, config_file=config)


def test_broken_toml_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[search\nk = ")
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(environ={}, config_file=config)


def test_every_setting_has_a_description() -> None:
    from config.settings import Settings

    for section in Settings.model_fields.values():
        model = section.annotation
        assert model is not None
        for name, field in model.model_fields.items():  # type: ignore[union-attr]
            assert field.description, f"{model.__name__}.{name} has no description"
