"""Where the wall time of one ``ponder`` command goes (a measurement helper, no fixes).

It runs the command in a child interpreter that wraps a few of ponder's functions with
timers (the sync, the model load, the store's reads, writes and maintenance), and reports:

- the phases of the process: interpreter start-up, importing the CLI, the command up to
  the sync, the sync, after the sync, and interpreter teardown (exit to reaped);
- the time spent in each wrapped function;
- with ``--importtime``, the slowest top-level imports (``python -X importtime``);
- with ``--cprofile N``, the N functions with the most cumulative time.

The environment (PONDER_ARCHIVE, PONDER_DATA_DIR, ...) is passed through as it is.

    python bench/profile_run.py --importtime --cprofile 30 -- ingest --json
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import functools
import importlib
import io
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

# Functions worth a timer: "module:Class.method" or "module:function".
WRAPPED = (
    "ingest.sync:Syncer.sync",
    "ingest.sync:Syncer._plan",
    "ingest.sync:Syncer._index_batch",
    "ingest.discover:discover",
    "ingest.chunking:Chunker.__init__",
    "ingest.chunking:Chunker.chunk",
    "index.embedded_models:SentenceTransformerEmbedder.load",
    "index.embedded_models:SentenceTransformerEmbedder.embed_documents",
    "index.store:Store.open",
    "index.store:Store.documents",
    "index.store:Store.meta",
    "index.store:Store.cached_vectors",
    "index.store:Store.cache_vectors",
    "index.store:Store.replace_documents",
    "index.store:Store.delete_orphan_chunks",
    "index.store:Store.optimize",
    "index.store:Store.chunks",
    "index.lock:WriterLock.acquire",
    "ui.services:Services._record_sync",
)


# -- the child --------------------------------------------------------------------


def _wrap(spec: str, totals: dict[str, list[float]]) -> None:
    module_name, _, path = spec.partition(":")
    module = importlib.import_module(module_name)
    owner: Any = module
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    raw = owner.__dict__.get(name) if isinstance(owner, type) else None
    is_class_method = isinstance(raw, classmethod)
    original = raw.__func__ if isinstance(raw, classmethod) else getattr(owner, name)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[spec].append(time.perf_counter() - t0)

    setattr(owner, name, classmethod(timed) if is_class_method else timed)


def child(marks_file: str, cprofile_top: int, argv: list[str]) -> None:
    marks: dict[str, Any] = {"script_start": time.time()}
    totals: dict[str, list[float]] = defaultdict(list)
    sys.path.insert(0, str(REPO))
    from ui.cli import main  # the import cost is measured here

    marks["cli_imported"] = time.time()
    for spec in WRAPPED:
        _wrap(spec, totals)
    profiler = cProfile.Profile() if cprofile_top else None

    def at_exit() -> None:
        marks["atexit"] = time.time()
        marks["calls"] = {k: {"n": len(v), "s": sum(v)} for k, v in totals.items()}
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(cprofile_top)
            marks["cprofile"] = out.getvalue()
        Path(marks_file).write_text(json.dumps(marks), encoding="utf-8")

    atexit.register(at_exit)
    sys.argv = ["ponder", *argv]
    marks["main_start"] = time.time()
    try:
        if profiler:
            profiler.enable()
        main()
    finally:
        if profiler:
            profiler.disable()
        marks["main_end"] = time.time()


# -- the parent -------------------------------------------------------------------

_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s+)(\S+)")


def top_imports(stderr: str, limit: int = 15) -> list[tuple[str, float]]:
    """Import time by top-level package: the sum of its modules' own (self) times."""
    by_package: dict[str, float] = defaultdict(float)
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            by_package[match.group(4).split(".")[0]] += int(match.group(1)) / 1e6
    return sorted(by_package.items(), key=lambda item: -item[1])[:limit]


def parent(argv: Sequence[str], importtime: bool, cprofile_top: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        marks_file = handle.name
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else [])]
    cmd += [__file__, "--child", marks_file, "--cprofile", str(cprofile_top), "--", *argv]
    spawned = time.time()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    reaped = time.time()
    marks = json.loads(Path(marks_file).read_text(encoding="utf-8"))
    os.unlink(marks_file)
    calls = marks.get("calls", {})
    sync = calls.get("ingest.sync:Syncer.sync", {}).get("s", 0.0)
    phases = {
        "interpreter start-up": marks["script_start"] - spawned,
        "import ui.cli": marks["cli_imported"] - marks["script_start"],
        "command before/after sync": marks["main_end"] - marks["main_start"] - sync,
        "sync": sync,
        "main returned to atexit handlers": marks["atexit"] - marks["main_end"],
        "teardown (atexit to reaped)": reaped - marks["atexit"],
        "wall": reaped - spawned,
    }
    return {
        "returncode": done.returncode,
        "phases": phases,
        "calls": calls,
        "imports": top_imports(done.stderr) if importtime else [],
        "cprofile": marks.get("cprofile", ""),
        "stdout": done.stdout[-3000:],
        "stderr": "\n".join(
            line for line in done.stderr.splitlines() if not line.startswith("import time:")
        )[-3000:],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--importtime", action="store_true", help="show the slowest imports")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="top N by cumtime")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("command", nargs="+", help="the ponder command, after --")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.cprofile, args.command)
        return 0
    result = parent(args.command, args.importtime, args.cprofile)
    show: Callable[[str], None] = print
    show(f"returncode {result['returncode']}")
    if result["returncode"]:
        show(result["stderr"])
    for name, seconds in result["phases"].items():
        show(f"  {name:40s} {seconds:8.3f} s")
    show("wrapped calls (total seconds, calls):")
    for name, call in sorted(result["calls"].items(), key=lambda kv: -kv[1]["s"]):
        show(f"  {name:60s} {call['s']:8.3f} s  x{call['n']}")
    if result["imports"]:
        show("import time by top-level package (sum of self times):")
        for name, seconds in result["imports"]:
            show(f"  {name:40s} {seconds:8.3f} s")
    if result["cprofile"]:
        show(result["cprofile"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result["returncode"]


if __name__ == "__main__":
    sys.exit(main())
