"""Calibrated linear scorers whose explanations are exact.

A scorer is fitted as MaxAbs scaling + logistic regression, then Platt-calibrated on
out-of-fold decision values. Scaling and calibration are both affine, so they are folded into
one weight per named feature and one intercept: the calibrated logit is
``intercept + Σ weight × value`` over the raw feature values, and the explanation lists exactly
those terms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler

from training.explain import Contribution, ScoreExplanation, Span

RANDOM_STATE = 42
MIN_CLASS_EXAMPLES = 2


@dataclass(frozen=True)
class LinearScorer:
    feature_names: tuple[str, ...]
    weights: np.ndarray  # one per feature, in calibrated-logit units per unit of raw value
    intercept: float

    def logits(self, matrix: sparse.csr_matrix | np.ndarray) -> np.ndarray:
        """Calibrated logits for the rows of a feature matrix (columns = ``feature_names``)."""
        return np.asarray(matrix @ self.weights, dtype=float).ravel() + self.intercept

    def probabilities(self, matrix: sparse.csr_matrix | np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(matrix)))

    @cached_property
    def columns(self) -> dict[str, int]:
        return {name: column for column, name in enumerate(self.feature_names)}

    def explain(
        self, values: Mapping[str, float], spans: Mapping[str, Sequence[Span]]
    ) -> ScoreExplanation:
        """The exact additive explanation of one unit's named feature values.

        Names the scorer does not know, and zero values or weights, contribute nothing, exactly
        as in ``logits`` over the transformed matrix.
        """
        columns = self.columns
        contributions = []
        for name, value in values.items():
            column = columns.get(name)
            if column is None or value == 0.0:
                continue
            weight = float(self.weights[column])
            if weight == 0.0:
                continue
            contributions.append(
                Contribution(
                    feature=name,
                    value=float(value),
                    weight=weight,
                    contribution=weight * float(value),
                    spans=tuple(spans.get(name, ())),
                )
            )
        contributions.sort(key=lambda c: (-abs(c.contribution), c.feature))
        logit = self.intercept + math.fsum(c.contribution for c in contributions)
        return ScoreExplanation(
            intercept=self.intercept, logit=logit, contributions=tuple(contributions)
        )


def _classifier(regularization: float) -> Pipeline:
    return Pipeline(
        [
            ("scale", MaxAbsScaler()),
            (
                "logistic",
                LogisticRegression(C=regularization, max_iter=5000, solver="liblinear"),
            ),
        ]
    )


def smallest_class(labels: np.ndarray) -> int:
    return int(np.bincount(labels.astype(int), minlength=2).min())


def _folds(labels: np.ndarray, folds: int) -> StratifiedKFold:
    # Never more folds than the rarer class has examples: every training fold keeps both classes.
    return StratifiedKFold(
        n_splits=max(2, min(folds, smallest_class(labels))), shuffle=True,
        random_state=RANDOM_STATE,
    )


def prior_scorer(labels: Sequence[int] | np.ndarray, feature_names: Sequence[str]) -> LinearScorer:
    """A scorer that knows only the base rate (Platt-smoothed), for too few examples of a class.

    Its explanation is the intercept alone: it claims no evidence it could not learn.
    """
    y = np.asarray(labels, dtype=int)
    positive_rate = (y.sum() + 1) / (len(y) + 2)
    return LinearScorer(
        feature_names=tuple(feature_names),
        weights=np.zeros(len(feature_names)),
        intercept=float(np.log(positive_rate / (1 - positive_rate))),
    )


def platt_scaling(decision: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Platt's (1999) sigmoid fit ``p = σ(slope × decision + offset)``.

    Targets are Platt's smoothed ones, ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)``, rather than
    0/1: on separable out-of-fold scores (common with a few dozen articles) 0/1 targets drive the
    slope to infinity and every probability to 0 or 1. Each example enters twice, as a positive
    and as a negative, weighted by its target.
    """
    positives = int(labels.sum())
    negatives = len(labels) - positives
    target = np.where(labels == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    column = decision.reshape(-1, 1)
    stacked = np.vstack([column, column])
    stacked_labels = np.concatenate([np.ones(len(labels)), np.zeros(len(labels))])
    weights = np.concatenate([target, 1.0 - target])
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(
        stacked, stacked_labels, sample_weight=weights
    )
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def fit_scorer(
    matrix: sparse.csr_matrix,
    labels: Sequence[int] | np.ndarray,
    feature_names: Sequence[str],
    *,
    regularization: float = 1.0,
    folds: int = 5,
) -> LinearScorer:
    """Fit a logistic regression, calibrate it on out-of-fold scores, fold both into weights."""
    y = np.asarray(labels, dtype=int)
    if smallest_class(y) < MIN_CLASS_EXAMPLES:
        raise ValueError(
            f"a scorer needs at least {MIN_CLASS_EXAMPLES} examples of both classes "
            f"(got {int(y.sum())} positive, {len(y) - int(y.sum())} negative)"
        )
    out_of_fold = cross_val_predict(
        _classifier(regularization), matrix, y, cv=_folds(y, folds), method="decision_function"
    )
    slope, offset = platt_scaling(out_of_fold, y)

    classifier = _classifier(regularization).fit(matrix, y)
    scale = classifier.named_steps["scale"].scale_
    logistic = classifier.named_steps["logistic"]
    safe_scale = np.where(scale == 0.0, 1.0, scale)
    weights = slope * logistic.coef_[0] / safe_scale
    intercept = slope * float(logistic.intercept_[0]) + offset
    return LinearScorer(
        feature_names=tuple(feature_names), weights=np.asarray(weights), intercept=intercept
    )


__all__ = [
    "MIN_CLASS_EXAMPLES",
    "LinearScorer",
    "fit_scorer",
    "prior_scorer",
    "smallest_class",
]
