"""The outlet-leaning level: left / center / right, one-vs-rest over named article features.

Trained only on articles labeled with ``leaning`` (the AllSides importer gives every article
its outlet's rating). Features are the article bag: word n-grams (``article_ngram:``), cue
densities by voice, the attribution mix and the stacked sentence bias. One calibrated binary
scorer per class (``training.article_ngrams.fit_block_scorer``: n-grams at their own scale, C
chosen by inner cross-validation on the training articles, Platt calibration folded in), so
each class's logit is exactly ``intercept + Σ weight × value`` and its explanation lists those
terms. The class probabilities are the three calibrated one-vs-rest probabilities divided by
their sum; the label is the most probable class.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from training.analysis import Analysis
from training.article_features import article_bag
from training.article_model import stacked_article_bag
from training.article_ngrams import fit_block_scorer, fit_space, ngram_words
from training.dataset import LEANINGS, Example
from training.explain import ScoreExplanation
from training.features import FeatureBag, FeatureSpace
from training.level import LevelModel
from training.linear import LinearScorer

LEANING_MIN_ARTICLES = 30  # per class: below this a leaning model would only echo outlets
LEANING_MIN_DF = 5
LEANING_REGULARIZATION = (1.0, 5.0)
LEANING_FOLDS = 3


@dataclass(frozen=True)
class LeaningResult:
    label: str
    probabilities: dict[str, float]
    explanations: dict[str, ScoreExplanation]  # per class, exact for that class's logit

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, "probabilities": dict(self.probabilities)}


@dataclass
class LeaningModel:
    space: FeatureSpace
    scorers: dict[str, LinearScorer]  # one per leaning, one-vs-rest

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.scorers)

    @property
    def ngram_words(self) -> frozenset[str]:
        return ngram_words(self.space)

    def bag(self, analysis: Analysis, sentence_bias: Sequence[float]) -> FeatureBag:
        """The article bag this model reads: its own n-grams (whatever n-grams the framing
        model reads) and the framing features."""
        return article_bag(analysis, sentence_bias, ngrams=self.ngram_words)

    def explain(self, bag: FeatureBag) -> LeaningResult:
        """The leaning of one article bag, with one exact explanation per class."""
        explanations = {
            leaning: scorer.explain(bag.values, bag.spans)
            for leaning, scorer in self.scorers.items()
        }
        one_vs_rest = {leaning: e.probability for leaning, e in explanations.items()}
        total = math.fsum(one_vs_rest.values()) or 1.0
        probabilities = {leaning: p / total for leaning, p in one_vs_rest.items()}
        label = max(probabilities, key=lambda leaning: (probabilities[leaning], leaning))
        return LeaningResult(label, probabilities, explanations)

    def probabilities(self, bags: Sequence[FeatureBag]) -> np.ndarray:
        """Rows of normalized class probabilities (columns in ``classes`` order)."""
        matrix = self.space.transform(bags)
        columns = np.column_stack([s.probabilities(matrix) for s in self.scorers.values()])
        return columns / np.maximum(columns.sum(axis=1, keepdims=True), 1e-12)

    def predict(self, bags: Sequence[FeatureBag]) -> list[str]:
        classes = self.classes
        return [classes[int(i)] for i in np.argmax(self.probabilities(bags), axis=1)]


def fit_leaning(bags: Sequence[FeatureBag], labels: Sequence[str]) -> LeaningModel | None:
    """One-vs-rest leaning scorers; ``None`` when some leaning has too few articles."""
    counts = {leaning: sum(label == leaning for label in labels) for leaning in LEANINGS}
    if min(counts.values()) < LEANING_MIN_ARTICLES:
        return None
    space = fit_space(bags, LEANING_MIN_DF)
    matrix = space.transform(bags)
    names = list(space.get_feature_names_out())
    scorers = {
        leaning: fit_block_scorer(
            matrix, [int(label == leaning) for label in labels], names,
            regularization=LEANING_REGULARIZATION, folds=LEANING_FOLDS,
        )
        for leaning in LEANINGS
    }
    return LeaningModel(space=space, scorers=scorers)


def fit_leaning_level(
    articles: Sequence[Example], scored: dict[str, Analysis], sentence: LevelModel
) -> LeaningModel | None:
    """The leaning level from the articles labeled with a leaning (``None``: too few)."""
    labeled = [e for e in articles if e.has_label("leaning")]
    if not labeled:
        return None
    bags = [stacked_article_bag(scored[e.id], sentence)[0] for e in labeled]
    return fit_leaning(bags, [str(e.label["leaning"]) for e in labeled])
