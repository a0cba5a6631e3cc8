"""Whether retrieved passages bear on a question at all: content words, and the calibrated rule.

Retrieval always returns the nearest passages, even for a question the archive says
nothing about. Before any model is asked, ponder decides whether anything is relevant
with one simple rule. A passage is relevant when

- it *covers* the query: it contains all its content words (two or fewer) or two thirds
  of them (three or more), light stemming aside; or
- its similarity to the question (as asked, time phrases taken out) reaches the embedding
  model's threshold in ``SIMILARITY_THRESHOLDS``: the cosine similarity of the passage or
  of its closest paragraph, whichever is higher (``index.passage_choice.closeness``).

First measured on the sample archive (555 passages) with 35 topics it holds and 25 it does
not, asked as "What did I write about X?", and the 68 paraphrased questions of
sample/questions.json: all-MiniLM-L6-v2's best passage similarities were on-topic
0.41-0.81, paraphrased 0.36-0.74, off-topic 0.29-0.53, and 0.40 with covering found 35/35,
66/68 and 9/25 off-topic. 0.40 it is: a wrong "found" costs one model call (told to say
when the passages do not answer), a wrong "not found" hides the writer's own words.

Measured again with paragraph vectors (``bench/calibrate_relevance.py``; answerable: the
sample's 68 questions and the generated archive's 99, ``bench/eval_questions.json``;
unanswerable: the 30 of ``bench/unanswerable_questions.json``, asked of both archives),
questions that count as found at 0.40 by the passage's own similarity (the rule before)
/ by closeness (the rule now, which the script prints):

- answerable: sample 66 / 68 of 68, generated 86 / 92 of 99;
- unanswerable: sample 10 / 15 of 30, generated 12 / 13 of 30.

A paragraph that answers a question often sits well above the threshold inside a passage
whose one vector, the average of two or three subjects, sits below it. Closeness at 0.42
would let no more unanswerable questions through than the passage rule did (10 and 10
against 10 and 12) and still find 66 and 88 answerable ones; 0.40 finds 2 + 4 more
answerable questions at the cost of 5 + 3 more unanswerable ones reaching the model, the
trade the first measurement chose.
all-mpnet-base-v2 (config/mpnet-parts.txt), measured the same way (closeness): at 0.40 /
0.43 / 0.45 answerable sample 68 / 67 / 67 of 68, generated 96 / 95 / 92 of 99;
unanswerable sample 16 / 10 / 9 of 30, generated 21 / 15 / 13 of 30. 0.43 finds as many
answerable questions as MiniLM's 0.40 does (67 + 95 against 68 + 92) and lets fewer
unanswerable ones through (10 + 15 against 15 + 13).
The fake hashing embedder: on- and off-topic similarities overlap completely (0.27-0.49),
so its threshold (0.6) leaves the decision to covering.

nomic-embed-text could not be measured here (no Ollama on the build machines); unrelated
sentences commonly score about 0.5 with it, so 0.5 is a guess. ``ask.min_similarity``
overrides any of these; measure your model with ``bench/calibrate_relevance.py``, or one
question with ``ponder ask --json`` (``retrieval.best_similarity``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

# Cosine similarity at or above which a passage is relevant without covering the query,
# by embedding model id prefix; see the module docstring for the measurements.
SIMILARITY_THRESHOLDS: dict[str, float] = {
    "fake-hashing": 0.6,
    "sentence-transformers/all-MiniLM-L6-v2": 0.40,
    "sentence-transformers/all-mpnet-base-v2": 0.43,
    "ollama/nomic-embed-text": 0.5,
}
# For a model nobody measured, vectors alone never rule a question out: better to let the
# model read weak passages (it is told to say they do not answer) than to hide real ones.
UNKNOWN_MODEL_THRESHOLD = -1.0

# Words that frame a question rather than name its subject. Function words, and the verbs
# a writer uses to ask about their own writing ("what did I write/think/feel about").
_FRAMING_WORDS = """
    a about above after again against all also am an and any anything are as at be because
    been before being below between both but by can could did do does doing down during each
    ever every few for from further had has have having he her here hers herself him himself
    his how i i'd i'm i've if in into is it it's its itself just me mention mentioned more
    most my myself no nor not nothing now of off on once only or other our ours ourselves out
    over own same she should so some something such tell than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what whatever when where which while who whom why will with would you your yours
    yourself find found say said says think thought thoughts feel felt write wrote written
    writes know knew remember go went get got make made much many
"""
_STOP_WORDS = frozenset(_FRAMING_WORDS.split())
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def stem(word: str) -> str:
    """A light English stemmer: enough for "running/runs/run" and "died/dies/die" to agree.

    Porter or Snowball would be better, but both live in packages that cost seconds to
    import; this only has to decide whether a passage mentions a word at all.
    """
    word = word.lower().replace("’", "'").removesuffix("'s")
    if len(word) == 4 and word.endswith("ied"):
        return word[:-1]  # died, lied, tied -> die, lie, tie
    for suffix, replacement in (
        ("ies", "y"),
        ("ied", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # runn -> run, stopp -> stop
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]  # move/moved/moving -> mov
    return word


# Framing verbs in any form ("getting", "thinking"); not "write": "my writing" is a subject.
_STOP_STEMS = frozenset(
    stem(verb)
    for verb in (
        "get",
        "think",
        "feel",
        "know",
        "remember",
        "go",
        "make",
        "say",
        "find",
        "mention",
        "tell",
    )
)


def words(text: str) -> list[str]:
    """The words of ``text`` in order, as written."""
    return _WORD.findall(text)


def content_words(text: str) -> list[str]:
    """The words of ``text`` that name its subject, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in words(text):
        lowered = word.lower().replace("’", "'")
        if lowered.removesuffix("'s") in _STOP_WORDS or stem(lowered) in _STOP_STEMS:
            continue  # "getting", "thinking" frame a question as much as "get", "think"
        if len(lowered) < 2 and not lowered.isdigit():
            continue
        seen.setdefault(word, None)
    return list(seen)


def stems(text: str) -> set[str]:
    return {stem(word) for word in content_words(text)}


def needed_to_cover(count: int) -> int:
    """How many of a query's ``count`` content words a passage must contain to cover it."""
    return count if count <= 2 else math.ceil(count * 2 / 3)


def covers(query_stems: set[str], passage_text: str, *, every: bool = False) -> bool:
    """Whether a passage mentions (nearly, or with ``every`` all) the query's content words."""
    if not query_stems:
        return False
    present = query_stems & {stem(word) for word in words(passage_text)}
    needed = len(query_stems) if every else needed_to_cover(len(query_stems))
    return len(present) >= needed


def similarity_threshold(embedding_model: str | None, override: float | None = None) -> float:
    """The cosine similarity that makes a passage relevant on its own, for this model."""
    if override is not None:
        return override
    for prefix, threshold in SIMILARITY_THRESHOLDS.items():
        if embedding_model and embedding_model.startswith(prefix):
            return threshold
    return UNKNOWN_MODEL_THRESHOLD


def overlap(a: Iterable[str], b: Iterable[str]) -> int:
    return len(set(a) & set(b))
