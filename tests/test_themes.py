"""Themes: discovery, the JSON shape, boilerplate, small archives, the cache, naming, scope."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from index import theme_runs
from index.chat import ChatMessage, FakeChat
from index.search import EntryScope
from index.theme_eval import rule_peak
from index.theme_names import parse_naming
from index.theme_runs import Themer
from index.themes import ThemeReport, compare, peak_period, report_json, theme_scope, trend
from tests.conftest import AppFactory, write
from tests.themes_support import BOILERPLATE, PLAN, SUBJECTS, themed_archive, write_year
from ui.cli import cli
from ui.services import Services


@pytest.fixture
def themed(archive: Path, make_app: AppFactory) -> Services:
    """The synthetic archive with broad themes (one per subject): the hashing embedder's
    random word bags make leaf selection split each subject by chance."""
    themed_archive(archive)
    app = make_app(themes__cluster_selection="eom")
    app.sync()
    return app


def cli_env(monkeypatch: pytest.MonkeyPatch, app: Services) -> None:
    """The command line on the same archive, data and settings as ``app``."""
    monkeypatch.setenv("PONDER_ARCHIVE", str(app.archive))
    monkeypatch.setenv("PONDER_DATA_DIR", str(app.data_dir))
    monkeypatch.setenv("PONDER_EMBEDDINGS__PROVIDER", "fake")
    monkeypatch.setenv("PONDER_LLM__PROVIDER", "fake")
    monkeypatch.setenv("PONDER_THEMES__CLUSTER_SELECTION", app.settings.themes.cluster_selection)


def subject_of(keywords: Sequence[str]) -> str:
    """Which planted subject a theme's keywords are drawn from ("" if none)."""
    for subject, words in SUBJECTS.items():
        if sum(1 for k in keywords[:5] if k.split()[0] in words) >= 3:
            return subject
    return ""


def themer(app: Services, chat: FakeChat | None = None) -> Themer:
    return Themer(app.store, app.settings, app.data_dir, chat=(lambda: chat) if chat else None)


def test_themes_come_from_the_subjects_with_their_peaks(themed: Services) -> None:
    report = themer(themed).themes()
    found = {subject_of(t.keywords): t for t in report.themes}
    assert {"garden", "running", "work"} <= set(found)
    assert found["garden"].peak == "2015"
    assert found["running"].peak == "2018"
    assert found["garden"].trend == "fading"
    assert found["running"].trend == "emerging"
    garden = found["garden"]
    assert garden.first_seen.year == 2014 and garden.last_seen.year == 2019
    assert 3 <= len(garden.quotes) <= 5
    assert len({(q.path, q.date) for q in garden.quotes}) == len(garden.quotes)  # distinct
    for quote in garden.quotes:  # exact passages of the source
        source = (themed.archive / quote.path).read_text(encoding="utf-8")
        assert quote.text in source
    # Timeline: the share of each year's entries, normalised by that year's writing.
    year_total = sum(PLAN[2015].values())
    assert dict(garden.timeline)["2015"] == pytest.approx(
        dict(garden.counts)["2015"] / year_total, abs=1e-3
    )


def test_the_peak_is_the_largest_share_the_entries_can_show() -> None:
    # 5 of 16 against 4 of 12: one entry's difference in share, and more entries behind the
    # former (the sample's father theme, planted with its most entries in 2016).
    assert peak_period({"2016": 5, "2017": 4}, {"2016": 16, "2017": 12}, 16 / 156) == "2016"
    # One entry in a year of two is not a peak over three entries of ten.
    assert peak_period({"2012": 1, "2013": 3}, {"2012": 2, "2013": 10}, 0.1) == "2013"
    # But a clearly larger share wins over more entries: normalised by what was written.
    assert peak_period({"2015": 10, "2016": 40}, {"2015": 30, "2016": 300}, 0.025) == "2015"
    # Periods without writing are never the peak; the earlier of equals is.
    assert peak_period({"2014": 2, "2015": 2}, {"2013": 0, "2014": 10, "2015": 10}, 0.2) == "2014"


def test_the_evaluation_applies_the_same_peak_rule_to_planted_entries() -> None:
    periods = [("2015", 11), ("2016", 16), ("2017", 12)]
    dates = ["2015-03-01"] * 3 + ["2016-05-01"] * 5 + ["2017-01-02"] * 4
    assert rule_peak(dates, periods) == "2016"
    months = [("2016-01", 4), ("2016-02", 9)]
    assert rule_peak(["2016-01-03", "2016-02-01", "2016-02-09", "2016-02-10"], months) == (
        "2016-02"
    )
    assert rule_peak(dates, []) == ""


