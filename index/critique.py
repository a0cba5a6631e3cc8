"""Critique: a harsh sparring partner that argues with an idea using the writer's own archive.

``Critic.critique`` is the use-case behind ``ponder critique``, the app's Critique page and
its "critique this answer" action. One text goes through these steps, each recorded in the
``Critique`` so the writer can see what the model was shown and why:

1. retrieval built for critique (``index.critique_retrieval``): support, opposition, past
   commitments, earlier versions across the years; candidates ranked without a model;
2. the best few candidates are judged by the model one by one, each past passage beside
   the current statement (a bounded number of short calls);
3. the critic call: the statement, the numbered passages and the judged findings; it
   streams headed sections of bullet lines citing [n];
4. the reply is read forgivingly (``index.critique_prompts``) into the six sections in a
   fixed order. Contradictions and self-deception patterns are built from the judged
   candidates, so their structure and evidence stand even when a weak model's prose
   does not; the model may add more, if it cites them.

Every archive reference is a ``Citation`` whose quote is checked against the document's
text at its span; one that does not match is dropped. A point without a citation is
marked as general reasoning, and one that still claims something about the writer's
past ("in 2014 you wrote...") is dropped: it would be a fact without evidence.
Harshness changes the tone words of the critic's prompt only, never the retrieval, the
judging or the evidence.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from config import ConfigError, Settings
from index.answer import (
    Answer,
    Citation,
    Source,
    Token,
    citation_json,
    messages_json,
    render_passage,
    round_or_none,
    source_json,
)
from index.chat import ChatFailed, ChatMessage, ChatModel
from index.citations import CitationCleaner, Claim, claims, quote_span, strip_markers
from index.critique_prompts import (
    EVIDENCE,
    HARSHNESS,
    SECTION_ORDER,
    SECTION_TITLES,
    VERDICT_LABELS,
    Finding,
    Harshness,
    SectionName,
    Verdict,
    critic_messages,
    judge_messages,
    read_sections,
    read_verdict,
    without_praise,
)
from index.critique_retrieval import (
    Candidate,
    Pool,
    cue_of,
    gather,
    spread_by_year,
    statement_sentences,
)
from index.embeddings import Embedder
from index.records import DocumentRecord, Passage
from index.relevance import stem, words
from index.search import DateRange, Searcher
from index.store import Store

Basis = Literal["statement", "archive", "reasoning"]
MESSAGE_OVERHEAD = 4
MAX_CLAIMS = 8  # when the model lists none, the statement's own sentences, at most this many
MAX_STATEMENT_CHARS = 20_000
JUDGE_MAX_CHARS = 400  # a verdict and its reason; the rest of a rambling reply is not read

_KIND_OF_CUE: dict[str, Verdict] = {
    "vow": "broken_promise",
    "plan": "repeated_plan",
    "fear": "recurring_fear",
    "absolute": "contradiction",
}
# A sentence that says what the writer wrote, did or felt in the past. Without a
# citation such a sentence is a fact about the writer with no evidence: it is dropped.
_ABOUT_THE_PAST = re.compile(
    r"\byou(?:'ve|’ve| have)? (?:wrote|written|said|promised|vowed|swore|sworn|claimed|"
    r"told|announced|admitted|decided|used to|once|always said|kept saying)\b|"
    r"\b(?:in|since|back in) (?:19|20)\d\d\b|\byour (?:journal|diary|notes|entries|entry|"
    r"archive|blog|letters?|past writing|earlier writing)\b|\byears ago\b",
    re.IGNORECASE,
)


class CritiqueInputError(ConfigError):
    """The text, file or entry to critique cannot be used; ``hint`` says what to do.

    A ConfigError so that every edge (the CLI's error handling, the app's) already shows
    it as a message with its hint, not a traceback.
    """


# -- what a critique is made of ----------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One line of the critique and the evidence it rests on."""

    text: str  # as written (citation markers kept: [n] names the passage)
    basis: Basis  # archive: cites passages; reasoning: general, no fact about the writer
    citations: tuple[Citation, ...] = ()
    kind: str = ""  # contradictions and patterns: contradiction, broken_promise, ...
    current: str = ""  # contradictions: the current statement, beside the past passage
    confirmed: bool | None = None  # judged by the model; None: kept on retrieval alone


@dataclass(frozen=True)
class Section:
    name: SectionName
    title: str
    points: tuple[Point, ...]
    note: str = ""  # why it is empty, or where its points came from


