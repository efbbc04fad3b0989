"""Article-level word n-grams, and the scorer that keeps them on their own scale.

``article_ngram:<words>`` features are the unigrams and bigrams of every token of the article,
punctuation included ("!", "?" and quotation marks are part of a partisan style), valued
``(1 + log count) / norm`` where ``norm`` is the Euclidean norm of those values over the
article: a long article does not outweigh a short one, and each value is one number the
explanation can show, with every occurrence's span.

An article has about 1,500 distinct n-grams and a model uses a fraction of them, so their spans
are located only when an explanation asks for them (``NgramSpans``): the values cost a few
C-level passes over the tokens, the spans nothing until needed.

``fit_block_scorer`` fits the logistic regression with the n-gram block left at that scale and
every other feature scaled to unit maximum (the project's MaxAbs convention). Scaling n-gram
columns to unit maximum blows up the rarest n-grams, which then memorize the training articles:
on hyperpartisan's training folds that cost about three points of accuracy. Calibration and
scaling are folded into the weights as in ``training.linear``, so explanations stay exact.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from itertools import islice, repeat
from operator import add

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from training.document import Document
from training.features import FeatureBag, FeatureSpace, Span
from training.linear import RANDOM_STATE, LinearScorer, platt_scaling, smallest_class

ARTICLE_NGRAM_PREFIX = "article_ngram:"


class NgramSpans(dict[str, list[Span]]):
    """A bag's spans, where an article n-gram's spans are found on first request.

    ``get`` (what explanations call) locates ``article_ngram:`` names in the document; every
    other name behaves as in a plain dict.
    """

    def __init__(self, document: Document) -> None:
        super().__init__()
        self._document = document
        self._positions: dict[str, list[int]] | None = None

    def _index(self) -> dict[str, list[int]]:
        if self._positions is None:
            positions: dict[str, list[int]] = {}
            for index, token in enumerate(self._document.tokens):
                positions.setdefault(token.lower, []).append(index)
            self._positions = positions
        return self._positions

    def ngram_spans(self, words: str) -> list[Span]:
        tokens = self._document.tokens
        first, _, second = words.partition(" ")
        positions = self._index().get(first, [])
        if not second:
            return [(tokens[i].start, tokens[i].end) for i in positions]
        return [
            (tokens[i].start, tokens[i + 1].end) for i in positions
            if i + 1 < len(tokens) and tokens[i + 1].lower == second
        ]

    def get(self, name: str, default: object = None) -> object:  # type: ignore[override]
        if name in self:
            return self[name]
        if name.startswith(ARTICLE_NGRAM_PREFIX):
            spans = self.ngram_spans(name[len(ARTICLE_NGRAM_PREFIX):])
            if spans:
                self[name] = spans
                return spans
        return default


def ngram_bag(document: Document, keep: AbstractSet[str] | None = None) -> FeatureBag:
    """A bag with the article's n-gram values (spans located on request, ``NgramSpans``).

    ``keep``: the n-grams to keep, as words without the prefix (``"so called"``); ``None``
    keeps all. The norm is over every n-gram either way, so a kept value does not depend on
    what else is kept. Counting the bare words first and naming only the kept ones is what makes
    scoring with a fitted vocabulary cheap.
    """
    lowers = [token.lower for token in document.tokens]
    counts = Counter(lowers)
    # Tokens never contain a space, so a bigram cannot collide with a unigram.
    counts.update(map(add, map(add, lowers, repeat(" ")), islice(lowers, 1, None)))
    values = [1.0 + math.log(count) for count in counts.values()]
    scale = 1.0 / (math.sqrt(math.fsum(value * value for value in values)) or 1.0)
    if keep is None:
        named = dict(zip(map(ARTICLE_NGRAM_PREFIX.__add__, counts),
                         [value * scale for value in values], strict=True))
    else:
        named = {
            ARTICLE_NGRAM_PREFIX + words: value * scale
            for words, value in zip(counts, values, strict=True) if words in keep
        }
    return FeatureBag(values=named, spans=NgramSpans(document))


def is_article_ngram(name: str) -> bool:
    return name.startswith(ARTICLE_NGRAM_PREFIX)


def without_ngrams(bag: FeatureBag, keep: AbstractSet[str] = frozenset()) -> FeatureBag:
    """The bag without article n-grams, except those in ``keep``."""
    return FeatureBag(
        values={n: v for n, v in bag.values.items() if not is_article_ngram(n) or n in keep},
        spans=bag.spans,
    )


def fit_space(bags: Sequence[FeatureBag], min_df: int) -> FeatureSpace:
    """A feature space over every feature of the bags, n-grams only when in ``min_df`` bags.

    Fitted from the one list of kept names rather than from filtered copies of the bags:
    ``transform`` ignores names it does not know, so the bags never need filtering.
    """
    frequency: Counter[str] = Counter()
    for bag in bags:
        frequency.update(bag.values.keys())
    kept = {n: 1.0 for n, count in frequency.items() if count >= min_df or not is_article_ngram(n)}
    return FeatureSpace(min_df=1).fit([FeatureBag(values=kept)])


def ngram_words(space: FeatureSpace) -> frozenset[str]:
    """The words of a fitted space's article n-grams (``"so called"``), cached on the space."""
    words: frozenset[str] | None = getattr(space, "article_ngrams_", None)
    if words is None:
        start = len(ARTICLE_NGRAM_PREFIX)
        words = frozenset(n[start:] for n in space.vocabulary_ if is_article_ngram(n))
        space.article_ngrams_ = words
    return words


