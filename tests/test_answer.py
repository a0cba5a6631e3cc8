"""Asking: retrieval by time and intent, the prompt, streamed answers and exact citations.

A small archive written here (and the sample archive, for ground-truth quotes) is
ingested once per module with the fake embedder into a real LanceDB; the model is a
scripted FakeChat whose script reads the prompt it is sent, as a real model would.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest

from config import ConfigError
from index import passage_choice
from index.answer import (
    CONDENSE_PROMPT,
    Answer,
    Asker,
    Done,
    Exchange,
    Retrieved,
    Token,
    answer_from_json,
    answer_json,
)
from index.chat import ChatMessage, FakeChat
from index.citations import CitationCleaner, claims, marker_keys, quote_span, strip_markers
from index.passage_choice import Candidate, PassageChooser, best_of_the_rest
from index.records import DocumentRecord
from index.relevance import content_words, covers, stems
from index.search import DateRange, EntryScope, Gathered, Mode, Searcher
from index.store import Store
from tests.conftest import REPO, SAMPLE_ARCHIVE, offline_services, write
from tests.conftest import passage as ranked_passage
from ui.services import Services

TODAY = dt.date(2025, 3, 1)

JOURNAL = """\
## 2012-03-04

I ran my first parkrun at Roundhay today. Tom said I went off too fast, and he was right.
The last kilometre was uphill and I walked twice. Running with others is harder.

## 2013-06-10

Half marathon training: eleven miles along the canal towpath in the rain. Running in the
rain is the only time my head goes quiet.

## 2014-07-20

We drove to Whitby and I swam in the sea at Sandsend. The water was so cold I shouted.
Sam laughed at me from the beach with a flask of tea.

## 2016-01-01

Today is day one of giving up drinking for good. Not a dry January: for good.

## 2016-05-07

It was only a couple of glasses of wine in the sun, which barely counts as drinking.

## 2018-09-09

I have not been running for a year and I do not miss running at all. The trainers are
in the cupboard under the stairs.

## 2021-04-18

