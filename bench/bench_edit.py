"""The one-line edit of ``bench_ingest.py`` (c), on an index that already exists, with this
tree and optionally another side by side.

    python bench/bench_ingest.py --keep            # or any archive ingested with the
                                                   # embedded embedder, copied first
    git worktree add --detach /tmp/ponder-base COMMIT
    python bench/bench_edit.py --archive A --data-dir D --against /tmp/ponder-base

Each round edits a new journal entry (a sentence appended to a line in its middle) and
runs ``ponder ingest --json`` from each tree in a fresh process, alternating which goes
first, then times the embedded model's load alone (``model_probe.py load``) from this tree.
Both trees must read the same index layout. The archive and the index are changed: give
copies. Prints one table; every figure goes to ``bench/results/edit-*.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from bench_ingest import (  # this folder: the scripts run as `python bench/...`
    EDIT_MAX_S,
    RESULTS,
    Bench,
    bench_env,
    code_state,
    edit_journal_entry,
    machine,
    median,
)


def tree_bench(tree: Path, args: argparse.Namespace, config: Path) -> Bench:
    env = bench_env(args.archive, args.data_dir, config)
    # The tree's modules first: before the installed ponder, and before the working
    # directory that `python -m` would put in front (PYTHONSAFEPATH, Python 3.11+).
    env.update(PYTHONPATH=str(tree), PYTHONSAFEPATH="1")
    return Bench(args.python, args.archive, args.data_dir, env)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    config = args.data_dir / "bench-config.toml"  # empty: no user config in the figures
    config.write_text("", encoding="utf-8")
    trees = {"this tree": Path(__file__).resolve().parent.parent}
    if args.against:
        trees["against"] = args.against.resolve()
    benches = {name: tree_bench(tree, args, config) for name, tree in trees.items()}
    probe = Bench(
        args.python, args.archive, args.data_dir, bench_env(args.archive, args.data_dir, config)
    )
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    loads = []
    names = list(trees)
    edits = args.repeats * len(names)
    for round_number in range(args.repeats):
        order = names if round_number % 2 == 0 else names[::-1]
        for name in order:
            edit = edit_journal_entry(
                args.archive, len(runs[name]) * len(names) + names.index(name), edits
            )
            run, report = benches[name].ingest()
            runs[name].append(
                {
                    "edit": edit.path,
                    "wall_s": run.wall_s,
                    "cpu_s": run.cpu_s,
                    "loadavg": run.loadavg,
                    "report": report,
                }
            )
            print(
                f"{name}: {report['chunks_embedded']} embedded, {report['seconds']:.2f} s in "
                f"process (load {report['timings']['load']:.2f}), {run.wall_s:.2f} s wall, "
                f"load average {run.loadavg[0]:.1f}",
                file=sys.stderr,
            )
        loads.append(probe.probe("load"))
    return {"trees": {k: str(v) for k, v in trees.items()}, "runs": runs, "model_load": loads}


def summarize(results: dict[str, Any]) -> list[dict[str, Any]]:
    load = median([probe["load_s"] for probe in results["model_load"]])
    rows = []
    for name, runs in results["runs"].items():
        seconds = median([r["report"]["seconds"] for r in runs])
        timings = runs[0]["report"]["timings"]
        rows.append(
            {
                "tree": name,
                "embedded": [r["report"]["chunks_embedded"] for r in runs],
                "seconds": seconds,
                "wall_s": median([r["wall_s"] for r in runs]),
                "cpu_s": median([r["cpu_s"] for r in runs]),
                "timings": {k: median([r["report"]["timings"][k] for r in runs]) for k in timings},
                "model_load_s": load,
                "seconds_minus_load": seconds - load,
                "pass": seconds - load <= EDIT_MAX_S,
            }
        )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| tree | passages embedded | in process | of which waiting for the model | wall | "
        f"model load alone | in process - load (target <= {EDIT_MAX_S:.0f} s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['tree']} | {row['embedded']} | {row['seconds']:.2f} s | "
            f"{row['timings']['load']:.2f} s | {row['wall_s']:.2f} s | {row['model_load_s']:.2f} s"
            f" | {row['seconds_minus_load']:.2f} s {'(met)' if row['pass'] else '(not met)'} |"
        )
    if len(rows) == 2:
        lines.append(
            f"\nratio of in-process medians: {rows[0]['seconds'] / rows[1]['seconds']:.2f}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--archive", type=Path, required=True, help="an ingested archive (a copy)")
    parser.add_argument("--data-dir", type=Path, required=True, help="its data dir (a copy)")
    parser.add_argument("--against", type=Path, help="another ponder source tree to compare")
    parser.add_argument("--repeats", type=int, default=5, help="edits per tree")
    parser.add_argument("--python", default=sys.executable, help="interpreter with ponder's deps")
    parser.add_argument("--out", type=Path, help="results JSON (default bench/results/...)")
    args = parser.parse_args()
    facts = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "code": code_state(),
        "command": " ".join([Path(args.python).name, *sys.argv]),
    }
    results = measure(args)
    facts["machine"]["loadavg_end"] = os.getloadavg()
    rows = summarize(results)
    out = args.out or RESULTS / f"edit-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"facts": facts, "summary": rows, "raw": results}, indent=2, default=str),
        encoding="utf-8",
    )
    print(markdown(rows))
    print(f"\nraw results: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
