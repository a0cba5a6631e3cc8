"""One command for every benchmark: prints one table and writes one JSON.

What it runs, each as a child process so one benchmark's memory cannot colour another's:

- ``bench_ingest.py`` on a generated archive (embedded MiniLM): full ingest, unchanged
  re-ingest, one-line edit, peak memory;
- ``bench_watch.py`` (fake embedder): save-to-searchable latency, a burst against ingest;
- ``bench_retrieval.py`` (fake embedder, synthetic vectors): search latency at 10,000
  passages (``--full``: also 100,000 and 1,000,000);
- ``bench_themes.py`` on the archive the ingest benchmark indexed (embedded MiniLM): themes
  time (whole command and use-case, naming excluded), and planted themes recovered and peak
  years right on the sample archive;
- side by side on the sample archive with the same embedder (MiniLM): ponder against the
  textbook llama-index pipeline (``textbook_pipeline.py``: SimpleDirectoryReader,
  VectorStoreIndex on LanceDBVectorStore): full-ingest ratio, re-ingest ratio, hit@k.

    python bench/run_all.py            # quick: about 10-20 minutes on 2 shared cores
    python bench/run_all.py --full     # the issues' sizes: hours on 2 shared cores
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from machine_info import cpu_model, memory_gib  # this folder: the scripts run as `python bench/...`

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
SAMPLE = REPO / "sample" / "archive"
QUESTIONS = REPO / "sample" / "questions.json"
# The textbook pipeline's packages live apart from ponder's environment: the pylance that
# llama-index-vector-stores-lancedb pulls in is a newer lance than lancedb 0.40 embeds.
TEXTBOOK_DEPS = BENCH / ".textbook-deps"
TEXTBOOK_PACKAGES = (
    "llama-index-vector-stores-lancedb==0.6.0",
    "pylance==14.0.2",
    "tantivy==0.27.0",
)
K = 5


def run(
    args: list[str],
    env: dict[str, str] | None = None,
    timeout: float = 7200,
    ok: tuple[int, ...] = (0,),
) -> str:
    print("+", " ".join(Path(a).name if a == sys.executable else a for a in args), flush=True)
    done = subprocess.run(
        args,
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode not in ok:
        raise RuntimeError(f"{args[1]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def last_json(text: str) -> dict[str, Any]:
    """The last top-level JSON object a benchmark printed."""
    start = text.rfind("\n{")
    start = 0 if text.startswith("{") and start < 0 else start + 1
    return dict(json.loads(text[start:]))


def ingest(work: Path, full: bool) -> dict[str, Any]:
    out = work / "ingest.json"
    entries, repeats = ("3000", "5") if full else ("300", "2")
    run(
        [
            sys.executable,
            str(BENCH / "bench_ingest.py"),
            "--entries",
            entries,
            "--repeats",
            repeats,
            "--load-repeats",
            "1" if not full else "3",
            "--no-encode",
            "--keep",  # the themes benchmark runs on the same index
            "--out",
            str(out),
        ],
        ok=(0, 1),  # bench_ingest exits 1 when a target is missed
    )
    saved = json.loads(out.read_text(encoding="utf-8"))
    summary = saved["summary"]
    return {
        "kept": saved["facts"].get("kept"),
        "entries": int(entries),
        "full_ingest_s": summary["full"]["wall_s"],
        "full_ingest_in_process_s": summary["full"]["seconds"],
        "non_embed_share": summary["full"]["non_embed_share"],
        "unchanged_wall_s": summary["unchanged"]["wall_s_median"],
        "unchanged_in_process_s": summary["unchanged"]["seconds_median"],
        "edit_chunks_embedded": summary["edits"]["chunks_embedded"],
        "edit_s_minus_load": summary["edits"]["seconds_minus_load"],
        "peak_rss_mib": summary["peak_rss_mib"],
    }


def themes(work: Path, kept: str | None, full: bool) -> dict[str, Any]:
    """Themes on the ingest benchmark's archive, and their quality on the sample."""
    args = [sys.executable, str(BENCH / "bench_themes.py"), "--repeats", "3" if full else "1"]
    args += ["--sample-data", str(work / "themes-sample")]
    if kept:
        args += ["--archive", str(Path(kept) / "archive"), "--data-dir", str(Path(kept) / "data")]
    found = last_json(run(args))
    result: dict[str, Any] = {
        "sample": {k: v for k, v in found["sample"].items() if k != "matches"}
    }
    if "large" in found:
        large = found["large"]
        result["large"] = {
            key: large[key]
            for key in ("entries", "themes", "outliers", "median_wall_s", "median_use_case_s")
        }
    return result


