"""Token features of the cue tagger: the word, its neighbours, word lists, voice and shape.

Every feature of a token belongs to one of four groups, and the split is what makes scoring
fast (``training.cues.CueTagger`` sums per-group weight tables instead of building strings):

- **self**: a function of the token's own lowercase word only (``w=``, ``stem=``, ``suf=``,
  word-list memberships, suffix cues; and its character n-grams ``c=``, ``char_ngrams``);
  scoring looks their sum up per word, so character n-grams cost nothing at scoring time for a
  word of the tables and one look-up per n-gram, once, for any other word;
- **neighbour**: a function of one neighbouring word and its offset (-2, -1, +1, +2) only, with
  ``<s>`` / ``</s>`` past the sentence's ends (``w-1=``, ``list+1=``);
- **pair**: the word with its left or right neighbour (``bl=a|b``, ``br=a|b``);
- **flag**: the token's situation in the document (voice, lexicon category, capitalization).

Word lists (``training/wordlists``, see its README): subjectivity, sentiment, bias, hedge,
factive, assertive, implicative and report-verb lists from Recasens et al. (2013).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from training.attribution import Attribution
from training.document import Document

WORDLIST_DIR = Path(__file__).resolve().parent / "wordlists"
WORDLIST_NAMES = (
    "strong_subjective", "weak_subjective", "positive", "negative", "bias", "hedge", "factive",
    "assertive", "implicative", "report_verb",
)
NEIGHBOUR_OFFSETS = (-2, -1, 1, 2)
LIST_NEIGHBOUR_OFFSETS = (-1, 1)  # word-list memberships of the adjacent words only
BEGIN, END = "<s>", "</s>"

# Function words are never loaded on their own (a lexicon entry such as "even" still makes its
# token a candidate); leaving them out halves the tokens to score.
_STOPWORD_TEXT = """
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself me
more most my myself no nor not of off on once only or other our ours ourselves out over own
same she should so some such than that the their theirs them themselves then there these they
this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves 's also just mr. mrs. ms. dr. said says
told one two three year years
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Suffixes that mark adjectives, adverbs, ideologies and agent nouns: loaded words cluster there.
SUFFIX_CUES = (
    "ist", "ism", "ous", "ful", "less", "ive", "ical", "ic", "ly", "ish", "ize", "ise", "ness",
    "able", "ible", "ant", "ent", "ed", "ing", "er",
)
_STEM_SUFFIXES = (
    ("ies", "y"), ("ied", "y"), ("ing", ""), ("edly", ""), ("ed", ""), ("ly", ""), ("es", ""),
    ("s", ""),
)
_MIN_STEM = 3
CHAR_NGRAM_SIZES = (2, 3, 4, 5)
CHAR_NGRAM_PREFIX = "c="


def stem(word: str) -> str:
    """A crude suffix-stripped form, shared by inflections ("slams", "slammed" -> "slamm")."""
    for suffix, replacement in _STEM_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: len(word) - len(suffix)] + replacement
    return word


@lru_cache(maxsize=1)
def wordlists() -> dict[str, frozenset[str]]:
    lists = {}
    for name in WORDLIST_NAMES:
        path = WORDLIST_DIR / f"{name}.txt"
        lists[name] = frozenset(path.read_text(encoding="utf-8").split())
    return lists


@lru_cache(maxsize=1)
def _memberships() -> dict[str, tuple[str, ...]]:
    """word -> names of the lists holding it."""
    holders: dict[str, list[str]] = {}
    for name, words in wordlists().items():
        for word in words:
            holders.setdefault(word, []).append(name)
    return {word: tuple(names) for word, names in holders.items()}


def memberships(word: str) -> tuple[str, ...]:
    return _memberships().get(word, ())


def list_vocabulary() -> frozenset[str]:
    return frozenset(_memberships())


@lru_cache(maxsize=1 << 18)
def self_features(word: str) -> tuple[str, ...]:
    """Features of a word in itself (its lists through the word or, failing that, its stem)."""
    root = stem(word)
    features = [f"w={word}", f"stem={root}", f"suf={word[-3:]}"]
    lists = memberships(word) or memberships(root)
    features.extend(f"list={name}" for name in lists)
    if not lists:
        features.append("list=none")
    features.extend(f"sufcue={suffix}" for suffix in SUFFIX_CUES if word.endswith(suffix))
    if "-" in word:
        features.append("hyphenated")
    if len(word) <= 3:
        features.append("short")
    return tuple(features)


@lru_cache(maxsize=1 << 16)
def char_ngrams(word: str) -> tuple[str, ...]:
    """Character n-grams of the word marked at both ends ("c=<sl", "c=amm", "c=ms>").

    Also features of the word itself, kept apart from ``self_features`` so that a tagger that
    chose not to use them (``CueTagger.character_ngrams_``) never builds them when scoring.
    """
    marked = f"<{word}>"
    return tuple(
        f"{CHAR_NGRAM_PREFIX}{marked[start:start + size]}"
        for size in CHAR_NGRAM_SIZES
        for start in range(len(marked) - size + 1)
    )


@lru_cache(maxsize=1 << 18)
def neighbour_features(offset: int, word: str) -> tuple[str, ...]:
    features = [f"w{offset:+d}={word}"]
    if offset in LIST_NEIGHBOUR_OFFSETS:
        features.extend(f"list{offset:+d}={name}" for name in memberships(word))
    return tuple(features)


