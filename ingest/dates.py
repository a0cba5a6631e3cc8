"""Finding the date a piece of writing belongs to: in file names, first lines, headings, values."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath

from dateutil import parser as dateutil_parser

MIN_YEAR = 1900
MAX_YEAR = 2100

# How far into a text a date still counts as the text's own date, not one it mentions.
TEXT_DATE_LINES = 5
TEXT_DATE_LINE_CHARS = 200
# A heading longer than this after its date is a sentence that starts with a date.
MAX_HEADING_TITLE = 80
# A "date line" in plain text is short: a date, a weekday, some decoration.
MAX_DATE_LINE = 60

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)\b\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"

# Each pattern names its groups y, m or mon, d (numeric day-first or month-first: a, b).
_ISO = re.compile(r"(?<![\d.])(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)")
_MDY = re.compile(rf"\b{_MONTH}\s*(?P<d>\d{{1,2}}){_ORDINAL}(?:,\s*|\s+)(?P<y>\d{{4}})(?!\d)", re.I)
_DMY = re.compile(
    rf"\b(?P<d>\d{{1,2}}){_ORDINAL}(?:\s+of)?[\s-]+{_MONTH},?[\s-]+(?P<y>\d{{4}})(?!\d)", re.I
)
_NUMERIC = re.compile(
    r"(?<![\d./-])(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})(?!\d)"
)
_PATTERNS = (_ISO, _MDY, _DMY, _NUMERIC)

# File names: 2019-03-04, 2019_03_04, "2019 03 04", and 20190304 with an optional time
# (Zettelkasten ids such as 201903041015).
_NAME_SEPARATED = re.compile(
    r"(?<!\d)(?P<y>\d{4})(?P<sep>[-_. ])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)"
)
_NAME_COMPACT = re.compile(
    r"(?<!\d)(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:T?(?P<hh>\d{2})(?P<mm>\d{2})(?P<ss>\d{2})?)?(?!\d)"
)
_DIR_YEAR = re.compile(r"\d{4}")
_DIR_MONTH = re.compile(r"(?P<m>\d{1,2})(?:\D.*)?")
_DIR_DAY = re.compile(r"(?P<d>\d{1,2})(?!\d).*")

# Org timestamps <2019-03-04 Mon 10:00> or [2019-03-04 Mon]: keep the date only.
_ORG_STAMP = re.compile(
    r"[<\[](\d{4}-\d{1,2}-\d{1,2})(?:\s+[^\s\]>\d][^\s\]>]*)?(?:\s+[\d:-]+)?[>\]]"
)
_DECORATION_LEAD = re.compile(r"^[\s#*=~_\-+>|]+")
_DECORATION_TRAIL = re.compile(r"[\s#*=~_\-+|]+$")
_WEEKDAY_LEAD = re.compile(rf"^{_WEEKDAY},?\s*", re.I)
_WEEKDAY_AFTER = re.compile(rf"^,?\s*\(?{_WEEKDAY}\)?", re.I)
_TIME_AFTER = re.compile(
    r"^,?\s*(?:at\s+)?\d{1,2}[:h.]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?![\d])", re.I
)
_TITLE_SEPARATOR = re.compile(r"^[\s:\u2013\u2014\-|,.\u00b7\u2022/~*_=#]+")
_ISO_VALUE = re.compile(r"^\s*(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:$|[T\s])")
_HAS_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")


def make_date(year: int, month: int, day: int) -> dt.date | None:
    """The date, or None when it is impossible or outside the years ponder believes."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def date_from_filename(rel_path: str) -> dt.date | None:
    """The date a file's name or folders give it (2019-03-04.md, 20190304.txt, 2019/03/04/)."""
    path = PurePosixPath(rel_path)
    parts = [*path.parent.parts, path.stem]
    for part in reversed(parts):
        found = _date_in_name(part)
        if found:
            return found
    return _date_from_folders(parts)


def _date_in_name(name: str) -> dt.date | None:
    for match in _NAME_SEPARATED.finditer(name):
        found = make_date(int(match["y"]), int(match["m"]), int(match["d"]))
        if found:
            return found
    for match in _NAME_COMPACT.finditer(name):
        if match["hh"] and not _is_clock(match["hh"], match["mm"], match["ss"] or "00"):
            continue
        found = make_date(int(match["y"]), int(match["m"]), int(match["d"]))
        if found:
            return found
    return None


def _is_clock(hours: str, minutes: str, seconds: str) -> bool:
    return int(hours) < 24 and int(minutes) < 60 and int(seconds) < 60


