"""Time expressions in a question: the date range they mean and whether it asks for change.

``parse_time("what did I think about work in 2014?", today)`` finds "in 2014", turns it
into 1 January to 31 December 2014, and leaves "what did I think about work?" as the topic
to search for. Besides dates it recognises three intents: ``first`` ("when did I first"),
``last`` ("the last time") and ``change`` ("over the years", "how has X changed").

Rules are regular expressions tried in a fixed order (longest and most specific first);
each match is masked so a later, shorter rule cannot claim its words again ("the last
year" is the past twelve months and must not also be read as "last year"). Every phrase
that was used is reported, so the user can see why a filter was applied. Seasons are the
northern hemisphere's meteorological ones (summer is June to August); "winter 2015" is the
winter that starts in December 2015.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from index.search import DateRange

Intent = Literal["first", "last", "change"]

RECENT_DAYS = 183  # "recently", "lately": about the last six months

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            (),
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
# Start month and length in months; winter starts in December and runs into the next year.
_SEASONS = {"spring": (3, 3), "summer": (6, 3), "autumn": (9, 3), "fall": (9, 3), "winter": (12, 3)}
_NUMBERS = {
    "a": 1,
    "one": 1,
    "two": 2,
    "a couple of": 2,
    "couple of": 2,
    "three": 3,
    "a few": 3,
    "few": 3,
    "several": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
}
_DECADES_OF_LIFE = {
    "teens": (13, 19),
    "twenties": (20, 29),
    "thirties": (30, 39),
    "forties": (40, 49),
    "fifties": (50, 59),
    "sixties": (60, 69),
    "seventies": (70, 79),
}

_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_SEASON_NAMES = "|".join(_SEASONS)
_NUMBER_WORDS = "|".join(sorted(_NUMBERS, key=len, reverse=True))
_YEAR = r"(?:19|20)\d\d"
# A year that is really a quantity ("2000 words", "£2015") is not a date.
_NOT_A_QUANTITY = (
    r"(?!\s*(?:words|pounds|quid|steps|miles|km|kilometres|metres|meters|calories|people|"
    r"times|feet|euros|dollars|pages|kg)\b)"
)


@dataclass(frozen=True)
class TimeScope:
    """What a question says about time: a date range, an intent, and the words that said it."""

    since: dt.date | None = None
    until: dt.date | None = None
    intent: Intent | None = None
    phrases: tuple[str, ...] = ()  # as written in the question, in order of appearance
    date_phrases: tuple[str, ...] = ()  # those of ``phrases`` that set the date range
    topic: str = ""  # the question with its time phrases taken out
    notes: tuple[str, ...] = field(default=())  # phrases understood but not applied, and why

    @property
    def dates(self) -> DateRange:
        return DateRange(self.since, self.until)

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def describe(self) -> str:
        """The range in words a person can check, e.g. "from 2014-01-01 to 2014-12-31"."""
        if self.since and self.until:
            if self.since == self.until:
                return f"on {self.since.isoformat()}"
            return f"from {self.since.isoformat()} to {self.until.isoformat()}"
        if self.since:
            return f"on or after {self.since.isoformat()}"
        if self.until:
            return f"on or before {self.until.isoformat()}"
        return "the whole archive"


# -- calendar arithmetic -------------------------------------------------------------------


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _months_span(year: int, month: int, count: int) -> tuple[dt.date, dt.date]:
    last_year, last_month = _add_months(year, month, count - 1)
    return dt.date(year, month, 1), _month_end(last_year, last_month)


def _season(name: str, year: int) -> tuple[dt.date, dt.date]:
    start_month, length = _SEASONS[name]
    return _months_span(year, start_month, length)


def _year_span(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _minus_months(day: dt.date, months: int) -> dt.date:
    year, month = _add_months(day.year, day.month, -months)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _minus_years(day: dt.date, years: int) -> dt.date:
    year = day.year - years
    return dt.date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def _number(word: str) -> int:
    word = " ".join(word.lower().split())
    return int(word) if word.isdigit() else _NUMBERS[word]


# -- points: "2014", "March 2019", "summer 2015", "2 March 2014", "early 2014" ------------------


def _point(name: str) -> str:
    """A regex for one point in time whose groups are prefixed ``name`` (used twice in ranges)."""
    day = r"\d{1,2}(?:st|nd|rd|th)?"
    return (
        rf"(?:(?P<{name}_iso>\d{{4}}-\d{{2}}(?:-\d{{2}})?)(?![\d-])"
        rf"|(?:(?P<{name}_part>early|mid|late)[\s-]+)?(?:the\s+)?"
        rf"(?:(?:(?P<{name}_day>{day})\s+(?:of\s+)?)?"
        rf"(?P<{name}_named>{_MONTH_NAMES}|{_SEASON_NAMES})\.?"
        rf"(?:\s+(?P<{name}_day2>{day}))?,?\s+(?:of\s+)?)?"
        rf"(?<![\d£$€-])(?P<{name}_year>{_YEAR})(?![\d-]){_NOT_A_QUANTITY})"
    )


def _point_range(match: re.Match[str], name: str) -> tuple[dt.date, dt.date]:
    iso = match.group(f"{name}_iso")
    if iso and len(iso) == 7:  # YYYY-MM
        year, month = int(iso[:4]), int(iso[5:])
        return dt.date(year, month, 1), _month_end(year, month)
    if iso:
        day = dt.date.fromisoformat(iso)
        return day, day
    year = int(match.group(f"{name}_year"))
    named = (match.group(f"{name}_named") or "").lower()
    day_number = match.group(f"{name}_day") or match.group(f"{name}_day2")
    part = (match.group(f"{name}_part") or "").lower()
    if named in _SEASONS:
        return _season(named, year)
    if named:
        month = _MONTHS[named]
        if day_number:
            day = dt.date(year, month, int(re.sub(r"\D", "", day_number)))
            return day, day
        return dt.date(year, month, 1), _month_end(year, month)
    if part:  # early = January to April, mid = May to August, late = September to December
        first_month = {"early": 1, "mid": 5, "late": 9}[part]
        return _months_span(year, first_month, 4)
    return _year_span(year)


# -- the rules -----------------------------------------------------------------------------


@dataclass
class _Found:
    """What the rules have found so far."""

    today: dt.date
    birth_year: int | None
    points: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    since: dt.date | None = None
    until: dt.date | None = None
    intent: Intent | None = None
    notes: list[str] = field(default_factory=list)

    def dates(self) -> tuple[object, ...]:
        """A snapshot of everything that sets the range, to tell date phrases from others."""
        return (len(self.points), self.since, self.until)

    def bound(self, since: dt.date | None = None, until: dt.date | None = None) -> None:
        # Bounds narrow each other: "since 2015 ... before 2020".
        if since is not None:
            self.since = since if self.since is None else max(self.since, since)
        if until is not None:
            self.until = until if self.until is None else min(self.until, until)


Handler = Callable[[re.Match[str], _Found], None]


def _rule(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w'’-]){pattern}(?![\w'’-])", re.IGNORECASE)


def _on_point(match: re.Match[str], found: _Found) -> None:
    found.points.append(_point_range(match, "p"))


def _on_range(match: re.Match[str], found: _Found) -> None:
    start, _ = _point_range(match, "a")
    _, end = _point_range(match, "b")
    found.points.append((start, end))


def _on_short_range(match: re.Match[str], found: _Found) -> None:
    first = int(match.group("y1"))
    second = match.group("y2")
    last = int(second) if len(second) == 4 else (first // 100) * 100 + int(second)
    if last < first:  # "2015-11" is November 2015, left for the point rule
        raise ValueError(second)
    found.points.append((dt.date(first, 1, 1), dt.date(last, 12, 31)))


def _on_bound(match: re.Match[str], found: _Found) -> None:
    word = " ".join(match.group("word").lower().split())
    start, end = _point_range(match, "p")
    if word == "since":
        found.bound(since=start)
    elif word in ("after", "later than"):
        found.bound(since=end + dt.timedelta(days=1))
    elif word in ("before", "prior to", "earlier than"):
        found.bound(until=start - dt.timedelta(days=1))
    else:  # until, till, up to, through, by
        found.bound(until=end)


def _on_decade(match: re.Match[str], found: _Found) -> None:
    decade = int(match.group("decade"))
    part = (match.group("part") or "").lower()
    first, last = {"early": (0, 3), "mid": (3, 6), "late": (6, 9)}.get(part, (0, 9))
    found.points.append((dt.date(decade + first, 1, 1), dt.date(decade + last, 12, 31)))


def _on_life_decade(match: re.Match[str], found: _Found) -> None:
    word = match.group("decade").lower()
    if word[0].isdigit():
        low = int(word[:2])
        ages = (low, low + 9) if low >= 20 else (13, 19)
    else:
        ages = _DECADES_OF_LIFE[word]
    part = (match.group("part") or "").lower()
    if part:
        span = ages[1] - ages[0]
        first, last = {"early": (0, span // 3), "mid": (span // 3, 2 * span // 3)}.get(
            part, (2 * span // 3, span)
        )
        ages = (ages[0] + first, ages[0] + last)
    _ages(match, found, ages[0], ages[1] + 1)


def _on_age(match: re.Match[str], found: _Found) -> None:
    age = _number(match.group("age"))
    # Without the birthday, age N spans two calendar years.
    _ages(match, found, age, age + 1)


def _ages(match: re.Match[str], found: _Found, first: int, last: int) -> None:
    if found.birth_year is None:
        found.notes.append(
            f"“{match.group(0).strip()}” needs your birth year (setting archive.birth_year), "
            "so no date filter was applied for it"
        )
        return
    found.points.append(
        (dt.date(found.birth_year + first, 1, 1), dt.date(found.birth_year + last, 12, 31))
    )


def _on_last_n(match: re.Match[str], found: _Found) -> None:
    count = _number(match.group("n") or "1")
    unit = match.group("unit").lower().rstrip("s")
    today = found.today
    start = {
        "year": lambda: _minus_years(today, count),
        "month": lambda: _minus_months(today, count),
        "week": lambda: today - dt.timedelta(weeks=count),
        "day": lambda: today - dt.timedelta(days=count),
    }[unit]()
    found.points.append((start + dt.timedelta(days=1), today))


def _on_ago(match: re.Match[str], found: _Found) -> None:
    unit = match.group("unit").lower().rstrip("s")
    words = " ".join(match.group("n").lower().split())
    today = found.today
    if unit == "year":
        if words in ("a few", "few", "several", "some"):  # vague: two to five years back
            found.points.append((dt.date(today.year - 5, 1, 1), dt.date(today.year - 2, 12, 31)))
            return
        found.points.append(_year_span(today.year - _number(words)))
        return
    year, month = _add_months(today.year, today.month, -_number(words))
    found.points.append((dt.date(year, month, 1), _month_end(year, month)))


def _on_past_year(match: re.Match[str], found: _Found) -> None:
    found.points.append((_minus_years(found.today, 1) + dt.timedelta(days=1), found.today))


def _on_calendar(match: re.Match[str], found: _Found) -> None:
    which = match.group("which").lower()
    unit = match.group("unit").lower()
    today = found.today
    if unit == "year":
        year = today.year - (which == "last")
        start, end = _year_span(year)
    elif unit == "month":
        year, month = _add_months(today.year, today.month, -(which == "last"))
        start, end = dt.date(year, month, 1), _month_end(year, month)
    else:  # weeks start on Monday
        monday = today - dt.timedelta(days=today.weekday())
        start = monday - dt.timedelta(weeks=which == "last")
        end = start + dt.timedelta(days=6)
    found.points.append((start, min(end, today) if which == "this" else end))


def _on_season(match: re.Match[str], found: _Found) -> None:
    which = match.group("which").lower()
    name = match.group("season").lower()
    today = found.today
    spans = [_season(name, year) for year in range(today.year - 2, today.year + 1)]
    if which == "last":  # the most recent one that is over
        start, end = max(span for span in spans if span[1] < today)
    else:  # the one we are in, or else the one of this calendar year
        start, end = next(
            (span for span in spans if span[0] <= today <= span[1]),
            _season(name, today.year),
        )
    found.points.append((start, min(end, today) if start <= today else end))


def _on_month(match: re.Match[str], found: _Found) -> None:
    which = match.group("which").lower()
    month = _MONTHS[match.group("month").lower().rstrip(".")]
    today = found.today
    year = today.year if month <= today.month else today.year - 1
    if which == "last" and month == today.month:  # "last March" said in March
        year -= 1
    end = _month_end(year, month)
    found.points.append((dt.date(year, month, 1), min(end, today)))


def _on_recent(match: re.Match[str], found: _Found) -> None:
    found.points.append((found.today - dt.timedelta(days=RECENT_DAYS), found.today))


def _intent(intent: Intent) -> Handler:
    def handle(match: re.Match[str], found: _Found) -> None:
        found.intent = found.intent or intent

    return handle


_UNIT = r"(?P<unit>years?|months?|weeks?|days?)"
_LAST_OR_PAST = r"(?:last|past|previous)"
_CHANGE_VERBS = r"(?:changed|evolved|shifted|developed|grown|moved\s+on)"

# Order matters: longer, more specific phrases first (see the module docstring).
_RULES: list[tuple[re.Pattern[str], Handler]] = [
    # intents whose words would otherwise read as dates ("most recently", "the last time")
    (_rule(r"(?:the\s+)?most\s+recent(?:ly)?"), _intent("last")),
    (_rule(r"(?:the\s+)?last\s+time|when\s+did\s+i\s+last|the\s+latest|latest"), _intent("last")),
    (
        _rule(
            # "when did I start running again" asks about a restart, not the first time
            r"when\s+did\s+i\s+(?:first|(?:start|begin)(?:\s+to)?(?![^?.!]*\bagain\b))"
            r"|(?:for\s+)?the\s+(?:very\s+)?first\s+time|first\s+time|(?:the\s+)?earliest"
        ),
        _intent("first"),
    ),
    (
        _rule(r"over\s+(?:the|all\s+(?:these|those|the))\s+years|over\s+time"),
        _intent("change"),
    ),
    (_rule(r"(?:through|across|throughout)\s+the\s+years"), _intent("change")),
    # ranges
    (
        _rule(
            rf"(?:between|from)\s+{_point('a')}\s+(?:and|to|until|till|through|-|–)\s+{_point('b')}"
        ),
        _on_range,
    ),
    (
        _rule(rf"(?:in\s+|during\s+)?(?P<y1>{_YEAR})\s*(?:-|–|to)\s*(?P<y2>{_YEAR}|\d\d)"),
        _on_short_range,
    ),
    (
        _rule(
            r"(?P<word>since|after|later\s+than|before|prior\s+to|earlier\s+than|until|till|"
            rf"up\s+to|through|by)\s+{_point('p')}"
        ),
        _on_bound,
    ),
    # the writer's age (needs archive.birth_year)
    (
        _rule(
            r"(?:in|during)\s+my\s+(?:(?P<part>early|mid|late)[\s-]+)?"
            r"(?P<decade>teens|twenties|thirties|forties|fifties|sixties|seventies|[2-7]0s)"
        ),
        _on_life_decade,
    ),
    (_rule(rf"when\s+i\s+was\s+(?P<age>\d{{1,2}}|{_NUMBER_WORDS})(?:\s+years\s+old)?"), _on_age),
    # periods counted back from today
    (
        _rule(
            rf"(?:(?:over|in|during|for|within)\s+)?the\s+{_LAST_OR_PAST}\s+"
            rf"(?P<n>\d{{1,2}}|{_NUMBER_WORDS})\s+{_UNIT}"
        ),
        _on_last_n,
    ),
    (_rule(rf"(?P<n>\d{{1,2}}|{_NUMBER_WORDS}|some)\s+{_UNIT}\s+ago"), _on_ago),
    (
        _rule(
            r"(?:(?:over|in|during|for|within)\s+)?(?:this|the)\s+(?:past|last)\s+"
            r"(?:year|twelve\s+months|12\s+months)"
        ),
        _on_past_year,
    ),
    (_rule(r"(?:in\s+|during\s+)?(?P<which>this|last)\s+(?P<unit>year|month|week)"), _on_calendar),
    (
        _rule(
            rf"(?:in\s+|during\s+)?(?P<which>this|last)\s+(?:the\s+)?(?P<season>{_SEASON_NAMES})"
        ),
        _on_season,
    ),
    (
        _rule(
            rf"(?:in\s+)?(?P<which>this|last|in)\s+(?P<month>{_MONTH_NAMES})(?!\s+(?:of\s+)?{_YEAR})"
        ),
        _on_month,
    ),
    (_rule(r"recently|lately|these\s+days|nowadays"), _on_recent),
    # decades and single points, last: they are the shortest
    (
        _rule(
            r"(?:(?:in|during|throughout)\s+)?the\s+(?:(?P<part>early|mid|late)[\s-]+)?"
            r"(?P<decade>(?:19|20)\d0)['’]?s"
        ),
        _on_decade,
    ),
    (
        _rule(
            rf"(?:(?:back\s+|way\s+back\s+)?(?:in|during|throughout|around|from|of|on)\s+)?{_point('p')}"
        ),
        _on_point,
    ),
]

# "How has X changed", "has my view of Y evolved": the verb is masked, "how/has" are stop words.
_CHANGE_QUESTION = re.compile(
    rf"\b(?:how(?!\s+(?:much|many|long|often|far|old|big))|has|have)\b.*?\b(?P<verb>{_CHANGE_VERBS})\b",
    re.IGNORECASE | re.DOTALL,
)


def parse_time(question: str, today: dt.date, *, birth_year: int | None = None) -> TimeScope:
    """The date range and intent a question's time expressions mean, relative to ``today``.

    Point expressions ("in 2014", "March 2019") are joined into the smallest range that
    holds them all; bounds ("before 2010", "since 2015") narrow it.
    """
    found = _Found(today=today, birth_year=birth_year)
    masked = question
    spans: list[tuple[int, int]] = []
    date_spans: list[tuple[int, int]] = []
    for pattern, handle in _RULES:
        for match in list(pattern.finditer(masked)):
            before = found.dates()
            try:
                handle(match, found)
            except (ValueError, KeyError):  # "31 February 2014", an unknown number word
                continue
            spans.append(match.span())
            if found.dates() != before:
                date_spans.append(match.span())
            masked = _mask(masked, *match.span())
    change = _CHANGE_QUESTION.search(masked)
    if change:
        found.intent = found.intent or "change"
        spans.append(change.span("verb"))
        masked = _mask(masked, *change.span("verb"))
    since, until = _combine(found)
    return TimeScope(
        since=since,
        until=until,
        intent=found.intent,
        phrases=tuple(question[a:b].strip() for a, b in sorted(spans)),
        date_phrases=tuple(question[a:b].strip() for a, b in sorted(date_spans)),
        topic=_tidy(masked),
        notes=tuple(found.notes),
    )


def _mask(text: str, start: int, end: int) -> str:
    # Same length, so later matches keep the positions of the original question.
    return text[:start] + " " * (end - start) + text[end:]


def _combine(found: _Found) -> tuple[dt.date | None, dt.date | None]:
    since, until = found.since, found.until
    if found.points:
        start = min(point[0] for point in found.points)
        end = max(point[1] for point in found.points)
        since = start if since is None else max(since, start)
        until = end if until is None else min(until, end)
    return since, until


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"\s+([?.!,;:])", r"\1", text)
    return re.sub(r"^[,;:\s]+|[,;:\s]+$", "", text)