def test_boilerplate_never_becomes_a_theme_or_a_keyword(
    archive: Path, make_app: AppFactory
) -> None:
    themed_archive(archive)
    # Forty entries of nothing but boilerplate, all alike: they must not make a theme.
    empty = "\n".join(
        f"## 2016-{1 + n % 12:02d}-{1 + n % 28:02d}\n\nDear diary, Monday {n % 28 + 1} March "
        f"2016, 7:30am.\n\nLove, M. Regards and cheers. <br> **Tuesday** [link](http://x.org)\n"
        for n in range(40)
    )
    write(archive, "journal/empty-days.md", empty)
    app = make_app()
    app.sync()
    report = themer(app).themes()
    assert report.set_aside >= 40
    assert report.themes
    for theme in report.themes:
        words = {w for k in theme.keywords for w in k.split()}
        assert not words & BOILERPLATE, theme.keywords
        assert not any(any(ch.isdigit() for ch in w) for w in words)
        assert all(e.path != "journal/empty-days.md" for e in theme.entries)


def test_same_archive_same_themes(themed: Services) -> None:
    first = report_json(themer(themed).themes(recompute=True))
    second = report_json(themer(themed).themes(recompute=True))
    for data in (first, second):
        data.pop("freshness"), data.pop("seconds")
    assert first == second


