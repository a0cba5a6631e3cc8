"""The spellings of a number (30, 30th, thirty, thirtieth): a query's numbers in every form,
for full-text search.

A writer turns "thirty" in one entry and has a "30th" in another; the question says
"my 30th birthday" and the entry "for my thirtieth". Stemming does not join them (the
full-text index stems "thirtieth" to itself), so the query carries the other spellings
too, and BM25 weighs each by its rarity as usual. Numbers from 2 to 99: "one" and "first"
are too common to mean a number, and larger ones are years, prices and times more often
than ages or anniversaries. Only one-word spellings are added ("thirty-five" is two words
to the index, and "five" alone would match every five).
"""

from __future__ import annotations

import re

_UNITS = [
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_UNIT_ORDINALS = [
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_TEN_ORDINALS = [
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
]

_CARDINAL = {word: n for n, word in enumerate(_UNITS, start=2)} | {
    word: 10 * n for n, word in enumerate(_TENS, start=2)
}
_ORDINAL = {word: n for n, word in enumerate(_UNIT_ORDINALS, start=2)} | {
    word: 10 * n for n, word in enumerate(_TEN_ORDINALS, start=2)
}
_CARDINAL_WORD = {n: word for word, n in _CARDINAL.items()}
_ORDINAL_WORD = {n: word for word, n in _ORDINAL.items()}
_LOWEST, _HIGHEST = 2, 99
# One or two digits, alone or as an ordinal ("30", "30th"), or a word; not "5k", "2015",
# nor a price, a time, a decimal or a percentage ("£30", "12:30", "2.5", "30%").
_TOKEN = re.compile(
    r"(?<![£$€:.\d])\b(\d{1,2})(?:st|nd|rd|th)?\b(?![:.%]?\d|%)|\b[a-z]+\b", re.IGNORECASE
)


def _suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def spellings(n: int) -> list[str]:
    """Every one-word spelling of ``n``: digits, ordinal digits, and its words if any."""
    forms = [str(n), f"{n}{_suffix(n)}"]
    forms += [table[n] for table in (_CARDINAL_WORD, _ORDINAL_WORD) if n in table]
    return forms


def other_spellings(query: str) -> list[str]:
    """The spellings of the numbers in ``query`` that it does not use, in order, once each."""
    found: list[str] = []
    for match in _TOKEN.finditer(query):
        token = match.group(0).lower()
        digits = match.group(1)
        n = int(digits) if digits else _CARDINAL.get(token) or _ORDINAL.get(token)
        if n is None or not _LOWEST <= n <= _HIGHEST:
            continue
        found += [form for form in spellings(n) if form != token and form not in found]
    return found


def with_other_spellings(query: str) -> str:
    """``query`` and, after it, the other spellings of its numbers (for full text)."""
    extra = other_spellings(query)
    return " ".join([query, *extra]) if extra else query
