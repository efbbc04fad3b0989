"""The cue tagger's weights folded into per-group look-up tables, for fast exact scoring.

A token's logit is ``intercept + Σ weight`` over its features (``training.tagger_features``).
The features of each group depend on one small key (the word; a neighbouring word and its
offset; a word pair; the token's flags), so the sum of a group's weights is looked up by that
key instead of building feature names token by token. Words outside the tables get their
self-group sum computed from their features (their stem, suffix and lists may still carry
weight) and cached. The result equals the logistic regression's decision function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import repeat

import numpy as np

from training.document import Document
from training.lexicon import FRAMING_CATEGORIES
from training.tagger_features import (
    BEGIN,
    CHAR_NGRAM_PREFIX,
    END,
    LIST_NEIGHBOUR_OFFSETS,
    NEIGHBOUR_OFFSETS,
    VOICE_NAMES,
    FlagKey,
    TokenContext,
    char_ngrams,
    flag_features,
    self_features,
    wordlists,
)

_MAX_CACHED_WORDS = 200_000


VOICE_CODES = {name: code for code, name in enumerate(VOICE_NAMES)}
_CATEGORY_CODES = {category: code for code, category in enumerate(FRAMING_CATEGORIES, start=1)}
_FLAG_SHAPE = (len(VOICE_CODES), len(FRAMING_CATEGORIES) + 1, 2, 2, 2)


def _flag_keys() -> list[FlagKey]:
    voices = sorted(VOICE_CODES, key=VOICE_CODES.__getitem__)
    categories: list[str | None] = [None, *FRAMING_CATEGORIES]
    return [
        (voice, category, initial, capitalized, all_caps)
        for voice in voices for category in categories
        for initial in (False, True) for capitalized in (False, True) for all_caps in (False, True)
    ]


class WeightTables:
    """Per-group weight sums as arrays over a word index; ``logits`` gathers and adds them."""

    def __init__(self, weights: Mapping[str, float], intercept: float, words: Iterable[str],
                 pairs: Mapping[str, tuple[str, str]]) -> None:
        """``pairs`` maps each pair feature's name to its two words (a word may contain "|")."""
        self.weights = {name: weight for name, weight in weights.items() if weight != 0.0}
        self.intercept = intercept
        # a tagger fitted without character n-grams never builds them for a word
        self.characters = any(name.startswith(CHAR_NGRAM_PREFIX) for name in self.weights)
        vocabulary = sorted(set(words) | {BEGIN, END})
        self.index = {word: position for position, word in enumerate(vocabulary)}
        self.unknown = len(vocabulary)  # the id of every other word: zero in neighbour tables
        self.own = np.array([self._own(word) for word in vocabulary] + [0.0])
        self.neighbours = {offset: self._neighbour_table(offset) for offset in NEIGHBOUR_OFFSETS}
        width = len(vocabulary) + 1
        keyed: dict[str, dict[int, float]] = {"bl=": {}, "br=": {}}
        for name, (first, second) in pairs.items():
            weight = self.weights.get(name, 0.0)
            if weight != 0.0 and first in self.index and second in self.index:
                keyed[name[:3]][self.index[first] * width + self.index[second]] = weight
        self.pair_keys = {}
        self.pair_weights = {}
        for kind, table in keyed.items():
            keys = np.array(sorted(table), dtype=np.int64)
            self.pair_keys[kind] = keys
            self.pair_weights[kind] = np.array([table[key] for key in keys.tolist()] + [0.0])
        self.flags = np.array([self._sum(flag_features(key)) for key in _flag_keys()])
        self.unknown_own: dict[str, float] = {}

    def _neighbour_table(self, offset: int) -> np.ndarray:
        """Σ of ``neighbour_features(offset, word)`` weights per word, built from the weights
        (word identities, then every word of each weighted list) rather than word by word."""
        table = np.zeros(self.unknown + 1)
        prefix = f"w{offset:+d}="
        lists = f"list{offset:+d}="
        for name, weight in self.weights.items():
            if name.startswith(prefix):
                position = self.index.get(name[len(prefix):])
                if position is not None:
                    table[position] += weight
            elif name.startswith(lists) and offset in LIST_NEIGHBOUR_OFFSETS:
                for word in wordlists()[name[len(lists):]]:
                    position = self.index.get(word)
                    if position is not None:
                        table[position] += weight
        return table

    def _sum(self, names: Iterable[str]) -> float:
        weights = self.weights
        return float(sum(weights.get(name, 0.0) for name in names))

    def _own(self, word: str) -> float:
        """Σ weights of the word's own features, character n-grams included."""
        own = self._sum(self_features(word))
        # tables saved before character n-grams existed have no such weights
        if getattr(self, "characters", False):
            own += self._sum(char_ngrams(word))
        return own

    def _own_unknown(self, word: str) -> float:
        value = self.unknown_own.get(word)
        if value is None:
            value = self._own(word)
            if len(self.unknown_own) < _MAX_CACHED_WORDS:
                self.unknown_own[word] = value
        return value

    def _pairs(self, kind: str, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        keys = self.pair_keys[kind]
        if not len(keys):
            return np.zeros(len(first))
        wanted = first * (self.unknown + 1) + second
        position = np.searchsorted(keys, wanted)
        found = keys[np.minimum(position, len(keys) - 1)] == wanted
        return np.where(found, self.pair_weights[kind][np.minimum(position, len(keys) - 1)],
                        0.0)

    def logits(self, document: Document, context: TokenContext) -> np.ndarray:
        """The logit of every candidate token of ``context``, in candidate order."""
        count = len(context.lowers)
        candidates = np.asarray(context.candidates, dtype=np.int64)
        if not len(candidates):
            return np.zeros(0)
        ids = np.fromiter(map(self.index.get, context.lowers, repeat(self.unknown)),
                          dtype=np.int64, count=count)
        sentences = np.asarray(context.sentences, dtype=np.int64)
        begin, end = self.index[BEGIN], self.index[END]
        # ids of each candidate's neighbours, <s> / </s> past its sentence
        window = {}
        for offset in NEIGHBOUR_OFFSETS:
            position = candidates + offset
            inside = (position >= 0) & (position < count)
            clipped = np.clip(position, 0, count - 1)
            same = inside & (sentences[clipped] == sentences[candidates])
            window[offset] = np.where(same, ids[clipped], begin if offset < 0 else end)
        # a word two away counts only when the adjacent one is in the same sentence too
        window[-2] = np.where(window[-1] == begin, begin, window[-2])
        window[2] = np.where(window[1] == end, end, window[2])
        own_ids = ids[candidates]
        values = self.own[own_ids]
        for unknown in np.flatnonzero(own_ids == self.unknown).tolist():
            values[unknown] = self._own_unknown(context.lowers[int(candidates[unknown])])
        for offset in NEIGHBOUR_OFFSETS:
            values += self.neighbours[offset][window[offset]]
        values += self._pairs("bl=", window[-1], own_ids)
        values += self._pairs("br=", own_ids, window[1])
        values += self.flags[self._flag_codes(document, context, candidates)]
        return values + self.intercept

    def _flag_codes(self, document: Document, context: TokenContext,
                    candidates: np.ndarray) -> np.ndarray:
        """The index of each candidate's flag key in ``_flag_keys()`` order."""
        tokens = document.tokens
        text = document.text
        starts = [tokens[index].start for index in candidates.tolist()]
        firsts = "".join(map(text.__getitem__, starts))
        # A capital's lowercase differs; comparing the two strings as arrays is one C loop.
        # Per character: "İ".lower() is two characters, so lowering the whole string misaligns.
        upper_first = np.array([c != c.lower() for c in firsts], dtype=bool)
        all_caps = np.zeros(len(candidates), dtype=bool)
        for position in np.flatnonzero(upper_first).tolist():
            word = tokens[int(candidates[position])].text
            all_caps[position] = len(word) > 1 and word.isupper()
        sentences = context.sentences
        initial = (candidates == 0) | (sentences[np.maximum(candidates - 1, 0)]
                                       != sentences[candidates])
        categories = np.zeros(len(candidates), dtype=np.int64)
        if context.lexicon:
            for position, index in enumerate(candidates.tolist()):
                category = context.lexicon.get(index)
                if category is not None:
                    categories[position] = _CATEGORY_CODES[category]
        codes = context.voices[candidates] * _FLAG_SHAPE[1] + categories
        codes = codes * 2 + initial
        codes = codes * 2 + (upper_first & ~initial)
        return codes * 2 + all_caps