def _date_from_folders(parts: list[str]) -> dt.date | None:
    """2019/03/04.md or 2019/03/04/notes.md: year, month and day as consecutive parts."""
    for i in range(len(parts) - 3, -1, -1):
        year, month, day = parts[i : i + 3]
        month_match = _DIR_MONTH.fullmatch(month)
        day_match = _DIR_DAY.fullmatch(day)
        if _DIR_YEAR.fullmatch(year) and month_match and day_match:
            found = make_date(int(year), int(month_match["m"]), int(day_match["d"]))
            if found:
                return found
    return None


def date_from_text(text: str) -> dt.date | None:
    """A date in the first few non-empty lines of a text, where writers date their pages."""
    seen = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        found = find_date(line[:TEXT_DATE_LINE_CHARS])
        if found:
            return found[0]
        seen += 1
        if seen >= TEXT_DATE_LINES:
            break
    return None


def find_date(text: str) -> tuple[dt.date, int, int] | None:
    """The earliest real date in ``text`` with its span, trying every written form."""
    best: tuple[dt.date, int, int] | None = None
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if best is not None and match.start() >= best[1]:
                break
            found = _date_of(match)
            if found:
                best = (found, match.start(), match.end())
                break
    return best


def _date_of(match: re.Match[str]) -> dt.date | None:
    groups = match.groupdict()
    year = int(groups["y"])
    if groups.get("mon"):
        return make_date(year, _MONTHS[groups["mon"][:3].lower()], int(groups["d"]))
    if groups.get("m"):
        return make_date(year, int(groups["m"]), int(groups["d"]))
    return _day_month_or_month_day(int(groups["a"]), int(groups["b"]), year)


def _day_month_or_month_day(first: int, second: int, year: int) -> dt.date | None:
    """04.03.2019 is 4 March in Europe and April 3 in the US: only unambiguous forms count."""
    if first == second or first > 12 >= second:
        return make_date(year, second, first)
    if second > 12 >= first:
        return make_date(year, first, second)
    return None


def parse_date_value(value: object) -> dt.date | None:
    """A front-matter or metadata value as a date: date, datetime, or a written date."""
    if isinstance(value, dt.datetime):
        return make_date(value.year, value.month, value.day)
    if isinstance(value, dt.date):
        return make_date(value.year, value.month, value.day)
    if isinstance(value, int) and not isinstance(value, bool):
        return _date_in_name(str(value)) if len(str(value)) == 8 else None
    if not isinstance(value, str) or len(value) > 200:
        return None
    return _parse_date_string(value.strip())


def _parse_date_string(text: str) -> dt.date | None:
    iso = _ISO_VALUE.match(text)
    if iso:
        # The writer's own calendar date, not its UTC conversion.
        return make_date(int(iso["y"]), int(iso["m"]), int(iso["d"]))
    found = find_date(text)
    if found:
        return found[0]
    if not _HAS_YEAR.search(text):
        return None  # dateutil would fill in the current year.
    try:
        parsed = dateutil_parser.parse(text)
    except (ValueError, OverflowError, TypeError):
        return None
    if not isinstance(parsed, dt.datetime):
        return None
    return make_date(parsed.year, parsed.month, parsed.day)


def split_dated_heading(heading: str) -> tuple[dt.date, str | None] | None:
    """A heading that is a date, with whatever short title follows the date."""
    text = _DECORATION_LEAD.sub("", _ORG_STAMP.sub(r"\1", heading.strip()))
    text = _WEEKDAY_LEAD.sub("", text)
    for pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            found = _date_of(match)
            if found:
                return _with_title(found, text[match.end() :])
    return None


def _with_title(found: dt.date, rest: str) -> tuple[dt.date, str | None] | None:
    rest = _WEEKDAY_AFTER.sub("", rest)
    rest = _TIME_AFTER.sub("", rest)
    title = _DECORATION_TRAIL.sub("", _TITLE_SEPARATOR.sub("", rest)).strip()
    if len(title) > MAX_HEADING_TITLE:
        return None
    return found, title or None


def heading_date(heading: str) -> dt.date | None:
    """The date of a heading that IS a date ("2019-03-04", "March 4, 2019: rain")."""
    found = split_dated_heading(heading)
    return found[0] if found else None


def date_line(line: str) -> dt.date | None:
    """The date of a line that holds only a date ("2019-03-04", "=== 4 March 2019 ===")."""
    if len(line.strip()) > MAX_DATE_LINE:
        return None
    found = split_dated_heading(line)
    if found is None or found[1] is not None:
        return None
    return found[0]
