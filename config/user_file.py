"""Changing the user's config file: a few settings set, the rest of the file kept as written.

The app's first run and its settings page save choices (the archive folder, the models)
where the command line will find them too. tomlkit keeps the user's comments and layout;
the new file is validated as a whole before it replaces the old one, atomically.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from config.loader import ConfigError, load_settings


def set_values(config_file: Path, values: Mapping[str, Any]) -> None:
    """Set ``{"section.key": value}`` in ``config_file`` (created if missing).

    Raises:
        ConfigError: a value is invalid, or the file cannot be read or written.
    """
    try:
        text = config_file.read_text(encoding="utf-8") if config_file.exists() else ""
        document = tomlkit.parse(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read config file {config_file}: {exc}", hint="Fix its TOML."
        ) from None
    for dotted, value in values.items():
        section, key = dotted.split(".", 1)
        table = document.get(section)
        if not isinstance(table, Table):
            table = tomlkit.table()
            document[section] = table
        table[key] = str(value) if isinstance(value, Path) else value
    _write_checked(config_file, tomlkit.dumps(document))


def _write_checked(config_file: Path, text: str) -> None:
    tmp = config_file.with_name(f".{config_file.name}.{os.getpid()}.tmp")
    try:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        # The file alone, over the defaults: a bad value is refused before it lands.
        load_settings(config_file=tmp, environ={})
        os.replace(tmp, config_file)
    except OSError as exc:
        raise ConfigError(
            f"cannot write config file {config_file}: {exc.strerror}",
            hint="Check the folder's permissions, or point PONDER_CONFIG elsewhere.",
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
