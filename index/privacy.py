"""Where the writer's text goes: whether a configured model server is this machine or not.

ponder keeps everything on the machine unless the user points Ollama elsewhere. That is
allowed (a home server with a GPU), but never silent: the CLI and the app say where the
text is going, in words, whenever a non-loopback host would receive it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from config import Settings

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_SENDS_TO_OLLAMA = frozenset({"ollama", "auto"})


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names this machine by a loopback address or name.

    No name is resolved: resolving would itself ask a DNS server, and a name that only
    resolves to loopback today is still a name someone else can point elsewhere.
    """
    host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    if host.lower().rstrip(".") in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def remote_host(settings: Settings, providers: tuple[str, ...] | None = None) -> str | None:
    """The Ollama host that would receive text when it is not this machine, else None.

    ``providers`` are the providers in use (as chosen); by default the configured ones,
    where ``auto`` counts as Ollama since it uses Ollama whenever Ollama answers.
    """
    if providers is None:
        providers = (settings.embeddings.provider, settings.llm.provider)
    host = settings.ollama.host
    if any(p in _SENDS_TO_OLLAMA for p in providers) and not is_loopback_url(host):
        return host
    return None


def remote_notice(host: str) -> str:
    return (
        f"Your writing is sent to the Ollama server at {host}, which is not this machine. "
        "Set ollama.host (or OLLAMA_HOST) to http://127.0.0.1:11434 to keep it here."
    )
