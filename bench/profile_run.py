"""Where the wall time of one ``ponder`` command goes (a measurement helper, no fixes).

It runs the command in a child interpreter that wraps a few of ponder's functions with
timers (the sync, the model load, the store's reads, writes and maintenance), and reports:

- the phases of the process: interpreter start-up, importing the CLI, the command up to
  the sync, the sync, after the sync, and interpreter teardown (exit to reaped);
- the time spent in each wrapped function;
- with ``--importtime``, the slowest top-level imports (``python -X importtime``);
- with ``--cprofile N``, the N functions with the most cumulative time;
- with ``--memory SECONDS``, resident memory sampled that often, the wrapped call running at
  the peak, and how much each wrapped function grew the resident set (nested calls count in
  their callers too);
- with ``--trim``, an experiment, not a measurement of ponder as it is: glibc's
  ``malloc_trim(0)`` after every batch of documents, to see how much of the resident set is
  freed memory the allocator kept.

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
import resource
import subprocess
import sys
import tempfile
import threading
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

_ACTIVE: list[str] = []  # the wrapped calls running now, innermost last (ingest is serial)
_PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE_MIB


def _wrap(spec: str, totals: dict[str, list[float]], growth: dict[str, float]) -> None:
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
        rss0 = rss_mib()
        _ACTIVE.append(spec)
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[spec].append(time.perf_counter() - t0)
            _ACTIVE.pop()
            growth[spec] += rss_mib() - rss0

    setattr(owner, name, classmethod(timed) if is_class_method else timed)


def _sample_memory(every: float, samples: list[tuple[float, float, str]]) -> None:
    started = time.perf_counter()
    while True:
        time.sleep(every)
        active = _ACTIVE[-1] if _ACTIVE else ""
        samples.append((time.perf_counter() - started, rss_mib(), active))


def _trim_after_batches() -> None:
    """Experiment: hand freed heap back to the kernel after each batch (glibc only)."""
    import ctypes

    from ingest.sync import Syncer

    libc = ctypes.CDLL("libc.so.6")
    original = Syncer._index_batch

    @functools.wraps(original)
    def trimmed(self: Syncer, *args: Any, **kwargs: Any) -> None:
        try:
            original(self, *args, **kwargs)
        finally:
            libc.malloc_trim(0)

    Syncer._index_batch = trimmed  # type: ignore[method-assign]


def child(
    marks_file: str, cprofile_top: int, memory_every: float, trim: bool, argv: list[str]
) -> None:
    marks: dict[str, Any] = {"script_start": time.time()}
    totals: dict[str, list[float]] = defaultdict(list)
    growth: dict[str, float] = defaultdict(float)
    samples: list[tuple[float, float, str]] = []
    sys.path.insert(0, str(REPO))
    from ui.cli import main  # the import cost is measured here

    marks["cli_imported"] = time.time()
    marks["rss_after_import_mib"] = rss_mib()
    if trim:
        _trim_after_batches()  # before the timers wrap it, so they see the trimmed batch
    for spec in WRAPPED:
        _wrap(spec, totals, growth)
    profiler = cProfile.Profile() if cprofile_top else None
    if memory_every:
        threading.Thread(target=_sample_memory, args=(memory_every, samples), daemon=True).start()

    def at_exit() -> None:
        marks["atexit"] = time.time()
        marks["calls"] = {
            k: {"n": len(v), "s": sum(v), "rss_growth_mib": growth[k]} for k, v in totals.items()
        }
        if samples:
            peak = max(samples, key=lambda sample: sample[1])
            marks["memory"] = {
                "peak_sampled_mib": peak[1],
                "peak_at_s": peak[0],
                "peak_during": peak[2],
                "timeline": samples[:: max(1, len(samples) // 100)],
            }
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


def parent(
    argv: Sequence[str], importtime: bool, cprofile_top: int, memory_every: float, trim: bool
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        marks_file = handle.name
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else [])]
    cmd += [__file__, "--child", marks_file, "--cprofile", str(cprofile_top)]
    cmd += ["--memory", str(memory_every), *(["--trim"] if trim else []), "--", *argv]
    spawned = time.time()
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr = proc.communicate()
    reaped = time.time()
    maxrss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
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
        "returncode": proc.returncode,
        "maxrss_mib": maxrss_mib,
        "rss_after_import_mib": marks.get("rss_after_import_mib"),
        "memory": marks.get("memory"),
        "phases": phases,
        "calls": calls,
        "imports": top_imports(stderr) if importtime else [],
        "cprofile": marks.get("cprofile", ""),
        "stdout": stdout[-3000:],
        "stderr": "\n".join(
            line for line in stderr.splitlines() if not line.startswith("import time:")
        )[-3000:],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--importtime", action="store_true", help="show the slowest imports")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="top N by cumtime")
    parser.add_argument(
        "--memory", type=float, default=0.0, metavar="SECONDS", help="sample RSS this often"
    )
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--trim", action="store_true", help="experiment: malloc_trim per batch")
    parser.add_argument("command", nargs="+", help="the ponder command, after --")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.cprofile, args.memory, args.trim, args.command)
        return 0
    result = parent(args.command, args.importtime, args.cprofile, args.memory, args.trim)
    show: Callable[[str], None] = print
    show(f"returncode {result['returncode']}")
    if result["returncode"]:
        show(result["stderr"])
    for name, seconds in result["phases"].items():
        show(f"  {name:40s} {seconds:8.3f} s")
    show(
        f"peak RSS {result['maxrss_mib']:.0f} MiB; after importing the CLI "
        f"{result['rss_after_import_mib']:.0f} MiB"
    )
    if result["memory"]:
        memory = result["memory"]
        show(
            f"sampled peak {memory['peak_sampled_mib']:.0f} MiB at {memory['peak_at_s']:.0f} s, "
            f"during {memory['peak_during'] or '(no wrapped call)'}"
        )
    show("wrapped calls (total seconds, calls, resident-set growth):")
    for name, call in sorted(result["calls"].items(), key=lambda kv: -kv[1]["s"]):
        show(f"  {name:60s} {call['s']:8.3f} s  x{call['n']:<4} {call['rss_growth_mib']:+7.0f} MiB")
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
