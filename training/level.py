"""A model level: a feature space and the calibrated linear scorer over its columns."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from training.explain import ScoreExplanation
from training.features import FeatureBag, FeatureSpace
from training.linear import (
    MIN_CLASS_EXAMPLES,
    LinearScorer,
    fit_scorer,
    prior_scorer,
    smallest_class,
)

log = logging.getLogger(__name__)

FOLDS = 5
NGRAM_MIN_DF = 2


@dataclass
class LevelModel:
    space: FeatureSpace
    scorer: LinearScorer

    def explain(self, bag: FeatureBag) -> ScoreExplanation:
        return self.scorer.explain(bag.values, bag.spans)

    @cached_property
    def weights_by_name(self) -> dict[str, float]:
        """The scorer's weight of every column of the space, by feature name."""
        weights = self.scorer.weights.tolist()
        return {name: weights[column] for name, column in self.space.vocabulary_.items()}

    def probabilities(self, bags: Sequence[FeatureBag]) -> list[float]:
        """``scorer.probabilities(space.transform(bags))``, without building the sparse matrix.

        Scoring asks this for every sentence of an article, where a matrix of a few dozen short
        rows cost more to assemble than to multiply. Each row's sum runs over the bag's features
        in the order the matrix would hold them, and the sigmoid is the same numpy expression,
        so the results are the same numbers.
        """
        if not bags:
            return []
        weights = self.weights_by_name
        sums = []
        for bag in bags:
            total = 0.0
            for name, value in bag.values.items():
                weight = weights.get(name)
                if weight is not None and value != 0.0:
                    total += value * weight
            sums.append(total)
        logits = np.asarray(sums, dtype=float) + self.scorer.intercept
        with np.errstate(over="ignore"):  # exp(1000) is inf, and 1 / (1 + inf) is the right 0
            probabilities: list[float] = (1.0 / (1.0 + np.exp(-logits))).tolist()
        return probabilities


def fit_level(
    name: str,
    bags: Sequence[FeatureBag],
    labels: Sequence[bool],
    *,
    prefixes: tuple[str, ...] | None = None,
    regularization: float | Sequence[float] = 1.0,
    min_df: int = NGRAM_MIN_DF,
    rare_prefixes: tuple[str, ...] = (),
    log_ratio_prefixes: tuple[str, ...] = (),
) -> LevelModel:
    """Fit a level; with too few examples of a class, an intercept-only base-rate scorer.

    Features named with one of ``rare_prefixes`` are dropped, like n-grams, when fewer than
    ``min_df`` training units have them; ``log_ratio_prefixes`` get NB log-count-ratio scaling
    (``training.linear``). ``regularization`` may list C values to choose from on the
    training units.
    """
    space = FeatureSpace(min_df=min_df, prefixes=prefixes).fit(bags)
    if rare_prefixes:
        _drop_rare(space, bags, rare_prefixes, min_df)
    names = list(space.get_feature_names_out())
    y = np.asarray(labels, dtype=int)
    if smallest_class(y) < MIN_CLASS_EXAMPLES:
        log.warning(
            "%s: only %d positive and %d negative examples; using the base rate alone",
            name, int(y.sum()), len(y) - int(y.sum()),
        )
        return LevelModel(space=space, scorer=prior_scorer(y, names))
    scorer = fit_scorer(
        space.transform(bags), y, names, regularization=regularization, folds=FOLDS,
        log_ratio_prefixes=log_ratio_prefixes,
    )
    return LevelModel(space=space, scorer=scorer)


def _drop_rare(
    space: FeatureSpace, bags: Sequence[FeatureBag], rare_prefixes: tuple[str, ...], min_df: int
) -> None:
    """Drop the rare features of the given families from a fitted space's vocabulary."""
    frequency: Counter[str] = Counter()
    for bag in bags:
        frequency.update(name for name in bag.values if name.startswith(rare_prefixes))
    kept = [
        name for name in sorted(space.vocabulary_, key=space.vocabulary_.__getitem__)
        if not name.startswith(rare_prefixes) or frequency[name] >= min_df
    ]
    space.vocabulary_ = {name: column for column, name in enumerate(kept)}