def test_json_shape_of_the_cli(themed: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    cli_env(monkeypatch, themed)
    result = CliRunner().invoke(cli, ["themes", "--json", "--compare", "2015"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["themes"]
    for theme in data["themes"]:
        assert {
            "name",
            "description",
            "keywords",
            "size",
            "timeline",
            "first_seen",
            "peak",
            "last_seen",
            "trend",
            "quotes",
        } <= set(theme)
        assert isinstance(theme["name"], str) and theme["name"]
        assert theme["description"].startswith("You ")
        assert set(theme["size"]) == {"entries", "share"}
        assert all(len(year) == 4 and 0 <= share <= 1 for year, share in theme["timeline"].items())
        assert theme["trend"] in {"emerging", "fading", "steady", "recurring"}
        assert 3 <= len(theme["quotes"]) <= 5
        assert all(set(q) == {"path", "date", "text"} for q in theme["quotes"])
    over = [d["name"] for d in data["comparison"]["over"]]
    garden = next(t["name"] for t in data["themes"] if subject_of(t["keywords"]) == "garden")
    assert garden in over


def test_cli_human_output_and_chart(
    themed: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cli_env(monkeypatch, themed)
    chart = tmp_path / "themes.html"
    result = CliRunner().invoke(cli, ["themes", "--chart", str(chart), "--compare", "2018"])
    assert result.exit_code == 0, result.output
    assert "keywords:" in result.output and "peak 2018" in result.output
    assert "What was different about 2018" in result.output
    html = chart.read_text(encoding="utf-8")
    assert "vega" in html.lower()
    assert not re.search(r"""src=["']https?://""", html), "opening it must fetch nothing"
    bad = CliRunner().invoke(cli, ["themes", "--chart", str(tmp_path / "x.svg")])
    assert bad.exit_code != 0 and ".html or .png" in bad.output


def test_a_small_archive_gets_a_message_not_a_crash(
    archive: Path, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_year(archive, 2020, {"garden": 3, "work": 2})
    app = make_app()
    app.sync()
    report = themer(app).themes()
    assert report.themes == ()
    assert "not enough writing yet" in report.message
    monkeypatch.setenv("PONDER_ARCHIVE", str(archive))
    monkeypatch.setenv("PONDER_DATA_DIR", str(app.data_dir))
    monkeypatch.setenv("PONDER_EMBEDDINGS__PROVIDER", "fake")
    result = CliRunner().invoke(cli, ["themes"])
    assert result.exit_code == 0 and "not enough writing yet" in result.output


def test_the_cache_is_reused_and_small_changes_join_existing_themes(
    themed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = themer(themed).themes()
    assert first.freshness.how == "computed"

    def no_clustering(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("clustered again")

    monkeypatch.setattr(theme_runs, "cluster", no_clustering)
    again = themer(themed).themes()
    assert again.freshness.how == "cached"
    assert [t.keywords for t in again.themes] == [t.keywords for t in first.themes]
    # One new garden entry: placed in the garden theme, nothing recomputed.
    write_year(themed.archive, 2020, {"garden": 1})
    themed.sync()
    peek = themer(themed).cached()
    assert peek is not None and peek.freshness.changed_since == 1
    updated = themer(themed).themes()
    assert updated.freshness.how == "updated"
    assert updated.freshness.assigned_since == 1
    joined = [t for t in updated.themes if any(e.date.year == 2020 for e in t.entries)]
    assert [subject_of(t.keywords) for t in joined] == ["garden"]
    # Many changes: discovery runs again.
    monkeypatch.undo()
    for year in (2021, 2022):
        write_year(themed.archive, year, {"work": 12, "running": 6})
    themed.sync()
    assert themer(themed).themes().freshness.how == "computed"


def naming_script(messages: Sequence[ChatMessage]) -> str:
    keywords = messages[-1].content.split("\n")[0].removeprefix("Keywords: ").split(", ")
    return f"Name: All about {keywords[0]}\nDescription: You keep coming back to {keywords[0]}."


def test_the_model_names_each_theme_once(themed: Services) -> None:
    chat = FakeChat(script=naming_script)
    report = themer(themed, chat).themes()
    assert len(chat.calls) == len(report.themes)  # one call per theme, none per entry
    for theme in report.themes:
        assert theme.name == f"All about {theme.keywords[0]}"
        assert theme.description.startswith("You keep coming back to")
        assert theme.named_by == "fake/scripted"
    themer(themed, chat).themes()
    assert len(chat.calls) == len(report.themes)  # cached names: no more calls


def test_a_failing_model_leaves_keyword_names(themed: Services) -> None:
    chat = FakeChat(script=naming_script, fail_after=0)
    report = themer(themed, chat).themes()
    assert report.themes
    assert all(t.named_by == "keywords" for t in report.themes)
    assert all(t.description.startswith("You keep coming back to") for t in report.themes)


def test_parse_naming() -> None:
    assert parse_naming("Name: The garden\nDescription: You keep tending it.") == (
        "The garden",
        "You keep tending it.",
    )
    assert parse_naming(" the garden by the sea\n") == ("The garden by the sea", "")
    assert parse_naming("I could not find anything about that in your writing at all.") is None


def test_compare_finds_what_was_different(themed: Services) -> None:
    import datetime as dt

    report = themer(themed).themes()
    result = compare(report, "2018", dt.date(2018, 1, 1), dt.date(2018, 12, 31))
    assert subject_of(result.over[0].theme.keywords) == "running"
    assert "garden" in {subject_of(d.theme.keywords) for d in result.under}


def test_trend_definitions() -> None:
    totals = [10] * 6
    assert trend([0, 0, 0, 1, 4, 5], totals) == "emerging"
    assert trend([5, 4, 2, 1, 0, 0], totals) == "fading"
    assert trend([2, 2, 2, 2, 2, 2], totals) == "steady"
    assert trend([2, 0, 0, 2, 0, 2], totals) == "recurring"


def test_asking_within_a_theme_searches_only_its_entries(themed: Services) -> None:
    report: ThemeReport = themer(themed).themes()
    running = next(t for t in report.themes if subject_of(t.keywords) == "running")
    scope = theme_scope(running)
    allowed = {(e.doc_id, e.entry_index) for e in running.entries}
    hits = themed.searcher(scope).search("garden beds seeds compost", k=20)
    assert all((h.doc_id, h.entry_index) in allowed for h in hits)
    assert hits  # the vector half still finds the nearest of the theme's entries
    unscoped = themed.searcher().search("garden beds seeds compost", k=20)
    assert any((h.doc_id, h.entry_index) not in allowed for h in unscoped)
    assert EntryScope(()).where() == "false"
    quoted = EntryScope((("it's", 1),)).where()
    assert "'it''s'" in quoted


def test_ask_theme_option(themed: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    cli_env(monkeypatch, themed)
    result = CliRunner().invoke(
        cli, ["ask", "--theme", "parkrun", "--json", "--no-save", "what about my knee?"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{") :])
    report = themer(themed).themes()
    running = report.find("parkrun")
    assert running is not None
    paths_dates = {(e.path, e.date.isoformat()) for e in running.entries}
    assert data["passages"]
    assert all((s["path"], s["date"]) in paths_dates for s in data["passages"])
    missing = CliRunner().invoke(cli, ["ask", "--theme", "astronomy", "x"])
    assert missing.exit_code != 0 and "no theme 'astronomy'" in missing.output


def test_a_short_span_is_shown_by_month(archive: Path, make_app: AppFactory) -> None:
    parts = [
        f"## 2021-{1 + n % 12:02d}-{1 + n % 27:02d}\n\n"
        + " ".join(SUBJECTS["garden" if n % 2 else "work"] * 2)
        + "\n"
        for n in range(40)
    ]
    write(archive, "journal/2021.md", "\n".join(parts))
    app = make_app(themes__cluster_selection="eom")
    app.sync()
    report = themer(app).themes()
    assert report.granularity == "month"
    assert report.themes
    assert all(len(period) == 7 for t in report.themes for period, _ in t.timeline)
    assert [p for p, _ in report.periods][:2] == ["2021-01", "2021-02"]


def test_a_chart_without_vl_convert_says_what_to_install(
    themed: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "vl_convert" else real(name)
    )
    cli_env(monkeypatch, themed)
    result = CliRunner().invoke(cli, ["themes", "--chart", str(tmp_path / "t.png")])
    assert result.exit_code != 0
    assert "vl-convert-python" in result.output
    assert not (tmp_path / "t.png").exists()


def test_words_tie_together_entries_whose_embeddings_do_not() -> None:
    """Entries with unrelated embeddings (random here) but a vocabulary of their own end up
    nearer each other once their words join, while boilerplate ties nothing together."""
    import datetime as dt

    import numpy as np

    from config import ThemesSettings
    from index.themes import Entry, clustering_vectors

    rng = np.random.default_rng(0)
    texts = [
        f"Dear diary, Monday {n} March. The heatwave again: the allotment is dust, the "
        f"drought {'flood' if n % 2 else 'emissions'} news, a climate protest. Love, M"
        for n in range(8)
    ] + [
        f"Dear diary, Monday {n} March. Parkrun with Tom, then the running club at Harewood; "
        f"my calf {'splits' if n % 2 else 'training'} held up. Love, M"
        for n in range(8)
    ]

    def entry(n: int, text: str) -> Entry:
        vector = rng.normal(size=32).astype(np.float32)
        vector /= np.linalg.norm(vector)
        return Entry(
            f"d{n}#0", f"d{n}", 0, f"{n}.md", dt.date(2020, 1, 1), "", text, "", (text,),
            vector[None, :], vector,
        )  # fmt: skip

    entries = [entry(n, text) for n, text in enumerate(texts)]
    dense = clustering_vectors(entries, ThemesSettings(lexical_weight=0))
    joined = clustering_vectors(entries, ThemesSettings())
    assert joined.shape[1] > dense.shape[1]
    assert np.allclose(np.linalg.norm(joined, axis=1), 1, atol=1e-5)

    def within_minus_across(vectors: np.ndarray) -> float:
        similarity = vectors @ vectors.T
        within = (similarity[:8, :8].sum() - 8 + similarity[8:, 8:].sum() - 8) / (2 * 56)
        return float(within - similarity[:8, 8:].mean())

    assert within_minus_across(joined) > within_minus_across(dense) + 0.3
    # Deterministic: the same entries, the same vectors.
    assert np.array_equal(joined, clustering_vectors(entries, ThemesSettings()))


def test_texts_that_share_no_words_add_nothing() -> None:
    from index.theme_words import lexical_vectors

    assert (
        lexical_vectors(["Dear diary, Monday 3 March.", "Love, M. 12:30 https://x.org"], 100)
        is None
    )
    assert lexical_vectors(["alpha beta", "gamma delta"], 100) is None  # nothing in two texts
    texts = ["heatwave drought dust", "heatwave drought flood", "tom run", "tom run", "garden"]
    vectors = lexical_vectors(texts, 100)
    assert vectors is not None and vectors.shape == (5, 3)  # four shared words, rank 3
    assert abs(float(vectors[0] @ vectors[1])) > 0.99 and float(vectors[0] @ vectors[2]) < 0.01


def test_an_entry_sharing_no_word_borrows_its_neighbours_words() -> None:
    """A zero word part would make such entries nearer each other than entries whose words
    merely differ; it is taken from the nearest entries by embedding instead."""
    import numpy as np

    from index.themes import _fill_missing_words

    dense = np.eye(4, dtype=np.float32)[[0, 0, 1, 1, 0]]  # the last entry is like the first two
    words = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0, 0]], dtype=np.float32)
    filled = _fill_missing_words(dense, words)
    assert filled is not None
    assert np.allclose(filled[:4], words[:4])
    assert filled[4] @ words[0] > 0.7 and np.isclose(np.linalg.norm(filled[4]), 1)
    # When most texts share no word (a script written without spaces), words say nothing.
    assert _fill_missing_words(dense, np.zeros_like(words)) is None


def test_a_joining_entry_is_placed_in_the_space_the_themes_were_found_in() -> None:
    import datetime as dt

    import numpy as np

    from index.themes import Entry, assign

    def entry(key: str, vector: list[float]) -> Entry:
        v = np.array(vector, dtype=np.float32)
        text = "heatwave drought garden allotment " * 5
        return Entry(key, key, 0, f"{key}.md", dt.date(2020, 1, 1), "", text, "", (text,),
                     v[None, :], v)  # fmt: skip

    known = [entry(f"k{n}", [1, 0]) for n in range(3)] + [entry(f"j{n}", [0, 1]) for n in range(3)]
    labels = [0, 0, 0, 1, 1, 1]
    new = entry("new", [1, 0])
    assert assign(new, known, labels) == 0  # by embedding
    space = {e.key: np.array([0.0, 1.0], dtype=np.float32) for e in known[3:]}
    space |= {e.key: np.array([1.0, 0.0], dtype=np.float32) for e in known[:3]}
    space["new"] = np.array([0.0, 1.0], dtype=np.float32)
    assert assign(new, known, labels, space) == 1  # by the clustering's own vectors
