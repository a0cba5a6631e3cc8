"""Live sync: save-to-searchable latency, and a 2,000-file burst against `ponder ingest`.

Latency is measured from a file's save to the moment a search *in another process* (this
one; the watcher runs as `ponder watch` in a child process) finds it, over 50 saves,
each saving a note with a unique word. The burst writes 2,000 new files while the
watcher runs and times until all are searchable; the same files are then ingested by
`ponder ingest` into a fresh index, and the ratio of the two is reported.

    python bench/bench_watch.py [--embedder fake|embedded] [--saves 50] [--burst 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.store import Store  # noqa: E402

BASE_FILES = 300
# A small vocabulary of the archive's kind of words, for text that is cheap to make.
_VOCABULARY = (
    "tide harbour gull pier rain moor kettle letter garden father city sea train coffee "
    "window morning evening winter summer novel chapter friend walk wind"
)
WORDS = _VOCABULARY.split()


def note(i: int, marker: str = "") -> str:
    body = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(60))
    return f"# Note {i}\n\n{body}. {marker}\n"


def env_for(archive: Path, data: Path, embedder: str) -> dict[str, str]:
    return {
        **os.environ,
        "PONDER_ARCHIVE": str(archive),
        "PONDER_DATA_DIR": str(data),
        "PONDER_EMBEDDINGS__PROVIDER": embedder,
        "HF_HUB_OFFLINE": "1",
    }


def wait_for(condition, timeout: float = 600.0, step: float = 0.01) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("condition not met")
        time.sleep(step)
    return time.perf_counter() - start


def start_watch(env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "watch"],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    proc.stderr.readline()  # "watching ..."
    return proc


def watcher_synced(data: Path, at_least: int) -> bool:
    try:
        state = json.loads((data / "watcher.json").read_text())
    except (OSError, ValueError):
        return False
    return int(state.get("syncs", 0)) >= at_least


def latency(tmp: Path, embedder: str, saves: int) -> list[float]:
    archive, data = tmp / "lat-archive", tmp / "lat-data"
    for i in range(BASE_FILES):
        path = archive / f"{2010 + i % 12}" / f"note-{i:04d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(note(i))
    proc = start_watch(env_for(archive, data, embedder))
    try:
        wait_for(lambda: watcher_synced(data, 1))
        reader = Store.open(str(data / "index"), read_consistency=dt.timedelta(0))
        seconds = []
        for i in range(saves):
            marker = f"zqmarker{i}x"
            target = archive / "2024" / f"saved-{i % 10}.md"  # new files and edits
            target.parent.mkdir(exist_ok=True)
            t0 = time.perf_counter()
            target.write_text(note(10_000 + i, marker))
            wait_for(lambda m=marker: any(m in h.text for h in reader.text_search(m, 3)))
            seconds.append(time.perf_counter() - t0)
            time.sleep(0.2)
        return seconds
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def burst(tmp: Path, embedder: str, count: int) -> tuple[float, float]:
    archive, data = tmp / "burst-archive", tmp / "burst-data"
    archive.mkdir()
    proc = start_watch(env_for(archive, data, embedder))
    try:
        wait_for(lambda: watcher_synced(data, 1))
        reader = Store.open(str(data / "index"), read_consistency=dt.timedelta(0))
        t0 = time.perf_counter()
        for i in range(count):
            path = archive / f"b{i // 100:02d}" / f"n-{i:05d}.txt"
            path.parent.mkdir(exist_ok=True)
            path.write_text(note(i))
        wait_for(lambda: len(reader.documents()) >= count, step=0.1)
        watch_seconds = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ui.cli", "ingest", "--json"],
        cwd=REPO,
        env=env_for(archive, tmp / "burst-ingest-data", embedder),
        check=True,
        capture_output=True,
    )
    return watch_seconds, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedder", default="fake", choices=["fake", "embedded"])
    parser.add_argument("--saves", type=int, default=50)
    parser.add_argument("--burst", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ponder-bench-watch-") as name:
        tmp = Path(name)
        seconds = sorted(latency(tmp, args.embedder, args.saves))
        p50 = statistics.median(seconds)
        p95 = seconds[max(0, round(0.95 * len(seconds)) - 1)]
        watch_s, ingest_s = burst(tmp, args.embedder, args.burst) if args.burst else (0, 0)
    result = {
        "embedder": args.embedder,
        "saves": args.saves,
        "latency_p50_s": round(p50, 3),
        "latency_p95_s": round(p95, 3),
        "latency_max_s": round(seconds[-1], 3),
        "burst_files": args.burst,
        "burst_watch_s": round(watch_s, 2),
        "burst_ingest_s": round(ingest_s, 2),
        "burst_ratio": round(watch_s / ingest_s, 2) if ingest_s else None,
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2))
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"watch-{args.embedder}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
