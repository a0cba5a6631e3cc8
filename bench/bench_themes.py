"""Benchmark themes: time on a large archive, and quality on the sample archive's ground truth.

What it measures:

(a) time: ``ponder themes --recompute --no-names --json`` on an already ingested archive
    (default: the ~3,000-entry archive of ``generate_archive.py``, embedded MiniLM
    vectors), each run in a fresh process as a user would run it: the wall time of the
    process (imports and numba's JIT included) and the use-case's own time (reading the
    entries, UMAP, HDBSCAN, keywords, timelines, quotes). Naming is excluded (--no-names):
    it is one model call per theme. Then the cached read (nothing changed) the same way.
(b) quality: themes of the sample archive (ingested with the embedded MiniLM embedder)
    matched to ``sample/ground_truth.json`` by ``index.theme_eval.recovery``: planted themes
    recovered, peak years right, and the rule-peak rate (ponder's peak rule on the planted
    entries themselves: the ceiling of the peak rate). ``--seeds N`` measures the sample
    again with UMAP seeds 0..N-1: how much of a figure is the default seed's luck.

    python bench/bench_themes.py --data-dir DIR --archive DIR [--sample-data DIR] [--repeats 3]
        [--seeds 8] [--setting themes.consensus_layouts=1]

``--data-dir`` holds the large archive's index (ingest it first with
``PONDER_EMBEDDINGS__PROVIDER=embedded ponder ingest``); the sample is ingested into
``--sample-data`` when that holds no index yet.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from machine_info import describe  # this folder: the scripts run as `python bench/...`

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample" / "archive"


# Settings for every ponder run of this benchmark (``--setting themes.consensus_layouts=1``):
# the method before and after a change, measured with the same code in the same session.
SETTINGS: dict[str, str] = {}


def env_for(archive: Path, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PONDER_")}
    env.update(SETTINGS)
    config = data_dir / "bench-empty-config.toml"
    data_dir.mkdir(parents=True, exist_ok=True)
    config.touch()
    env.update(
        PONDER_ARCHIVE=str(archive),
        PONDER_DATA_DIR=str(data_dir),
        PONDER_CONFIG=str(config),
        PONDER_EMBEDDINGS__PROVIDER="embedded",
        PONDER_LLM__PROVIDER="fake",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


def ponder(python: str, env: dict[str, str], *args: str) -> tuple[float, dict[str, Any]]:
    """Run one ponder command in a fresh process: (wall seconds, its JSON output)."""
    started = time.perf_counter()
    code = "import sys; from ui.cli import main; sys.argv = ['ponder', *sys.argv[1:]]; main()"
    done = subprocess.run(
        [python, "-c", code, *args], env=env, capture_output=True, text=True, cwd=REPO
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"ponder {' '.join(args)} failed: {done.stderr[-2000:]}")
    return wall, json.loads(done.stdout)


def machine() -> dict[str, Any]:
    return describe()


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def time_themes(python: str, archive: Path, data_dir: Path, repeats: int) -> dict[str, Any]:
    env = env_for(archive, data_dir)
    runs = []
    for _ in range(repeats):
        before = load()
        wall, data = ponder(python, env, "themes", "--recompute", "--no-names", "--json")
        runs.append(
            {
                "wall_s": round(wall, 2),
                "use_case_s": data["seconds"],
                "themes": len(data["themes"]),
                "entries": data["entries"],
                "outliers": data["outliers"],
                "load_before": before,
            }
        )
        print(f"  themes: {runs[-1]}", file=sys.stderr)
    cached = []
    for _ in range(repeats):
        wall, data = ponder(python, env, "themes", "--no-names", "--json")
        assert data["freshness"]["how"] == "cached", data["freshness"]
        cached.append({"wall_s": round(wall, 2), "use_case_s": data["seconds"]})
    return {
        "runs": runs,
        "median_wall_s": statistics.median(r["wall_s"] for r in runs),
        "median_use_case_s": statistics.median(r["use_case_s"] for r in runs),
        "cached_runs": cached,
        "median_cached_wall_s": statistics.median(r["wall_s"] for r in cached),
        "median_cached_use_case_s": statistics.median(r["use_case_s"] for r in cached),
        "themes": runs[-1]["themes"],
        "entries": runs[-1]["entries"],
        "outliers": runs[-1]["outliers"],
    }


def sample_quality(python: str, data_dir: Path, seeds: int = 0) -> dict[str, Any]:
    """The sample's themes against its ground truth; with ``seeds``, also over that many
    other UMAP seeds (0, 1, ...): on 156 entries one seed's clustering is one draw of many,
    and the held-out archive is measured with none of them tuned to it."""
    sys.path.insert(0, str(REPO))
    from index.theme_eval import recovery

    env = env_for(SAMPLE, data_dir)
    if not (data_dir / "index").exists():
        print("  ingesting the sample archive (embedded MiniLM)...", file=sys.stderr)
        subprocess.run(
            [python, "-c", "from ui.cli import main; main()", "ingest", "--json"],
            env=env,
            check=True,
            capture_output=True,
            cwd=REPO,
        )
    truth = json.loads((REPO / "sample" / "ground_truth.json").read_text(encoding="utf-8"))

    def measure(run_env: dict[str, str]) -> tuple[float, dict[str, Any], Any]:
        wall, data = ponder(python, run_env, "themes", "--recompute", "--no-names", "--json")
        themes = [_theme_from_json(t) for t in data["themes"]]
        return wall, data, recovery(themes, truth["themes"], list(data["periods"].items()))

    wall, data, result = measure(env)
    found: dict[str, Any] = {
        "wall_s": round(wall, 2),
        "use_case_s": data["seconds"],
        **result.as_json(),
    }
    if seeds:
        runs = []
        for seed in range(seeds):
            _, _, other = measure({**env, "PONDER_THEMES__SEED": str(seed)})
            runs.append({"seed": seed, "recovered": other.recovered, "peak_rate": other.peak_rate})
            print(f"  sample, seed {seed}: {runs[-1]}", file=sys.stderr)
        found["other_seeds"] = {
            "runs": runs,
            "mean_recovered": round(statistics.mean(r["recovered"] for r in runs), 2),
            "mean_peak_rate": round(statistics.mean(r["peak_rate"] for r in runs), 3),
        }
    return found


def _theme_from_json(data: dict[str, Any]) -> Any:
    """A Theme with what recovery needs: its entries (path, date), keywords and peak."""
    import datetime as dt

    from index.themes import EntryRef, Theme

    entries = tuple(
        EntryRef("", 0, e["path"], dt.date.fromisoformat(e["date"])) for e in data["entries"]
    )
    return Theme(
        id=data["id"],
        name=data["name"],
        description=data["description"],
        keywords=tuple(data["keywords"]),
        entries=entries,
        share=data["size"]["share"],
        timeline=tuple(data["timeline"].items()),
        counts=tuple(data["counts"].items()),
        first_seen=dt.date.fromisoformat(data["first_seen"]),
        peak=data["peak"],
        last_seen=dt.date.fromisoformat(data["last_seen"]),
        trend=data["trend"],
        quotes=(),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--archive", type=Path, help="the large archive (already ingested)")
    parser.add_argument("--data-dir", type=Path, help="its data dir (holds index/)")
    parser.add_argument("--sample-data", type=Path, help="data dir for the sample archive")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--seeds", type=int, default=0, help="also measure the sample over this many seeds"
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter with ponder")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="a ponder setting for every run (repeatable), e.g. themes.consensus_layouts=1",
    )
    parser.add_argument("--out", type=Path, help="results JSON")
    args = parser.parse_args(argv)
    for setting in args.setting:
        key, _, value = setting.partition("=")
        SETTINGS["PONDER_" + key.upper().replace(".", "__")] = value
    results: dict[str, Any] = {
        "machine": machine(),
        "load_start": load(),
        "settings": dict(SETTINGS),
    }
    if args.archive and args.data_dir:
        results["large"] = time_themes(args.python, args.archive, args.data_dir, args.repeats)
    if args.sample_data:
        results["sample"] = sample_quality(args.python, args.sample_data, args.seeds)
    results["load_end"] = load()
    text = json.dumps(results, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
