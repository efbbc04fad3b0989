"""Framing cues: lexicon candidates with voice, and a token-level tagger that scores them in
context and finds loaded words no lexicon lists.

A lexicon candidate is a framing-lexicon match. Its **voice** says whose words it is: ``quoted``
inside a direct quotation (the quoted source's words), ``reported`` inside the content of an
indirect attribution (the source's claim in the writer's paraphrase), ``writer`` otherwise (the
outlet's own words).

The ``CueTagger`` is a logistic regression over every content word (and every lexicon token):
the word, its stem, suffix and character n-grams (which carry what was learned about
"leftists" over to "globalists"), the words two either side, word pairs, subjectivity and
sentiment lists, the lexicon category, voice and capitalization (``training.tagger_features``);
its C and cut-off are chosen together on inner folds of the training texts.
It returns each lexicon candidate with its probability in context ("regime" in "the Zionist
regime" versus "the sanctions regime"), plus every other word whose probability reaches the
threshold chosen by inner cross-validation on the training texts; such a cue's ``term`` is the
lowercased word and its category the one training spans gave that word most often (else
``emotive``). Scoring sums precomputed weight tables (``training.tagger_tables``), so it costs
about a millisecond per 800-word article.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from training.attribution import Attribution
from training.document import Document
from training.lexicon import Lexicon
from training.linear import RANDOM_STATE
from training.tagger_features import (
    CHAR_NGRAM_PREFIX,
    TokenContext,
    list_vocabulary,
    memberships,
    pair_features,
    stem,
    token_context,
    token_features,
)
from training.tagger_tables import WeightTables

Voice = Literal["writer", "reported", "quoted"]
VOICES: tuple[Voice, ...] = ("writer", "reported", "quoted")

# Without a trained tagger every candidate counts half: a lexicon hit alone is weak evidence.
UNTRAINED_PROBABILITY = 0.5
DEFAULT_THRESHOLD = 0.5
THRESHOLD_GRID = np.round(np.arange(0.10, 0.905, 0.02), 2)
# Annotated spans longer than this many words (PTC's Doubt clauses, say) do not tell which word
# is loaded: their tokens are left out of training rather than all counted as loaded.
MAX_SPAN_WORDS = 5
INNER_FOLDS = 3
# C values for the tagger's logistic regression, chosen by out-of-fold F1 on inner folds of the
# training texts. Character n-grams add dozens of correlated features per word; smaller C keeps
# them from memorizing the training words.
REGULARIZATION = (0.25, 0.5)
# Character n-grams pay off on thousands of annotated sentences and can cost on a few hundred
# (the project's own data): the inner folds also try the model without them, at this C.
PLAIN_REGULARIZATION = 0.5
FALLBACK_CATEGORY = "emotive"


@dataclass(frozen=True, slots=True)
class Cue:
    start: int
    end: int
    text: str
    term: str
    category: str
    voice: Voice
    sentence: int
    start_token: int
    end_token: int
    probability: float = UNTRAINED_PROBABILITY


class _SpanIndex:
    """Sorted, non-nested spans with a bisect lookup of the span containing a position."""

    def __init__(self, spans: Sequence[tuple[int, int]]) -> None:
        self._spans = sorted(spans)
        self._starts = [start for start, _ in self._spans]

    def contains(self, start: int, end: int) -> bool:
        position = bisect.bisect_right(self._starts, start) - 1
        # Content spans may overlap (an attribution inside another's content); look back a few.
        for candidate in range(position, max(position - 4, -1), -1):
            span_start, span_end = self._spans[candidate]
            if span_start <= start and end <= span_end:
                return True
        return False


def find_candidates(
    document: Document, lexicon: Lexicon, attributions: Sequence[Attribution]
) -> list[Cue]:
    """Every framing-lexicon match with its voice, except words serving as reporting cues."""
    quoted = _SpanIndex([(quote.start, quote.end) for quote in document.quotes])
    reported = _SpanIndex(
        [
            (a.content.start, a.content.end)
            for a in attributions
            if a.content is not None and not a.content.direct
        ]
    )
    reporting_cues = _SpanIndex([(a.cue.start, a.cue.end) for a in attributions])
    candidates = []
    for match in lexicon.find(document, kind="framing"):
        if reporting_cues.contains(match.start, match.end):
            continue  # "alleged" as a reporting verb is an attribution's stance, not a cue
        voice: Voice
        if quoted.contains(match.start, match.end):
            voice = "quoted"
        elif reported.contains(match.start, match.end):
            voice = "reported"
        else:
            voice = "writer"
        candidates.append(
            Cue(
                start=match.start,
                end=match.end,
                text=match.surface,
                term=match.entry.term,
                category=match.entry.category,
                voice=voice,
                sentence=document.tokens[match.start_token].sentence,
                start_token=match.start_token,
                end_token=match.end_token,
            )
        )
    return candidates


@dataclass(frozen=True)
class TaggingSample:
    """One annotated text for the tagger: its analysis pieces and its gold cue spans."""

    document: Document
    attributions: Sequence[Attribution]
    candidates: Sequence[Cue]  # the lexicon candidates (``find_candidates``)
    spans: Sequence[tuple[int, int, str]]  # annotated cue spans: (start, end, category)


def lexicon_token_spans(candidates: Sequence[Cue]) -> list[tuple[int, int, str]]:
    return [(cue.start_token, cue.end_token, cue.category) for cue in candidates]


def _token_labels(sample: TaggingSample, context: TokenContext,
                  max_span_words: int) -> tuple[list[int | None], list[str | None]]:
    """Per candidate token: 1 inside a short annotated span, 0 outside every span, None (not
    used for training) inside only long spans, which do not say which word is loaded."""
    tokens = sample.document.tokens
    short: dict[int, str] = {}
    inside_long: set[int] = set()
    for start, end, category in sample.spans:
        covered = sample.document.tokens_overlapping(start, end)
        words = [token for token in covered if token.lower[:1].isalnum()]
        if len(words) <= max_span_words:
            for token in covered:
                short.setdefault(token.index, category)
        else:
            inside_long.update(token.index for token in covered)
    labels: list[int | None] = []
    categories: list[str | None] = []
    for index in context.candidates:
        short_category = short.get(index)
        categories.append(short_category)
        if short_category is not None:
            labels.append(1)
        else:
            labels.append(None if index in inside_long else 0)
    del tokens
    return labels, categories


def _held_out_probabilities(
    model: LogisticRegression, matrix: sparse.csr_matrix, y: np.ndarray, train: np.ndarray,
    held_out: np.ndarray,
) -> np.ndarray:
    """Probabilities of the held-out rows from ``model`` fitted on the training rows."""
    return np.asarray(model.fit(matrix[train], y[train]).predict_proba(matrix[held_out])[:, 1])


def _best_cut(labels: np.ndarray, probabilities: np.ndarray) -> tuple[float, float]:
    """(cut-off, F1) of the best cut-off of out-of-fold probabilities (ties: the higher one)."""
    best, best_f1 = DEFAULT_THRESHOLD, -1.0
    positives = float(labels.sum())
    for threshold in THRESHOLD_GRID:
        predicted = probabilities >= threshold
        hits = float((predicted & (labels == 1)).sum())
        f1 = 2 * hits / (positives + float(predicted.sum())) if positives else 0.0
        if f1 >= best_f1:
            best, best_f1 = float(threshold), f1
    return best, best_f1


class CueTagger:
    """Token-level cue model: P(this word is used as a loaded cue here), for every content word.

    Lexicon candidates are always returned, with their probability in context; any other word
    becomes a cue only when its probability reaches ``threshold_``, chosen by inner
    cross-validation on the training texts (never on the texts being evaluated).
    """

    def __init__(self, regularization: float | Sequence[float] = REGULARIZATION,
                 max_span_words: int = MAX_SPAN_WORDS,
                 inner_folds: int = INNER_FOLDS, character_ngrams: bool | None = None) -> None:
        """``regularization``: C or C values to choose from; ``character_ngrams``: use them,
        not, or (``None``) choose on inner folds, against a model without them at
        ``PLAIN_REGULARIZATION``."""
        self.regularization = regularization
        self.max_span_words = max_span_words
        self.inner_folds = inner_folds
        self.character_ngrams = character_ngrams

    def fit(self, samples: Sequence[TaggingSample]) -> CueTagger:
        vocabulary: dict[str, int] = {}
        pairs: dict[str, tuple[str, str]] = {}
        rows: list[list[int]] = []
        labels: list[int] = []
        groups: list[int] = []
        category_counts: dict[str, Counter[str]] = {}
        words: set[str] = set()
        for number, sample in enumerate(samples):
            context = token_context(sample.document, sample.attributions,
                                    lexicon_token_spans(sample.candidates))
            token_labels, categories = _token_labels(sample, context, self.max_span_words)
            words.update(context.lowers)
            for index, label, category in zip(context.candidates, token_labels, categories,
                                              strict=True):
                if label is None:
                    continue
                names = token_features(sample.document, context, index)
                previous, following = context.window(index, -1), context.window(index, 1)
                word = context.lowers[index]
                left, right = pair_features(previous, word, following)
                pairs[left], pairs[right] = (previous, word), (word, following)
                rows.append([vocabulary.setdefault(name, len(vocabulary)) for name in names])
                labels.append(label)
                groups.append(number)
                if category is not None:
                    category_counts.setdefault(word, Counter())[category] += 1
        self.categories_ = {word: counts.most_common(1)[0][0]
                            for word, counts in category_counts.items()}
        y = np.asarray(labels, dtype=int)
        self.constant_: float | None = None
        self.threshold_ = DEFAULT_THRESHOLD
        if len(np.unique(y)) < 2:
            self.constant_ = float(y[0]) if len(y) else UNTRAINED_PROBABILITY
            return self
        matrix = _matrix(rows, len(vocabulary))
        names = sorted(vocabulary, key=vocabulary.__getitem__)
        plain = np.array([not name.startswith(CHAR_NGRAM_PREFIX) for name in names])
        (self.regularization_, self.character_ngrams_), self.threshold_ = self._inner_choice(
            matrix, y, np.asarray(groups), plain)
        columns = np.arange(len(names)) if self.character_ngrams_ else np.flatnonzero(plain)
        model = self._logistic(self.regularization_).fit(matrix[:, columns], y)
        weights = dict.fromkeys(names, 0.0)  # a left-out character n-gram weighs nothing
        weights.update(zip([names[column] for column in columns.tolist()],
                           model.coef_[0].tolist(), strict=True))
        self.tables_ = WeightTables(weights, float(model.intercept_[0]),
                                    words | list_vocabulary(), pairs)
        return self

    @staticmethod
    def _logistic(regularization: float) -> LogisticRegression:
        return LogisticRegression(C=regularization, solver="liblinear", dual=True,
                                  max_iter=1000, random_state=RANDOM_STATE)

    def _settings(self) -> list[tuple[float, bool]]:
        """The (C, character n-grams) pairs to choose from."""
        grid = ([float(self.regularization)] if isinstance(self.regularization, int | float)
                else [float(value) for value in self.regularization])
        if self.character_ngrams is not None:
            return [(value, self.character_ngrams) for value in grid]
        return [(value, True) for value in grid] + [(PLAIN_REGULARIZATION, False)]

    def _inner_choice(self, matrix: sparse.csr_matrix, y: np.ndarray, groups: np.ndarray,
                      plain: np.ndarray) -> tuple[tuple[float, bool], float]:
        """((C, character n-grams), cut-off) with the best F1 of out-of-fold probabilities on
        inner folds of the training texts; a fallback setting and the default cut-off when the
        folds cannot tell. ``plain`` marks the columns that are not character n-grams."""
        settings = self._settings()
        # too few texts to choose: the plain model when it is an option (the safer of the two)
        fallback = settings[-1] if self.character_ngrams is None else settings[0]
        folds = min(self.inner_folds, len(np.unique(groups)))
        if folds < 2:
            return fallback, DEFAULT_THRESHOLD
        splits = list(GroupKFold(n_splits=folds).split(matrix, y, groups))
        if any(len(np.unique(y[train])) < 2 for train, _ in splits):
            return fallback, DEFAULT_THRESHOLD
        best: tuple[float, tuple[float, bool], float] | None = None  # (F1, setting, cut-off)
        for setting in settings:
            regularization, characters = setting
            columns = matrix if characters else matrix[:, np.flatnonzero(plain)]
            probabilities = np.zeros(len(y))
            # joblib: sequential by default, a pool or a Dask cluster under parallel_config
            fitted = Parallel()(
                delayed(_held_out_probabilities)(
                    self._logistic(regularization), columns, y, train, held_out
                )
                for train, held_out in splits
            )
            for (_, held_out), values in zip(splits, fitted, strict=True):
                probabilities[held_out] = values
            threshold, f1 = _best_cut(y, probabilities)
            if best is None or f1 > best[0]:
                best = (f1, setting, threshold)
        assert best is not None
        return best[1], best[2]

    def category_of(self, word: str) -> str:
        """The category of a cue no lexicon lists: the training spans' most frequent label for
        the word (or its stem), else hedge for a listed hedge, else emotive."""
        category = self.categories_.get(word) or self.categories_.get(stem(word))
        if category is not None:
            return category
        return "hedge" if "hedge" in memberships(word) else FALLBACK_CATEGORY

    def token_probabilities(self, document: Document, attributions: Sequence[Attribution],
                            candidates: Sequence[Cue]) -> tuple[TokenContext, np.ndarray]:
        """The candidate tokens of the document and the probability of each."""
        context = token_context(document, attributions, lexicon_token_spans(candidates))
        if self.constant_ is not None:
            return context, np.full(len(context.candidates), self.constant_)
        logits = self.tables_.logits(document, context)
        return context, 1.0 / (1.0 + np.exp(-logits))

    def tag(self, document: Document, attributions: Sequence[Attribution],
            candidates: Sequence[Cue]) -> list[Cue]:
        """The lexicon candidates scored in context, plus every other word scored as loaded."""
        context, probabilities = self.token_probabilities(document, attributions, candidates)
        positions = np.asarray(context.candidates, dtype=np.int64)
        cues = []
        for cue in candidates:  # every lexicon token is a candidate: its probability is there
            first = int(np.searchsorted(positions, cue.start_token))
            last = int(np.searchsorted(positions, cue.end_token))
            probability = float(probabilities[first:last].max()) if last > first else 0.0
            cues.append(replace(cue, probability=probability))
        if self.constant_ is None:
            tokens = document.tokens
            for position in np.flatnonzero(probabilities >= self.threshold_).tolist():
                index = context.candidates[position]
                if index in context.lexicon:
                    continue
                token = tokens[index]
                cues.append(Cue(
                    start=token.start, end=token.end, text=token.text, term=token.lower,
                    category=self.category_of(token.lower),
                    voice=context.voice(index),  # type: ignore[arg-type]
                    sentence=token.sentence, start_token=index, end_token=index + 1,
                    probability=float(probabilities[position]),
                ))
            cues.sort(key=lambda cue: cue.start)
        return cues

    def loaded(self, cues: Sequence[Cue]) -> list[Cue]:
        """The cues the tagger calls loaded: probability at or above its threshold."""
        return [cue for cue in cues if cue.probability >= self.threshold_]


def _matrix(rows: Sequence[Sequence[int]], width: int) -> sparse.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(row) for row in rows])
    indices = np.fromiter((column for row in rows for column in row), dtype=np.int32,
                          count=int(indptr[-1]))
    matrix = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), width))
    matrix.sum_duplicates()  # a name twice in one row (a word in two lists) counts twice
    return matrix
