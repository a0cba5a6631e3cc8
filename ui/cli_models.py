"""`ponder models`: the models the user's Ollama holds, which ones ponder uses, and pulls."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterable
from typing import Any

import click

from index import ollama_models
from index.ollama_models import ModelInfo, PullProgress
from ui.cli_support import common_options, services


@click.group("models", invoke_without_command=True)
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the models as one JSON object.")
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> None:
    """List the models your Ollama has, and which ones ponder is configured to use."""
    if ctx.invoked_subcommand is not None:
        return
    settings = services().settings
    present = ollama_models.list_models(settings)
    configured = ollama_models.configured_models(settings)
    if as_json:
        data = _models_json(settings.ollama.host, present, configured)
        click.echo(json.dumps(data, indent=2))
        return
    _print_models(settings.ollama.host, present, configured)


@models.command("pull")
@common_options
@click.argument("name")
def pull(name: str) -> None:
    """Pull the model NAME onto your Ollama (e.g. llama3.1:8b), showing its progress."""
    settings = services().settings
    _show_progress(ollama_models.pull_model(settings, name))
    click.echo(f"Pulled {name} onto Ollama at {settings.ollama.host}.")


def _roles(model: ModelInfo, configured: dict[str, str]) -> list[str]:
    return [
        role for role, name in configured.items() if ollama_models.has_model([model.name], name)
    ]


def _missing(present: list[ModelInfo], configured: dict[str, str]) -> dict[str, str]:
    names = [m.name for m in present]
    return {
        role: name for role, name in configured.items() if not ollama_models.has_model(names, name)
    }


def _models_json(host: str, present: list[ModelInfo], configured: dict[str, str]) -> dict[str, Any]:
    missing = _missing(present, configured)
    return {
        "host": host,
        "models": [
            {
                "name": m.name,
                "size": m.size,
                "family": m.family,
                "parameter_size": m.parameter_size,
                "quantization": m.quantization,
                "context_length": m.context_length,
                "configured_as": _roles(m, configured),
            }
            for m in present
        ],
        "configured": {
            role: {"model": name, "present": role not in missing}
            for role, name in configured.items()
        },
    }


def _print_models(host: str, present: list[ModelInfo], configured: dict[str, str]) -> None:
    click.echo(f"Ollama at {host}")
    if not present:
        click.echo("It has no models yet.")
    else:
        header = ("NAME", "SIZE", "FAMILY", "PARAMS", "QUANT", "CONTEXT", "PONDER USES IT FOR")
        rows = [header] + [
            (
                m.name,
                _size(m.size),
                m.family,
                m.parameter_size,
                m.quantization,
                str(m.context_length or "?"),
                ", ".join(_roles(m, configured)),
            )
            for m in present
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            click.echo(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
    for role, name in _missing(present, configured).items():
        click.echo(f"Missing: {name} (configured for {role}): run `ponder models pull {name}`.")


def _size(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _layer(step: PullProgress) -> str:
    return step.digest


def _show_progress(steps: Iterable[PullProgress]) -> None:
    """A progress bar per downloaded layer; other steps are printed as they come (stderr)."""
    for digest, group in itertools.groupby(steps, key=_layer):
        if not digest:
            for step in group:
                click.echo(step.status, err=True)
            continue
        first = next(group)
        length = max(first.total, 1)
        with click.progressbar(length=length, label=first.status, file=sys.stderr) as bar:
            for step in itertools.chain([first], group):
                bar.update(min(step.completed, length) - bar.pos)
