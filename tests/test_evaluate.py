"""`ponder eval`: question-set validation, hit@k and MRR on hand-made rankings, answer
support, entry-level fusion, the CLI on a small archive, and the committed question set."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import index.store as store_module
from index.embeddings import FakeEmbedder
from index.evaluate import (
    CitedSentence,
    Question,
    QuestionSetError,
    answers_support,
    evaluate,
    first_hit,
    lexical_support,
    load_questions,
    parse_ks,
    parse_questions,
)
from index.records import ChunkRecord, DocStatus, DocumentRecord, Passage
from index.search import DateRange, Mode, fuse_rankings
from index.store import Store
from tests.conftest import REPO, write
from ui.cli import cli


def passage(date: str, path: str = "journal.md", entry: int = 0, chunk: str = "") -> Passage:
    return Passage(
        chunk_id=chunk or f"{path}:{date}:{entry}",
        doc_id=path,
        path=path,
        entry_index=entry,
        date=dt.date.fromisoformat(date),
        date_source="heading",
        entry_title="",
        start=0,
        end=1,
        text="x",
        tags=(),
        score=0.0,
    )


# -- loading and validation ----------------------------------------------------------------


def test_a_question_set_has_dates_paths_and_optional_ranges() -> None:
    [q] = parse_questions(
        {
            "questions": [
                {
                    "id": "sea",
                    "q": " when did I move to the sea? ",
                    "gold": ["2017-04-08", "notes\\moving day.txt", "./blog/x.html"],
                    "since": "2017-01-01",
                    "note": "for people",
                }
            ]
        }
    )
    assert q.q == "when did I move to the sea?" and q.id == "sea"
    assert q.gold_dates == {dt.date(2017, 4, 8)}
    assert q.gold_paths == {"notes/moving day.txt", "blog/x.html"}
    assert q.dates == DateRange(dt.date(2017, 1, 1), None)
    assert q.is_hit(passage("2017-04-08")) and q.is_hit(passage("2001-01-01", "blog/x.html"))
    assert not q.is_hit(passage("2017-04-09"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "no list of questions"),
        ({"questions": {}}, "no list of questions"),
        ({"questions": []}, "has no questions"),
        ({"questions": ["why?"]}, "question 1 is not an object"),
        ({"questions": [{"q": "a", "gold": ["2014-01-01"], "golds": []}]}, "unknown keys: golds"),
        ({"questions": [{"gold": ["2014-01-01"]}]}, "no question text"),
        ({"questions": [{"q": " ", "gold": ["2014-01-01"]}]}, "no question text"),
        ({"questions": [{"q": "a", "gold": "2014-01-01"}]}, "non-empty list of gold"),
        ({"questions": [{"q": "a", "gold": []}]}, "non-empty list of gold"),
        ({"questions": [{"q": "a", "gold": [2014]}]}, "non-empty list of gold"),
        ({"questions": [{"q": "a", "gold": ["2019-02-30"]}]}, "'2019-02-30' is not a real date"),
        ({"questions": [{"q": "a", "gold": ["/home/me/x.md"]}]}, "not relative to the archive"),
        ({"questions": [{"q": "a", "gold": ["../x.md"]}]}, "not relative to the archive"),
        ({"questions": [{"q": "a", "gold": ["C:\\x.md"]}]}, "not relative to the archive"),
        ({"questions": [{"q": "a", "gold": ["x.md"], "since": "2014"}]}, "since must be"),
        (
            {
                "questions": [
                    {"q": "a", "gold": ["x.md"], "since": "2015-01-01", "until": "2014-01-01"}
                ]
            },
            "is after until",
        ),
    ],
)
def test_bad_question_sets_are_named_precisely(data: Any, message: str) -> None:
    with pytest.raises(QuestionSetError, match=message):
        parse_questions(data)


def test_errors_name_the_question_by_number_and_id() -> None:
    data = {"questions": [{"q": "ok", "gold": ["x.md"]}, {"id": "two", "q": "b", "gold": []}]}
    with pytest.raises(QuestionSetError, match=r"question 2 \(two\)"):
        parse_questions(data)


def test_unreadable_files_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError, match="no question set at"):
        load_questions(tmp_path / "missing.json")
    broken = write(tmp_path, "q.json", '{"questions": [\n  {"q": "a",, }\n]}')
    with pytest.raises(QuestionSetError, match=r"not valid JSON: .* line 2") as caught:
        load_questions(broken)
    assert '"questions"' in caught.value.hint


def test_parse_ks() -> None:
    assert parse_ks("10,5, 5") == (5, 10)
    for bad in ("", "five", "0,5", "5,201"):
        with pytest.raises(ValueError):
            parse_ks(bad)


# -- metrics ---------------------------------------------------------------------------------


class ScriptedSearcher:
    """Returns a fixed ranking per question and records what it was asked."""

    def __init__(self, rankings: dict[str, list[Passage]]) -> None:
        self.rankings = rankings
        self.calls: list[tuple[str, int, DateRange, Mode]] = []

    def search(
        self, query: str, *, k: int, dates: DateRange, mode: Mode, read_dates: bool = False
    ) -> list[Passage]:
        assert read_dates  # a question is read as a person typed it (search.time_phrases)
        self.calls.append((query, k, dates, mode))
        return self.rankings[query][:k]


def question(q: str, *gold: str, since: dt.date | None = None) -> Question:
    dates = frozenset(dt.date.fromisoformat(g) for g in gold if g[:1].isdigit())
    paths = frozenset(g for g in gold if not g[:1].isdigit())
    return Question(q, dates, paths, dates=DateRange(since, None))


def test_hit_at_k_and_mrr_by_hand() -> None:
    filler = [passage(f"2000-01-{day:02d}") for day in range(1, 12)]
    rankings = {
        "first": [passage("2014-01-01"), *filler],  # rank 1
        "third": [*filler[:2], passage("2014-01-01"), *filler],  # rank 3
        "seventh": [*filler[:6], passage("2001-01-01", "notes/a.txt"), *filler],  # rank 7
        "late": [*filler, passage("2014-01-01")],  # rank 12: beyond the longest k
    }
    questions = [
        question("first", "2014-01-01"),
        question("third", "2014-01-01", "2099-01-01"),
        question("seventh", "notes/a.txt", since=dt.date(2001, 1, 1)),
        question("late", "2014-01-01"),
    ]
    searcher = ScriptedSearcher(rankings)
    report = evaluate(searcher, questions, ks=(10, 5), mode="text")  # type: ignore[arg-type]
    assert [r.rank for r in report.results] == [1, 3, 7, None]
    assert report.ks == (5, 10)
    assert report.hit_at(5) == pytest.approx(2 / 4)
    assert report.hit_at(10) == pytest.approx(3 / 4)
    assert report.mrr == pytest.approx((1 + 1 / 3 + 1 / 7 + 0) / 4)
    # Every search asks for the longest k, in the mode and date range of the question.
    assert {call[1] for call in searcher.calls} == {10}
    assert searcher.calls[2][2] == DateRange(dt.date(2001, 1, 1), None)
    assert {call[3] for call in searcher.calls} == {"text"}
    data = report.as_json()
    assert (data["hit@5"], data["hit@10"], data["questions"]) == (0.5, 0.75, 4)
    assert data["per_question"][1]["rank"] == 3
    assert [r.question.q for r in report.misses(5)] == ["seventh", "late"]


def test_first_hit_counts_from_one() -> None:
    q = question("q", "2014-01-02")
    assert first_hit(q, [passage("2014-01-01"), passage("2014-01-02")]) == 2
    assert first_hit(q, []) is None


def test_unknown_gold_is_reported() -> None:
    searcher = ScriptedSearcher({"q": [passage("2014-01-01")]})
    q = question("q", "2014-01-01", "2015-05-05", "gone.md")
    report = evaluate(
        searcher,  # type: ignore[arg-type]
        [q],
        known=lambda q: [g for g in q.gold if g not in {"2014-01-01"}],
    )
    assert report.unknown_gold == ("q: 2015-05-05", "q: gone.md")


# -- fusion ---------------------------------------------------------------------------------


def test_an_entry_both_lists_vouch_for_beats_passages_middling_in_both() -> None:
    # Entry E: its third paragraph is the best vector hit, its first the best text hit.
    e_meaning = passage("2019-04-28", "essay.md", chunk="e-3")
    e_words = passage("2019-04-28", "essay.md", chunk="e-1")
    middling = [passage(f"2000-01-{d:02d}", f"n{d}.md", chunk=f"m{d}") for d in range(1, 6)]
    vector = [e_meaning, *middling]
    text = [e_words, *middling]
    fused = fuse_rankings([vector, text], rrf_k=5)
    assert fused[0].chunk_id in {"e-1", "e-3"}
    # Every passage of both lists comes back once, with its ranks in each list.
    assert sorted(p.chunk_id for p in fused) == sorted({p.chunk_id for p in vector + text})
    by_id = {p.chunk_id: p for p in fused}
    assert (by_id["m1"].vector_rank, by_id["m1"].text_rank) == (2, 2)
    assert (by_id["e-3"].vector_rank, by_id["e-3"].text_rank) == (1, None)


def test_a_passage_first_in_one_list_is_not_outvoted_by_mediocre_consensus() -> None:
    best = passage("2016-09-05", "pepper.md", chunk="best")
    middling = passage("2000-01-01", "m.md", chunk="middling")
    others = [passage(f"2001-01-{d:02d}", f"o{d}.md", chunk=f"o{d}") for d in range(1, 17)]
    vector = [best, *others[:8], middling]  # first here; middling tenth
    text = [*others[8:], middling]  # best absent; middling ninth
    assert fuse_rankings([vector, text], rrf_k=5)[0].chunk_id == "best"
    # The classic constant lets the middling passage win: why ponder's default is small.
    assert fuse_rankings([vector, text], rrf_k=60)[0].chunk_id == "middling"


def test_ties_go_to_the_vector_rank() -> None:
    v = passage("2001-01-01", "v.md", chunk="v")
    t = passage("2002-01-01", "t.md", chunk="t")
    fused = fuse_rankings([[v], [t]], rrf_k=5)
    assert fused[0].score == fused[1].score
    assert [p.chunk_id for p in fused] == ["v", "t"]


# -- answer support ------------------------------------------------------------------------


def test_lexical_support_counts_the_sentences_content_words() -> None:
    assert lexical_support("We moved to the coast [2]", "the day we moved to the coast") == 1.0
    assert lexical_support("We moved to the coast.", "We painted the kitchen.") == 0.0
    assert lexical_support("I ran the Leeds half", "I ran a race") == pytest.approx(1 / 3)
    assert lexical_support("and then [1]", "anything") == 0.0  # no content words to support


def test_answers_support_needs_the_quote_in_the_passage() -> None:
    passage_text = "Sat at the kitchen table.\n\nWe moved   to the coast in April."
    report = answers_support(
        [
            CitedSentence(
                "You moved to the coast in April [1].", "We moved to the coast", passage_text
            ),
            CitedSentence("You moved to the coast [1].", "We moved to the coast", "Other text."),
            CitedSentence("You hated Leeds [2].", "Sat at the kitchen table.", passage_text),
            CitedSentence("You moved to the coast.", "moved to the coast", None),  # source unknown
        ]
    )
    assert [j.supported for j in report.judgements] == [True, False, False, True]
    assert [j.quote_found for j in report.judgements] == [True, False, True, True]
    assert (report.supported, report.total, report.share) == (2, 4, 0.5)


def test_the_embedder_catches_paraphrase_and_is_recorded() -> None:
    embedder = FakeEmbedder()
    same = "the sea wall broke in the storm"
    report = answers_support([CitedSentence(same, same, None)], embedder, threshold=0.99)
    [judgement] = report.judgements
    assert judgement.semantic == pytest.approx(1.0, abs=1e-5) and judgement.supported
    assert answers_support([]).share == 0.0


# -- the command -----------------------------------------------------------------------------


def small_archive(archive: Path) -> None:
    write(
        archive,
        "journal.md",
        "## 2014-03-02\n\nThe sea was loud all night and the gulls woke me.\n\n"
        "## 2016-05-01\n\nFather is ill; the hospital car park again.\n\n"
        "## 2018-08-25\n\nWe got married at the registry office, then the pub.\n",
    )
    write(archive, "notes/garden.txt", "The broad beans survived the salt wind.\n")


def questions_file(tmp_path: Path, questions: list[dict[str, Any]]) -> Path:
    return write(tmp_path, "questions.json", json.dumps({"questions": questions}))


def test_eval_prints_hit_at_k_and_mrr_as_json(
    runner: CliRunner, archive: Path, tmp_path: Path
) -> None:
    small_archive(archive)
    assert runner.invoke(cli, ["ingest"]).exit_code == 0
    path = questions_file(
        tmp_path,
        [
            {"q": "when did we get married at the registry office", "gold": ["2018-08-25"]},
            {"q": "broad beans and the salt wind", "gold": ["notes/garden.txt"]},
            {"q": "the loud sea and gulls", "gold": ["2014-03-02"], "until": "2015-12-31"},
        ],
    )
    result = runner.invoke(cli, ["eval", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"hit@5", "hit@10", "mrr", "questions"} <= set(data)
    assert data["questions"] == 3 and data["mode"] == "hybrid"
    assert data["hit@5"] == 1.0 and data["mrr"] == 1.0

    result = runner.invoke(cli, ["eval", str(path), "--json", "--k", "1,3", "--mode", "all"])
    data = json.loads(result.output)
    assert set(data) == {"hybrid", "vector", "text", "ask"}
    assert {"hit@1", "hit@3", "mrr", "questions"} <= set(data["text"])
    assert data["ask"]["mode"] == "ask" and data["ask"]["hit@3"] == 1.0

    result = runner.invoke(cli, ["eval", str(path), "--mode", "all"])
    assert result.exit_code == 0
    assert "hybrid" in result.output and "vector" in result.output and "hit@5" in result.output


def test_eval_ask_scores_what_ask_would_show_the_model(
    runner: CliRunner, archive: Path, tmp_path: Path
) -> None:
    # Search always returns the nearest passages; ask says "nothing found" when none is
    # relevant, and then the model is shown nothing: a miss for --mode ask, whatever the
    # ranking held. A "first" question is shown the earliest mention first.
    small_archive(archive)
    write(archive, "2019.md", "## 2019-05-01\n\nMarried life is the same as before.\n")
    assert runner.invoke(cli, ["ingest"]).exit_code == 0
    path = questions_file(
        tmp_path,
        [
            {"q": "what did I write about skydiving lessons", "gold": ["2018-08-25"]},
            {"q": "when did I first write about being married", "gold": ["2018-08-25"]},
            # The question set's dates win over the question's own, as in search modes.
            {"q": "married at the registry office", "gold": ["2018-08-25"], "until": "2017-12-31"},
        ],
    )
    result = runner.invoke(cli, ["eval", str(path), "--json", "--k", "1,10", "--mode", "all"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    searched, asked = data["hybrid"]["per_question"], data["ask"]["per_question"]
    assert searched[0]["top"] and asked[0]["top"] == [] and asked[0]["rank"] is None
    assert asked[1]["rank"] == 1 and asked[1]["top"][0]["date"] == "2018-08-25"
    assert asked[2]["rank"] is None and all(p["date"] <= "2017-12-31" for p in asked[2]["top"])
    assert data["ask"]["hit@10"] == round(1 / 3, 4)

    result = runner.invoke(cli, ["eval", str(path), "--mode", "ask"])
    assert result.exit_code == 0, result.output
    assert "ask" in result.output and "hybrid" not in result.output
    assert "Missed at 5 (ask)" in result.output and "[not found]" in result.output


def test_eval_reports_gold_the_index_does_not_hold(
    runner: CliRunner, archive: Path, tmp_path: Path
) -> None:
    small_archive(archive)
    runner.invoke(cli, ["ingest"])
    path = questions_file(tmp_path, [{"q": "the sea", "gold": ["2014-03-03", "nope.md"]}])
    result = runner.invoke(cli, ["eval", str(path)])
    assert result.exit_code == 0, result.output
    assert "Gold items no indexed passage carries" in result.output
    assert "2014-03-03" in result.output and "nope.md" in result.output
    assert "Missed at 5" in result.output


def test_eval_answers_scores_citations(runner: CliRunner, archive: Path, tmp_path: Path) -> None:
    small_archive(archive)
    runner.invoke(cli, ["ingest"])
    path = questions_file(tmp_path, [{"q": "when did we get married", "gold": ["2018-08-25"]}])
    result = runner.invoke(cli, ["eval", str(path), "--answers", "--json"])
    assert result.exit_code == 0, result.output
    answers = json.loads(result.output)["answers"]
    assert {"support", "supported", "citations", "per_question"} <= set(answers)
    assert answers["per_question"][0]["q"] == "when did we get married"


def test_eval_errors_are_messages_not_tracebacks(
    runner: CliRunner, archive: Path, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["eval", str(tmp_path / "missing.json")])
    assert result.exit_code != 0 and "no question set at" in result.output
    path = questions_file(tmp_path, [{"q": "x", "gold": ["2014-13-01"]}])
    result = runner.invoke(cli, ["eval", str(path)])
    assert result.exit_code != 0 and "not a real date" in result.output
    good = questions_file(tmp_path, [{"q": "x", "gold": ["2014-01-01"]}])
    result = runner.invoke(cli, ["eval", str(good)])
    assert result.exit_code != 0 and "ponder ingest" in result.output  # empty index
    result = runner.invoke(cli, ["eval", str(good), "--k", "0"])
    assert result.exit_code == 2 and "between 1 and 200" in result.output
    assert "Traceback" not in result.output


# -- shipped question sets -------------------------------------------------------------------


def test_the_sample_questions_are_valid_and_name_real_entries() -> None:
    questions = load_questions(REPO / "sample" / "questions.json")
    assert len(questions) >= 40
    truth = json.loads((REPO / "sample" / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth  # the archive the questions are about
    for q in questions:
        assert q.gold_dates or q.gold_paths
        for date in q.gold_dates:
            assert dt.date(2012, 1, 1) <= date <= dt.date(2025, 12, 31)
        for path in q.gold_paths:
            assert (REPO / "sample" / "archive" / path).is_file(), path


def test_the_committed_generated_questions_match_the_generator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = importlib.util.spec_from_file_location("eval_archive", REPO / "bench/eval_archive.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "eval_archive", module)  # dataclasses look it up
    spec.loader.exec_module(module)
    committed = json.loads((REPO / "bench" / "eval_questions.json").read_text(encoding="utf-8"))
    generator = committed["generator"]
    archive = module.build(generator["entries"], generator["seed"])
    assert archive.questions == committed["questions"]
    assert len(committed["questions"]) >= 90
    dates = [entry.date for entry in archive.entries]
    assert len(dates) == len(set(dates)) == generator["entries"]  # a gold date names one entry
    assert load_questions(REPO / "bench" / "eval_questions.json")


def test_the_relevance_calibration_counts_what_ask_would_find(
    runner: CliRunner,
    archive: Path,
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    small_archive(archive)
    assert runner.invoke(cli, ["ingest"]).exit_code == 0
    answerable = questions_file(tmp_path, [{"q": "broad beans and the salt wind", "gold": []}])
    unanswerable = write(
        tmp_path, "none.json", json.dumps({"questions": [{"q": "my skydiving lessons"}]})
    )
    spec = importlib.util.spec_from_file_location(
        "calibrate_relevance", REPO / "bench/calibrate_relevance.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(
        [
            *("--archive", str(archive), "--data-dir", str(data_dir)),
            *("--answerable", str(answerable), "--unanswerable", str(unanswerable)),
        ]
    )
    printed = capsys.readouterr().out
    assert "model fake-hashing" in printed and "threshold now 0.60" in printed
    found, not_found = printed.split("(unanswerable, 1)")
    assert "(answerable, 1)" in found and "covering alone: 1" in found
    assert "covering alone: 0" in not_found
    assert "  0.60:   0" in not_found  # nothing in the archive comes close


# -- the vector index of large archives --------------------------------------------------------


def _chunks(doc: str, count: int, seed: int) -> tuple[DocumentRecord, list[ChunkRecord]]:
    vectors = np.random.default_rng(seed).standard_normal((count, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [
        ChunkRecord(
            chunk_id=f"{doc}-{i}",
            doc_id=doc,
            path=f"{doc}.md",
            entry_index=i,
            entry_title="",
            date=dt.date(2014, 1, 1),
            date_source="heading",
            start=0,
            end=1,
            text=f"passage {i}",
            search_text=f"passage {i}",
            text_hash=f"{doc}-{i}",
            tags=(),
            vector=vectors[i],
        )
        for i in range(count)
    ]
    document = DocumentRecord(
        doc_id=doc,
        path=f"{doc}.md",
        content_hash=doc,
        size=1,
        mtime_ns=0,
        status=DocStatus.INDEXED,
        reason="",
        reader="markdown",
        entry_count=count,
        chunk_count=count,
        first_date=None,
        last_date=None,
        title="",
        indexed_at=dt.datetime.now(dt.UTC),
    )
    return document, chunks


def test_a_large_archive_gets_an_hnsw_index_and_still_finds_every_passage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "VECTOR_INDEX_MIN_ROWS", 300)
    store = Store.open(str(tmp_path / "index"), read_consistency=None)
    store.bind_embedder("fake-hashing-16", 16)
    small_doc, small = _chunks("small", 200, seed=1)
    store.replace_documents([small_doc], small)
    store.optimize()
    assert store.vector_index_type() is None  # small archives scan exactly

    big_doc, big = _chunks("big", 300, seed=2)
    store.replace_documents([big_doc], big)
    store.optimize()
    assert store.vector_index_type() == "IvfHnswSq"
    for chunk in (big[7], small[3]):
        assert store.vector_search(chunk.vector, 5)[0].chunk_id == chunk.chunk_id

    late_doc, late = _chunks("late", 10, seed=3)  # written after the graph was built
    store.replace_documents([late_doc], late)
    assert store.vector_search(late[4].vector, 5)[0].chunk_id == late[4].chunk_id
