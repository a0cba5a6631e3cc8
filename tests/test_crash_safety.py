"""Crash safety: `ponder ingest` and `ponder watch`, SIGKILLed at random moments and at every
named crash point while the folder keeps changing, leave an index that opens and that one
sync makes equal to a fresh full ingest of the final folder.

The normal run does 20 seeded random kills and every named point. ``PONDER_SOAK=500`` runs
500 seeded random kills instead of 20 (about 5 s each on a shared 2-core machine).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from index.faults import CRASH_ENV, CRASH_POINTS
from ingest.sync import SyncReport
from tests.conftest import REPO, AppFactory, fake_env, write
from ui.services import Services

SEEDED_RUNS = int(os.environ.get("PONDER_SOAK") or 20)
# A file to append one line per seeded run to (what was killed, when, what the restart
# redid), to see where the kills landed over a soak.
OUTCOMES = os.environ.get("CRASH_OUTCOMES")
MAX_FILES = 24  # the mutator keeps the folder this small: every run is short and bounded
MAX_OPS = 150

WORDS = [
    *("harbour", "rain", "moor", "station", "chimney", "letter", "father", "garden"),
    *("winter", "promise", "city", "train", "river", "kitchen", "light", "silence"),
    *("work", "money", "fear", "friend", "mother", "doubt", "walk", "sea"),
]


def paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def entry(rng: random.Random) -> str:
    year = rng.randrange(2010, 2024)
    body = "\n\n".join(paragraph(rng, rng.randrange(20, 90)) for _ in range(rng.randrange(1, 5)))
    return f"---\ndate: {year}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}\n---\n\n{body}\n"


class Mutator:
    """Adds, edits (some at the same size), deletes and renames files, seeded."""

    def __init__(self, archive: Path, rng: random.Random) -> None:
        self.archive = archive
        self.rng = rng
        self.serial = 0
        self.ops: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def files(self) -> list[Path]:
        return sorted(p for p in self.archive.rglob("*") if p.is_file())

    def add(self) -> None:
        self.serial += 1
        folder = self.rng.choice(["", "notes/", "essays/2019/"])
        suffix = self.rng.choice([".md", ".md", ".txt"])
        write(self.archive, f"{folder}n{self.serial}{suffix}", entry(self.rng))

    def step(self) -> None:
        files = self.files()
        choices = ["add"] if len(files) < 3 else ["add", "edit", "same-size", "delete", "rename"]
        if len(files) >= MAX_FILES:
            choices.remove("add")
        op = self.rng.choice(choices)
        self.ops[op] += 1
        if op == "add":
            self.add()
            return
        path = self.rng.choice(files)
        try:
            if op == "edit":
                path.write_text(entry(self.rng), encoding="utf-8")
            elif op == "same-size":  # a typo fixed: same length, new text
                text = bytearray(path.read_bytes())
                at = self.rng.randrange(len(text) - 1)
                text[at] = ord("x") if text[at] != ord("x") else ord("y")
                path.write_bytes(bytes(text))
            elif op == "delete":
                path.unlink()
            else:
                self.serial += 1
                target = self.archive / self.rng.choice(["", "moved/"]) / f"r{self.serial}.md"
                target.parent.mkdir(parents=True, exist_ok=True)
                path.rename(target)
        except (FileNotFoundError, ValueError):
            pass

    def start(self) -> None:
        def loop() -> None:
            for _ in range(MAX_OPS):
                if self._stop.wait(self.rng.uniform(0.01, 0.12)):
                    return
                self.step()

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def child_env(archive: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **fake_env(archive, data_dir),
        "PONDER_INDEX__WRITE_BATCH_DOCUMENTS": "3",  # many commits: more places to die
        "PONDER_WATCH__DEBOUNCE_SECONDS": "0.05",
        **extra,
    }


def ponder(command: str, env: dict[str, str]) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "ui.cli", command]
    if command == "ingest":
        args.append("--json")
    return subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_lock(data_dir: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    """Until the child holds the writer lock: the start of its real work."""
    lock = data_dir / "writer.lock"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if f'"pid": {proc.pid}' in lock.read_text(encoding="utf-8"):
                return
        except OSError:
            pass
        time.sleep(0.01)


def kill(proc: subprocess.Popen[str]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    return proc.returncode


def index_state(app: Services) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(path -> status, path -> sorted chunk texts), after checking nothing is doubled."""
    documents = app.store.documents()
    paths = [d.path for d in documents]
    assert len(paths) == len(set(paths)), "a path has two document rows"
    table = app.store.chunks(("chunk_id", "doc_id", "path", "text"))
    ids = table.column("chunk_id").to_pylist()
    assert len(ids) == len(set(ids)), "a chunk id is stored twice"
    by_doc = {d.doc_id: d.path for d in documents}
    texts: dict[str, list[str]] = {}
    for doc_id, path, text in zip(
        table.column("doc_id").to_pylist(),
        table.column("path").to_pylist(),
        table.column("text").to_pylist(),
        strict=True,
    ):
        assert by_doc.get(doc_id) == path, f"chunk of {path} has no matching document row"
        texts.setdefault(path, []).append(text)
    statuses = {d.path: d.status.value for d in documents}
    return statuses, {p: sorted(t) for p, t in sorted(texts.items())}


