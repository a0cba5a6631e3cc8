"""Sync: the index matches the folder, by content, with the least work and no half states."""

from __future__ import annotations

import hashlib
import os
import time
import unicodedata
from pathlib import Path

import pytest

from index.records import DocStatus
from index.store import EmbeddingMismatch, Store, _chunk_table, _in_list, chunk_schema
from ingest.discover import FoundFile
from ingest.sync import ReadAttempt, Syncer, SyncReport, _read_stable, read_once
from tests.conftest import AppFactory, write
from ui.services import Services

PARAGRAPH = (
    "The rain came in off the moor again and I walked the long way round to the station, "
    "counting the chimneys and thinking about whether any of this would matter in ten years. "
)


def essay(topic: str, paragraphs: int = 6) -> str:
    body = "\n\n".join(f"{topic} {i}. " + PARAGRAPH * 3 for i in range(paragraphs))
    return f"---\ntitle: {topic}\ndate: 2015-04-0{min(paragraphs, 9)}\n---\n\n{body}\n"


def snapshot(app: Services) -> dict[str, list[str]]:
    """path -> sorted chunk texts: what a search can find."""
    table = app.store.chunks(("path", "text"))
    result: dict[str, list[str]] = {}
    for path, text in zip(
        table.column("path").to_pylist(), table.column("text").to_pylist(), strict=True
    ):
        result.setdefault(path, []).append(text)
    return {path: sorted(texts) for path, texts in sorted(result.items())}


def fresh_snapshot(make_app: AppFactory, tmp_path: Path) -> dict[str, list[str]]:
    fresh = make_app(index__data_dir=str(tmp_path / "fresh-data"))
    fresh.sync()
    return snapshot(fresh)


def statuses(app: Services) -> dict[str, tuple[str, str]]:
    return {d.path: (d.status.value, d.reason) for d in app.store.documents()}


def test_first_sync_adds_every_file(app: Services, archive: Path) -> None:
    write(archive, "essays/city.md", essay("city"))
    write(archive, "notes/2014-03-02.txt", "A short note about the sea.\n")
    report = app.sync()
    assert (report.added, report.updated, report.deleted, report.unchanged) == (2, 0, 0, 0)
    assert report.chunks_embedded > 2 and report.chunks_reused == 0
    assert set(snapshot(app)) == {"essays/city.md", "notes/2014-03-02.txt"}


def test_second_sync_writes_nothing(app: Services, archive: Path) -> None:
    write(archive, "a.md", essay("a"))
    write(archive, "b.txt", "b text here\n")
    app.sync()
    before = app.store.versions()
    report = app.sync()
    assert report.unchanged == 2 and not report.wrote
    assert (report.chunks_embedded, report.chunks_reused) == (0, 0)
    assert app.store.versions() == before


def test_touched_file_is_unchanged_and_writes_nothing(app: Services, archive: Path) -> None:
    path = write(archive, "a.md", essay("a"))
    app.sync()
    before = app.store.versions()
    os.utime(path, (time.time() + 100, time.time() + 100))
    report = app.sync()
    assert report.unchanged == 1 and not report.wrote
    assert app.store.versions() == before


def test_edit_reembeds_only_the_changed_passage(app: Services, archive: Path) -> None:
    text = essay("work", paragraphs=8)
    path = write(archive, "work.md", text)
    first = app.sync()
    ids_before = set(app.store.chunks(("chunk_id",)).column("chunk_id").to_pylist())
    path.write_text(text.replace("work 5.", "work 5, edited."), encoding="utf-8")
    report = app.sync()
    assert report.updated == 1
    assert 1 <= report.chunks_embedded <= 2
    assert report.chunks_reused >= first.chunks_embedded - 2
    ids_after = set(app.store.chunks(("chunk_id",)).column("chunk_id").to_pylist())
    assert len(ids_before & ids_after) >= len(ids_before) - 2  # untouched passages keep ids


