"""Paragraph vectors: a passage of several paragraphs is also found by its closest one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from index.embeddings import FakeEmbedder
from index.records import ChunkRecord
from index.search import by_paragraph, fuse_rankings
from index.store import CHUNKS, META, EmbeddingMismatch, Store, _chunk_table, chunk_schema
from ingest.chunking import Chunker
from ingest.entries import DateSource, Entry, Markup
from tests.conftest import AppFactory, passage, write

EMBED = FakeEmbedder(256)
FILLER = [
    "Walked along the canal to the market and bought apples, bread and a newspaper for the week.",
    "The choir rehearsal ran late; the tenors could not agree about the second verse of the carol.",
    "Rain all afternoon, so I sorted the bookshelves and found letters from my grandmother.",
    "Mum rang about the holiday cottage in Devon and whether the dog can come this year.",
    "Finished the crossword on the train and dozed until the guard woke me at Swindon.",
]
DEEP = "A burglar climbed the ladder and smashed our kitchen window in the night."
QUESTION = "the night a burglar smashed our kitchen window"


def entry(text: str) -> Entry:
    return Entry(
        start=0,
        end=len(text),
        text=text,
        date=dt.date(2014, 3, 2),
        date_source=DateSource.FILENAME,
        title="",
        markup=Markup.PLAIN,
    )


def test_a_passage_of_several_paragraphs_lists_them() -> None:
    text = "\n\n".join(FILLER[:3])
    (passage,) = Chunker(400, 0).chunk(text, [entry(text)])
    assert passage.parts == tuple(FILLER[:3])
    (single,) = Chunker(400, 0).chunk(FILLER[0], [entry(FILLER[0])])
    assert single.parts == ()  # its own vector is its paragraph's


def record(chunk_id: str, text: str, parts: tuple[str, ...] = ()) -> ChunkRecord:
    return ChunkRecord(
        chunk_id=chunk_id,
        doc_id=chunk_id,
        path=f"{chunk_id}.md",
        entry_index=0,
        entry_title="",
        date=dt.date(2014, 1, 1),
        date_source="heading",
        start=0,
        end=len(text),
        text=text,
        search_text=text,
        text_hash=chunk_id,
        tags=(),
        vector=EMBED.embed_documents([text])[0],
        part_vectors=tuple(EMBED.embed_documents(list(parts))) if parts else (),
    )


def test_store_returns_each_passages_closest_paragraph(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "index"), keep_versions=dt.timedelta(0))
    long = [*FILLER[:2], DEEP, *FILLER[2:]]
    chunks = [record("long", "\n\n".join(long), tuple(long)), record("short", FILLER[0])]
    table = store._create(CHUNKS, chunk_schema(EMBED.dimension))
    table.add(_chunk_table(chunks, table.schema))  # chunks only: search needs no documents
    query = EMBED.embed_query(QUESTION)
    hits = {hit.chunk_id: hit for hit in store.vector_search(query, 5)}
    deep = float(EMBED.embed_documents([DEEP])[0] @ query)
    assert hits["long"].paragraph_similarity == pytest.approx(deep, abs=1e-5)
    assert hits["long"].score < deep  # the whole passage's vector blurs the paragraph
    assert hits["short"].paragraph_similarity == pytest.approx(hits["short"].score, abs=1e-5)
    by_text = {hit.chunk_id: hit for hit in store.text_search("burglar", 5, vector=query)}
    assert by_text["long"].paragraph_similarity == pytest.approx(deep, abs=1e-5)
    assert store.text_search("burglar", 5)[0].paragraph_similarity is None


def test_a_paragraph_deep_in_a_passage_finds_it(make_app: AppFactory, archive: Path) -> None:
    # The third of six paragraphs answers the question; a vector of the whole passage is
    # further from it than a short note that shares some of its words.
    write(archive, "notes/2014-03-02.txt", "\n\n".join([*FILLER[:2], DEEP, *FILLER[2:]]))
    sleepless = "Sat by our kitchen window in the night, unable to sleep."
    write(archive, "notes/2015-06-01.txt", sleepless)
    night_sky = "Our kitchen window looks out on the night sky."
    write(archive, "notes/2016-09-09.txt", "\n\n".join([*FILLER[3:], night_sky, FILLER[0]]))
    app = make_app(index__chunk_tokens="400")
    report = app.sync()
    assert report.paragraphs_embedded == 6 + 1  # a paragraph written twice is embedded once
    query = app.embedder().embedder.embed_query(QUESTION)
    by_passage = app.store.vector_search(query, 10)
    assert by_passage[0].path == "notes/2015-06-01.txt"  # the passage vectors alone miss it
    for mode in ("vector", "hybrid"):
        found = app.searcher().search(QUESTION, k=3, mode=mode)  # type: ignore[arg-type]
        assert found[0].path == "notes/2014-03-02.txt", mode
        assert DEEP in found[0].text  # the citation is still the passage, its exact span


def test_by_paragraph_ranks_the_pool_once_each_by_closest_paragraph() -> None:
    vector = [passage("a", paragraph=0.2), passage("b", paragraph=0.9)]
    text = [passage("c", paragraph=0.5), passage("a", paragraph=0.2), passage("d")]
    assert [p.chunk_id for p in by_paragraph(vector, text)] == ["b", "c", "a"]


def test_three_rankings_fuse_with_vector_and_text_ranks_kept() -> None:
    vector = [passage("a"), passage("b")]
    paragraphs = [passage("b"), passage("a")]
    text = [passage("c"), passage("b")]
    fused = fuse_rankings([vector, paragraphs, text], rrf_k=3)
    assert fused[0].chunk_id == "b"  # second, first, second: the only one in all three
    assert (fused[0].vector_rank, fused[0].text_rank) == (2, 2)
    assert {p.chunk_id for p in fused} == {"a", "b", "c"}


def test_an_index_of_the_older_layout_asks_for_a_reindex(
    make_app: AppFactory, archive: Path
) -> None:
    write(archive, "notes/2014-03-02.txt", "\n\n".join(FILLER))
    app = make_app()
    app.sync()
    meta = app.store._table(META)
    assert meta is not None
    meta.update(where="key = 'schema_version'", values={"value": "1"})
    older = make_app()
    with pytest.raises(EmbeddingMismatch) as error:
        older.searcher().search("choir")
    assert "older version" in str(error.value) and "ponder reindex" in error.value.hint
    write(archive, "notes/2014-03-03.txt", "Another note, so that the sync reads the index.")
    with pytest.raises(EmbeddingMismatch):
        make_app().sync()
    report = make_app().reindex()
    assert report.added == 2 and report.chunks_reused > 0  # the cache survives a reindex
    assert make_app().searcher().search("choir")


def test_a_one_line_edit_re_embeds_one_passage_and_one_paragraph(
    make_app: AppFactory, archive: Path
) -> None:
    write(archive, "notes/2014-03-02.txt", "\n\n".join(FILLER))
    app = make_app(index__chunk_tokens="400")
    first = app.sync()
    assert first.chunks_embedded == 1 and first.paragraphs_embedded == len(FILLER)
    edited = [*FILLER[:2], FILLER[2] + " Then tea.", *FILLER[3:]]
    write(archive, "notes/2014-03-02.txt", "\n\n".join(edited))
    report = make_app(index__chunk_tokens="400").sync()
    assert (report.chunks_embedded, report.paragraphs_embedded) == (1, 1)
    stored = app.store.chunks(("part_vectors",)).column("part_vectors").to_pylist()
    assert [len(vectors) for vectors in stored] == [len(FILLER)]
    assert np.allclose(stored[0][2], EMBED.embed_documents([edited[2]])[0], atol=1e-6)
