"""Dates in file names, first lines, headings and front-matter values."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.dates import (
    date_from_filename,
    date_from_text,
    date_line,
    heading_date,
    parse_date_value,
    split_dated_heading,
)

D = dt.date(2019, 3, 4)


@pytest.mark.parametrize(
    "path",
    [
        "2019-03-04.md",
        "20190304.txt",
        "2019/03/04/notes.md",
        "2019/03/04.md",
        "journal/2019/03-March/04 rainy day.md",
        "2019-03-04 title.md",
        "2019_03_04.md",
        "2019.03.04.txt",
        "journal 2019-03-04.txt",
        "notes/2019-03-04/draft.md",
        "201903041015 zettel.md",
        "20190304T101500.md",
        "2019-3-4.md",
    ],
)
def test_date_from_filename(path: str) -> None:
    assert date_from_filename(path) == D


@pytest.mark.parametrize(
    "path",
    [
        "12345678.txt",  # month 56
        "20191304.md",  # month 13
        "2019-02-30.md",  # no such day
        "1899-03-04.md",  # before 1900
        "2101-03-04.md",  # after 2100
        "2019/03/x.md",  # no day
        "2019-03.md",
        "notes.md",
        "1234567890123.md",
        "2019030412.md",  # ten digits: not a date
        "201903049999.md",  # a time that is not a time
        "v2019-03-045.md",
    ],
)
def test_no_date_from_filename(path: str) -> None:
    assert date_from_filename(path) is None


def test_file_name_wins_over_folders() -> None:
    assert date_from_filename("2018/01/01/2019-03-04.md") == D


@pytest.mark.parametrize(
    "text",
    [
        "2019-03-04\n\nToday...",
        "2019/03/04 morning",
        "March 4, 2019",
        "4 March 2019",
        "Tuesday, 4 March 2019",
        "Mar 4th, 2019 - cold",
        "Mar. 4 2019",
        "the 4th of March, 2019",
        "\n\n# Title\n\nWritten on March 4, 2019 at the lake.",
        "line\nline\nline\nline\n4-Mar-2019",
    ],
)
def test_date_from_text(text: str) -> None:
    assert date_from_text(text) == D


def test_unambiguous_day_first_and_month_first() -> None:
    assert date_from_text("25.03.2019") == dt.date(2019, 3, 25)
    assert date_from_text("03/25/2019") == dt.date(2019, 3, 25)
    assert date_from_text("04/04/2019") == dt.date(2019, 4, 4)
    assert date_from_text("04/03/2019") is None  # 4 March or April 3: skipped
    assert date_from_text("04.03.2019") is None


def test_date_far_down_the_text_is_not_the_texts_date() -> None:
    text = "One.\nTwo.\nThree.\nFour.\nFive.\nSix: on March 4, 2019 we left.\n"
    assert date_from_text(text) is None


def test_impossible_dates_in_text_are_skipped_for_later_ones() -> None:
    assert date_from_text("2019-02-30 then 2019-03-04") == D
    assert date_from_text("February 30, 2019") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D, D),
        (dt.datetime(2019, 3, 4, 23, 59), D),
        (dt.datetime(2019, 3, 4, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))), D),
        ("2019-03-04", D),
        ("2019-03-04T10:00:00Z", D),
        ("2019-03-04 10:00", D),
        ("March 4, 2019", D),
        ("Mon, 04 Mar 2019 10:00:00 +0000", D),
        ("2019 March 4", D),
        (20190304, D),
        ("", None),
        ("yesterday", None),
        ("March 4", None),  # no year: dateutil would invent this year
        (None, None),
        (True, None),
        (3.5, None),
        (["2019-03-04"], None),
        ("1066-10-14", None),
    ],
)
def test_parse_date_value(value: object, expected: dt.date | None) -> None:
    assert parse_date_value(value) == expected


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        ("2019-03-04", None),
        ("Tuesday 4 March 2019", None),
        ("Monday, March 4, 2019", None),
        ("2019-03-04 Mon", None),
        ("<2019-03-04 Mon>", None),
        ("[2019-03-04 Mon 10:15]", None),
        ("2019-03-04 Monday", None),
        ("2019-03-04 — the move", "the move"),
        ("March 4, 2019: rain", "rain"),
        ("**2019-03-04**", None),
        ("=== 4 March 2019 ===", None),
        ("2019-03-04 10:15 - coffee", "coffee"),
        ("<2019-03-04 Mon> fools", "fools"),
    ],
)
def test_dated_headings(heading: str, title: str | None) -> None:
    assert split_dated_heading(heading) == (D, title)
    assert heading_date(heading) == D


@pytest.mark.parametrize(
    "heading",
    ["Ideas", "Notes from 2019-03-04", "2019", "March 2019", "2019-03", "Chapter 4, 2019 edition"],
)
def test_headings_that_are_not_dates(heading: str) -> None:
    assert heading_date(heading) is None


def test_a_sentence_after_a_date_is_not_a_heading_title() -> None:
    long_line = "2019-03-04 " + "and then we walked along the river for hours " * 3
    assert heading_date(long_line) is None


def test_date_lines_hold_only_a_date() -> None:
    assert date_line("2019-03-04") == D
    assert date_line("  === Tuesday, 4 March 2019 ===  ") == D
    assert date_line("2019-03-04 went to the shop") is None
    assert date_line("hello") is None