def test_delete_removes_document_and_chunks(app: Services, archive: Path) -> None:
    write(archive, "keep.md", essay("keep"))
    gone = write(archive, "gone.md", essay("gone"))
    app.sync()
    gone.unlink()
    report = app.sync()
    assert report.deleted == 1
    assert set(snapshot(app)) == {"keep.md"}
    assert set(statuses(app)) == {"keep.md"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a.md", "b.md"),
        ("a.md", "deep/er/folder/a.md"),
        ("notes/a.md", "a.md"),
    ],
)
def test_rename_or_move_keeps_vectors(app: Services, archive: Path, old: str, new: str) -> None:
    write(archive, old, essay("moving"))
    app.sync()
    doc_before = {d.path: d.doc_id for d in app.store.documents()}[old]
    ids_before = sorted(app.store.chunks(("chunk_id",)).column("chunk_id").to_pylist())
    (archive / new).parent.mkdir(parents=True, exist_ok=True)
    (archive / old).rename(archive / new)
    report = app.sync()
    assert (report.renamed, report.added, report.deleted) == (1, 0, 0)
    assert report.chunks_embedded == 0
    assert {d.path: d.doc_id for d in app.store.documents()} == {new: doc_before}
    assert sorted(app.store.chunks(("chunk_id",)).column("chunk_id").to_pylist()) == ids_before


def test_rename_that_changes_the_filename_date_redates(app: Services, archive: Path) -> None:
    write(archive, "2019-03-04.txt", "Walked to the harbour.\n")
    app.sync()
    (archive / "2019-03-04.txt").rename(archive / "2019-03-05.txt")
    report = app.sync()
    assert report.renamed == 1 and report.chunks_embedded == 0
    hits = app.searcher().search("harbour")
    assert [str(h.date) for h in hits] == ["2019-03-05"]


def test_copy_is_added_from_the_cache(app: Services, archive: Path) -> None:
    write(archive, "a.md", essay("copy"))
    app.sync()
    write(archive, "b.md", essay("copy"))
    report = app.sync()
    assert report.added == 1 and report.chunks_embedded == 0 and report.chunks_reused > 0


def test_directory_rename_moves_every_file(app: Services, archive: Path) -> None:
    for i in range(5):
        write(archive, f"2015/note-{i}.md", essay(f"note {i}", 2))
    app.sync()
    (archive / "2015").rename(archive / "old-2015")
    report = app.sync()
    assert report.renamed == 5 and report.chunks_embedded == 0
    assert all(p.startswith("old-2015/") for p in snapshot(app))


def test_file_emptied_then_refilled(app: Services, archive: Path) -> None:
    path = write(archive, "a.md", essay("fill"))
    app.sync()
    path.write_text("", encoding="utf-8")
    report = app.sync()
    assert report.skipped == 1
    assert statuses(app)["a.md"][0] == "skipped"
    assert snapshot(app) == {}
    path.write_text(essay("fill again"), encoding="utf-8")
    report = app.sync()
    assert report.updated == 1
    assert statuses(app)["a.md"] == ("indexed", "")


