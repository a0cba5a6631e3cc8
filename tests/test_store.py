"""The LanceDB store: one-commit replacement, full text over late rows, other readers, cleanup."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np

from index.embeddings import FakeEmbedder
from index.records import ChunkRecord, DocStatus, DocumentRecord
from index.store import Store, sql_literal

EMBED = FakeEmbedder(32)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def doc(doc_id: str, path: str) -> DocumentRecord:
    return DocumentRecord(
        doc_id=doc_id,
        path=path,
        content_hash="h-" + doc_id,
        size=1,
        mtime_ns=1,
        status=DocStatus.INDEXED,
        reason="",
        reader="markdown",
        entry_count=1,
        chunk_count=1,
        first_date=dt.date(2014, 1, 1),
        last_date=dt.date(2014, 1, 1),
        title="",
        indexed_at=NOW,
        source_text="",
    )


def chunk(doc_id: str, path: str, text: str, n: int = 0, date: str = "2014-01-01") -> ChunkRecord:
    return ChunkRecord(
        chunk_id=f"{doc_id}-{n}",
        doc_id=doc_id,
        path=path,
        entry_index=n,
        entry_title="",
        date=dt.date.fromisoformat(date),
        date_source="heading",
        start=0,
        end=len(text),
        text=text,
        search_text=text,
        text_hash=f"{doc_id}-{n}",
        tags=(),
        vector=EMBED.embed_query(text),
    )


def open_store(tmp_path: Path) -> Store:
    return Store.open(str(tmp_path / "index"), keep_versions=dt.timedelta(0))


def test_replace_is_one_commit_and_touches_only_its_documents(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.bind_embedder(EMBED.model_id, EMBED.dimension)
    store.replace_documents(
        [doc("a", "it's.md"), doc("b", "x' OR '1'='1.md")],
        [
            chunk("a", "it's.md", "sea one"),
            chunk("a", "it's.md", "sea two", 1),
            chunk("b", "x' OR '1'='1.md", "hills"),
        ],
    )
    before = store.versions()["chunks"]
    store.replace_documents([doc("a", "it's.md")], [chunk("a", "it's.md", "sea three", 2)])
    assert store.versions()["chunks"] == before + 1
    texts = sorted(store.chunks(("text",)).column("text").to_pylist())
    assert texts == ["hills", "sea three"]
    store.delete_documents(["b"])
    assert [d.path for d in store.documents()] == ["it's.md"]


def test_full_text_finds_rows_added_after_the_index(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.replace_documents([doc("a", "a.md")], [chunk("a", "a.md", "the lighthouse keeper")])
    store.optimize()  # builds the full-text index
    store.replace_documents([doc("b", "b.md")], [chunk("b", "b.md", "another lighthouse")])
    hits = store.text_search("lighthouse", 10)
    assert {h.path for h in hits} == {"a.md", "b.md"}
    store.optimize()
    assert {h.path for h in store.text_search("lighthouse", 10)} == {"a.md", "b.md"}


def test_hostile_full_text_queries_are_just_words(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.replace_documents([doc("a", "a.md")], [chunk("a", "a.md", "it's the sea")])
    store.optimize()
    for query in ["it's", "x' OR '1'='1", 'a "quoted" thing', "AND OR NOT", "(((", "*:*", "sea~2"]:
        store.text_search(query, 5)  # no exception, whatever it finds


def test_date_filter_in_both_retrievers(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.replace_documents(
        [doc("a", "a.md")],
        [
            chunk("a", "a.md", "garden beans", 0, "2014-05-01"),
            chunk("a", "a.md", "garden slugs", 1, "2021-05-01"),
        ],
    )
    where = "date >= date '2020-01-01'"
    assert [h.text for h in store.text_search("garden", 5, where)] == ["garden slugs"]
    vector = EMBED.embed_query("garden")
    assert [h.text for h in store.vector_search(vector, 5, where)] == ["garden slugs"]


def test_another_process_sees_new_writes(tmp_path: Path) -> None:
    uri = str(tmp_path / "index")
    reader = Store.open(uri, read_consistency=dt.timedelta(0))
    writer = Store.open(uri)
    writer.replace_documents([doc("a", "a.md")], [chunk("a", "a.md", "first")])
    assert reader.chunk_count() == 1
    script = (
        "import sys, datetime as dt; from index.store import Store;"
        "print(Store.open(sys.argv[1], read_consistency=dt.timedelta(0)).chunk_count())"
    )
    writer.replace_documents([doc("b", "b.md")], [chunk("b", "b.md", "second")])
    out = subprocess.run(
        [sys.executable, "-c", script, uri],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "2"
    assert reader.chunk_count() == 2


def test_optimize_compacts_and_cleans_old_versions(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    for i in range(8):
        store.replace_documents([doc(f"d{i}", f"{i}.md")], [chunk(f"d{i}", f"{i}.md", f"t {i}")])
    table = store._table("chunks")
    assert table is not None
    assert len(table.list_versions()) >= 8
    store.optimize()
    assert len(table.list_versions()) <= 2
    assert store.chunk_count() == 8


def test_embedding_cache_round_trip(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    vectors = {"h1": np.ones(4, np.float32), "h2": np.zeros(4, np.float32)}
    store.cache_vectors("m", vectors)
    store.cache_vectors("m", {"h1": np.full(4, 9, np.float32)})  # first vector wins
    found = store.cached_vectors("m", ["h1", "h2", "h3"])
    assert set(found) == {"h1", "h2"} and found["h1"].tolist() == [1, 1, 1, 1]
    assert store.cached_vectors("other-model", ["h1"]) == {}


def test_sql_literal_escapes_quotes() -> None:
    assert sql_literal("x' OR '1'='1") == "'x'' OR ''1''=''1'"


def test_maintain_compacts_only_once_small_commits_pile_up(tmp_path: Path) -> None:
    from index.store import MAINTAIN_AFTER_SMALL_FRAGMENTS

    store = open_store(tmp_path)
    store.replace_documents([doc("a", "a.md")], [chunk("a", "a.md", "first words")])
    assert store.maintain()  # a new index gets its full-text index at once
    for i in range(3):
        store.replace_documents([doc(f"d{i}", f"{i}.md")], [chunk(f"d{i}", f"{i}.md", "tide")])
    assert not store.maintain()  # a few small commits: left for later
    assert {h.path for h in store.text_search("tide", 10)} == {"0.md", "1.md", "2.md"}
    for i in range(MAINTAIN_AFTER_SMALL_FRAGMENTS):
        store.replace_documents([doc(f"e{i}", f"e{i}.md")], [chunk(f"e{i}", f"e{i}.md", "x")])
    assert store.maintain()