def block_scale(matrix: sparse.csr_matrix, ngram_columns: np.ndarray) -> np.ndarray:
    """1 for n-gram columns, the column's largest absolute value for every other one."""
    largest = np.asarray(abs(matrix).max(axis=0).todense()).ravel()
    scale = np.where(largest == 0.0, 1.0, largest)
    return np.asarray(np.where(ngram_columns, 1.0, scale), dtype=float)


def _logistic(regularization: float) -> LogisticRegression:
    # The dual problem is the cheap one with far more n-gram columns than articles.
    return LogisticRegression(C=regularization, max_iter=5000, solver="liblinear", dual=True,
                              random_state=RANDOM_STATE)


def _fit(matrix: sparse.csr_matrix, y: np.ndarray, ngram_columns: np.ndarray,
         regularization: float) -> tuple[np.ndarray, float]:
    """Raw-value weights and intercept (scaling folded in)."""
    scale = block_scale(matrix, ngram_columns)
    scaled = sparse.csr_matrix(matrix @ sparse.diags(1.0 / scale))
    logistic = _logistic(regularization).fit(scaled, y)
    return logistic.coef_[0] / scale, float(logistic.intercept_[0])


def stratified_folds(labels: np.ndarray, folds: int) -> StratifiedKFold:
    return StratifiedKFold(
        n_splits=max(2, min(folds, smallest_class(labels))), shuffle=True,
        random_state=RANDOM_STATE,
    )


def out_of_fold_decisions(matrix: sparse.csr_matrix, y: np.ndarray, ngram_columns: np.ndarray,
                          regularization: float, folds: int) -> np.ndarray:
    decisions = np.zeros(len(y))
    for train, held_out in stratified_folds(y, folds).split(np.zeros(len(y)), y):
        weights, intercept = _fit(matrix[train], y[train], ngram_columns, regularization)
        decisions[held_out] = np.asarray(matrix[held_out] @ weights).ravel() + intercept
    return decisions


def fit_block_scorer(
    matrix: sparse.csr_matrix,
    labels: Sequence[int] | np.ndarray,
    feature_names: Sequence[str],
    *,
    regularization: Sequence[float],
    folds: int = 5,
) -> LinearScorer:
    """Logistic regression with n-grams at their own scale; C chosen among ``regularization``
    by out-of-fold accuracy on these (training) units; Platt-calibrated on the chosen C's
    out-of-fold scores; both folded into one weight per named feature."""
    y = np.asarray(labels, dtype=int)
    matrix = sparse.csr_matrix(matrix)
    ngram_columns = np.fromiter(
        (is_article_ngram(name) for name in feature_names), bool, len(feature_names)
    )
    best: tuple[float, float, np.ndarray] | None = None
    for strength in regularization:
        decisions = out_of_fold_decisions(matrix, y, ngram_columns, strength, folds)
        accuracy = float(np.mean((decisions > 0) == (y == 1)))
        if best is None or accuracy > best[0]:
            best = (accuracy, strength, decisions)
    assert best is not None, "regularization lists no C value"
    _, chosen, decisions = best
    slope, offset = platt_scaling(decisions, y)
    weights, intercept = _fit(matrix, y, ngram_columns, chosen)
    return LinearScorer(
        feature_names=tuple(feature_names),
        weights=np.asarray(slope * weights),
        intercept=slope * intercept + offset,
        regularization=chosen,
    )