def test_quotes_and_sql_in_filenames_touch_only_their_rows(
    app: Services, archive: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    names = ["it's.md", "x' OR '1'='1.md", "plain.md", 'say "hi".md', "semi;colon -- drop.md"]
    for name in names:
        write(archive, name, essay(name))
    app.sync()
    (archive / "x' OR '1'='1.md").unlink()
    (archive / "it's.md").write_text(essay("changed"), encoding="utf-8")
    report = app.sync()
    assert (report.deleted, report.updated, report.unchanged) == (1, 1, 3)
    assert set(snapshot(app)) == set(names) - {"x' OR '1'='1.md"}
    assert snapshot(app) == fresh_snapshot(make_app, tmp_path)


def test_unicode_forms_of_one_name_are_one_document(app: Services, archive: Path) -> None:
    nfd = "cafe\u0301.md"
    write(archive, nfd, essay("café"))
    app.sync()
    assert set(statuses(app)) == {"caf\u00e9.md"}
    assert app.sync().unchanged == 1


@pytest.mark.parametrize("folder", ["", "caf\u00e9/", "cafe\u0301/"])
def test_unicode_twins_side_by_side_keep_the_nfc_one_indexed(
    app: Services, archive: Path, folder: str
) -> None:
    """Two files whose names differ only in Unicode form: the NFC spelling is indexed, the
    other is skipped under its own spelling (a row under the shared name replaced the
    indexed twin's, found by tests/test_hostile_corpus.py)."""
    write(archive, f"{folder}twin-caf\u00e9.md", essay("nfc twin"))
    write(archive, f"{folder}twin-cafe\u0301.md", essay("nfd twin"))
    if folder:  # the same two names again, under the other spelling of the folder
        other = "cafe\u0301/" if folder == "caf\u00e9/" else "caf\u00e9/"
        write(archive, f"{other}twin-caf\u00e9.md", essay("other folder"))
    app.sync()
    got = statuses(app)
    indexed = [p for p, (status, _) in got.items() if status == "indexed"]
    skipped = {p: reason for p, (status, reason) in got.items() if status == "skipped"}
    assert indexed == [unicodedata.normalize("NFC", f"{folder}twin-caf\u00e9.md")] or (
        folder and len(indexed) == 1
    )
    assert skipped and all("another Unicode form" in reason for reason in skipped.values())
    assert len(snapshot(app)) == 1 and app.sync().unchanged == len(got)


def test_ignored_files_never_enter(app: Services, archive: Path, make_app: AppFactory) -> None:
    write(archive, "real.md", essay("real"))
    for junk in [
        ".hidden.md",
        ".git/notes.md",
        ".obsidian/workspace.md",
        "real.md~",
        ".real.md.swp",
        "#real.md#",
        "~$draft.docx",
        "4913",
        "drafts/skip-me.md",
        "image.png",
    ]:
        write(archive, junk, "junk text")
    app = make_app(archive__ignore=["drafts/"])
    report = app.sync()
    assert set(statuses(app)) == {"real.md"}
    assert report.ignored_types == {".png": 1}


def test_failure_is_recorded_and_retried(app: Services, archive: Path) -> None:
    path = write(archive, "bad.txt", bytes(range(256)) * 50)
    report = app.sync()
    assert statuses(app)["bad.txt"][0] in {"skipped", "failed"}
    assert report.added == 0
    path.write_text("Now it is a real note about gardening.\n", encoding="utf-8")
    report = app.sync()
    assert statuses(app)["bad.txt"] == ("indexed", "")


def test_never_writes_inside_the_archive(app: Services, archive: Path) -> None:
    write(archive, "a.md", essay("a"))
    write(archive, "b/2019-01-01.txt", "b")

    def tree() -> dict[str, tuple[int, str]]:
        return {
            str(p.relative_to(archive)): (
                p.stat().st_mtime_ns,
                hashlib.sha256(p.read_bytes()).hexdigest(),
            )
            for p in archive.rglob("*")
            if p.is_file()
        }

    before = tree()
    dirs_before = sorted(p for p in archive.rglob("*"))
    app.sync()
    app.sync()
    assert tree() == before
    assert sorted(p for p in archive.rglob("*")) == dirs_before


class CrashAfterChunks(Store):
    """A store that dies between the chunk commit and the document commit."""

    def replace_documents(self, documents, chunks):  # type: ignore[no-untyped-def]
        if chunks:
            table = self._create("chunks", chunk_schema(len(chunks[0].vector)))
            (
                table.merge_insert("chunk_id")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .when_not_matched_by_source_delete(
                    _in_list("doc_id", [d.doc_id for d in documents])
                )
                .execute(_chunk_table(chunks, table.schema))
            )
        raise RuntimeError("power cut")


def test_crash_between_commits_heals_on_next_sync(
    app: Services, archive: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    write(archive, "a.md", essay("before"))
    app.sync()
    (archive / "a.md").write_text(essay("after the crash"), encoding="utf-8")
    write(archive, "new.md", essay("new"))
    crashing = CrashAfterChunks(
        app.store.uri, read_consistency=None, keep_versions=app.store._keep_versions
    )
    with pytest.raises(RuntimeError):
        Syncer(archive, crashing, app.embedder().embedder, app.settings).sync()
    report = make_app().sync()
    assert report.updated + report.added == 2
    assert snapshot(make_app()) == fresh_snapshot(make_app, tmp_path)


def test_other_embedding_model_is_refused_until_reindex(
    app: Services, archive: Path, make_app: AppFactory
) -> None:
    write(archive, "a.md", essay("model"))
    app.sync()
    other = make_app(embeddings__fake_dimension="128")
    with pytest.raises(EmbeddingMismatch) as error:
        other.sync()
    assert "ponder reindex" in error.value.hint
    with pytest.raises(EmbeddingMismatch):
        other.searcher().search("model")
    report = other.reindex()
    assert report.added == 1 and report.chunks_embedded > 0
    assert other.searcher().search("model")
    first = make_app()
    again = first.reindex()  # back to the first model: every vector from the cache
    assert again.chunks_embedded == 0 and again.chunks_reused > 0
    meta = first.store.meta()
    assert meta is not None and (meta.embedding_model, meta.dimension) == ("fake-hashing-256", 256)


class GrowingFile:
    """A file that an editor is still writing: each read sees it change under it.

    Racing a real writer process is flaky on a loaded two-core machine; this fake plays
    the same sequence of stats deterministically.
    """

    def __init__(self, changes: int) -> None:
        self.changes = changes  # how many reads see a change before it settles
        self.reads = 0

    def __call__(self, path: Path) -> ReadAttempt:
        self.reads += 1
        size = 100 * self.reads
        if self.reads <= self.changes:
            return ReadAttempt((size, self.reads), b"x" * size, (size + 10, self.reads + 1))
        return ReadAttempt((size, 7), b"x" * size, (size, 7))


def test_read_stable_retries_then_gives_up_on_a_file_that_keeps_changing(
    tmp_path: Path,
) -> None:
    found = FoundFile("busy.txt", tmp_path / "busy.txt", 0, 0)
    settles = GrowingFile(changes=2)
    data, file = _read_stable(found, read=settles)
    assert settles.reads == 3 and len(data) == 300 and file.size == 300
    with pytest.raises(OSError, match="kept changing"):
        _read_stable(found, read=GrowingFile(changes=10))


def test_read_once_reports_a_stable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "calm.txt", "still water\n")
    attempt = read_once(path)
    assert attempt.stable and attempt.data == b"still water\n"


def test_report_json_has_the_documented_keys() -> None:
    keys = set(SyncReport().as_json())
    assert {
        "added",
        "updated",
        "deleted",
        "renamed",
        "unchanged",
        "skipped",
        "failed",
        "chunks_embedded",
        "chunks_reused",
        "seconds",
    } <= keys


def test_many_documents_across_write_batches(
    make_app: AppFactory, archive: Path, tmp_path: Path
) -> None:
    for i in range(45):
        write(archive, f"notes/2016-01-{i % 28 + 1:02d}-{i}.txt", f"note number {i} about tides\n")
    app = make_app(index__write_batch_documents="10")
    report = app.sync()
    assert report.added == 45
    assert statuses(app).keys() == {f"notes/2016-01-{i % 28 + 1:02d}-{i}.txt" for i in range(45)}
    assert all(s == ("indexed", "") for s in statuses(app).values())
    assert app.store.chunk_count() == 45
    assert DocStatus.INDEXED.value == "indexed"
