"""`ponder watch`: keep the index in step with the folder until stopped."""

from __future__ import annotations

import signal
from types import FrameType

import click

from ingest.sync import SyncReport
from ui.cli_support import Locked, common_options, services, wait_option


@click.command()
@common_options
@click.option(
    "--polling",
    is_flag=True,
    default=None,
    help="Poll the folder instead of OS events (network shares) [watch.polling].",
)
@wait_option
def watch(polling: bool | None, wait: float) -> None:
    """Sync now, then again within a second of every change, until Ctrl-C or SIGTERM."""
    app = services({"watch.polling": polling})
    archive = app.archive
    with Locked(app, wait):
        watcher = app.watcher(on_sync=_print_sync)

        def stop(signum: int, frame: FrameType | None) -> None:
            click.echo("stopping after the sync in flight...", err=True)
            watcher.request_stop()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        click.echo(f"watching {archive} (Ctrl-C to stop)", err=True)
        try:
            watcher.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if watcher.state.notice:
            click.echo(watcher.state.notice, err=True)
    click.echo("stopped.", err=True)


def _print_sync(report: SyncReport) -> None:
    if not (report.wrote or report.failed):
        return
    parts = [
        f"{n} {label}"
        for n, label in (
            (report.added, "added"),
            (report.updated, "updated"),
            (report.renamed, "moved"),
            (report.deleted, "deleted"),
            (report.failed, "failed"),
        )
        if n
    ]
    click.echo(f"synced: {', '.join(parts)} ({report.seconds:.2f}s)")
    for path, reason in report.failures:
        click.echo(f"  failed: {path}: {reason}")
