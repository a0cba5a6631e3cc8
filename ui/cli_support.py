"""What every `ponder` command shares: error handling, common options, services, dates."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from config import ConfigError, load_settings
from index.chat import ChatFailed
from index.conversations import ConversationError
from index.embeddings import ProviderUnavailable
from index.lock import LockHeld
from index.store import StoreError
from ui.services import Services

F = TypeVar("F", bound=Callable[..., Any])

# Errors that carry a hint and become a message, never a traceback. A new kind of user
# error joins this tuple; anything else is reported as a bug.
USER_ERRORS: tuple[type[Exception], ...] = (
    ConfigError,
    StoreError,
    ProviderUnavailable,
    LockHeld,
    ChatFailed,
    ConversationError,
)


class PonderGroup(click.Group):
    """Turns ponder's errors into one clear message with its fix, and imports each
    command's module only when that command runs (``lazy_commands``: name -> "module:attr").

    Importing every command up front (the web app pulls in Streamlit, asking pulls in the
    answer pipeline) made every command pay for all of them before doing anything.
    """

    def __init__(self, *args: Any, lazy_commands: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._lazy = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self._lazy and name not in self.commands:
            module, _, attr = self._lazy[name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            self.add_command(command, name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            hint = getattr(exc, "hint", "")
            raise click.ClickException(f"{exc}\n  hint: {hint}" if hint else str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except Exception as exc:  # the last line of defence: a bug, said plainly
            if os.environ.get("PONDER_DEBUG"):
                traceback.print_exc()
            raise click.ClickException(
                f"unexpected error: {type(exc).__name__}: {exc}\n"
                "  hint: run again with PONDER_DEBUG=1 for the details, and report it."
            ) from None


def common_options(command: F) -> F:
    """--archive, --data-dir and --config on every command (and on the group)."""

    @click.option(
        "--archive",
        type=click.Path(path_type=Path, file_okay=False),
        help="The folder of writing [env PONDER_ARCHIVE].",
    )
    @click.option(
        "--data-dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Where ponder keeps its index and state [env PONDER_DATA_DIR].",
    )
    @click.option(
        "--config",
        "config_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="A config file to use instead of the default one [env PONDER_CONFIG].",
    )
    @functools.wraps(command)
    def wrapper(
        *args: Any,
        archive: Path | None,
        data_dir: Path | None,
        config_file: Path | None,
        **kwargs: Any,
    ) -> Any:
        ctx = click.get_current_context()
        flags = ctx.ensure_object(dict)
        for key, value in (
            ("archive", archive),
            ("data_dir", data_dir),
            ("config_file", config_file),
        ):
            if value is not None:
                flags[key] = value
        return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def services(extra: dict[str, Any] | None = None) -> Services:
    flags = click.get_current_context().ensure_object(dict)
    loaded = load_settings(
        {
            "archive.path": flags.get("archive"),
            "index.data_dir": flags.get("data_dir"),
            **(extra or {}),
        },
        config_file=flags.get("config_file"),
    )
    return Services(loaded, notify=lambda message: click.echo(f"note: {message}", err=True))


wait_option = click.option(
    "--wait",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for another ponder writing to the same index.",
)


class Locked:
    """The writer lock for a CLI command, saying whom it waits for."""

    def __init__(self, app: Services, wait: float) -> None:
        self._lock = app.writer_lock()
        self._wait = wait

    def __enter__(self) -> None:
        def tell(holder: Any) -> None:
            who = holder.describe() if holder else "another ponder process"
            click.echo(f"waiting for {who} to finish writing...", err=True)

        self._lock.acquire(self._wait, on_wait=tell)

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def parse_date(value: str | None, end: bool) -> dt.date | None:
    if value is None:
        return None
    try:
        if len(value) == 4 and value.isdigit():
            return dt.date(int(value), 12, 31) if end else dt.date(int(value), 1, 1)
        if len(value) == 7:
            year, month = (int(p) for p in value.split("-"))
            if end:
                nxt = dt.date(year + month // 12, month % 12 + 1, 1)
                return nxt - dt.timedelta(days=1)
            return dt.date(year, month, 1)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD"
        ) from None
