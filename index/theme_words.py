"""A theme's words: entry text with its boilerplate removed, and class-based TF-IDF keywords.

Boilerplate (dates, weekday and month names, numbers, greetings, sign-offs, markup, links)
is written the same way in entries about anything, so it says nothing about what an entry
is about: it is taken out of the text before any word is counted, and entries that hold
little else are set aside before clustering (``content_words``), so a cluster of
"Dear diary, Monday 3 March ... Love, M" can never become a theme.

Keywords are BERTopic's class-based TF-IDF: each theme's entries are one document; a
word's weight is its frequency in the theme (L1-normalised) times
``log(1 + average words per theme / the word's frequency over all themes)``, so words
common to every theme (and the outliers, which take part as one more class) sink.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def _words(text: str) -> list[str]:
    return text.split()


_MONTHS = _words(
    "january february march april may june july august september october november "
    "december jan feb mar apr jun jul aug sep sept oct nov dec "
)
_WEEKDAYS = _words(
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu "
    "thur thurs fri sat sun today yesterday tomorrow tonight morning evening "
    "afternoon night week weekend "
)
# Greetings, sign-offs and the furniture of letters, diaries, posts and exports.
_LETTER = _words(
    "dear hi hello hey dearest diary love loves regards best wishes cheers yours "
    "sincerely faithfully truly xx xxx xo thanks thank warmly kind ps p.s entry note "
    "notes post posted update edit edited tags tag category categories title untitled "
    "draft via read comments comment share permalink http https www com html org "
)
# Filler common in personal writing that the English stop list misses.
_FILLER = _words(
    "just like really got get getting think thought know knew going went said say "
    "says thing things bit lot lots way day days time times year years still even "
    "maybe feel felt want wanted make made good little long new old right ll ve don "
    "didn doesn isn wasn couldn wouldn shouldn won ain im ive id youre thats theres "
    "its it's can't don't i'm i've i'd i'll one two three first last next ago already "
    "also much many quite sort kind actually probably perhaps something anything "
    "nothing everything someone everyone come came look looked looking went go goes "
    "let tell told us oh yes yeah okay ok did does doing done asked ask asking saying "
    "people person four five six seven eight nine ten eleven twelve twenty thirty "
    "forty fifty sixty hundred thousand hour hours minute minutes month months weeks "
    "second seconds "
)


@functools.cache
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words and the boilerplate words above.

    Built on first use: importing scikit-learn (and SciPy behind it) costs most of a second,
    which every command that merely imports this module (``ponder ingest`` through the
    services) would otherwise pay.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS).union(_MONTHS, _WEEKDAYS, _LETTER, _FILLER)


_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+")
_TAG = re.compile(r"<[^>\n]{0,200}>")
_MARKUP = re.compile(r"[#*_`~>|\[\]{}()=+\\/^]+")
_NUMBERISH = re.compile(r"\b\d[\d:./,'-]*(?:st|nd|rd|th|am|pm|s|k)?\b", re.I)
# Words of at least three letters (apostrophes inside), no digits.
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W\d_']*[^\W\d_]\b"
_TOKEN = re.compile(TOKEN_PATTERN)


def strip_boilerplate(text: str) -> str:
    """``text`` without links, markup and numbers (dates, times, amounts)."""
    text = _URL.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    return _NUMBERISH.sub(" ", text)


def content_words(text: str) -> list[str]:
    """The words of ``text`` that can say what it is about (boilerplate and stop words out)."""
    words = _TOKEN.findall(strip_boilerplate(text).lower())
    stop = stop_words()
    return [w for w in words if w not in stop and len(w) > 2]


def lexical_vectors(texts: Sequence[str], dimensions: int) -> npt.NDArray[np.float32] | None:
    """One vector per text from its words: TF-IDF (boilerplate and stop words out,
    sublinear counts) reduced by LSA to at most ``dimensions``, of unit length, or zero for
    a text that shares no word with another; None when the texts share too few words to say
    anything (fewer than two terms in two texts).

    Words a text shares with a few others (a place, a person, an activity, "heatwave") are
    what set a theme apart, and an embedding averaged over a long entry blurs them;
    ``max_df`` drops the words of most entries (a partner's name) and ``min_df`` the words
    of one. Deterministic: the SVD's random state is fixed.
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    # The keywords' own words (content_words: boilerplate and stop words out, three
    # letters or more), so the words that cluster entries are the words that name themes.
    vectorizer = TfidfVectorizer(analyzer=content_words, sublinear_tf=True, min_df=2, max_df=0.5)
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # nothing left: every word is boilerplate, a stop word or unique
        return None
    rank = min(dimensions, counts.shape[1] - 1, counts.shape[0] - 1)
    if rank < 1:
        return None
    reduced = TruncatedSVD(rank, random_state=0).fit_transform(counts)
    norms = np.linalg.norm(reduced, axis=1, keepdims=True)
    return np.asarray(reduced / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def class_tfidf_keywords(
    texts_by_class: Sequence[str], top: int, min_df: int = 1
) -> list[list[tuple[str, float]]]:
    """The ``top`` keywords of each class (one concatenated text per class), with weights.

    Unigrams and bigrams; bigrams count only when made of two content words. A class whose
    text has no content words gets no keywords.
    """
    if not texts_by_class:
        return []
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(
        preprocessor=lambda t: strip_boilerplate(t).lower(),
        token_pattern=TOKEN_PATTERN,
        stop_words=sorted(stop_words()),
        ngram_range=(1, 2),
        min_df=min_df,
    )
    try:
        counts = vectorizer.fit_transform(texts_by_class)
    except ValueError:  # an empty vocabulary: nothing but boilerplate anywhere
        return [[] for _ in texts_by_class]
    vocabulary = vectorizer.get_feature_names_out()
    tf = np.asarray(counts.toarray(), dtype=np.float64)
    frequency = tf.sum(axis=0)
    average = float(tf.sum()) / max(len(texts_by_class), 1)
    idf = np.log(1.0 + average / np.maximum(frequency, 1.0))
    # BERTopic's reduce_frequent_words: the square root of the counts, so the names that
    # run through all of a writer's life (a partner, a town) do not crowd out the words
    # that make a theme what it is.
    tf = np.sqrt(tf)
    sizes = tf.sum(axis=1, keepdims=True)
    sizes[sizes == 0] = 1.0
    weights = (tf / sizes) * idf
    keywords: list[list[tuple[str, float]]] = []
    for row in weights:
        order = np.lexsort((vocabulary, -row))  # ties broken by the word: deterministic
        chosen: list[tuple[str, float]] = []
        for index in order:
            if row[index] <= 0 or len(chosen) >= top:
                break
            word = str(vocabulary[index])
            if _redundant(word, chosen):
                continue
            chosen.append((word, float(row[index])))
        keywords.append(chosen)
    return keywords


def _redundant(word: str, chosen: Sequence[tuple[str, float]]) -> bool:
    """A word already said: "gardens" after "garden", "group" after "group chat", a bigram
    whose words are both chosen already, or one repeating a word."""
    parts = word.split()
    if len(parts) == 2 and parts[0] == parts[1]:
        return True
    said: set[str] = set()
    for other, _ in chosen:
        if word == other or _same_stem(word, other):
            return True
        said.update(other.split())
    if len(parts) == 1:
        return word in said
    return all(part in said for part in parts)


def _same_stem(a: str, b: str) -> bool:
    if " " in a or " " in b:
        return False
    short, long = sorted((a, b), key=len)
    plural = short[:-1] + "ies" if short.endswith("y") else short + "s"
    return long in (short + "s", short + "es", plural)
