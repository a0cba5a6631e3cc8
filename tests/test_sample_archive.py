"""The bundled sample archive: it ingests cleanly, and its ground truth matches the index."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from config import load_settings
from index.records import DocStatus
from tests.conftest import REPO, SAMPLE_ARCHIVE
from ui.services import Services

GROUND_TRUTH = json.loads((REPO / "sample" / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Services:
    data = tmp_path_factory.mktemp("sample-data")
    app = Services(
        load_settings(
            environ={
                "PONDER_ARCHIVE": str(SAMPLE_ARCHIVE),
                "PONDER_DATA_DIR": str(data),
                "PONDER_EMBEDDINGS__PROVIDER": "fake",
            },
            config_file=data / "none.toml",
        )
    )
    app.sync()
    return app


@pytest.fixture(scope="module")
def entries(sample: Services) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(path, date) -> the chunks of entries of that date in that file."""
    table = sample.store.chunks(("path", "date", "date_source", "doc_id", "entry_index"))
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in table.to_pylist():
        found.setdefault((row["path"], row["date"].isoformat()), []).append(row)
    return found


def test_every_file_is_indexed(sample: Services) -> None:
    status = sample.status()
    problems = [(d.path, d.status.value, d.reason) for d in status.problems()]
    assert problems == []
    assert status.by_status[DocStatus.INDEXED.value] >= 60


def test_size_and_span_of_the_archive(sample: Services) -> None:
    status = sample.status()
    assert status.entry_count >= 120
    assert status.first_date is not None and status.last_date is not None
    assert status.last_date.year - status.first_date.year >= 10
    assert status.last_date <= dt.date(2025, 12, 31)  # nothing dated by today's mtime


def test_mixed_formats(sample: Services) -> None:
    readers = Counter(d.reader for d in sample.status().documents)
    assert {"markdown", "plaintext", "html", "docx", "dayone", "wordpress", "org"} <= set(readers)


def test_every_planted_theme_entry_exists_with_its_date(
    entries: dict[tuple[str, str], list[dict[str, Any]]],
) -> None:
    missing = [
        (theme["id"], e["path"], e["date"])
        for theme in GROUND_TRUTH["themes"]
        for e in theme["entries"]
        if (e["path"], e["date"]) not in entries
    ]
    assert missing == []


def test_planted_themes_rise_and_fade() -> None:
    assert len(GROUND_TRUTH["themes"]) >= 8
    for theme in GROUND_TRUTH["themes"]:
        years = Counter(int(e["date"][:4]) for e in theme["entries"])
        assert len(theme["entries"]) >= 8, theme["id"]
        if theme["peak_year"] is not None:
            assert years[theme["peak_year"]] == max(years.values()), theme["id"]


def test_every_contradiction_quote_is_in_its_dated_entry(sample: Services) -> None:
    documents = {d.path: d for d in sample.status().documents}
    for item in GROUND_TRUTH["contradictions"]:
        for side in [item["earlier"], item["later"], *item.get("also", [])]:
            record = sample.store.document(documents[side["path"]].doc_id)
            assert record is not None
            source = record.source_text
            at = source.find(side["quote"])
            assert at >= 0, (item["id"], side["path"], side["quote"])
            chunks = sample.store.chunks(("doc_id", "start", "end", "date")).to_pylist()
            dates = {
                c["date"].isoformat()
                for c in chunks
                if c["doc_id"] == record.doc_id and c["start"] <= at < c["end"]
            }
            assert dates == {side["date"]}, (item["id"], side)
        assert item["earlier"]["date"] < item["later"]["date"]


def test_sample_readme_describes_it() -> None:
    assert (REPO / "sample" / "README.md").is_file()
    assert Path(SAMPLE_ARCHIVE / "vault" / ".obsidian").is_dir()  # a real vault's config