def pair_features(previous: str, word: str, following: str) -> list[str]:
    return [f"bl={previous}|{word}", f"br={word}|{following}"]


VOICE_NAMES = ("writer", "reported", "quoted")  # index = the voice code in TokenContext


@dataclass(frozen=True, slots=True)
class TokenContext:
    """What the features of a document's tokens need, computed once per document."""

    lowers: list[str]
    sentences: np.ndarray  # sentence index per token
    voices: np.ndarray  # voice code per token (index into VOICE_NAMES)
    lexicon: dict[int, str]  # token index -> category of the lexicon candidate covering it
    candidates: list[int]  # token indices the tagger scores

    def window(self, index: int, offset: int) -> str:
        """The word ``offset`` tokens away, or ``<s>`` / ``</s>`` past the sentence."""
        position = index + offset
        if 0 <= position < len(self.lowers) and self.sentences[position] == self.sentences[index]:
            return self.lowers[position]
        return BEGIN if offset < 0 else END

    def voice(self, index: int) -> str:
        return VOICE_NAMES[int(self.voices[index])]


def _mark(starts: Sequence[int], values: np.ndarray, spans: Sequence[tuple[int, int]],
          value: int | bool) -> None:
    for start, end in spans:
        values[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)] = value


def is_content_word(lower: str) -> bool:
    """A word that may be loaded by itself: no function word, number or punctuation."""
    return lower[:1].isalpha() and len(lower) > 1 and lower not in STOPWORDS


_CONTENT: set[str] = set()
_NOT_CONTENT: set[str] = set()
_MAX_REMEMBERED = 500_000


def _content_words(words: set[str]) -> set[str]:
    """The content words among ``words``, remembering each decision (set operations are far
    cheaper than a check per token)."""
    unknown = words - _CONTENT - _NOT_CONTENT
    if unknown:
        fresh = {word for word in unknown if is_content_word(word)}
        if len(_CONTENT) + len(_NOT_CONTENT) < _MAX_REMEMBERED:
            _CONTENT.update(fresh)
            _NOT_CONTENT.update(unknown - fresh)
        return (words & _CONTENT) | fresh
    return words & _CONTENT


def token_context(
    document: Document, attributions: Sequence[Attribution],
    lexicon_spans: Sequence[tuple[int, int, str]],
) -> TokenContext:
    """Voices, lexicon categories and the candidate tokens of one document.

    ``lexicon_spans`` are the lexicon candidates as ``(start token, end token, category)``.
    A candidate is a lexicon token or a content word outside the attributions' reporting cues.
    """
    tokens = document.tokens
    lowers = [token.lower for token in tokens]
    starts = [token.start for token in tokens]
    sentences = np.array([token.sentence for token in tokens], dtype=np.int64)
    voices = np.zeros(len(tokens), dtype=np.int64)
    _mark(starts, voices, [(a.content.start, a.content.end) for a in attributions
                           if a.content is not None and not a.content.direct], 1)
    _mark(starts, voices, [(q.start, q.end) for q in document.quotes], 2)
    lexicon = {
        index: category
        for first, last, category in lexicon_spans
        for index in range(first, last)
    }
    content = _content_words(set(lowers))
    candidates = [index for index, lower in enumerate(lowers) if lower in content]
    if attributions:
        excluded = np.zeros(len(tokens), dtype=bool)
        _mark(starts, excluded, [(a.cue.start, a.cue.end) for a in attributions], True)
        candidates = [index for index in candidates if not excluded[index]]
    if lexicon:
        candidates = sorted(set(candidates) | set(lexicon))
    return TokenContext(lowers, sentences, voices, lexicon, candidates)


FlagKey = tuple[str, str | None, bool, bool, bool]


def flag_key(document: Document, context: TokenContext, index: int) -> FlagKey:
    """(voice, lexicon category, sentence-initial, capitalized inside, all caps)."""
    text = document.tokens[index].text
    initial = index == 0 or context.sentences[index - 1] != context.sentences[index]
    return (
        context.voice(index),
        context.lexicon.get(index),
        bool(initial),
        bool(not initial and text[:1].isupper()),
        len(text) > 1 and text.isupper(),
    )


def flag_features(key: FlagKey) -> list[str]:
    voice, category, initial, capitalized, all_caps = key
    features = [f"voice={voice}"]
    if category is not None:
        features.extend((f"lex={category}", f"lex={category}|voice={voice}"))
    if initial:
        features.append("sentence_initial")
    if capitalized:
        features.append("capitalized")
    if all_caps:
        features.append("all_caps")
    return features


def token_features(document: Document, context: TokenContext, index: int) -> list[str]:
    """Every feature of one token (the training path; scoring sums the same groups' weights)."""
    word = context.lowers[index]
    features = list(self_features(word))
    features.extend(char_ngrams(word))
    for offset in NEIGHBOUR_OFFSETS:
        features.extend(neighbour_features(offset, context.window(index, offset)))
    features.extend(pair_features(context.window(index, -1), word, context.window(index, 1)))
    features.extend(flag_features(flag_key(document, context, index)))
    return features
