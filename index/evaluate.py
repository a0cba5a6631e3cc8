"""Measuring retrieval: question sets with gold entries, hit@k and MRR, and answer support.

A question set is a JSON file, ``{"questions": [{"q": "...", "gold": [...]}, ...]}``. Each
gold item names an entry that answers the question, by its date (``YYYY-MM-DD``) or by the
path of its file relative to the archive; a retrieved passage is a hit when its date or
its path is among the question's gold items. Optional keys: ``id`` and ``note`` (for
people), ``since``/``until`` (a date range the search is restricted to, as
``ponder search --since/--until`` would).

hit@k is the share of questions with a hit among their first k passages; MRR is the mean
over questions of 1/rank of the first hit within the longest k asked (0 when none).

Answer support is judged here too, small and transparent on purpose: a citation supports
the sentence citing it when the quote is in the cited passage and either covers most of
the sentence's content words or, with an embedder, is close to it in meaning.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import numpy as np

from index.answer import Answer
from index.citations import claims, strip_markers
from index.embeddings import Embedder
from index.passage_choice import PassageChooser
from index.records import Passage
from index.relevance import stems
from index.search import DateRange, Mode, Searcher

# The search modes, and "ask": the passages `ponder ask` gives the model (no model called).
EvalMode = Literal["hybrid", "vector", "text", "ask"]
MODES: tuple[Mode, ...] = ("hybrid", "vector", "text")
DEFAULT_KS = (5, 10)
MAX_K = 200  # the most passages one search may return (SearchSettings.k's bound)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEYS = {"q", "gold", "id", "note", "since", "until"}


class QuestionSetError(Exception):
    """A question set that cannot be used; ``hint`` says how to fix it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Question:
    """One question and the entries (dates or archive-relative paths) that answer it."""

    q: str
    gold_dates: frozenset[dt.date]
    gold_paths: frozenset[str]
    id: str = ""
    dates: DateRange = field(default_factory=DateRange)

    def is_hit(self, passage: Passage) -> bool:
        return passage.date in self.gold_dates or passage.path in self.gold_paths

    @property
    def gold(self) -> list[str]:
        return sorted(d.isoformat() for d in self.gold_dates) + sorted(self.gold_paths)


# -- loading ----------------------------------------------------------------------------


