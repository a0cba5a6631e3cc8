"""`ponder ui`: the web app, served by Streamlit on 127.0.0.1 in this process.

Streamlit runs in-process (through its own command line, with every option spelled out as
a flag so no user or project Streamlit config can loosen them) so that the folder watcher
runs in the same process as the app, and stops with it.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import click

from ui import runtime
from ui.cli_support import common_options, services

APP = Path(__file__).with_name("app.py")
HOST = "127.0.0.1"  # never another interface: the app shows a person's private writing


def streamlit_options(port: int) -> list[str]:
    """Streamlit's options for ponder: loopback only, no telemetry, nothing fetched."""
    return [
        f"--server.address={HOST}",
        f"--server.port={port}",
        "--server.headless=true",  # no browser opened, no e-mail prompt
        "--browser.gatherUsageStats=false",
        f"--browser.serverAddress={HOST}",
        "--global.developmentMode=false",
        "--server.fileWatcherType=none",  # ponder's code does not change under a user
        "--server.runOnSave=false",
        "--server.enableStaticServing=false",  # the source viewer is the only file server
        "--server.enableCORS=true",
        "--server.enableXsrfProtection=true",
        "--client.toolbarMode=minimal",
        "--client.showErrorDetails=none",  # pages show errors as messages, never tracebacks
        "--theme.base=light",
    ]


@click.command("ui")
@common_options
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 [ui.port, default 8501]."
)
@click.option(
    "--no-watch",
    is_flag=True,
    help="Do not watch the archive folder from the app (it still syncs when asked).",
)
def ui(port: int | None, no_watch: bool) -> None:
    """Open the web app: chat with your writing, see the library, choose models."""
    from streamlit.web import cli as streamlit_cli  # slow to import: only for this command

    app = services({"ui.port": port})  # a bad setting stops here, with its fix
    port = app.settings.ui.port
    _check_port_free(port)
    flags = click.get_current_context().ensure_object(dict)
    launch = runtime.Launch(
        flags={
            dotted: str(flags[name])
            for name, dotted in (("archive", "archive.path"), ("data_dir", "index.data_dir"))
            if flags.get(name) is not None
        }
        | {"ui.port": str(port)},
        config_file=str(flags["config_file"]) if flags.get("config_file") else None,
        watch=not no_watch,
    )
    runtime.prepare(launch)  # services and watcher up before the first page is asked for
    click.echo(f"ponder is running at http://{HOST}:{port} (Ctrl-C to stop)", err=True)
    try:
        streamlit_cli.main.main(
            args=["run", str(APP), *streamlit_options(port), "--", *launch.to_args()],
            prog_name="streamlit",
            standalone_mode=False,
        )
    finally:
        runtime.release_all()  # the watcher finishes its sync in flight; the lock is freed


def _check_port_free(port: int) -> None:
    """Fail with the fix when the port is taken, before Streamlit fails with less."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise
            raise click.ClickException(
                f"port {port} on {HOST} is in use (is ponder ui already running?)\n"
                f"  hint: open http://{HOST}:{port}, or pass --port N (or set PONDER_UI__PORT)."
            ) from None
