"""Layered settings loading: defaults.toml < config file < environment < flags, with provenance."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import ValidationError

from config.settings import Settings

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")
ENV_PREFIX = "PONDER_"
# Shortcuts every command honours, beside the PONDER_<SECTION>__<KEY> form.
ENV_SHORTCUTS: dict[str, tuple[str, str]] = {
    "PONDER_ARCHIVE": ("archive", "path"),
    "PONDER_DATA_DIR": ("index", "data_dir"),
}
ENV_CONFIG_FILE = "PONDER_CONFIG"
# Where rebuildable files go (the assembled demo GGUF); a location, not a setting.
ENV_CACHE_DIR = "PONDER_CACHE_DIR"
# Variables under our prefix that are not settings.
# Names a crash point for the crash-safety tests (index/faults.py); not a setting.
ENV_CRASH_AT = "PONDER_CRASH_AT"
ENV_NOT_SETTINGS = frozenset({ENV_CONFIG_FILE, ENV_CACHE_DIR, ENV_CRASH_AT})


class ConfigError(Exception):
    """Settings that cannot be used; ``hint`` says how to fix them."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class LoadedSettings:
    """The effective settings and, for every leaf ``section.key``, where its value came from."""

    settings: Settings
    sources: Mapping[str, str]
    config_file: Path


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir("ponder", appauthor=False)) / "config.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("ponder", appauthor=False))


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where ponder keeps files it can rebuild: ``$PONDER_CACHE_DIR`` or the platform's."""
    env = os.environ if environ is None else environ
    configured = env.get(ENV_CACHE_DIR)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_cache_dir("ponder", appauthor=False))


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedSettings:
    """Merge every layer, validate once, and resolve paths.

    Args:
        flags: command-line values as ``{"section.key": value}``; ``None`` values are unset.
        config_file: the user config file; default ``$PONDER_CONFIG`` or the platform's.
        environ: the environment (default ``os.environ``); injectable for tests.
    """
    env = dict(os.environ if environ is None else environ)
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}

    _merge(merged, sources, _read_toml(DEFAULTS_FILE), "defaults.toml")
    path = config_file or Path(env.get(ENV_CONFIG_FILE) or default_config_file()).expanduser()
    if _exists(path):
        _merge(merged, sources, _read_toml(path), f"config file {path}")
    for name, layer in _env_layers(env):
        _merge(merged, sources, layer, name)
    for dotted, value in (flags or {}).items():
        if value is not None:
            section, key = dotted.split(".", 1)
            _merge(merged, sources, {section: {key: value}}, f"flag --{key.replace('_', '-')}")

    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, sources), hint="Fix the value named above.") from None
    return LoadedSettings(_resolve_paths(settings, sources), sources, path)


def _exists(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError as exc:  # e.g. a config folder we may not look into
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror}",
            hint="Fix its permissions, or point --config / PONDER_CONFIG elsewhere.",
        ) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}", hint="Fix its TOML.") from None


def _merge(
    into: dict[str, Any], sources: dict[str, str], layer: Mapping[str, Any], name: str
) -> None:
    """Deep-merge ``layer`` into ``into``: sections merge key by key, leaves replace."""
    for section, values in layer.items():
        if not isinstance(values, Mapping):
            raise ConfigError(
                f"{name}: '{section}' must be a [section] table, not a value",
                hint="Settings live in sections such as [archive] or [index].",
            )
        target = into.setdefault(section, {})
        for key, value in values.items():
            target[key] = value
            sources[f"{section}.{key}"] = name


def _env_layers(env: Mapping[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """Each PONDER_* variable as its own layer, so provenance names the variable."""
    known = Settings.model_fields
    layers: list[tuple[str, dict[str, Any]]] = []
    if "OLLAMA_HOST" in env:  # Ollama's own variable; PONDER_OLLAMA__HOST still wins.
        layers.append(("env OLLAMA_HOST", {"ollama": {"host": _ollama_url(env["OLLAMA_HOST"])}}))
    for name in sorted(env):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in ENV_NOT_SETTINGS:
            continue
        if upper in ENV_SHORTCUTS:
            section, key = ENV_SHORTCUTS[upper]
        else:
            section, _, key = upper[len(ENV_PREFIX) :].lower().partition("__")
            section_field = known.get(section)
            if section_field is None or section_field.annotation is None or not key:
                raise ConfigError(
                    f"unknown setting variable {name}",
                    hint="Use PONDER_<SECTION>__<KEY>; `ponder config show` lists them.",
                )
            if key not in section_field.annotation.model_fields:  # type: ignore[union-attr]
                raise ConfigError(
                    f"unknown setting variable {name}",
                    hint=f"[{section}] has: {', '.join(section_field.annotation.model_fields)}",  # type: ignore[union-attr]
                )
        layers.append((f"env {name}", {section: {key: _env_value(env[name])}}))
    return layers


def _env_value(raw: str) -> Any:
    # Lists and tables arrive as JSON, the way pydantic-settings reads complex values.
    if raw.strip().startswith(("[", "{")):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _ollama_url(host: str) -> str:
    # OLLAMA_HOST may be "0.0.0.0", "host:port" or a URL; the client wants a URL.
    return host if "://" in host else f"http://{host}"


def _resolve_paths(settings: Settings, sources: dict[str, str]) -> Settings:
    data_dir = (settings.index.data_dir or default_data_dir()).expanduser().resolve()
    if settings.index.data_dir is None:
        sources["index.data_dir"] = "platform default"
    archive = settings.archive.path
    index = settings.index.model_copy(update={"data_dir": data_dir})
    updates: dict[str, Any] = {"index": index}
    if archive is not None:
        updates["archive"] = settings.archive.model_copy(
            update={"path": archive.expanduser().resolve()}
        )
    return settings.model_copy(update=updates)


def index_uri(settings: Settings) -> str:
    """The LanceDB URI of the index: the configured one or ``<data_dir>/index``."""
    if settings.index.uri:
        return settings.index.uri
    assert settings.index.data_dir is not None  # resolved by load_settings
    return str(settings.index.data_dir / "index")


def _describe(exc: ValidationError, sources: Mapping[str, str]) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        origin = sources.get(where, "")
        suffix = f" (from {origin})" if origin else ""
        lines.append(f"setting {where}: {error['msg']}{suffix}")
    return "; ".join(lines)
