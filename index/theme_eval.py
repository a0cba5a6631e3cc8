"""How well discovered themes recover planted ones (a ground-truth file like the sample's).

A planted theme is **recovered** by a discovered theme when both hold:

- entries: the discovered theme holds at least ``MIN_RECALL`` (half) of the planted
  theme's entries, and at least ``MIN_PRECISION`` (a quarter) of its own entries are
  planted ones (entries are matched by path and date);
- keywords: one of the planted keywords is one of the discovered theme's keywords (or a
  word of one), compared lower-case with a trailing "s" dropped; a planted phrase also
  matches through any of its words of four letters or more.

Each discovered theme recovers at most one planted theme: planted themes take their best
candidate (by the F1 of the entry overlap) in turn, the best-matched first. The **peak**
is right when the recovering theme's peak period starts with the planted peak year;
themes planted without a peak year (steady ones) are left out of the peak rate.

The ground truth's peak year is the year with the most of the theme's entries (the sample's
plan: "the most in the peak year"); a theme's peak in ponder is the period where it took the
largest share of the writing, with confidence (``index.themes.peak_period``), as the issue
asks. The two notions differ where a year's writing is much larger or smaller than the
others'. So that a miss can be told apart from a disagreement of definitions, given the
archive's entries per period (``periods``) each match also carries the **rule peak**: ponder's
peak rule applied to the planted theme's own entries, the peak a perfect clustering would
show. The rule-peak rate is the ceiling of the peak rate; it does not replace it.
Used by the quality test and ``bench/bench_themes.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from index.themes import Theme, peak_period

MIN_RECALL = 0.5
MIN_PRECISION = 0.25


@dataclass(frozen=True)
class Match:
    planted: str  # the planted theme's id
    theme: Theme | None  # the discovered theme that recovered it, if any
    overlap: int
    planted_entries: int
    keyword: str  # the keyword both share ("" if none)
    peak_year: int | None  # planted
    peak_right: bool | None  # None when no peak year was planted
    rule_peak: str = ""  # ponder's peak rule on the planted entries ("" without periods)


@dataclass(frozen=True)
class Recovery:
    matches: tuple[Match, ...]

    @property
    def recovered(self) -> int:
        return sum(1 for m in self.matches if m.theme is not None)

    @property
    def recall(self) -> float:
        return self.recovered / len(self.matches) if self.matches else 0.0

    @property
    def peak_rate(self) -> float:
        judged = [m for m in self.matches if m.peak_year is not None]
        right = sum(1 for m in judged if m.peak_right)
        return right / len(judged) if judged else 0.0

    @property
    def rule_peak_rate(self) -> float:
        """Of the planted themes with a peak year, the share whose own entries peak in it by
        ponder's rule: what the peak rate would be with every theme recovered exactly."""
        judged = [m for m in self.matches if m.peak_year is not None]
        right = sum(1 for m in judged if m.rule_peak.startswith(str(m.peak_year)))
        return right / len(judged) if judged else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "recovered": self.recovered,
            "planted": len(self.matches),
            "recall": round(self.recall, 3),
            "peak_rate": round(self.peak_rate, 3),
            "rule_peak_rate": round(self.rule_peak_rate, 3),
            "matches": [
                {
                    "planted": m.planted,
                    "theme": m.theme.name if m.theme else None,
                    "overlap": f"{m.overlap}/{m.planted_entries}",
                    "keyword": m.keyword,
                    "peak": m.theme.peak if m.theme else None,
                    "planted_peak": m.peak_year,
                    "rule_peak": m.rule_peak,
                }
                for m in self.matches
            ],
        }


def _norm(word: str) -> str:
    word = word.lower().strip()
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _planted_words(keywords: Iterable[str]) -> set[str]:
    words = set()
    for keyword in keywords:
        words.add(_norm(keyword))
        words.update(_norm(w) for w in keyword.split() if len(w) >= 4)
    return words


def shared_keyword(planted: Iterable[str], discovered: Iterable[str]) -> str:
    wanted = _planted_words(planted)
    for keyword in discovered:
        for candidate in (keyword, *keyword.split()):
            if _norm(candidate) in wanted:
                return keyword
    return ""


def rule_peak(entry_dates: Iterable[str], periods: Sequence[tuple[str, int]]) -> str:
    """ponder's peak of a theme holding the entries of ``entry_dates`` (ISO dates), in an
    archive with ``periods`` (each period, "YYYY" or "YYYY-MM", with its entry count)."""
    if not periods:
        return ""
    width = len(periods[0][0])
    counts: dict[str, int] = {}
    for date in entry_dates:
        counts[date[:width]] = counts.get(date[:width], 0) + 1
    total = sum(n for _, n in periods)
    share = sum(counts.values()) / total if total else 0.0
    return peak_period(counts, dict(periods), share)


def recovery(
    themes: Sequence[Theme],
    planted: Sequence[Mapping[str, Any]],
    periods: Sequence[tuple[str, int]] = (),
) -> Recovery:
    """Match discovered ``themes`` to ``planted`` ones (ground_truth.json's "themes");
    ``periods``: the archive's entries per period (``ThemeReport.periods``), for rule peaks."""
    members = [{(e.path, e.date.isoformat()) for e in t.entries} for t in themes]
    candidates: list[tuple[float, int, int]] = []  # (f1, planted index, theme index)
    for p_index, plant in enumerate(planted):
        truth = {(e["path"], e["date"]) for e in plant["entries"]}
        for t_index, (theme, found) in enumerate(zip(themes, members, strict=True)):
            overlap = len(truth & found)
            if not overlap:
                continue
            recall, precision = overlap / len(truth), overlap / len(found)
            if recall < MIN_RECALL or precision < MIN_PRECISION:
                continue
            if not shared_keyword(plant["keywords"], theme.keywords):
                continue
            f1 = 2 * recall * precision / (recall + precision)
            candidates.append((f1, p_index, t_index))
    chosen: dict[int, int] = {}
    used: set[int] = set()
    for _f1, p_index, t_index in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if p_index in chosen or t_index in used:
            continue
        chosen[p_index] = t_index
        used.add(t_index)
    matches = []
    for p_index, plant in enumerate(planted):
        truth = {(e["path"], e["date"]) for e in plant["entries"]}
        peak_year: int | None = plant.get("peak_year")
        ideal = rule_peak((e["date"] for e in plant["entries"]), periods)
        winner = chosen.get(p_index)
        if winner is None:
            matches.append(Match(plant["id"], None, 0, len(truth), "", peak_year, None, ideal))
            continue
        theme = themes[winner]
        matches.append(
            Match(
                planted=plant["id"],
                theme=theme,
                overlap=len(truth & members[winner]),
                planted_entries=len(truth),
                keyword=shared_keyword(plant["keywords"], theme.keywords),
                peak_year=peak_year,
                peak_right=None if peak_year is None else theme.peak.startswith(str(peak_year)),
                rule_peak=ideal,
            )
        )
    # Unmatched planted themes with a peak year count as wrong peaks.
    return Recovery(
        tuple(m if m.theme is not None or m.peak_year is None else _wrong_peak(m) for m in matches)
    )


def _wrong_peak(match: Match) -> Match:
    return Match(
        match.planted,
        None,
        0,
        match.planted_entries,
        "",
        match.peak_year,
        peak_right=False,
        rule_peak=match.rule_peak,
    )
