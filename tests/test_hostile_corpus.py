"""The hostile corpus (tests/hostile_corpus.py) beside good files, in a real `ponder ingest`:
every file ends with its verdict, within a time and memory budget, the good files are indexed
exactly as they would be alone, and the next sync writes nothing new."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from ingest.entries import NotWriting, ReadFailed
from ingest.readers import read_document
from tests.conftest import REPO, AppFactory
from tests.hostile_corpus import GOOD, build
from tests.test_crash_safety import index_state

WALL_BUDGET_S = 180  # the whole ingest, on a shared 2-core machine (about 15 s unloaded)
RSS_BUDGET_MB = 1500  # the peak-memory target for ingest
READ_BUDGET_S = 20  # any one file through its reader


# The child's own peak, read from its /proc status as it exits. Not ru_maxrss: Linux keeps
# the largest of the address spaces a process had, and a child that Python vforks starts in
# the parent's (the whole test session's, 2 GB late in the suite) until it execs.
_INGEST_REPORTING_PEAK = """
import atexit, sys
from ui.cli import cli
def peak():
    status = open("/proc/self/status").read()
    print("VmHWM", status.split("VmHWM:")[1].split()[0], file=sys.stderr)
atexit.register(peak)
sys.argv = ["ponder", "ingest", "--json"]
cli()
"""


def test_every_hostile_file_gets_its_verdict_within_budget(
    tmp_path: Path, make_app: AppFactory, archive: Path, data_dir: Path
) -> None:
    verdicts = build(archive, huge=True)
    try:
        env = {
            **os.environ,
            "PONDER_ARCHIVE": str(archive),
            "PONDER_DATA_DIR": str(data_dir),
            "PONDER_EMBEDDINGS__PROVIDER": "fake",
            "PONDER_INDEX__KEEP_VERSIONS_MINUTES": "0",
        }
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", _INGEST_REPORTING_PEAK],
            cwd=REPO,
            env=env,
            capture_output=True,
            timeout=WALL_BUDGET_S * 2,
        )
        seconds = time.monotonic() - started
        assert done.returncode == 0, done.stderr.decode()
        out = done.stdout
        peak_mb = int(done.stderr.decode().rsplit("VmHWM", 1)[1].split()[0]) / 1024
        print(f"hostile corpus: {seconds:.1f} s, peak RSS {peak_mb:.0f} MB")
        assert seconds < WALL_BUDGET_S and peak_mb < RSS_BUDGET_MB, (seconds, peak_mb)
        report = json.loads(out)

        app = make_app()
        documents = {d.path: d for d in app.store.documents()}
        _statuses, texts = index_state(app)  # also: no path or chunk id twice
        for verdict in verdicts:
            document = documents.get(verdict.rel)
            assert document is not None, f"{verdict.rel!r} has no status"
            assert document.status.value in verdict.status.split("|"), (verdict, document)
            assert verdict.reason in document.reason.lower(), (verdict, document.reason)
            if verdict.contains:
                assert any(verdict.contains in t for t in texts[verdict.rel]), verdict
        for rel in GOOD:
            assert documents[rel].status.value == "indexed"
        assert len(texts["entity-bomb.html"]) == 1  # no laugh was expanded
        assert report["failed"] == sum(1 for v in verdicts if v.status == "failed")

        # The good files are indexed exactly as they are alone.
        alone = tmp_path / "alone"
        build_good_only(alone)
        fresh = make_app(archive__path=str(alone), index__data_dir=str(tmp_path / "alone-data"))
        fresh.sync()
        assert {p: t for p, t in texts.items() if p in GOOD} == index_state(fresh)[1]

        # Nothing new on the next sync: only the failures are retried.
        again = make_app().sync()
        assert (again.added, again.updated, again.deleted) == (0, 0, 0)
    finally:
        (archive / "huge-200mb.md").unlink(missing_ok=True)


def build_good_only(root: Path) -> None:
    for rel, text in GOOD.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_each_hostile_file_reads_within_its_time_budget(archive: Path) -> None:
    """Reader by reader, so one slow format cannot hide behind the whole run's budget."""
    for verdict in build(archive, huge=False):
        path = archive / verdict.rel
        if path.is_symlink():
            continue
        data = path.read_bytes()
        started = time.monotonic()
        with contextlib.suppress(NotWriting, ReadFailed):
            read_document(data, verdict.rel, 0.0)
        took = time.monotonic() - started
        assert took < READ_BUDGET_S, (verdict.rel, took)
