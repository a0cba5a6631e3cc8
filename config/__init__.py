"""ponder's settings: one typed tree, loaded once by the entry point."""

from config.loader import ConfigError, LoadedSettings, load_settings
from config.settings import (
    ArchiveSettings,
    EmbeddingSettings,
    IndexSettings,
    LLMSettings,
    OllamaSettings,
    SearchSettings,
    Settings,
    ThemesSettings,
    UISettings,
    WatchSettings,
)

__all__ = [
    "ArchiveSettings",
    "ConfigError",
    "EmbeddingSettings",
    "IndexSettings",
    "LLMSettings",
    "LoadedSettings",
    "OllamaSettings",
    "SearchSettings",
    "Settings",
    "ThemesSettings",
    "UISettings",
    "WatchSettings",
    "load_settings",
]
