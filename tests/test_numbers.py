"""The other spellings of a query's numbers, and full-text search finding them on a real index."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.numbers import other_spellings, spellings, with_other_spellings
from tests.conftest import AppFactory, write


@pytest.mark.parametrize(
    ("query", "added"),
    [
        ("my 30th birthday", ["30", "thirty", "thirtieth"]),
        ("when Mum turned seventy", ["70", "70th", "seventieth"]),
        ("turned 40 in May", ["40th", "forty", "fortieth"]),
        ("the second time round", ["2", "2nd", "two"]),
        ("our 12th anniversary", ["12", "twelve", "twelfth"]),
        ("our 21st", ["21"]),  # "twenty-first" is two words to the index
        ("Thirteen of us", ["13", "13th", "thirteenth"]),
    ],
)
def test_other_spellings(query: str, added: list[str]) -> None:
    assert other_spellings(query) == added


@pytest.mark.parametrize(
    "query",
    [
        "in 2015",
        "the first time",
        "one of us",
        "a 5k run",
        "the 12:30 train",
        "a £30 fine",
        "2.5 miles",
        "30% off",
        "nothing numeric",
    ],
)
def test_years_prices_times_and_one_are_left_alone(query: str) -> None:
    assert other_spellings(query) == []
    assert with_other_spellings(query) == query


def test_spellings_of_teens_and_tens() -> None:
    assert spellings(11) == ["11", "11th", "eleven", "eleventh"]
    assert spellings(22) == ["22", "22nd"]
    assert spellings(90) == ["90", "90th", "ninety", "ninetieth"]
    assert with_other_spellings("her 3rd") == "her 3rd 3 three third"


CAMERA = "For my thirtieth Jude gave me an old camera and a roll of film."
FILLER = [
    "Jude made a cake for Ffion's birthday and we sang badly in the kitchen.",
    "Birthday card from Mum, a day late as always, with a tenner inside.",
    "Bought Jude a birthday present in town and hid it in the wardrobe.",
]


def test_full_text_finds_a_number_spelled_otherwise(make_app: AppFactory, archive: Path) -> None:
    write(archive, "notes/2015-04-16.txt", CAMERA)
    for day, text in enumerate(FILLER, start=1):
        write(archive, f"notes/2015-05-0{day}.txt", text)
    query = "what did Jude give me for my 30th birthday"
    app = make_app()
    app.sync()
    hits = app.searcher().search(query, k=4, mode="text")
    assert hits[0].path == "notes/2015-04-16.txt"

    # Without: "Jude" and "birthday" in the filler outweigh "Jude" alone in the answer.
    off = make_app(search__number_spellings="false").searcher()
    assert off.search(query, k=4, mode="text")[0].path != "notes/2015-04-16.txt"
