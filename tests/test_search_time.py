"""Search reads a query's date phrases as its date range (search.time_phrases), on a real index."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from index.evaluate import evaluate, parse_questions
from index.search import DateRange, Searcher
from tests.conftest import AppFactory, write
from ui.cli import cli

JOURNAL = (
    "## 2014-04-16\n\nFor my birthday Jude gave me a scarf and a book about lighthouses.\n\n"
    "## 2015-04-16\n\nFor my birthday Jude gave me an old camera and a roll of film.\n\n"
    "## 2015-08-01\n\nBought a new kettle in town; the old one finally gave up.\n"
)


def dates_of(searcher: Searcher, query: str, **kwargs: object) -> list[str]:
    hits = searcher.search(query, k=5, **kwargs)  # type: ignore[arg-type]
    return [hit.date.isoformat() for hit in hits]


def test_a_year_in_the_query_is_the_range_and_the_rest_is_searched(
    make_app: AppFactory, archive: Path
) -> None:
    write(archive, "journal.md", JOURNAL)
    app = make_app()
    app.sync()
    searcher = app.searcher()
    assert searcher.time_scope("what did Jude give me for my birthday in 2015?") == (
        "what did Jude give me for my birthday?",
        DateRange(dt.date(2015, 1, 1), dt.date(2015, 12, 31)),
    )
    for mode in ("hybrid", "vector", "text"):
        found = dates_of(searcher, "my birthday present in 2015", mode=mode, read_dates=True)
        assert found and set(found) <= {"2015-04-16", "2015-08-01"}, mode
        assert found[0] == "2015-04-16", mode
    # Without read_dates (ask and critique pass queries they have parsed already), the
    # words are searched as they are and every year is in reach.
    assert "2014-04-16" in dates_of(searcher, "my birthday present in 2015")


def test_given_dates_win_and_the_setting_turns_it_off(make_app: AppFactory, archive: Path) -> None:
    write(archive, "journal.md", JOURNAL)
    app = make_app()
    app.sync()
    given = DateRange(dt.date(2014, 1, 1), dt.date(2014, 12, 31))
    query = "my birthday present in 2015"
    assert app.searcher().time_scope(query, given) == (query, given)
    assert dates_of(app.searcher(), query, dates=given, read_dates=True) == ["2014-04-16"]
    # Only a date phrase: nothing left to search for, so the query stays as it is.
    assert app.searcher().time_scope("in 2015") == ("in 2015", DateRange())

    off = make_app(search__time_phrases="false").searcher()
    assert off.time_scope(query) == (query, DateRange())
    assert "2014-04-16" in dates_of(off, query, read_dates=True)


def test_relative_phrases_count_from_today(make_app: AppFactory, archive: Path) -> None:
    write(archive, "journal.md", JOURNAL)
    app = make_app()
    app.sync()
    searcher = Searcher(
        app.store,
        app.embedder().embedder,
        app.settings.search,
        today=lambda: dt.date(2016, 3, 1),
    )
    topic, dates = searcher.time_scope("the kettle last year")
    assert topic == "the kettle"
    assert dates == DateRange(dt.date(2015, 1, 1), dt.date(2015, 12, 31))


def test_eval_and_the_search_command_read_dates_too(
    make_app: AppFactory, archive: Path, runner: CliRunner
) -> None:
    write(archive, "journal.md", JOURNAL)
    app = make_app()
    app.sync()
    questions = parse_questions(
        {
            "questions": [
                {"q": "what did Jude give me for my birthday in 2015?", "gold": ["2015-04-16"]}
            ]
        }
    )
    report = evaluate(app.searcher(), questions, (5,), "hybrid")
    assert report.results[0].rank == 1
    assert {p.date.year for p in report.results[0].passages} == {2015}

    result = runner.invoke(cli, ["search", "birthday present in 2014", "--json"])
    assert [h["date"] for h in json.loads(result.output)] == ["2014-04-16"]
    result = runner.invoke(cli, ["search", "birthday present in 2014"])
    assert "Entries from 2014-01-01 to 2014-12-31, read from the query" in result.output
    result = runner.invoke(cli, ["search", "birthday in 2014", "--since", "2015", "--json"])
    assert {h["date"] for h in json.loads(result.output)} <= {"2015-04-16", "2015-08-01"}
