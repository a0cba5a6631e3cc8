"""Time expressions in questions become date ranges and intents, relative to a frozen today."""

from __future__ import annotations

import datetime as dt

import pytest

from index.when import parse_time

D = dt.date
TODAY = D(2025, 10, 15)  # a Wednesday in autumn


@pytest.mark.parametrize(
    ("question", "since", "until", "topic"),
    [
        (
            "What did I write about running in 2014?",
            D(2014, 1, 1),
            D(2014, 12, 31),
            "What did I write about running?",
        ),
        ("Back in 2014, was I happy?", D(2014, 1, 1), D(2014, 12, 31), "was I happy?"),
        ("my 2015 goals", D(2015, 1, 1), D(2015, 12, 31), "my goals"),
        ("work between 2012 and 2015", D(2012, 1, 1), D(2015, 12, 31), "work"),
        ("work from 2013 to 2016", D(2013, 1, 1), D(2016, 12, 31), "work"),
        ("running 2012-15", D(2012, 1, 1), D(2015, 12, 31), "running"),
        ("money before 2010", None, D(2009, 12, 31), "money"),
        ("money after 2015", D(2016, 1, 1), None, "money"),
        ("Iris since March 2019", D(2019, 3, 1), None, "Iris"),
        ("the job until June 2018", None, D(2018, 6, 30), "the job"),
        ("the house in March 2019", D(2019, 3, 1), D(2019, 3, 31), "the house"),
        ("the house in March of 2019", D(2019, 3, 1), D(2019, 3, 31), "the house"),
        ("on 2 March 2014", D(2014, 3, 2), D(2014, 3, 2), ""),
        ("March 2, 2014 diary", D(2014, 3, 2), D(2014, 3, 2), "diary"),
        ("on 2014-03-02", D(2014, 3, 2), D(2014, 3, 2), ""),
        ("in 2015-11", D(2015, 11, 1), D(2015, 11, 30), ""),
        ("the summer of 2015", D(2015, 6, 1), D(2015, 8, 31), ""),
        ("winter 2015", D(2015, 12, 1), D(2016, 2, 29), ""),
        ("early 2014", D(2014, 1, 1), D(2014, 4, 30), ""),
        ("in the 2010s", D(2010, 1, 1), D(2019, 12, 31), ""),
        ("in the late 2010s", D(2016, 1, 1), D(2019, 12, 31), ""),
        ("since 2015 and before 2020", D(2015, 1, 1), D(2019, 12, 31), "and"),
        ("in 2014 and in 2016", D(2014, 1, 1), D(2016, 12, 31), "and"),
    ],
)
def test_absolute_expressions(
    question: str, since: dt.date | None, until: dt.date | None, topic: str
) -> None:
    scope = parse_time(question, TODAY)
    assert (scope.since, scope.until) == (since, until)
    assert scope.topic == topic
    assert scope.intent is None


@pytest.mark.parametrize(
    ("question", "today", "since", "until"),
    [
        # the most recent full June-August before today
        ("what did I do last summer?", D(2025, 10, 15), D(2025, 6, 1), D(2025, 8, 31)),
        ("what did I do last summer?", D(2025, 7, 10), D(2024, 6, 1), D(2024, 8, 31)),
        ("last winter", D(2025, 10, 15), D(2024, 12, 1), D(2025, 2, 28)),
        ("last winter", D(2026, 1, 10), D(2024, 12, 1), D(2025, 2, 28)),
        ("this winter", D(2026, 1, 10), D(2025, 12, 1), D(2026, 1, 10)),
        ("this spring", D(2025, 10, 15), D(2025, 3, 1), D(2025, 5, 31)),
        ("this spring", D(2025, 4, 2), D(2025, 3, 1), D(2025, 4, 2)),
        ("this year", D(2025, 10, 15), D(2025, 1, 1), D(2025, 10, 15)),
        ("last year", D(2025, 10, 15), D(2024, 1, 1), D(2024, 12, 31)),
        ("this past year", D(2025, 10, 15), D(2024, 10, 16), D(2025, 10, 15)),
        ("over the past year", D(2025, 10, 15), D(2024, 10, 16), D(2025, 10, 15)),
        ("over the last 3 years", D(2025, 10, 15), D(2022, 10, 16), D(2025, 10, 15)),
        ("in the past six months", D(2025, 10, 15), D(2025, 4, 16), D(2025, 10, 15)),
        ("two years ago", D(2025, 10, 15), D(2023, 1, 1), D(2023, 12, 31)),
        ("last month", D(2025, 10, 15), D(2025, 9, 1), D(2025, 9, 30)),
        ("last March", D(2025, 10, 15), D(2025, 3, 1), D(2025, 3, 31)),
        ("last March", D(2025, 3, 20), D(2024, 3, 1), D(2024, 3, 31)),
        ("this week", D(2025, 10, 15), D(2025, 10, 13), D(2025, 10, 15)),
        ("what worried me recently", D(2025, 10, 15), D(2025, 4, 15), D(2025, 10, 15)),
    ],
)
def test_relative_expressions(
    question: str, today: dt.date, since: dt.date, until: dt.date
) -> None:
    scope = parse_time(question, today)
    assert (scope.since, scope.until) == (since, until)


