"""A socket guard: any connection (or name lookup) towards an address that is not loopback
is recorded and refused, in this process or, through ``sitecustomize``, in a child.

Pure Python, so it sees what Python's socket module does (httpx, the ollama client,
urllib, Streamlit, huggingface_hub); native code opening its own sockets is out of its
sight, which is why the app's browser test also routes the browser through a canary.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOG_ENV = "EGRESS_GUARD_LOG"  # a file a guarded child appends its attempts to
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}

attempts: list[str] = []
_originals: dict[str, Any] = {}


class EgressBlocked(ConnectionRefusedError):
    """A connection off this machine was attempted under the guard."""


def _loopback_host(host: object) -> bool:
    if host is None:
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text.lower().rstrip(".") in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(text.split("%")[0]).is_loopback
    except ValueError:
        return False


def _allowed(sock: socket.socket, address: Any) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    return isinstance(address, tuple) and _loopback_host(address[0])


def _record(what: str) -> None:
    attempts.append(what)
    log = os.environ.get(LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {what}\n")


def _guard_address(name: str) -> Callable[..., Any]:
    original = _originals[name]

    def guarded(self: socket.socket, address: Any, *args: Any) -> Any:
        # sendto(data, address) and sendto(data, flags, address) put the address last.
        target = args[-1] if name == "sendto" else address
        if not _allowed(self, target):
            _record(f"{name} {target!r}")
            raise EgressBlocked(f"egress guard: {name} to {target!r} is not loopback")
        return original(self, address, *args)

    return guarded


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _loopback_host(host):
        _record(f"getaddrinfo {host!r}")  # resolving a name is already a request off-machine
        raise socket.gaierror(socket.EAI_NONAME, f"egress guard: lookup of {host!r}")
    return _originals["getaddrinfo"](host, *args, **kwargs)


def install() -> None:
    if _originals:
        return
    for name in ("connect", "connect_ex", "sendto"):
        _originals[name] = getattr(socket.socket, name)
        setattr(socket.socket, name, _guard_address(name))
    _originals["getaddrinfo"] = socket.getaddrinfo
    socket.getaddrinfo = _guarded_getaddrinfo


def uninstall() -> None:
    for name in ("connect", "connect_ex", "sendto"):
        if name in _originals:
            setattr(socket.socket, name, _originals.pop(name))
    if "getaddrinfo" in _originals:
        socket.getaddrinfo = _originals.pop("getaddrinfo")


def sitecustomize_dir(folder: Path) -> Path:
    """A folder to put first on a child's PYTHONPATH so the child guards itself too."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        f"import sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import egress_guard\negress_guard.install()\n"
        "sys.path.pop(0)\n",
        encoding="utf-8",
    )
    return folder
