"""Passages keep their exact span in the source, and edits stay local."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.chunking import Chunker, chunk_ids, locate, token_encoder
from ingest.entries import DateSource, Entry, Markup
from ingest.split_memo import SplitMemo
from tests.conftest import REPO

WORDS = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=12)
SENTENCE = st.lists(WORDS, min_size=1, max_size=25).map(lambda ws: " ".join(ws) + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=12).map(" ".join)
SEPARATOR = st.sampled_from(["\n\n", "\n\n\n", "\r\n\r\n", "\n  \n", "\n\t\n\n"])


def entry(source: str, start: int, end: int) -> Entry:
    return Entry(
        text=source[start:end],
        start=start,
        end=end,
        date=dt.date(2014, 3, 2),
        date_source=DateSource.HEADING,
        markup=Markup.MARKDOWN,
    )


@settings(max_examples=60, deadline=None)
@given(
    paragraphs=st.lists(PARAGRAPH, min_size=1, max_size=12),
    separator=SEPARATOR,
    prefix=st.text(max_size=30),
    tokens=st.sampled_from([32, 64, 200]),
)
def test_every_span_reproduces_its_text(
    paragraphs: list[str], separator: str, prefix: str, tokens: int
) -> None:
    body = separator.join(paragraphs)
    source = prefix + "\n\n" + body + "\n"
    start = len(prefix) + 2
    chunks = Chunker(tokens, 8).chunk(source, [entry(source, start, start + len(body))])
    assert chunks
    for chunk in chunks:
        assert source[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip()
    # Every word of the entry is in some passage, in order.
    covered = " ".join(c.text for c in chunks).split()
    assert [w for w in covered if w in body.split()][: len(body.split())] or not body.split()


def test_long_paragraph_is_split_and_located() -> None:
    sentence = "The tide went out past the harbour wall and the gulls followed it. "
    body = sentence * 80
    source = "# Title\n\n" + body.strip()
    chunks = Chunker(64, 8).chunk(source, [entry(source, 9, len(source))])
    assert len(chunks) > 3
    for chunk in chunks:
        assert source[chunk.start : chunk.end] == chunk.text


def test_locate_tolerates_rejoined_whitespace() -> None:
    text = "One line.\nTwo   words here.\n\nThree."
    assert locate(text, ["One line. Two words here.", "Three."]) == [(0, 27), (29, 35)]


def test_a_one_line_edit_changes_one_passage() -> None:
    paragraphs = [
        f"Paragraph {i}. " + "I walked along the cliff path and thought about the year. " * 6
        for i in range(12)
    ]
    chunker = Chunker(200, 0)

    def texts(body: str) -> list[str]:
        return [c.text for c in chunker.chunk(body, [entry(body, 0, len(body))])]

    before = texts("\n\n".join(paragraphs))
    paragraphs[5] = paragraphs[5].replace("Paragraph 5.", "Paragraph 5, and one more thing.")
    after = texts("\n\n".join(paragraphs))
    assert len(set(after) - set(before)) == 1


def test_chunk_ids_depend_on_text_not_position() -> None:
    source = "alpha para.\n\nbeta para.\n\nalpha para."
    chunker = Chunker(4, 0)
    chunks = chunker.chunk(source, [entry(source, 0, len(source))])
    ids = chunk_ids("doc", chunks)
    assert len(set(ids)) == len(ids)  # identical texts still get distinct ids
    shifted = "new first para.\n\n" + source
    moved = chunker.chunk(shifted, [entry(shifted, 0, len(shifted))])
    assert set(ids) <= set(chunk_ids("doc", moved))


def test_passages_are_measured_as_llama_index_measures_them() -> None:
    from llama_index.core.utils import get_tokenizer

    theirs = get_tokenizer()
    texts = [
        "",
        "The tide went out past the harbour wall.",
        "Café, naïve, Ærø — and a 🐕 on the beach, 2019-03-04.",
        "A literal <|endoftext|> in a note about tokenizers.",
        "word " * 500,
    ]
    assert [list(token_encoder()(t)) for t in texts] == [list(theirs(t)) for t in texts]


CHUNK_IN_A_FRESH_PROCESS = """
import datetime as dt, json, sys
from pathlib import Path
from ingest.chunking import Chunker
from ingest.entries import DateSource, Entry, Markup
from ingest.split_memo import SplitMemo

memo = SplitMemo(Path(sys.argv[1]))
chunker = Chunker(200, 20, memo=memo)

def chunk(body):
    entry = Entry(text=body, date=dt.date(2020, 1, 1), date_source=DateSource.HEADING,
                  start=0, end=len(body), markup=Markup.PLAIN)
    return [[c.start, c.end] for c in chunker.chunk(body, [entry])]

short = chunk("A short paragraph.\\n\\nAnother one, about the sea.")
imported_for_short = "llama_index.core" in sys.modules
long = chunk("The tide went out past the harbour wall. " * 200)
memo.save()
print(json.dumps({"short": imported_for_short, "long": "llama_index.core" in sys.modules,
                  "spans": long}))
"""


def chunk_in_a_fresh_process(memo: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHUNK_IN_A_FRESH_PROCESS, str(memo)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_llama_index_is_imported_only_to_cut_a_paragraph_not_cut_before(tmp_path: Path) -> None:
    memo = tmp_path / "split_memo.json"
    first = chunk_in_a_fresh_process(memo)
    assert (first["short"], first["long"]) == (False, True)
    assert len(first["spans"]) > 3 and memo.is_file()
    # A new process finds the long paragraph's cuts in the memo: same passages, no llama-index.
    again = chunk_in_a_fresh_process(memo)
    assert (again["short"], again["long"], again["spans"]) == (False, False, first["spans"])


def test_a_damaged_or_wrong_memo_changes_nothing(tmp_path: Path) -> None:
    body = "The tide went out past the harbour wall and the gulls followed it. " * 60
    expected = Chunker(64, 8).chunk(body, [entry(body, 0, len(body))])
    path = tmp_path / "split_memo.json"
    for damage in ("{not json", "[1, 2]", '{"k": [[1]]}'):
        path.write_text(damage, encoding="utf-8")
        memo = SplitMemo(path)
        assert Chunker(64, 8, memo=memo).chunk(body, [entry(body, 0, len(body))]) == expected
        memo.save()
    # Cuts that this paragraph cannot have (past its end, out of order) are made again.
    saved = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({key: [[5, 10**6], [0, 3]] for key in saved}), encoding="utf-8")
    assert Chunker(64, 8, memo=SplitMemo(path)).chunk(body, [entry(body, 0, len(body))]) == expected


def test_a_memo_that_cannot_be_saved_costs_only_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = "The tide went out past the harbour wall and the gulls followed it. " * 60
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data dir should be", encoding="utf-8")
    memo = SplitMemo(blocked / "split_memo.json")
    chunks = Chunker(64, 8, memo=memo).chunk(body, [entry(body, 0, len(body))])
    memo.save()
    assert len(chunks) > 3
    assert "long paragraphs will be split again" in caplog.text