def test_the_writers_age_needs_a_birth_year() -> None:
    with_year = parse_time("what did I want in my twenties?", TODAY, birth_year=1988)
    assert (with_year.since, with_year.until) == (D(2008, 1, 1), D(2018, 12, 31))
    assert with_year.date_phrases == ("in my twenties",)
    assert with_year.topic == "what did I want?"

    without = parse_time("what did I want in my twenties?", TODAY)
    assert not without.bounded
    assert without.topic == "what did I want?"  # still not a search word
    assert "archive.birth_year" in without.notes[0]

    age = parse_time("when I was 25", TODAY, birth_year=1988)
    assert (age.since, age.until) == (D(2013, 1, 1), D(2014, 12, 31))


@pytest.mark.parametrize(
    ("question", "intent", "topic"),
    [
        ("When did I first mention Priya?", "first", "mention Priya?"),
        ("the first time I ran a half marathon", "first", "I ran a half marathon"),
        ("my earliest note about the garden", "first", "my note about the garden"),
        ("When did I start running?", "first", "running?"),
        ("most recently, what did I say about Tom", "last", "what did I say about Tom"),
        ("the last time I saw Priya", "last", "I saw Priya"),
        ("when did I last go running?", "last", "go running?"),
        ("my latest thoughts on the novel", "last", "my thoughts on the novel"),
        ("How has my running changed over the years?", "change", "How has my running?"),
        ("how has my view of money evolved?", "change", "how has my view of money?"),
        ("the sea over time", "change", "the sea"),
        ("how much did the house cost?", None, "how much did the house cost?"),
        ("When did I start running again?", None, "When did I start running again?"),
    ],
)
def test_intents(question: str, intent: str | None, topic: str) -> None:
    scope = parse_time(question, TODAY)
    assert scope.intent == intent
    assert scope.topic == topic
    assert not scope.bounded


def test_intent_and_dates_together() -> None:
    scope = parse_time("How has my relationship with Priya changed since 2015?", TODAY)
    assert scope.intent == "change"
    assert (scope.since, scope.until) == (D(2015, 1, 1), None)
    assert scope.phrases == ("changed", "since 2015")
    assert scope.date_phrases == ("since 2015",)

    first = parse_time("When did I first run in 2021?", TODAY)
    assert first.intent == "first" and first.since == D(2021, 1, 1)


@pytest.mark.parametrize(
    "question",
    ["I wrote 2000 words today", "we paid £2015 for it", "the 31 February 2014 mystery"],
)
def test_numbers_that_are_not_dates(question: str) -> None:
    scope = parse_time(question, TODAY)  # an impossible day is left alone, never an error
    assert not scope.bounded
    assert scope.topic == question


def test_the_phrases_are_reported_as_written() -> None:
    scope = parse_time("What did I think of Work in MARCH 2019 and Since 2020?", TODAY)
    assert scope.phrases == ("in MARCH 2019", "Since 2020")
    assert scope.describe() == "from 2020-01-01 to 2019-03-31"  # contradictory: nothing fits


def test_describe() -> None:
    assert parse_time("in 2014", TODAY).describe() == "from 2014-01-01 to 2014-12-31"
    assert parse_time("before 2010", TODAY).describe() == "on or before 2009-12-31"
    assert parse_time("after 2015", TODAY).describe() == "on or after 2016-01-01"
    assert parse_time("on 2014-03-02", TODAY).describe() == "on 2014-03-02"
    assert parse_time("running", TODAY).describe() == "the whole archive"