def assert_heals(make_app: AppFactory, tmp_path: Path) -> SyncReport:
    """A restarted ingest, then the index equals a fresh full ingest and answers a search."""
    restarted = make_app()
    report = restarted.sync()
    after = make_app()  # a new process's view, through the same snapshot path
    assert not after.sync().wrote, "a second sync after the restart still found work"
    fresh = make_app(index__data_dir=str(tmp_path / "fresh"))
    fresh.sync()
    assert index_state(after) == index_state(fresh)
    after.searcher().search("harbour rain")  # it opens and answers
    shutil.rmtree(tmp_path / "fresh")
    return report


@pytest.mark.parametrize("seed", range(SEEDED_RUNS))
def test_sigkill_at_a_random_moment_while_the_folder_changes(
    seed: int, archive: Path, data_dir: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    command = "ingest" if seed % 2 == 0 else "watch"
    mutator = Mutator(archive, rng)
    for _ in range(rng.randrange(4, 14)):
        mutator.add()
    if seed % 4 < 2:  # half the runs crash an index that already holds the folder
        make_app().sync()
        for _ in range(rng.randrange(1, 6)):
            mutator.step()
    proc = ponder(command, child_env(archive, data_dir))
    delay = rng.uniform(0.0, 3.0)
    try:
        wait_for_lock(data_dir, proc)
        mutator.start()
        time.sleep(delay)
    finally:
        code = kill(proc)
        mutator.stop()
    assert code in (-signal.SIGKILL, 0), proc.stderr.read() if proc.stderr else code
    report = assert_heals(make_app, tmp_path)
    if OUTCOMES:
        with open(OUTCOMES, "a", encoding="utf-8") as log:
            redo = {k: v for k, v in report.as_json().items() if k in WORK and v}
            log.write(f"{seed} {command} exit={code} after={delay:.2f}s redo={redo}\n")


WORK = ("added", "updated", "deleted", "renamed", "chunks_embedded", "chunks_reused")


def changed_folder(archive: Path, make_app: AppFactory, index_first: bool) -> None:
    """A folder, indexed or not, then one of every change: added, edited, renamed, deleted.

    File times are a minute old, so the sync under test also saves its snapshot.
    """
    rng = random.Random(7)
    old = time.time() - 120
    for name in ("a.md", "b.md", "c.txt", "d.md", "e.md", "notes/f.md"):
        write(archive, name, entry(rng), mtime=old)
    if index_first:
        make_app().sync()
    for name in ("new1.md", "new2.txt", "a.md"):
        write(archive, name, entry(rng), mtime=old + 60)
    (archive / "b.md").rename(archive / "notes" / "b-moved.md")
    (archive / "c.txt").unlink()


# Maintenance compacts a new index (or one with many small commits), not a small change.
ON_A_NEW_INDEX = {"store.table-optimized"}


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_sigkill_at_every_named_crash_point(
    point: str, archive: Path, data_dir: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    changed_folder(archive, make_app, index_first=point not in ON_A_NEW_INDEX)
    proc = ponder("ingest", child_env(archive, data_dir, **{CRASH_ENV: point}))
    try:
        code = proc.wait(timeout=120)
    finally:
        kill(proc)
    assert code == -signal.SIGKILL, f"{point} was never reached: {proc.communicate()}"
    assert_heals(make_app, tmp_path)


def test_crash_points_are_a_no_op_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from index.faults import crash_hook, no_crash

    assert crash_hook({}) is no_crash
    with pytest.raises(ValueError, match="unknown crash point"):
        crash_hook({CRASH_ENV: "store.typo"})


def newest_manifests(data_dir: Path, table: str) -> list[Path]:
    from index.store import _manifests

    versions = data_dir / "index" / f"{table}.lance" / "_versions"
    return [Path(path) for _version, path in _manifests(str(versions))]


def two_syncs(archive: Path, make_app: AppFactory) -> None:
    """An index whose tables have several versions, the newest from a small change."""
    rng = random.Random(3)
    old = time.time() - 120
    for name in ("a.md", "b.md", "c.txt", "notes/d.md"):
        write(archive, name, entry(rng), mtime=old)
    make_app().sync()
    write(archive, "a.md", entry(rng), mtime=old + 30)
    write(archive, "e.md", entry(rng), mtime=old + 30)
    make_app().sync()


@pytest.mark.parametrize(
    ("table", "damage", "first"),
    [
        ("chunks", "empty", "ingest"),
        ("chunks", "half", "search"),
        ("documents", "half", "ingest"),
        ("documents", "empty", "search"),
        ("embedding_cache", "empty", "ingest"),
        ("meta", "half", "ingest"),
    ],
)
def test_an_unreadable_newest_version_goes_back_to_a_readable_one(
    table: str,
    damage: str,
    first: str,
    archive: Path,
    data_dir: Path,
    make_app: AppFactory,
    tmp_path: Path,
) -> None:
    """What a power cut can do to a manifest LanceDB wrote without fsync: the index still
    opens (an older version), and the next sync re-reads every file."""
    from index.store import QUARANTINE, RESYNC_NEEDED

    two_syncs(archive, make_app)
    newest = newest_manifests(data_dir, table)  # meta has one: it is set aside whole
    size = newest[0].stat().st_size
    with newest[0].open("r+b") as handle:
        handle.truncate(0 if damage == "empty" else size // 2)
    if first == "search":
        app = make_app()
        app.searcher().search("harbour rain")  # opens, recovers, answers
        app.status()
        if table != "embedding_cache":  # neither a search nor the status reads the cache
            assert (data_dir / "index" / RESYNC_NEEDED).exists()
    assert_heals(make_app, tmp_path)
    assert not (data_dir / "index" / RESYNC_NEEDED).exists()
    kept = data_dir / "index" / QUARANTINE / table
    assert any(p.name == newest[0].name for p in kept.rglob("*.manifest"))  # never deleted


def test_a_table_with_no_readable_version_is_rebuilt(
    archive: Path, data_dir: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    two_syncs(archive, make_app)
    for manifest in newest_manifests(data_dir, "chunks"):
        manifest.write_bytes(b"")
    assert_heals(make_app, tmp_path)


def test_a_table_that_cannot_be_opened_for_lack_of_permission_is_not_repaired(
    archive: Path, data_dir: Path, make_app: AppFactory
) -> None:
    """Only damage is repaired: an error that names the machine sets nothing aside."""
    from index.store import QUARANTINE, Store, StoreError

    two_syncs(archive, make_app)

    def refuse(db: object, name: str) -> object:
        raise StoreError("LanceError(IO): Permission denied (os error 13)")

    store = make_app().store
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("index.store._open_checked", refuse)
        with pytest.raises(StoreError, match="Permission denied"):
            store.documents()
    assert not (data_dir / "index" / QUARANTINE).exists()
    assert isinstance(store, Store)


def test_a_table_killed_before_its_first_version_is_rebuilt(
    archive: Path, data_dir: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    """A kill while LanceDB creates a table can leave its folder without ``_versions``."""
    two_syncs(archive, make_app)
    shutil.rmtree(data_dir / "index" / "chunks.lance" / "_versions")
    assert_heals(make_app, tmp_path)