@dataclass(frozen=True)
class Judged:
    """A candidate, the verdict of the model that read it beside the statement, and why."""

    key: int
    candidate: Candidate
    verdict: Verdict
    reason: str
    kept: bool
    prompt: tuple[ChatMessage, ...]
    reply: str
    ms: float


@dataclass(frozen=True)
class CritiqueTimings:
    retrieval_ms: float
    judging_ms: float = 0.0
    first_token_ms: float | None = None
    tokens_per_second: float | None = None
    total_ms: float = 0.0


@dataclass(frozen=True)
class Critique:
    """Everything about one critique: its sections, its evidence, what the model was shown."""

    statement: str
    harshness: Harshness
    sections: tuple[Section, ...]  # always all six, in SECTION_ORDER
    passages: tuple[Source, ...]  # as numbered in the critic's prompt, oldest first
    judged: tuple[Judged, ...]
    queries: tuple[tuple[str, str], ...]
    pool_size: int
    prompt: tuple[ChatMessage, ...]
    reply: str  # the critic's reply as it came (unknown citation keys removed)
    model: str
    parameters: dict[str, object]
    timings: CritiqueTimings
    as_of: dt.date | None = None
    context: str = ""
    error: str | None = None
    dropped_keys: tuple[int, ...] = ()
    dropped_points: tuple[str, ...] = ()  # uncited claims about the past, unverifiable quotes

    def section(self, name: SectionName) -> Section:
        return next(s for s in self.sections if s.name == name)

    def citations(self) -> tuple[Citation, ...]:
        """Every citation of every point, each passage span once, in order of appearance."""
        seen: set[tuple[str, int, int]] = set()
        found = []
        for section in self.sections:
            for point in section.points:
                for citation in point.citations:
                    span = (citation.path, citation.start, citation.end)
                    if span not in seen:
                        seen.add(span)
                        found.append(citation)
        return tuple(found)

    def as_json(self) -> dict[str, Any]:
        return critique_json(self)


@dataclass(frozen=True)
class Gathered:
    """The passages are chosen; ``candidates`` are about to be judged."""

    passages: tuple[Source, ...]
    candidates: int
    pool_size: int


@dataclass(frozen=True)
class Judging:
    index: int  # 1-based
    total: int
    key: int


@dataclass(frozen=True)
class Writing:
    prompt: tuple[ChatMessage, ...]


@dataclass(frozen=True)
class Finished:
    critique: Critique


CritiqueEvent = Gathered | Judging | Writing | Token | Finished


# -- the use-case ------------------------------------------------------------------------------


@dataclass
class _Run:
    """What is known about a critique while it is being made."""

    statement: str
    harshness: Harshness
    as_of: dt.date | None
    context: str
    started: float
    documents: dict[str, DocumentRecord | None] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