def watch(full: bool) -> dict[str, Any]:
    saves, burst = ("50", "2000") if full else ("10", "200")
    script = str(BENCH / "bench_watch.py")
    args = [sys.executable, script, "--embedder", "fake", "--saves", saves, "--burst", burst]
    return last_json(run(args))


def retrieval(full: bool) -> list[dict[str, Any]]:
    sizes = (10_000, 100_000, 1_000_000) if full else (10_000,)
    found = []
    for size in sizes:
        args = [sys.executable, str(BENCH / "bench_retrieval.py"), "--embedder", "fake"]
        args += ["--chunks", str(size), "--queries", "100" if full else "30"]
        found.append(last_json(run(args)))
    return found


def textbook_deps() -> Path:
    if not (TEXTBOOK_DEPS / "llama_index" / "vector_stores" / "lancedb").is_dir():
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target"]
        run([*pip, str(TEXTBOOK_DEPS), *TEXTBOOK_PACKAGES])
    return TEXTBOOK_DEPS


def ponder_env(archive: Path, data: Path) -> dict[str, str]:
    return {
        "PONDER_ARCHIVE": str(archive),
        "PONDER_DATA_DIR": str(data),
        "PONDER_EMBEDDINGS__PROVIDER": "embedded",
        "PONDER_LLM__PROVIDER": "fake",
        "PONDER_CONFIG": str(data.parent / "none.toml"),
    }


def timed_ingest(env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    report = last_json(run([sys.executable, "-m", "ui.cli", "ingest", "--json"], env=env))
    return time.perf_counter() - started, report


def side_by_side(work: Path) -> dict[str, Any]:
    """ponder and the textbook pipeline on the sample archive, same embedder, same k."""
    from config import load_settings
    from index.evaluate import first_hit, load_questions
    from ui.services import Services

    archive, data = work / "archive", work / "ponder-data"
    shutil.copytree(SAMPLE, archive)
    env = ponder_env(archive, data)
    full_wall, full = timed_ingest(env)
    again_wall, again = timed_ingest(env)

    sys.path.insert(0, str(BENCH))
    from textbook_pipeline import shingles

    app = Services(load_settings({}, environ=env))
    questions = load_questions(QUESTIONS)
    table = app.store.chunks(("path", "date", "text"))
    rows = list(
        zip(
            table.column("path").to_pylist(),
            table.column("date").to_pylist(),
            table.column("text").to_pylist(),
            strict=True,
        )
    )
    searcher = app.searcher()
    gold, by_date, by_shingle = [], 0, 0
    for question in questions:
        texts = [t for p, d, t in rows if d in question.gold_dates or p in question.gold_paths]
        gold.append({"q": question.q, "gold_texts": texts})
        passages = searcher.search(question.q, k=K, dates=question.dates)
        rank = first_hit(question, passages)
        by_date += rank is not None and rank <= K
        wanted = set().union(*(shingles(t) for t in texts))
        by_shingle += any(shingles(p.text) & wanted for p in passages)
    gold_file = work / "gold.json"
    gold_file.write_text(json.dumps(gold), encoding="utf-8")

    out = work / "textbook.json"
    deps = textbook_deps()
    script = [sys.executable, str(BENCH / "textbook_pipeline.py"), str(archive)]
    run(
        [*script, str(work / "tb-db"), str(gold_file), "--k", str(K), "--out", str(out)],
        env={"PYTHONPATH": os.pathsep.join([str(deps), str(REPO)])},
    )
    textbook = json.loads(out.read_text(encoding="utf-8"))
    n = len(questions)
    return {
        "archive": "sample/archive",
        "questions": n,
        "ponder_full_ingest_s": round(float(full["seconds"]), 2),
        "ponder_full_ingest_wall_s": round(full_wall, 2),
        "ponder_chunks_embedded": full["chunks_embedded"],
        "ponder_timings": full["timings"],
        "ponder_reingest_s": round(float(again["seconds"]), 3),
        "ponder_reingest_wall_s": round(again_wall, 2),
        f"ponder_hit@{K}_by_entry": round(by_date / n, 4),
        f"ponder_hit@{K}_by_text": round(by_shingle / n, 4),
        "textbook": textbook,
        "full_ingest_ratio": round(float(full["seconds"]) / textbook["full_ingest_s"], 3),
        "reingest_ratio": round(float(again["seconds"]) / textbook["reingest_s"], 4),
    }


def machine() -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "arch": platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib(), 1),
        "python": platform.python_version(),
        "loadavg_start": os.getloadavg(),
    }


