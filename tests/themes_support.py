"""A synthetic archive with known themes for the themes tests: fast with the fake embedder.

Three subjects, each with its own words, written across 2014-2019 in one journal file per
year, every entry wrapped in the same boilerplate (a greeting, a weekday date, a sign-off).
The garden peaks in 2015, running in 2018; work is steady.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.conftest import write


def words(text: str) -> list[str]:
    return text.split()


SUBJECTS = {
    "garden": words(
        "garden beds seeds compost kale hedge slugs beans soil spade sowing seedlings "
        "greenhouse weeding rhubarb potatoes netting mulch allotment"
    ),
    "running": words(
        "running miles parkrun trainers knee physio splits marathon pace hills training "
        "stretching tempo laps finish medal blisters hamstring"
    ),
    "work": words(
        "office deadline manager meeting project client slides budget spreadsheet inbox "
        "promotion colleague appraisal roadmap launch overtime contract"
    ),
}
# Entries per subject per year: garden peaks in 2015, running in 2018.
PLAN = {
    2014: {"garden": 6, "running": 2, "work": 5},
    2015: {"garden": 12, "running": 2, "work": 5},
    2016: {"garden": 5, "running": 3, "work": 5},
    2017: {"garden": 3, "running": 6, "work": 5},
    2018: {"garden": 2, "running": 12, "work": 5},
    2019: {"garden": 2, "running": 6, "work": 5},
}
BOILERPLATE = {
    "dear",
    "diary",
    "love",
    "monday",
    "tuesday",
    "wednesday",
    "march",
    "april",
    "regards",
    "cheers",
}
COMMON = words("we went there and then it was fine and I thought about it again")
WEEKDAYS = ["Monday", "Tuesday", "Wednesday"]
MONTHS = ["March", "April"]


def entry_text(subject: str, rng: random.Random, words: int = 45) -> str:
    pool = SUBJECTS[subject]
    body = [rng.choice(pool) if rng.random() < 0.7 else rng.choice(COMMON) for _ in range(words)]
    return " ".join(body).capitalize() + "."


def write_year(archive: Path, year: int, plan: dict[str, int], seed: int = 1) -> None:
    """One journal file for ``year``: a dated heading, then boilerplate around the text."""
    rng = random.Random(seed * 10_000 + year)
    subjects = [s for s, n in plan.items() for _ in range(n)]
    rng.shuffle(subjects)
    parts = []
    for number, subject in enumerate(subjects):
        month, day = 1 + number % 12, 1 + number % 27
        weekday, month_name = rng.choice(WEEKDAYS), rng.choice(MONTHS)
        parts.append(
            f"## {year}-{month:02d}-{day:02d}\n\nDear diary, {weekday} {day} {month_name} "
            f"{year}.\n\n{entry_text(subject, rng)}\n\nLove, M. Regards and cheers.\n"
        )
    write(archive, f"journal/{year}.md", "\n".join(parts))


def themed_archive(archive: Path) -> None:
    for year, plan in PLAN.items():
        write_year(archive, year, plan)