def load_questions(path: Path) -> list[Question]:
    """The questions of a question-set file.

    Raises:
        QuestionSetError: the file is missing, not JSON, or not a valid question set; the
            message names the question and the field at fault.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionSetError(
            f"no question set at {path}", hint="Check the path of the QUESTIONS.json file."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetError(f"cannot read the question set {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionSetError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            hint='A question set looks like {"questions": [{"q": "...", "gold": ["2014-03-02"]}]}.',
        ) from None
    return parse_questions(data, source=str(path))


def parse_questions(data: Any, source: str = "the question set") -> list[Question]:
    """Validate the decoded JSON of a question set (see ``load_questions``)."""
    shape = '{"questions": [{"q": "...", "gold": ["YYYY-MM-DD" or "path/in/archive.md"]}]}'
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QuestionSetError(
            f"{source} has no list of questions", hint=f"A question set looks like {shape}."
        )
    if not data["questions"]:
        raise QuestionSetError(f"{source} has no questions", hint="Add at least one question.")
    questions = []
    for number, item in enumerate(data["questions"], start=1):
        questions.append(_question(item, f"{source}: question {number}"))
    return questions


def _question(item: Any, where: str) -> Question:
    if not isinstance(item, dict):
        raise QuestionSetError(f"{where} is not an object", hint='Write {"q": ..., "gold": [...]}.')
    if isinstance(item.get("id"), str) and item["id"]:
        where = f"{where} ({item['id']})"
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise QuestionSetError(
            f"{where} has unknown keys: {', '.join(unknown)}",
            hint=f"A question may have only: {', '.join(sorted(_KEYS))}.",
        )
    q = item.get("q")
    if not isinstance(q, str) or not q.strip():
        raise QuestionSetError(f"{where} has no question text", hint='Set "q" to the question.')
    gold = item.get("gold")
    if not isinstance(gold, list) or not gold or not all(isinstance(g, str) for g in gold):
        raise QuestionSetError(
            f"{where} needs a non-empty list of gold strings",
            hint='"gold" lists the entries that answer it: dates (YYYY-MM-DD) or paths '
            "relative to the archive.",
        )
    dates, paths = set(), set()
    for value in gold:
        value = value.strip()
        if _DATE.match(value):
            dates.add(_date(value, where, "gold"))
        else:
            paths.add(_gold_path(value, where))
    since = _optional_date(item, "since", where)
    until = _optional_date(item, "until", where)
    if since and until and since > until:
        raise QuestionSetError(f"{where}: since {since} is after until {until}")
    identifier = item.get("id")
    return Question(
        q=q.strip(),
        gold_dates=frozenset(dates),
        gold_paths=frozenset(paths),
        id=identifier if isinstance(identifier, str) else "",
        dates=DateRange(since, until),
    )


def _date(value: str, where: str, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QuestionSetError(
            f"{where}: {key} {value!r} is not a real date", hint="Dates are YYYY-MM-DD."
        ) from None


def _optional_date(item: Mapping[str, Any], key: str, where: str) -> dt.date | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.match(value.strip()):
        raise QuestionSetError(f"{where}: {key} must be a YYYY-MM-DD date, not {value!r}")
    return _date(value.strip(), where, key)


def _gold_path(value: str, where: str) -> str:
    """A gold path as the index stores paths: posix, NFC, relative to the archive."""
    posix = PurePosixPath(unicodedata.normalize("NFC", value.replace("\\", "/")))
    if not value or posix.is_absolute() or ".." in posix.parts or re.match(r"^[A-Za-z]:", value):
        raise QuestionSetError(
            f"{where}: gold path {value!r} is not relative to the archive",
            hint="Write gold paths relative to the archive folder, e.g. journal/2014.md, "
            "or give the entry's date as YYYY-MM-DD.",
        )
    return str(posix)


# -- retrieval metrics ------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionResult:
    """How one question fared: the rank of its first gold passage and what came back."""

    question: Question
    rank: int | None  # 1-based, within the longest k asked; None when no hit
    passages: tuple[Passage, ...]

    def hit_at(self, k: int) -> bool:
        return self.rank is not None and self.rank <= k

    def as_json(self) -> dict[str, Any]:
        return {
            "q": self.question.q,
            "id": self.question.id or None,
            "gold": self.question.gold,
            "rank": self.rank,
            "top": [
                {"path": p.path, "date": p.date.isoformat(), "hit": self.question.is_hit(p)}
                for p in self.passages
            ],
        }


@dataclass(frozen=True)
class EvalReport:
    """hit@k for each k asked and MRR, for one search mode (or ask's choice of passages)
    over one question set."""

    mode: EvalMode
    ks: tuple[int, ...]
    results: tuple[QuestionResult, ...]
    seconds: float = 0.0
    unknown_gold: tuple[str, ...] = field(default=())  # gold items no passage carries

    def hit_at(self, k: int) -> float:
        return _mean(1.0 if r.hit_at(k) else 0.0 for r in self.results)

    @property
    def mrr(self) -> float:
        return _mean(1.0 / r.rank if r.rank else 0.0 for r in self.results)

    def misses(self, k: int) -> list[QuestionResult]:
        return [r for r in self.results if not r.hit_at(k)]

    def as_json(self, details: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {f"hit@{k}": round(self.hit_at(k), 4) for k in self.ks}
        data["mrr"] = round(self.mrr, 4)
        data["questions"] = len(self.results)
        data["mode"] = self.mode
        data["seconds"] = round(self.seconds, 3)
        if self.unknown_gold:
            data["unknown_gold"] = list(self.unknown_gold)
        if details:
            data["per_question"] = [r.as_json() for r in self.results]
        return data


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0


def first_hit(question: Question, passages: Sequence[Passage]) -> int | None:
    """The 1-based rank of the first passage from a gold entry, or None."""
    for rank, passage in enumerate(passages, start=1):
        if question.is_hit(passage):
            return rank
    return None


def parse_ks(text: str) -> tuple[int, ...]:
    """``"5,10"`` -> ``(5, 10)``: distinct cut-offs in increasing order.

    Raises:
        ValueError: not a comma-separated list of whole numbers from 1 to 200.
    """
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(f"{text!r} is not a list of numbers like 5,10") from None
    if not ks or ks[0] < 1 or ks[-1] > MAX_K:
        raise ValueError(f"each k must be between 1 and {MAX_K}")
    return tuple(ks)


def evaluate(
    searcher: Searcher,
    questions: Sequence[Question],
    ks: Sequence[int] = DEFAULT_KS,
    mode: Mode = "hybrid",
    known: Callable[[Question], list[str]] | None = None,
) -> EvalReport:
    """Run every question through ``searcher`` in ``mode`` and score the rankings.

    ``known``, when given, returns the gold items of a question that no indexed passage
    carries (a typo in a question set reads as a miss otherwise).
    """

    def ranking(question: Question, depth: int) -> list[Passage]:
        # Read as `ponder search` reads it: a date phrase in the question is a filter
        # (search.time_phrases), unless the question set gives since/until.
        return searcher.search(
            question.q, k=depth, dates=question.dates, mode=mode, read_dates=True
        )

    return _score(ranking, questions, ks, mode, known)


def evaluate_prompts(
    chooser: PassageChooser,
    questions: Sequence[Question],
    ks: Sequence[int] = DEFAULT_KS,
    known: Callable[[Question], list[str]] | None = None,
) -> EvalReport:
    """Score the passages ``ponder ask`` would give the model for each question.

    The choice ask makes before any model is called (``index.passage_choice``): the fused
    ranking for most questions, the earliest or latest mentions for "when did I first",
    a spread over the years for questions about change, in the order they would survive a
    small context window (the prompt shows date-ordered ones by date). At most
    ``search.k`` passages, twice that for a spread: with k at least that, hit@k is a hit
    anywhere in the prompt. A question ask would answer with "nothing found" has no
    passages: a miss. Search modes measure the ranking; this measures what the answer is
    built from.
    """

    def prompt(question: Question, depth: int) -> list[Passage]:
        choice = chooser.choose(question.q, question.dates)
        return [c.passage for c in choice.ranked[:depth]] if choice.found else []

    return _score(prompt, questions, ks, "ask", known)


def _score(
    retrieve: Callable[[Question, int], Sequence[Passage]],
    questions: Sequence[Question],
    ks: Sequence[int],
    mode: EvalMode,
    known: Callable[[Question], list[str]] | None,
) -> EvalReport:
    cutoffs = tuple(sorted(set(ks)))
    depth = cutoffs[-1]
    started = time.perf_counter()
    results = []
    for question in questions:
        passages = tuple(retrieve(question, depth))
        results.append(QuestionResult(question, first_hit(question, passages), passages))
    unknown: list[str] = []
    if known is not None:
        for question in questions:
            unknown.extend(f"{question.id or question.q[:40]}: {g}" for g in known(question))
    return EvalReport(
        mode=mode,
        ks=cutoffs,
        results=tuple(results),
        seconds=time.perf_counter() - started,
        unknown_gold=tuple(unknown),
    )


def gold_checker(dates: Iterable[dt.date], paths: Iterable[str]) -> Callable[[Question], list[str]]:
    """A ``known`` callback for ``evaluate`` over the dates and paths the index holds."""
    have_dates, have_paths = set(dates), set(paths)

    def missing(question: Question) -> list[str]:
        return [d.isoformat() for d in sorted(question.gold_dates - have_dates)] + sorted(
            question.gold_paths - have_paths
        )

    return missing


# -- answer support ---------------------------------------------------------------------

SUPPORT_THRESHOLD = 0.5


def lexical_support(sentence: str, quote: str) -> float:
    """Share of the sentence's content words (light stemming) that the quote contains.

    Content words are ``index.relevance``'s, the ones retrieval's relevance rule uses, so
    "I moved to the coast [2]" asks the quote for "moved" and "coast", not "I" or "to".
    """
    claim = stems(strip_markers(sentence))
    if not claim:
        return 0.0
    return len(claim & stems(quote)) / len(claim)


@dataclass(frozen=True)
class CitedSentence:
    """A sentence of an answer, one quote it cites, and the passage the quote came from."""

    sentence: str
    quote: str
    passage_text: str | None = None  # None when the cited passage is not known


@dataclass(frozen=True)
class SupportJudgement:
    cited: CitedSentence
    quote_found: bool
    lexical: float
    semantic: float | None
    supported: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "sentence": self.cited.sentence,
            "quote": self.cited.quote,
            "quote_found": self.quote_found,
            "lexical": round(self.lexical, 3),
            "semantic": None if self.semantic is None else round(self.semantic, 3),
            "supported": self.supported,
        }


@dataclass(frozen=True)
class SupportReport:
    """The share of citations whose quote supports the sentence citing it."""

    judgements: tuple[SupportJudgement, ...]

    @property
    def total(self) -> int:
        return len(self.judgements)

    @property
    def supported(self) -> int:
        return sum(1 for j in self.judgements if j.supported)

    @property
    def share(self) -> float:
        return self.supported / self.total if self.total else 0.0


def _normalized(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    text = text.replace("“", '"').replace("”", '"')
    return " ".join(text.split()).lower()


def answers_support(
    cited: Iterable[CitedSentence],
    embedder: Embedder | None = None,
    threshold: float = SUPPORT_THRESHOLD,
) -> SupportReport:
    """Judge each citation: does its quote support the sentence that cites it?

    A quote supports its sentence when it is really in the cited passage (whitespace,
    case and typographic quotes aside) and either at least ``threshold`` of the
    sentence's content words are in the quote, or, with an ``embedder``, the cosine
    similarity of sentence and quote is at least ``threshold``. Lexical overlap alone
    misses paraphrase ("I quit" / "I handed in my notice"); the embedding catches it.
    """
    items = list(cited)
    semantic: list[float | None] = [None] * len(items)
    if embedder is not None and items:
        sentences = embedder.embed_documents([strip_markers(c.sentence) for c in items])
        quotes = embedder.embed_documents([c.quote for c in items])
        similarity = np.sum(sentences * quotes, axis=1)
        semantic = [float(s) for s in similarity]
    judgements = []
    for item, similarity_score in zip(items, semantic, strict=True):
        found = bool(item.quote.strip()) and (
            item.passage_text is None or _normalized(item.quote) in _normalized(item.passage_text)
        )
        lexical = lexical_support(item.sentence, item.quote)
        close = similarity_score is not None and similarity_score >= threshold
        judgements.append(
            SupportJudgement(
                cited=item,
                quote_found=found,
                lexical=lexical,
                semantic=similarity_score,
                supported=found and (lexical >= threshold or close),
            )
        )
    return SupportReport(tuple(judgements))


def cited_sentences(answer: Answer) -> list[CitedSentence]:
    """Each (sentence, citation) pair of an answer, with the passage the model was shown."""
    quotes = {c.key: c.quote for c in answer.citations}
    shown = {s.key: s.passage.text for s in answer.passages}
    pairs = []
    for claim in claims(answer.text):
        for key in claim.keys:
            if key in quotes:
                pairs.append(CitedSentence(claim.sentence, quotes[key], shown.get(key)))
    return pairs


@dataclass(frozen=True)
class AnswersReport:
    """Support of the citations in the answers to a question set."""

    per_question: tuple[tuple[Question, Answer, SupportReport], ...]

    @property
    def support(self) -> SupportReport:
        return SupportReport(tuple(j for _, _, r in self.per_question for j in r.judgements))

    def as_json(self) -> dict[str, Any]:
        overall = self.support
        return {
            "support": round(overall.share, 4),
            "supported": overall.supported,
            "citations": overall.total,
            "answers_without_citations": sum(1 for _, _, r in self.per_question if not r.total),
            "per_question": [
                {
                    "q": question.q,
                    "answer": answer.text,
                    "support": round(report.share, 4) if report.total else None,
                    "citations": [j.as_json() for j in report.judgements],
                }
                for question, answer, report in self.per_question
            ],
        }


def evaluate_answers(
    ask: Callable[[str], Answer],
    questions: Sequence[Question],
    embedder: Embedder | None = None,
) -> AnswersReport:
    """Ask every question and judge whether each citation's quote supports its sentence."""
    results = []
    for question in questions:
        answer = ask(question.q)
        results.append((question, answer, answers_support(cited_sentences(answer), embedder)))
    return AnswersReport(tuple(results))