class Critic:
    """Critiques a text against the writer's archive, with checked citations."""

    def __init__(
        self,
        searcher: Searcher,
        embedder: Embedder,
        store: Store,
        model: ChatModel,
        settings: Settings,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self._searcher = searcher
        self._embedder = embedder
        self._store = store
        self._model = model
        self._settings = settings
        self._today = today

    def run(
        self,
        text: str,
        harshness: Harshness | None = None,
        *,
        as_of: dt.date | None = None,
        exclude: frozenset[tuple[str, int]] = frozenset(),
        context: str = "",
    ) -> Critique:
        """Critique and wait for the whole critique."""
        for event in self.critique(text, harshness, as_of=as_of, exclude=exclude, context=context):
            if isinstance(event, Finished):
                return event.critique
        raise AssertionError("critique() ended without a critique")  # pragma: no cover

    def critique_answer(
        self, answer: Answer | tuple[str, str], harshness: Harshness | None = None
    ) -> Critique:
        """Critique an answer ponder gave (an ``Answer``, or a saved one's question and
        text): its claims, argued with the archive."""
        question, text = (answer.question, answer.text) if isinstance(answer, Answer) else answer
        return self.run(strip_markers(text), harshness, context=answer_context(question))

    def critique(
        self,
        text: str,
        harshness: Harshness | None = None,
        *,
        as_of: dt.date | None = None,
        exclude: frozenset[tuple[str, int]] = frozenset(),
        context: str = "",
    ) -> Iterator[CritiqueEvent]:
        """Critique ``text``; yields Gathered, Judging..., Writing, Tokens, then Finished.

        ``as_of``: the text's date; only writing up to it is searched. ``exclude``: entries
        (doc id, entry index) that are the text itself.

        Raises:
            CritiqueInputError: the text is empty or too long.
            ProviderUnavailable: the chat or embedding runtime cannot be used.
            EmbeddingMismatch: the index was built with another embedding model.
        """
        statement = _checked(text)
        level = harshness or self._settings.critique.harshness
        if level not in HARSHNESS:
            raise CritiqueInputError(
                f"unknown harshness {level!r}", hint="Use gentle, direct or brutal."
            )
        run = _Run(statement, level, as_of, context, time.perf_counter())
        settings = self._settings.critique
        dates = DateRange(until=as_of) if as_of else DateRange()
        pool = gather(
            self._searcher,
            self._embedder,
            statement,
            pool=settings.pool,
            dates=dates,
            exclude=exclude,
        )
        to_judge = list(pool.candidates[: settings.judged])
        sources = self._number(run, to_judge, pool)
        retrieval_ms = _ms_since(run.started)
        yield Gathered(sources, len(to_judge), len(pool.candidates))

        judging_started = time.perf_counter()
        key_of = {s.passage.chunk_id: s.key for s in sources}
        judged: list[Judged] = []
        for index, candidate in enumerate(to_judge, start=1):
            key = key_of[candidate.passage.chunk_id]
            yield Judging(index, len(to_judge), key)
            judged.append(self._judge(run, key, candidate, rank=index))
        judging_ms = _ms_since(judging_started)

        findings = tuple(
            Finding(j.key, j.candidate.passage.date.isoformat(), _kind(j), j.candidate.quote)
            for j in judged
            if j.kept
        )
        shown = self._fit(run, sources, findings)
        prompt = critic_messages(
            statement,
            level,
            "\n\n".join(render_passage(s) for s in shown),
            findings,
            context=context,
            dated=as_of.isoformat() if as_of else "",
        )
        yield Writing(prompt)
        reply = _Reply(frozenset(s.key for s in shown))
        yield from reply.stream(self._model, prompt)

        by_key = {s.key: s for s in sources}
        evidence = self._evidence(run, judged, by_key)
        sections = self._sections(run, reply.text, by_key, evidence)
        yield Finished(
            Critique(
                statement=statement,
                harshness=level,
                sections=sections,
                passages=tuple(shown),
                judged=tuple(judged),
                queries=pool.queries,
                pool_size=len(pool.candidates),
                prompt=prompt,
                reply=reply.text,
                model=self._model.model_id,
                parameters=dict(self._model.parameters()),
                timings=CritiqueTimings(
                    retrieval_ms=retrieval_ms,
                    judging_ms=judging_ms,
                    first_token_ms=reply.first_token_ms,
                    tokens_per_second=reply.tokens_per_second(self._model),
                    total_ms=_ms_since(run.started),
                ),
                as_of=as_of,
                context=context,
                error=reply.error,
                dropped_keys=tuple(reply.cleaner.dropped),
                dropped_points=tuple(run.dropped),
            )
        )

    # -- passages ----------------------------------------------------------------------------

    def _number(self, run: _Run, to_judge: Sequence[Candidate], pool: Pool) -> tuple[Source, ...]:
        """The passages the critique may cite: the candidates to judge, the closest in
        meaning (support), and the best of each year (earlier versions), oldest first."""
        limit = self._settings.critique.passages
        chosen: dict[str, Candidate] = {c.passage.chunk_id: c for c in to_judge}
        by_meaning = sorted(pool.candidates, key=lambda c: -(c.similarity or -1.0))
        extra = [*by_meaning[: max(0, limit // 3)], *spread_by_year(pool.candidates, limit)]
        for candidate in extra:
            if len(chosen) >= limit:
                break
            chosen.setdefault(candidate.passage.chunk_id, candidate)
        ordered = sorted(
            chosen.values(), key=lambda c: (c.passage.date, c.passage.path, c.passage.start)
        )
        return tuple(
            Source(
                key=key,
                passage=c.passage,
                similarity=c.similarity,
                text_score=None,
                covers=False,
            )
            for key, c in enumerate(ordered, start=1)
        )

    def _fit(
        self, run: _Run, sources: Sequence[Source], findings: tuple[Finding, ...]
    ) -> list[Source]:
        """The passages that fit the context window: judged findings first, then the rest
        by similarity; shown oldest first. Dropped ones are never cut mid-passage."""
        model = self._model
        window = model.context_window
        reply = min(self._settings.critique.reply_tokens, window // 3)
        skeleton = critic_messages(run.statement, run.harshness, "", findings, run.context)
        fixed = sum(model.count_tokens(m.content) + MESSAGE_OVERHEAD for m in skeleton)
        budget = window - reply - fixed
        found = {f.key for f in findings}
        priority = sorted(sources, key=lambda s: (s.key not in found, -(s.similarity or -1.0)))
        kept = []
        for source in priority:
            cost = model.count_tokens(render_passage(source)) + 2
            if cost <= budget:
                budget -= cost
                kept.append(source)
        return sorted(kept, key=lambda s: s.key)

    # -- judging -----------------------------------------------------------------------------

    def _judge(self, run: _Run, key: int, candidate: Candidate, rank: int) -> Judged:
        passage = candidate.passage
        prompt = judge_messages(
            run.statement,
            passage.date.isoformat(),
            passage.path,
            passage.text,
            dated=run.as_of.isoformat() if run.as_of else "",
        )
        started = time.perf_counter()
        reply = ""
        pieces = self._model.stream(prompt)
        try:
            # The verdict is one line: stop reading (and so generating) once it is there. A
            # base model without an end-of-turn habit would otherwise write until its limit.
            for piece in pieces:
                reply += piece
                if "\n" in reply.lstrip() or len(reply) > JUDGE_MAX_CHARS:
                    break
        except ChatFailed as exc:
            reply += f"(the model failed: {exc})"
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()
        verdict, reason = read_verdict(reply)
        if verdict == "unclear":
            # No readable verdict (a small model, a failure): the strongest candidates with
            # commitment language stand on retrieval alone, marked as not confirmed.
            kept = rank <= self._settings.critique.keep_unjudged and bool(candidate.pivot.cue)
        else:
            kept = verdict in EVIDENCE
        return Judged(
            key=key,
            candidate=candidate,
            verdict=verdict,
            reason=without_praise(reason),
            kept=kept,
            prompt=prompt,
            reply=reply,
            ms=_ms_since(started),
        )

    # -- evidence: contradictions and patterns, from the judged candidates -------------------

    def _evidence(
        self, run: _Run, judged: Sequence[Judged], by_key: dict[int, Source]
    ) -> dict[SectionName, list[Point]]:
        points: dict[SectionName, list[Point]] = {"contradictions": [], "patterns": []}
        grouped: dict[str, list[tuple[Judged, Citation]]] = {}
        for item in judged:
            if not item.kept:
                continue
            citation = self._pivot_citation(run, item)
            if citation is None:
                continue
            kind = _kind(item)
            if kind in ("repeated_plan", "recurring_fear"):
                grouped.setdefault(kind, []).append((item, citation))
                continue
            date = item.candidate.passage.date.isoformat()
            what = "the opposite" if kind == "contradiction" else "a promise this breaks"
            default = (
                f"On {date} you wrote {what} [{item.key}]."
                if item.verdict != "unclear"
                else f"Possibly {what}: on {date} you wrote this [{item.key}]."
            )
            point = Point(
                text=_with_key(item.reason, item.key) if item.reason else default,
                basis="archive",
                citations=(citation,),
                kind=kind,
                current=_nearest_sentence(run.statement, citation.quote),
                confirmed=None if item.verdict == "unclear" else True,
            )
            points["contradictions" if kind == "contradiction" else "patterns"].append(point)
        for group, items in grouped.items():
            items.sort(key=lambda pair: pair[1].date)
            dates = ", ".join(f"{c.date.isoformat()} [{j.key}]" for j, c in items)
            reasons = [j.reason for j, _ in items if j.reason]
            lead = (
                f"You have announced this before: {dates}."
                if group == "repeated_plan"
                else f"The same fear runs through your writing: {dates}."
            )
            if all(j.verdict == "unclear" for j, _ in items):
                lead = f"Possibly: {lead[0].lower()}{lead[1:]}"
            points["patterns"].append(
                Point(
                    text=f"{lead} {reasons[0]}" if reasons else lead,
                    basis="archive",
                    citations=tuple(c for _, c in items),
                    kind=group,
                    current=_nearest_sentence(run.statement, items[-1][1].quote),
                    confirmed=None if all(j.verdict == "unclear" for j, _ in items) else True,
                )
            )
        return points

    def _pivot_citation(self, run: _Run, item: Judged) -> Citation | None:
        passage = item.candidate.passage
        pivot = item.candidate.pivot
        return self._verified(run, item.key, passage, pivot.start, pivot.end)

    def _verified(
        self, run: _Run, key: int, passage: Passage, start: int, end: int
    ) -> Citation | None:
        """A citation of ``passage.text[start:end]``, if the document holds exactly those
        words at that span; else None (and the reason is recorded)."""
        if passage.doc_id not in run.documents:
            run.documents[passage.doc_id] = self._store.document(passage.doc_id)
        document = run.documents[passage.doc_id]
        quote = passage.text[start:end]
        begin, finish = passage.start + start, passage.start + end
        if document is None or document.source_text[begin:finish] != quote or not quote.strip():
            run.dropped.append(f"[{key}] {passage.path}: the quote is not in the file as indexed")
            return None
        return Citation(
            key=key,
            path=passage.path,
            date=passage.date,
            title=passage.entry_title,
            quote=quote,
            start=begin,
            end=finish,
            chunk_id=passage.chunk_id,
            verified=True,
        )

    # -- the critic's sections ---------------------------------------------------------------

    def _sections(
        self,
        run: _Run,
        reply: str,
        by_key: dict[int, Source],
        evidence: dict[SectionName, list[Point]],
    ) -> tuple[Section, ...]:
        raw = read_sections(without_praise(reply))
        sections = []
        for name in SECTION_ORDER:
            points = [
                p
                for text in raw.points[name]
                if (p := self._point(run, name, text, by_key)) is not None
            ]
            note = ""
            if name in evidence:
                judged_keys = {c.key for p in evidence[name] for c in p.citations}
                extra = [p for p in points if not {c.key for c in p.citations} <= judged_keys]
                points = [*evidence[name], *extra]
                if not points:
                    note = "Nothing in the passages found bears this out."
            elif name == "claims" and not points:
                points = [Point(s, "statement") for s in _claims_of(run.statement)]
                note = "The text's own sentences: the model listed no claims."
            elif name == "questions" and not points:
                points = _questions(evidence)
                if points:
                    note = "From the evidence above: the model asked none."
            if not points and not note:
                note = "The model gave none."
            if name == "blind_spots" and not raw.headed and points:
                note = "The model did not use the section headings; its points are shown here."
            sections.append(Section(name, SECTION_TITLES[name], tuple(points), note))
        return tuple(sections)

    def _point(
        self, run: _Run, section: SectionName, text: str, by_key: dict[int, Source]
    ) -> Point | None:
        text = without_praise(text)
        if not words(text):
            return None
        citations = []
        for claim in claims(text):
            for key in dict.fromkeys(claim.keys):
                source = by_key.get(key)
                if source is None:
                    continue
                start, end = quote_span(source.passage.text, [Claim(claim.sentence, claim.keys)])
                citation = self._verified(run, key, source.passage, start, end)
                if citation is not None and citation not in citations:
                    citations.append(citation)
        if citations:
            return Point(text, "archive", tuple(citations))
        if section in ("contradictions", "patterns") or _ABOUT_THE_PAST.search(text):
            run.dropped.append(f"{SECTION_TITLES[section]}: “{text}” (no checked citation)")
            return None
        return Point(text, "statement" if section == "claims" else "reasoning")


@dataclass
class _Reply:
    """The critic's reply as it streams: cleaned of unknown keys, timed."""

    valid: frozenset[int]
    cleaner: CitationCleaner = field(init=False)
    error: str | None = None
    first_token_ms: float | None = None
    _sent: float = 0.0
    _first: float | None = None
    _last: float = 0.0
    _pieces: int = 0

    def __post_init__(self) -> None:
        self.cleaner = CitationCleaner(self.valid)

    @property
    def text(self) -> str:
        return self.cleaner.text

    def stream(self, model: ChatModel, prompt: Sequence[ChatMessage]) -> Iterator[Token]:
        self._sent = self._last = time.perf_counter()
        try:
            for piece in model.stream(prompt):
                if not piece:
                    continue
                self._pieces += 1
                self._last = time.perf_counter()
                if self._first is None:
                    self._first = self._last
                    self.first_token_ms = (self._first - self._sent) * 1000
                shown = self.cleaner.feed(piece)
                if shown:
                    yield Token(shown)
        except ChatFailed as exc:
            self.error = f"{exc} ({exc.hint})" if exc.hint else str(exc)
        rest = self.cleaner.finish()
        if rest:
            yield Token(rest)
        if not self.text.strip() and self.error is None:
            self.error = "the model returned an empty reply"

    def tokens_per_second(self, model: ChatModel) -> float | None:
        if self._first is None or self._pieces < 2 or self._last <= self._first:
            return None
        return model.count_tokens(self.cleaner.raw) / (self._last - self._first)


# -- helpers -------------------------------------------------------------------------------------


def answer_context(question: str) -> str:
    """What the critic is told when the text is one of ponder's own answers."""
    return (
        f"The text is an answer ponder gave to the writer's question “{question}”, drawn "
        "from their archive. Critique the answer and what it concludes about them."
    )


def _checked(text: str) -> str:
    statement = text.strip()
    if not words(statement):
        raise CritiqueInputError(
            "there is nothing to critique: the text is empty",
            hint="Give the text, --file PATH or --entry PATH.",
        )
    if len(statement) > MAX_STATEMENT_CHARS:
        raise CritiqueInputError(
            f"the text is too long to critique ({len(statement):,} characters; "
            f"at most {MAX_STATEMENT_CHARS:,})",
            hint="Critique one entry or one idea at a time.",
        )
    return statement


def _claims_of(statement: str) -> list[str]:
    """The statement's own sentences as its claims, for a model that listed none: those
    with commitment or absolute language first chosen, at most ``MAX_CLAIMS``, in order."""
    sentences = statement_sentences(statement)
    if len(sentences) <= MAX_CLAIMS:
        return sentences
    cued = {i for i, s in enumerate(sentences) if cue_of(s)}
    chosen = sorted(cued)[:MAX_CLAIMS]
    chosen += [i for i in range(len(sentences)) if i not in cued][: MAX_CLAIMS - len(chosen)]
    return [sentences[i] for i in sorted(chosen)]


def _kind(item: Judged) -> Verdict:
    if item.verdict in EVIDENCE:
        return item.verdict
    return _KIND_OF_CUE.get(item.candidate.pivot.cue, "contradiction")


def _with_key(reason: str, key: int) -> str:
    reason = reason.strip()
    if re.search(rf"\[{key}\]", reason):
        return reason
    return f"{reason.rstrip('.')} [{key}]."


def _nearest_sentence(statement: str, quote: str) -> str:
    """The statement's sentence sharing most words with the quote (the whole if short)."""
    if len(statement) <= 400:
        return statement
    quote_stems = {stem(w) for w in words(quote)}
    sentences = statement_sentences(statement)
    return max(sentences, key=lambda s: len(quote_stems & {stem(w) for w in words(s)}))


def _questions(evidence: dict[SectionName, list[Point]]) -> list[Point]:
    """Questions from the evidence, for a model that asked none."""
    questions = []
    for point in [*evidence.get("contradictions", []), *evidence.get("patterns", [])]:
        first = point.citations[0]
        quote = " ".join(first.quote.split())
        questions.append(
            Point(
                f"On {first.date.isoformat()} you wrote “{quote}” [{first.key}]. "
                "What changed since, and did you choose the change?",
                "archive",
                (first,),
            )
        )
    return questions


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


# -- an entry of the archive as the text to critique ---------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One dated entry of the archive, its text as ponder read it."""

    path: str
    date: dt.date
    title: str
    text: str
    doc_id: str
    entry_index: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.doc_id, self.entry_index)


def load_entry(store: Store, reference: str) -> Entry:
    """The entry ``reference`` names: ``PATH`` (a file of one entry) or ``PATH#YYYY-MM-DD``.

    Raises:
        CritiqueInputError: no such file in the index, or no (single) such entry.
    """
    path, _, wanted = reference.strip().partition("#")
    path = path.strip().replace("\\", "/").removeprefix("./")
    document = next((d for d in store.documents() if d.path == path), None)
    if document is None:
        raise CritiqueInputError(
            f"{path or reference!r} is not a file of the indexed archive",
            hint="Give a path relative to the archive folder, as `ponder status` lists "
            "them; run `ponder ingest` if the file is new.",
        )
    rows = [
        row
        for row in store.chunks(
            ("doc_id", "entry_index", "date", "start", "end", "entry_title")
        ).to_pylist()
        if row["doc_id"] == document.doc_id
    ]
    entries: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        entries.setdefault(row["entry_index"], []).append(row)
    if wanted:
        try:
            day = dt.date.fromisoformat(wanted.strip())
        except ValueError:
            raise CritiqueInputError(
                f"{wanted!r} is not a date", hint="Name the entry as PATH#YYYY-MM-DD."
            ) from None
        entries = {i: chunks for i, chunks in entries.items() if chunks[0]["date"] == day}
    if len(entries) != 1:
        dates = sorted({chunks[0]["date"].isoformat() for chunks in entries.values()})
        shown = ", ".join(dates[:8]) + (" ..." if len(dates) > 8 else "")
        if not entries:
            raise CritiqueInputError(
                f"{path} has no entry dated {wanted.strip()}",
                hint="Name one of its entries as PATH#YYYY-MM-DD.",
            )
        raise CritiqueInputError(
            f"{path} holds {len(entries)} entries ({shown})",
            hint=f"Name one, e.g. --entry '{path}#{dates[0]}'.",
        )
    [(index, chunks)] = entries.items()
    start = min(c["start"] for c in chunks)
    end = max(c["end"] for c in chunks)
    record = store.document(document.doc_id)  # documents() leaves the text out
    source = record.source_text if record else ""
    return Entry(
        path=path,
        date=chunks[0]["date"],
        title=chunks[0]["entry_title"],
        text=source[start:end],
        doc_id=document.doc_id,
        entry_index=index,
    )


# -- JSON ----------------------------------------------------------------------------------------


def point_json(point: Point) -> dict[str, Any]:
    return {
        "text": point.text,
        "basis": point.basis,
        "kind": point.kind or None,
        "current": point.current or None,
        "confirmed": point.confirmed,
        "citations": [citation_json(c) for c in point.citations],
    }


def judged_json(item: Judged) -> dict[str, Any]:
    candidate = item.candidate
    return {
        "key": item.key,
        "path": candidate.passage.path,
        "date": candidate.passage.date.isoformat(),
        "quote": candidate.quote,
        "cue": candidate.pivot.cue or None,
        "prerank": round(candidate.prerank, 4),
        "similarity": round_or_none(candidate.similarity, 4),
        "pivot_similarity": round(candidate.pivot.similarity, 4),
        "found_by": list(candidate.found_by),
        "verdict": item.verdict,
        "reason": item.reason,
        "kept": item.kept,
        "reply": item.reply,
        "ms": round_or_none(item.ms),
        "prompt": messages_json(item.prompt),
    }


def critique_json(critique: Critique) -> dict[str, Any]:
    timings = critique.timings
    return {
        "statement": critique.statement,
        "harshness": critique.harshness,
        "as_of": critique.as_of.isoformat() if critique.as_of else None,
        "error": critique.error,
        "sections": [
            {
                "name": s.name,
                "title": s.title,
                "note": s.note or None,
                "points": [point_json(p) for p in s.points],
            }
            for s in critique.sections
        ],
        "citations": [citation_json(c) for c in critique.citations()],
        "judged": [judged_json(j) for j in critique.judged],
        "queries": [{"name": n, "query": q} for n, q in critique.queries],
        "pool": critique.pool_size,
        "passages": [source_json(s) for s in critique.passages],
        "model": critique.model,
        "parameters": critique.parameters,
        "prompt": messages_json(critique.prompt),
        "reply": critique.reply,
        "dropped_keys": list(critique.dropped_keys),
        "dropped_points": list(critique.dropped_points),
        "timings": {
            "retrieval_ms": round_or_none(timings.retrieval_ms),
            "judging_ms": round_or_none(timings.judging_ms),
            "first_token_ms": round_or_none(timings.first_token_ms),
            "tokens_per_second": round_or_none(timings.tokens_per_second),
            "total_ms": round_or_none(timings.total_ms),
        },
    }


__all__ = [
    "VERDICT_LABELS",
    "Critic",
    "Critique",
    "CritiqueEvent",
    "CritiqueInputError",
    "Entry",
    "Finished",
    "Gathered",
    "Judged",
    "Judging",
    "Point",
    "Section",
    "Writing",
    "critique_json",
    "load_entry",
]