Back running again: a slow five kilometres along the cliff path. My lungs burned and I
loved it.
"""

GARDEN = """\
---
title: The wind garden
date: 2021-06-01
---
The garden faces the sea, and the wind takes everything that is not tied down. The broad
beans survived. The slugs ate the lettuces in one night.
"""

HEAT = "The hosepipe ban started today. The garden is brown and the heat will not break.\n"


def _lighthouse_entry() -> str:
    paragraph = (
        "The lighthouse keeper's cottage has a blue door and a bench facing the harbour. "
        "I sat there with the lighthouse behind me and counted the boats going out, the "
        "gulls on the rail, the men mending nets, the children with crabbing lines, the "
        "dog that barks at every wave. "
    )
    body = "\n\n".join(paragraph * 3 + f"Paragraph {n}." for n in range(6))
    return f"---\ntitle: Lighthouse days\ndate: 2019-08-01\n---\n{body}\n"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Services:
    archive = tmp_path_factory.mktemp("small-archive")
    write(archive, "journal.md", JOURNAL)
    write(archive, "essays/garden.md", GARDEN)
    write(archive, "notes/2024-07-15.txt", HEAT)
    write(archive, "essays/lighthouse.md", _lighthouse_entry())
    write(archive, "notes/2020-02-02.txt", "A lighthouse on a postcard from Priya.\n")
    write(archive, "notes/2022-02-02.txt", "We walked out to the lighthouse at low tide.\n")
    app = offline_services(archive, tmp_path_factory.mktemp("small-data"))
    report = app.sync()
    assert report.failed == 0 and report.added == 6
    return app


def asker(app: Services, model: FakeChat | None = None, **ask: Any) -> Asker:
    settings = app.settings
    if ask:
        settings = settings.model_copy(update={"ask": settings.ask.model_copy(update=ask)})
    return Asker(app.searcher(), app.store, model or FakeChat(), settings, today=lambda: TODAY)


# -- reading the prompt the way a model would --------------------------------------------------


def numbered(messages: Sequence[ChatMessage]) -> dict[int, tuple[str, str]]:
    """{key: (header, text)} of the numbered passages in the last user message."""
    user = messages[-1].content
    blocks = re.split(r"\n\n(?=\[\d+\] )", user)
    found = {}
    for block in blocks:
        match = re.match(r"\[(\d+)\] ([^\n]*)\n(.*)", block, flags=re.DOTALL)
        if match:
            text = re.split(r"\n\n(?:Question:|Trace |The question )", match.group(3))[0]
            found[int(match.group(1))] = (match.group(2), text)
    return found


def key_of(messages: Sequence[ChatMessage], word: str) -> int:
    return next(k for k, (_, text) in numbered(messages).items() if word in text)


def script(reply: Callable[[Sequence[ChatMessage]], str]) -> FakeChat:
    return FakeChat(script=reply)


# -- citation markers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inner", "keys"),
    [
        ("1", [1]),
        ("1, 3", [1, 3]),
        ("1,3;4", [1, 3, 4]),
        ("2-4", [2, 3, 4]),
        ("2 – 4", [2, 3, 4]),
        ("1, 3-4", [1, 3, 4]),
        ("2014", None),
        ("", None),
        ("4-2", None),
        ("1,,2", None),
    ],
)
def test_marker_keys(inner: str, keys: list[int] | None) -> None:
    assert marker_keys(inner) == keys


@pytest.mark.parametrize(
    ("raw", "clean", "dropped"),
    [
        ("You ran [1].", "You ran [1].", []),
        ("You ran [9].", "You ran.", [9]),
        ("You ran [1, 9] and swam [2][9].", "You ran [1] and swam [2].", [9]),
        ("Spread [2-4].", "Spread [2, 3].", [4]),
        ("All [1-3].", "All [1-3].", []),
        (
            "Not citations: [2014], [sic], [ ] and [a1].",
            "Not citations: [2014], [sic], [ ] and [a1].",
            [],
        ),
        ("Line one [7]\nline two [3]", "Line one\nline two [3]", [7]),
    ],
)
def test_unknown_keys_are_dropped_from_the_text(raw: str, clean: str, dropped: list[int]) -> None:
    cleaner = CitationCleaner(frozenset({1, 2, 3}))
    assert cleaner.clean(raw) == clean
    assert cleaner.dropped == dropped


def test_streamed_cleaning_matches_cleaning_the_whole() -> None:
    raw = "You ran [1] and [9]. Then, “the sea” [2, 12] [3-5] [sic]  [1][8] end [4"
    whole = CitationCleaner(frozenset({1, 2, 3})).clean(raw)
    for size in range(1, 9):
        cleaner = CitationCleaner(frozenset({1, 2, 3}))
        pieces = [raw[i : i + size] for i in range(0, len(raw), size)]
        shown = "".join(cleaner.feed(p) for p in pieces) + cleaner.finish()
        assert shown == whole == cleaner.text
        assert cleaner.cited == [1, 2, 3] and cleaner.dropped == [9, 12, 4, 5, 8]


def test_claims_and_quotes() -> None:
    answer = 'You swam at Sandsend [1]. You wrote "the water was so cold I shouted" [1, 2].'
    found = claims(answer)
    assert [c.keys for c in found] == [(1,), (1, 2)]
    assert found[0].sentence == "You swam at Sandsend"
    passage = "We drove to Whitby. The water was so cold\nI shouted. Sam laughed."
    start, end = quote_span(passage, found[1:])
    assert passage[start:end] == "The water was so cold\nI shouted."
    # No quotation marks: the sentence sharing most words with the claim.
    start, end = quote_span(passage, [claims("Sam laughed at you [1].")[0]])
    assert passage[start:end] == "Sam laughed."
    # Nothing in common: the whole passage.
    start, end = quote_span(passage, [claims("Unrelated [1].")[0]])
    assert (start, end) == (0, len(passage))
    assert strip_markers("a [1] b [2, 3]. c [x]") == "a b. c [x]"


def test_content_words_leave_out_how_a_question_is_asked() -> None:
    question = "When did I first worry that Mum was getting forgetful, thinking about my writing?"
    assert content_words(question) == ["first", "worry", "Mum", "forgetful", "writing"]
    assert stems("worried worries running runs") == {"worry", "run"}
    assert stems("died dies die") == {"die"}
    assert covers({"worry", "mum"}, "Mum worried all night.")
    assert not covers({"worry", "mum", "cat", "dog"}, "Mum worried all night.")
    assert covers({"worry", "mum", "cat", "dog"}, "Mum worried about the cat.")  # 3 of 4
    assert not covers({"worry", "mum", "cat", "dog"}, "Mum worried about the cat.", every=True)


# -- answers ------------------------------------------------------------------------------------


def test_an_answer_cites_exact_quotes_and_drops_invented_keys(small: Services) -> None:
    def reply(messages: Sequence[ChatMessage]) -> str:
        parkrun = key_of(messages, "parkrun")
        return (
            f'You ran your first parkrun at Roundhay [{parkrun}]. "Tom said I went off too '
            f'fast" [{parkrun}, 99]. You also invented something [42].'
        )

    events = list(asker(small, script(reply)).ask("What did I write about my first parkrun?"))
    assert isinstance(events[0], Retrieved) and isinstance(events[-1], Done)
    answer = events[-1].answer
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert streamed == answer.text
    assert "[99]" not in answer.text and "[42]" not in answer.text
    assert answer.text.endswith("You also invented something.")
    assert answer.dropped_keys == (99, 42)
    assert answer.found and answer.error is None

    [citation] = answer.citations
    source = small.store.document(_doc_id(small, "journal.md"))
    assert source is not None
    assert source.source_text[citation.start : citation.end] == citation.quote
    assert citation.quote == "Tom said I went off too fast, and he was right."
    assert citation.verified and citation.path == "journal.md"
    assert citation.date == dt.date(2012, 3, 4)
    assert citation.chunk_id in {s.passage.chunk_id for s in answer.passages}


def _doc_id(app: Services, path: str) -> str:
    return next(d.doc_id for d in app.store.documents() if d.path == path)


def test_every_passage_is_in_the_prompt_verbatim_with_date_and_path(small: Services) -> None:
    model = FakeChat()
    answer = asker(small, model).answer("What did I write about the lighthouse?")
    assert model.calls == [list(answer.prompt)]
    shown = numbered(answer.prompt)
    assert sorted(shown) == [s.key for s in answer.passages]
    for source in answer.passages:
        header, text = shown[source.key]
        assert source.passage.date.isoformat() in header and source.passage.path in header
        assert text.strip() == source.passage.text.strip()
    assert answer.prompt[0].role == "system" and "[n]" not in answer.prompt[0].content
    assert "Question: What did I write about the lighthouse?" in answer.prompt[-1].content


def test_one_entry_does_not_fill_every_slot(small: Services) -> None:
    answer = asker(small).answer("What did I write about the lighthouse?")
    per_entry: dict[tuple[str, int], int] = {}
    for source in answer.passages:
        entry = (source.passage.path, source.passage.entry_index)
        per_entry[entry] = per_entry.get(entry, 0) + 1
    assert max(per_entry.values()) <= small.settings.search.per_entry
    paths = {s.passage.path for s in answer.passages}
    assert {"notes/2020-02-02.txt", "notes/2022-02-02.txt"} <= paths


def test_nothing_relevant_means_no_model_call(small: Services) -> None:
    model = FakeChat()
    answer = asker(small, model).answer("What did I think about quantum chromodynamics?")
    assert model.calls == []
    assert not answer.found and answer.citations == () and answer.prompt == ()
    assert "Nothing in your writing matches “quantum chromodynamics”" in answer.text
    assert "the whole archive" in answer.text
    assert answer.retrieval.relevant == 0 and answer.retrieval.candidates > 0
    # Where to look, if the rule misjudged the question: the nearest passages, one an
    # entry, kept beside the answer's text (which a follow-up and a critique read), saved.
    entries = {(s.passage.doc_id, s.passage.entry_index) for s in answer.nearest}
    assert 1 <= len(answer.nearest) <= 3 and len(entries) == len(answer.nearest)
    assert all(s.passage.text[:20] not in answer.text for s in answer.nearest)
    saved = answer_from_json(answer.as_json()).nearest
    assert [(s.passage.chunk_id, s.passage.date) for s in saved] == [
        (s.passage.chunk_id, s.passage.date) for s in answer.nearest
    ]

    dated = asker(small, model).answer("Did I go skiing in 2014?")
    assert not dated.found and model.calls == []
    assert "entries from 2014-01-01 to 2014-12-31 (“in 2014”)" in dated.text

    empty = asker(small, model).answer("What did I write about running in 2030?")
    assert not empty.found
    assert empty.text.startswith("You have no entries from 2030-01-01 to 2030-12-31")


def test_an_empty_index_says_so(app: Services) -> None:
    answer = asker(app).answer("What did I write about running?")
    assert not answer.found and "ponder ingest" in answer.text


def test_time_expressions_filter_the_passages(small: Services) -> None:
    in_2013 = asker(small).answer("What did I write about running in 2013?")
    assert in_2013.scope.date_phrases == ("in 2013",)
    assert {s.passage.date.year for s in in_2013.passages} == {2013}

    before = asker(small).answer("What did I write about running before 2014?")
    assert before.passages and all(s.passage.date.year < 2014 for s in before.passages)

    summer = asker(small).answer("What did I write last summer?")  # today is 2025-03-01
    assert (summer.scope.since, summer.scope.until) == (dt.date(2024, 6, 1), dt.date(2024, 8, 31))
    assert [s.passage.path for s in summer.passages] == ["notes/2024-07-15.txt"]
    assert summer.retrieval.strategy == "spread"  # no topic: the entries of that time


def test_change_questions_spread_over_the_years_in_date_order(small: Services) -> None:
    answer = asker(small).answer("How has my running changed over the years?")
    assert answer.retrieval.strategy == "spread" and answer.scope.intent == "change"
    dates = [s.passage.date for s in answer.passages]
    assert dates == sorted(dates)
    assert {d.year for d in dates} >= {2012, 2013, 2018, 2021}
    assert [s.key for s in answer.passages] == list(range(1, len(dates) + 1))
    assert "oldest first" in answer.prompt[-1].content


def test_first_and_last_find_the_earliest_and_latest_mentions(small: Services) -> None:
    first = asker(small).answer("When did I first write about running?")
    assert first.retrieval.strategy == "earliest"
    assert first.passages[0].passage.date == dt.date(2012, 3, 4)
    dates = [s.passage.date for s in first.passages]
    assert dates == sorted(dates)

    last = asker(small).answer("When was the last time I wrote about running?")
    assert last.retrieval.strategy == "latest"
    assert last.passages[-1].passage.date == dt.date(2021, 4, 18)
    assert [s.passage.date for s in last.passages] == sorted(s.passage.date for s in last.passages)


def test_the_first_mention_is_found_beyond_the_candidate_pool(
    small: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pool of two cannot hold every running entry; full text is asked again, earlier.
    monkeypatch.setattr(passage_choice, "WIDE_POOL", 2)
    first = asker(small).answer("When did I first write about running?")
    assert first.passages[0].passage.date == dt.date(2012, 3, 4)
    last = asker(small).answer("When did I last write about running?")
    assert last.passages[-1].passage.date == dt.date(2021, 4, 18)


def test_a_first_question_also_shows_the_passages_most_about_it(
    small: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The earliest mention is not always the first time it happened: beside the earliest
    # passages, the model sees the best-ranked ones of other entries, all in date order.
    monkeypatch.setattr(passage_choice, "EDGE_PASSAGES", 1)
    first = asker(small).answer("When did I first write about running?")
    dates = [s.passage.date for s in first.passages]
    assert dates[0] == dt.date(2012, 3, 4) and dates == sorted(dates)
    best = small.searcher().search("running", k=1)[0]
    assert best.chunk_id in {s.passage.chunk_id for s in first.passages}
    entries = [(s.passage.doc_id, s.passage.entry_index) for s in first.passages]
    assert len(entries) == len(set(entries)) > 1  # one passage an entry


def test_nothing_found_in_a_theme_says_where_it_looked(small: Services) -> None:
    lighthouse = small.searcher().search("lighthouse", k=1)[0]
    scope = EntryScope(((lighthouse.doc_id, lighthouse.entry_index),), "the theme Lighthouse")
    scoped = Asker(small.searcher(scope), small.store, FakeChat(), small.settings)
    answer = scoped.answer("What did I think about quantum chromodynamics?")
    assert not answer.found and "I searched the theme Lighthouse" in answer.text
    assert "whole archive" not in answer.text
    dated = scoped.answer("What did I think about quantum chromodynamics in 2030?")
    assert "You have no entries from 2030-01-01 to 2030-12-31" in dated.text
    assert "in the theme Lighthouse" in dated.text


class CannedSearcher(Searcher):
    """A searcher whose candidates are given, and which records what it was asked."""

    def __init__(self, app: Services, found: Gathered) -> None:
        super().__init__(app.store, app.embedder().embedder, app.settings.search)
        self.found = found
        self.asked: list[tuple[str, str | None]] = []

    def gather(
        self,
        meaning: str,
        *,
        words: str | None = None,
        pool: int,
        dates: DateRange | None = None,
        mode: Mode = "hybrid",
    ) -> Gathered:
        self.asked.append((meaning, words))
        return self.found


@pytest.mark.parametrize(("paragraph", "found"), [(0.52, True), (0.45, False)])
def test_a_passage_is_close_enough_by_its_closest_paragraph(
    small: Services, paragraph: float, found: bool
) -> None:
    # The passage's own vector is far (0.31: it averages two subjects); the paragraph that
    # answers is what the threshold (0.5 here) is compared with. Full text is given the
    # question's topic as written, the vectors the same.
    hit = ranked_passage("e-1", paragraph=paragraph)
    searcher = CannedSearcher(small, Gathered([hit], {"e-1": 0.31}, {}))
    settings = small.settings.model_copy(
        update={"ask": small.settings.ask.model_copy(update={"min_similarity": 0.5})}
    )
    choice = PassageChooser(searcher, small.store, settings).choose(
        "What did I feel about the harbour in 2014?"
    )
    assert choice.found is found and choice.ranked[0].similarity == paragraph
    topic = "What did I feel about the harbour?"  # "in 2014" is the date range
    assert searcher.asked == [(topic, topic)]
    assert choice.reading.query == "harbour" and choice.reading.meaning == topic


def test_the_best_of_the_rest_never_goes_beyond_the_edge() -> None:
    def candidate(chunk: str, year: int) -> Candidate:
        passage = replace(ranked_passage(chunk), date=dt.date(year, 6, 1))
        return Candidate(passage, 0.5, None, False, True)

    edge_first = [candidate("a-1", 2015), candidate("b-1", 2016)]
    ranked = [candidate("c-1", 2012), candidate("d-1", 2018), candidate("a-2", 2019)]
    # "first": nothing before 2015 (it would be shown as [1], "the earliest match"); not
    # a second passage of an entry already shown.
    assert [c.passage.chunk_id for c in best_of_the_rest(ranked, edge_first, 8, "earliest")] == [
        "d-1"
    ]
    edge_last = [candidate("a-1", 2018), candidate("b-1", 2019)]
    ranked = [candidate("c-1", 2021), candidate("d-1", 2016), candidate("e-1", 2017)]
    assert [c.passage.chunk_id for c in best_of_the_rest(ranked, edge_last, 3, "latest")] == ["d-1"]


def test_closeness_is_the_passage_or_its_closest_paragraph() -> None:
    passage = ranked_passage("e-1", paragraph=0.52)
    assert passage_choice.closeness(0.31, passage) == 0.52  # the paragraph that answers
    assert passage_choice.closeness(0.6, passage) == 0.6
    assert passage_choice.closeness(None, passage) == 0.52  # found by full text only
    assert passage_choice.closeness(None, replace(passage, paragraph_similarity=None)) is None


def test_a_small_context_window_gets_fewer_passages_never_a_cut_one(small: Services) -> None:
    question = "What did I write about the lighthouse?"
    roomy = asker(small, FakeChat(window=8192)).answer(question)
    tight = asker(small, FakeChat(window=900), reply_tokens=64).answer(question)
    assert 0 < len(tight.passages) < len(roomy.passages)
    assert tight.retrieval.left_out > 0
    full_texts = {s.passage.chunk_id: s.passage.text for s in roomy.passages}
    for source in tight.passages:
        assert not source.excerpt
        if source.passage.chunk_id in full_texts:
            assert source.passage.text == full_texts[source.passage.chunk_id]
    prompt_tokens = sum(FakeChat().count_tokens(m.content) + 4 for m in tight.prompt)
    assert prompt_tokens + 64 <= 900


def test_a_passage_too_long_for_the_window_becomes_a_marked_excerpt(small: Services) -> None:
    model = FakeChat(window=500)
    answer = asker(small, model, reply_tokens=64).answer("What did I write about the lighthouse?")
    [source] = answer.passages
    assert source.excerpt and "(excerpt)" in answer.prompt[-1].content
    text = source.passage.text
    assert text.rstrip().endswith((".", "!", "?"))  # cut at a sentence
    document = small.store.document(source.passage.doc_id)
    assert document is not None
    assert document.source_text[source.passage.start : source.passage.end] == text


def test_a_window_too_small_for_any_passage_is_a_clear_error(small: Services) -> None:
    with pytest.raises(ConfigError, match="context window") as caught:
        asker(small, FakeChat(window=300), reply_tokens=64).answer("the lighthouse?")
    assert "llm.num_ctx" in caught.value.hint


def test_a_follow_up_is_condensed_into_the_question_that_is_searched(small: Services) -> None:
    seen: list[str] = []

    def reply(messages: Sequence[ChatMessage]) -> str:
        if messages[0].content == CONDENSE_PROMPT:
            seen.append(messages[-1].content)
            return "Standalone question: What did I write about the sea at Sandsend in 2014?"
        return f"You swam at Sandsend [{key_of(messages, 'Sandsend')}]."

    model = script(reply)
    history = [Exchange("Where did I go in 2014?", "You went to Whitby [1].")]
    answer = asker(small, model).answer("And did I swim there?", history)
    assert "Where did I go in 2014?" in seen[0] and "You went to Whitby" in seen[0]
    assert "[1]" not in seen[0]  # old markers mean nothing to a new prompt
    assert answer.standalone_question == "What did I write about the sea at Sandsend in 2014?"
    assert answer.scope.since == dt.date(2014, 1, 1)
    assert all(s.passage.date.year == 2014 for s in answer.passages)
    assert answer.condense_prompt and answer.timings.condense_ms is not None
    assert len(model.calls) == 2
    answering = model.calls[1]
    assert [m.role for m in answering] == ["system", "user", "assistant", "user"]
    assert answering[1].content == "Where did I go in 2014?"
    assert answering[2].content == "You went to Whitby."
    assert answer.citations[0].date == dt.date(2014, 7, 20)


@pytest.mark.parametrize(
    "rewrite",
    ["", "   \n", "x" * 500, "I could not find anything about that in your writing."],
)
def test_an_unusable_rewrite_falls_back_to_the_follow_up(small: Services, rewrite: str) -> None:
    def reply(messages: Sequence[ChatMessage]) -> str:
        return rewrite if messages[0].content == CONDENSE_PROMPT else "Answer."

    history = [Exchange("What did I write about running?", "You ran.")]
    answer = asker(small, script(reply)).answer("and the parkrun?", history)
    assert answer.standalone_question == "and the parkrun?"


def test_the_model_failing_mid_stream_keeps_the_partial_answer(small: Services) -> None:
    model = FakeChat(fail_after=3)  # three 4-character pieces, then an error
    events = list(asker(small, model).ask("What did I write about the lighthouse?"))
    answer = events[-1].answer if isinstance(events[-1], Done) else None
    assert answer is not None
    assert answer.error is not None and "stopped mid-reply" in answer.error
    assert answer.text == "You wrote ab"  # what came before the failure is kept
    assert answer.text == "".join(e.text for e in events if isinstance(e, Token))
    assert answer.prompt and answer.passages


def test_an_empty_reply_is_an_error(small: Services) -> None:
    answer = asker(small, script(lambda m: "")).answer("the lighthouse?")
    assert answer.error == "the model returned an empty reply"


def test_a_changed_document_makes_its_citation_unverified(small: Services) -> None:
    class EditedStore(Store):
        """The index as it would be if the file had changed after these chunks were read."""

        def document(self, doc_id: str) -> DocumentRecord | None:
            record = super().document(doc_id)
            return replace(record, source_text="rewritten") if record else None

    edited = EditedStore(small.store.uri, read_consistency=None, keep_versions=dt.timedelta(0))
    model = script(lambda m: f"The sea [{key_of(m, 'Sandsend')}].")
    answer = Asker(small.searcher(), edited, model, small.settings, lambda: TODAY).answer(
        "What did I write about Sandsend?"
    )
    [citation] = answer.citations
    assert not citation.verified
    assert "Sandsend" in citation.quote  # what the model was shown is still the quote


def test_the_answer_json_has_everything_the_issue_names(small: Services) -> None:
    data = answer_json(asker(small).answer("What did I write about the lighthouse in 2019?"))
    assert {"answer", "citations", "model", "prompt", "passages", "timings"} <= set(data)
    assert {"key", "path", "date", "quote"} <= set(data["citations"][0])
    assert {"score", "similarity", "text_score", "vector_rank", "text_rank"} <= set(
        data["passages"][0]
    )
    assert {"retrieval_ms", "first_token_ms", "tokens_per_second"} <= set(data["timings"])
    assert data["scope"]["since"] == "2019-01-01"
    assert data["prompt"][0]["role"] == "system"


# -- the sample archive and its ground truth ------------------------------------------------------

GROUND_TRUTH = json.loads((REPO / "sample" / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Services:
    app = offline_services(SAMPLE_ARCHIVE, tmp_path_factory.mktemp("sample-data"))
    app.sync()
    return app


@pytest.mark.parametrize("item", ["C1", "C2", "C5"])
def test_a_quoted_ground_truth_sentence_is_cited_at_its_exact_span(
    sample: Services, item: str
) -> None:
    truth = next(c for c in GROUND_TRUTH["contradictions"] if c["id"] == item)["earlier"]
    quote = truth["quote"]
    words = " ".join(re.findall(r"[A-Za-z']+", quote)[:8])

    def reply(messages: Sequence[ChatMessage]) -> str:
        key = next(k for k, (_, text) in numbered(messages).items() if quote in text)
        return f"You wrote: “{quote}” [{key}]"

    answer = asker(sample, script(reply)).answer(f"When did I write {words}?")
    [citation] = answer.citations
    assert citation.quote == quote
    assert (citation.path, citation.date.isoformat()) == (truth["path"], truth["date"])
    document = sample.store.document(_doc_id(sample, truth["path"]))
    assert document is not None
    assert document.source_text[citation.start : citation.end] == quote


def test_sample_first_mention_and_not_found(sample: Services) -> None:
    first = asker(sample).answer("When did I first write about Harewood?")
    assert first.passages[0].passage.date == dt.date(2012, 10, 21)
    assert "Harewood" in first.passages[0].passage.text

    model = FakeChat()
    nothing = asker(sample, model).answer("What did I write about the Eiffel tower?")
    assert not nothing.found and model.calls == []


def test_answers_are_frozen(small: Services) -> None:
    answer: Answer = asker(small).answer("the lighthouse?")
    with pytest.raises(AttributeError):
        answer.text = "changed"  # type: ignore[misc]
