"""The sync snapshot: an unchanged folder is recognised without opening the index, and
anything that could make a full sync do something still gets one."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from index.embeddings import FakeEmbedder, LazyEmbedder
from index.records import DocStatus
from ingest import readers
from ingest.entries import ReadFailed
from ingest.snapshot import Snapshot
from ingest.sync import Syncer, SyncReport
from tests.conftest import AppFactory, ponder_in_a_new_process, write
from ui.services import SYNC_SNAPSHOT_FILE, Services

NOTE = "The harbour at dusk, the boats coming in one by one, and me counting them.\n"


def synced(make_app: AppFactory, archive: Path, **overrides: object) -> Services:
    """A fresh Services (as a new command would have) after one sync.

    The files are made a minute old first: a file changed within RACY_NS of a sync gets no
    snapshot (see test_a_same_size_rewrite_within_a_clock_tick_is_not_missed).
    """
    for path in archive.rglob("*"):
        if path.is_file() and not path.is_symlink():
            mtime = path.stat().st_mtime - 60
            os.utime(path, (mtime, mtime))
    app = make_app(**overrides)
    app.sync()
    return app


def test_an_unchanged_folder_never_opens_the_index(
    make_app: AppFactory, archive: Path, data_dir: Path
) -> None:
    write(archive, "a.md", NOTE)
    write(archive, "b.txt", NOTE * 2)
    synced(make_app, archive)
    assert (data_dir / SYNC_SNAPSHOT_FILE).is_file()

    app = make_app()
    report = app.sync()
    assert (report.unchanged, report.wrote) == (2, False)
    assert app.store._connection is None  # LanceDB was neither imported for it nor opened


def test_an_unchanged_ingest_imports_nothing_heavy(
    make_app: AppFactory, archive: Path, data_dir: Path
) -> None:
    write(archive, "a.md", NOTE)
    synced(make_app, archive)
    heavy = "{'lancedb', 'sklearn', 'scipy', 'torch', 'streamlit', 'umap', 'pandas'}"
    printed = ponder_in_a_new_process(
        archive,
        data_dir,
        [["ingest", "--json"]],
        then=f"assert not {heavy} & set(sys.modules), sorted({heavy} & set(sys.modules))",
    )
    assert '"unchanged": 1' in printed


@pytest.mark.parametrize("change", ["edit", "touch", "add", "delete", "rename"])
def test_every_kind_of_change_gets_a_full_sync(
    make_app: AppFactory, archive: Path, change: str
) -> None:
    path = write(archive, "a.md", NOTE)
    write(archive, "b.md", "Another evening, another list of things I did not do.\n")
    synced(make_app, archive)
    match change:
        case "edit":
            path.write_text(NOTE + "One more boat.\n", encoding="utf-8")
        case "touch":
            os.utime(path, (time.time() + 50, time.time() + 50))
        case "add":
            write(archive, "c.md", "A third note, about the lighthouse keeper.\n")
        case "delete":
            path.unlink()
        case "rename":
            path.rename(archive / "renamed.md")
    app = make_app()
    report = app.sync()
    assert app.store._connection is not None
    expected = {"edit": "updated", "touch": "unchanged", "add": "added", "delete": "deleted"}
    expected["rename"] = "renamed"
    assert getattr(report, expected[change]) >= 1


def test_a_settings_change_gets_a_full_sync(make_app: AppFactory, archive: Path) -> None:
    write(archive, "a.md", NOTE)
    write(archive, "drafts/b.md", NOTE)
    synced(make_app, archive)
    report = make_app(archive__ignore=["drafts/"]).sync()
    assert report.deleted == 1


def test_a_write_behind_its_back_gets_a_full_sync(make_app: AppFactory, archive: Path) -> None:
    write(archive, "a.md", NOTE)
    first = synced(make_app, archive)
    [document] = first.store.documents()
    first.store.delete_documents([document.doc_id])  # not through a sync: no new snapshot

    report = make_app().sync()
    assert report.added == 1
    assert [d.path for d in make_app().store.documents()] == ["a.md"]


def test_failures_are_retried_on_every_sync(
    make_app: AppFactory, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(archive, "a.md", NOTE)

    def broken(data: bytes, rel_path: str, mtime: float) -> readers.ReadResult:
        raise ReadFailed("the reader broke")

    monkeypatch.setitem(readers.READERS, ".md", broken)
    assert synced(make_app, archive).store.documents()[0].status == DocStatus.FAILED
    assert make_app().sync().failures  # retried, not skipped by the snapshot

    monkeypatch.undo()
    app = make_app()
    report = app.sync()  # the file itself never changed
    assert (report.updated, report.failures) == (1, [])
    assert app.store.documents()[0].status == DocStatus.INDEXED


def test_a_damaged_snapshot_only_costs_a_full_sync(
    make_app: AppFactory, archive: Path, data_dir: Path
) -> None:
    write(archive, "a.md", NOTE)
    synced(make_app, archive)
    (data_dir / SYNC_SNAPSHOT_FILE).write_text("{not json", encoding="utf-8")
    app = make_app()
    assert app.sync().unchanged == 1
    assert app.store._connection is not None
    assert make_app().sync().unchanged == 1  # and the next one is fast again


def test_a_same_size_rewrite_within_a_clock_tick_is_not_missed(
    make_app: AppFactory, archive: Path, data_dir: Path
) -> None:
    """File times tick coarsely: a same-size rewrite can keep (size, mtime). A file read
    within RACY_NS of its mtime is hashed again next time, and no snapshot hides it."""
    path = write(archive, "a.md", NOTE)
    stamp = path.stat().st_mtime_ns
    app = make_app()
    app.sync()
    assert not (data_dir / SYNC_SNAPSHOT_FILE).exists()
    path.write_text(NOTE.replace("harbour", "hArbour"), encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))  # as if in the same tick: same size, same mtime
    report = make_app().sync()
    assert report.updated == 1
    texts = make_app().store.chunks(("text",)).column("text").to_pylist()
    assert any("hArbour" in text for text in texts)


def test_a_changed_folder_loads_the_model_while_the_index_opens(
    make_app: AppFactory, archive: Path, data_dir: Path
) -> None:
    write(archive, "a.md", NOTE)
    synced(make_app, archive)
    loads: list[str] = []

    def load() -> FakeEmbedder:
        loads.append(threading.current_thread().name)
        return FakeEmbedder()

    def sync_with_a_lazy_model() -> SyncReport:
        app = make_app()  # as a new `ponder ingest` would
        model = LazyEmbedder(FakeEmbedder().model_id, load)
        snapshot = Snapshot(data_dir / SYNC_SNAPSHOT_FILE)
        return Syncer(archive, app.store, model, app.settings, snapshot=snapshot).sync()

    assert sync_with_a_lazy_model().unchanged == 1
    assert loads == []  # nothing changed: no model

    write(archive, "a.md", NOTE + "And one more line.\n")
    assert sync_with_a_lazy_model().chunks_embedded == 1
    # Loaded once, in the background thread the sync started before opening the index.
    assert loads == [f"load {FakeEmbedder().model_id}"]


def test_a_one_line_edit_imports_no_splitter_it_does_not_need(
    make_app: AppFactory, archive: Path, data_dir: Path
) -> None:
    long_paragraph = "The tide went out past the harbour wall and the gulls followed it. " * 60
    write(archive, "journal.md", f"# 2019\n\n{long_paragraph}\n\nA short one about the boats.\n")
    synced(make_app, archive)  # cut the long paragraph once, in this process
    write(archive, "journal.md", f"# 2019\n\n{long_paragraph}\n\nA short one about the oars.\n")
    printed = ponder_in_a_new_process(
        archive,
        data_dir,
        [["ingest", "--json"]],
        then=(
            "loaded = [m for m in sys.modules if m == 'llama_index.core'\n"
            "          or m.startswith('lance_namespace_urllib3_client.api')]\n"
            "assert not loaded, loaded"
        ),
    )
    assert '"updated": 1' in printed and '"chunks_embedded": 1' in printed