def table(result: dict[str, Any]) -> str:
    lines = ["| benchmark | figure |", "|---|---|"]

    def add(name: str, value: Any) -> None:
        lines.append(f"| {name} | {value} |")

    ing = result.get("ingest", {})
    if ing:
        add(
            f"full ingest, {ing['entries']} entries (wall / in process)",
            f"{ing['full_ingest_s']:.1f} / {ing['full_ingest_in_process_s']:.1f} s",
        )
        add("share that is not embedding", f"{ing['non_embed_share']:.1%}")
        add(
            "unchanged re-ingest (command / in process)",
            f"{ing['unchanged_wall_s']:.2f} / {ing['unchanged_in_process_s']:.3f} s",
        )
        add(
            "one-line edit: passages embedded; s besides model load",
            f"{ing['edit_chunks_embedded']}; {ing['edit_s_minus_load']:.2f} s",
        )
        add("peak memory (ingest)", f"{ing['peak_rss_mib']:.0f} MiB")
    w = result.get("watch", {})
    if w:
        add(
            "save to searchable, p50 / p95 (fake)", f"{w['latency_p50_s']} / {w['latency_p95_s']} s"
        )
        add(f"burst of {w['burst_files']}: watcher / ingest", f"{w['burst_ratio']}")
    for r in result.get("retrieval", []):
        ms = r["ms"]
        first = next(iter(ms.values()))
        add(
            f"search at {r['chunks']:,} passages, p50 / p95 (fake)",
            f"{first['p50']:.0f} / {first['p95']:.0f} ms",
        )
    s = result.get("side_by_side", {})
    if s:
        tb = s["textbook"]
        add(
            "sample archive, full ingest: ponder / textbook",
            f"{s['ponder_full_ingest_s']} / {tb['full_ingest_s']} s "
            f"(ratio {s['full_ingest_ratio']})",
        )
        add(
            "sample archive, re-ingest: ponder / textbook",
            f"{s['ponder_reingest_s']} / {tb['reingest_s']} s (ratio {s['reingest_ratio']})",
        )
        add(
            f"hit@{K}, same rule (12-word overlap): ponder / textbook",
            f"{s[f'ponder_hit@{K}_by_text']} / {tb[f'hit@{K}']}",
        )
        add(
            f"hit@{K}, ponder's own rule (gold entry date or path)",
            f"{s[f'ponder_hit@{K}_by_entry']}",
        )
    th = result.get("themes", {})
    if th.get("large"):
        large = th["large"]
        add(
            f"themes of {large['entries']:,} entries, naming excluded (command / use-case)",
            f"{large['median_wall_s']:.1f} / {large['median_use_case_s']:.1f} s "
            f"({large['themes']} themes)",
        )
    if th.get("sample"):
        sample = th["sample"]
        add(
            "sample: planted themes recovered; peak year right",
            f"{sample['recovered']} of {sample['planted']}; {sample['peak_rate']:.0%}",
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the issues' sizes (hours)")
    parser.add_argument("--only", nargs="*", help="ingest, themes, watch, retrieval, side_by_side")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    wanted = set(args.only or ["ingest", "themes", "watch", "retrieval", "side_by_side"])
    result: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "full" if args.full else "quick",
        "machine": machine(),
    }
    work = Path(tempfile.mkdtemp(prefix="ponder-bench-all-"))
    try:
        for name, step in (
            ("ingest", lambda: ingest(work, args.full)),
            ("themes", lambda: themes(work, result.get("ingest", {}).get("kept"), args.full)),
            ("watch", lambda: watch(args.full)),
            ("retrieval", lambda: retrieval(args.full)),
            ("side_by_side", lambda: side_by_side(work)),
        ):
            if name in wanted:
                started = time.perf_counter()
                try:
                    result[name] = step()
                except Exception as exc:  # one broken benchmark must not lose the others
                    result.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
                result.setdefault("seconds", {})[name] = round(time.perf_counter() - started, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        kept = result.get("ingest", {}).pop("kept", None)
        if kept:
            shutil.rmtree(kept, ignore_errors=True)
        result["machine"]["loadavg_end"] = os.getloadavg()
        out = args.out or RESULTS / f"all-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(table(result))
    for name, error in result.get("errors", {}).items():
        print(f"{name} failed: {error}", file=sys.stderr)
    print(f"\nJSON: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
