"""Calibrated linear scorers whose explanations are exact.

A scorer is fitted as column scaling + logistic regression, then Platt-calibrated on
out-of-fold decision values. Columns are scaled by MaxAbs, except the sparse presence features
named in ``log_ratio_prefixes``, which are scaled by their naive-Bayes log-count ratio (NB-SVM,
Wang & Manning 2012: the ratio says how much more often a feature occurs in positive units, the
logistic regression then only corrects it). Scaling and calibration are both per-column or
affine, so they are folded into one weight per named feature and one intercept: the calibrated
logit is ``intercept + Σ weight × value`` over the raw feature values, and the explanation lists
exactly those terms. Given several regularization strengths, the one with the best out-of-fold
ROC AUC on the training data is kept (the data the scorer is fitted on, nothing else).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from training.explain import ScoreExplanation, Span, Term, explanation_from_terms

RANDOM_STATE = 42
MIN_CLASS_EXAMPLES = 2
LOG_RATIO_SMOOTHING = 1.0  # add-one counts: a feature seen in one class only keeps a finite ratio


@dataclass(frozen=True)
class LinearScorer:
    feature_names: tuple[str, ...]
    weights: np.ndarray  # one per feature, in calibrated-logit units per unit of raw value
    intercept: float
    regularization: float | None = None  # the C chosen when fitting (None: no fit, a prior)

    def logits(self, matrix: sparse.csr_matrix | np.ndarray) -> np.ndarray:
        """Calibrated logits for the rows of a feature matrix (columns = ``feature_names``)."""
        return np.asarray(matrix @ self.weights, dtype=float).ravel() + self.intercept

    def probabilities(self, matrix: sparse.csr_matrix | np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(matrix)))

    @cached_property
    def columns(self) -> dict[str, int]:
        return {name: column for column, name in enumerate(self.feature_names)}

    @cached_property
    def nonzero_weights(self) -> dict[str, float]:
        """The weight of every feature whose weight is not zero (the only ones that explain)."""
        return {
            name: weight
            for name, weight in zip(self.feature_names, self.weights.tolist(), strict=True)
            if weight != 0.0
        }

    def explain(
        self, values: Mapping[str, float], spans: Mapping[str, Sequence[Span]]
    ) -> ScoreExplanation:
        """The exact additive explanation of one unit's named feature values.

        Names the scorer does not know, and zero values or weights, contribute nothing, exactly
        as in ``logits`` over the transformed matrix. Contributions come largest first (ties by
        name).
        """
        weights = self.nonzero_weights
        terms: list[Term] = []
        for name, value in values.items():
            weight = weights.get(name)
            if weight is None or value == 0.0:
                continue
            value = float(value)
            contribution = weight * value
            terms.append((-abs(contribution), name, value, weight, contribution))
        return explanation_from_terms(self.intercept, terms, spans)


def _logistic(regularization: float) -> LogisticRegression:
    # liblinear shuffles with the global random state unless given one: a seed makes two
    # trainings on the same data produce the same weights
    return LogisticRegression(C=regularization, max_iter=5000, solver="liblinear", dual=True,
                              random_state=RANDOM_STATE)


def log_count_ratios(matrix: sparse.csr_matrix, labels: np.ndarray) -> np.ndarray:
    """Per column, log of (share of positive units with the feature) over (share of negatives),
    from add-one-smoothed presence counts normalized per class as in Wang & Manning (2012)."""
    present = sparse.csr_matrix(matrix, copy=True)
    present.data = (present.data != 0).astype(float)
    positive = np.asarray(present[labels == 1].sum(axis=0)).ravel() + LOG_RATIO_SMOOTHING
    negative = np.asarray(present[labels == 0].sum(axis=0)).ravel() + LOG_RATIO_SMOOTHING
    return np.asarray(np.log(positive / positive.sum()) - np.log(negative / negative.sum()))


def column_scale(
    matrix: sparse.csr_matrix, labels: np.ndarray, ratio_columns: np.ndarray
) -> np.ndarray:
    """The multiplier of every column: 1/max|value|, times the log-count ratio where asked."""
    max_abs = np.asarray(abs(matrix).max(axis=0).todense()).ravel() if matrix.shape[0] else (
        np.zeros(matrix.shape[1]))
    scale = np.where(max_abs == 0.0, 1.0, 1.0 / np.where(max_abs == 0.0, 1.0, max_abs))
    if ratio_columns.any():
        scale = np.where(ratio_columns, scale * log_count_ratios(matrix, labels), scale)
    return np.asarray(scale, dtype=float)


def _fit_scaled(
    matrix: sparse.csr_matrix, labels: np.ndarray, ratio_columns: np.ndarray,
    regularization: float,
) -> tuple[np.ndarray, float]:
    """Raw-value weights and intercept of a logistic regression on scaled columns."""
    scale = column_scale(matrix, labels, ratio_columns)
    logistic = _logistic(regularization).fit(_scaled(matrix, scale), labels)
    return logistic.coef_[0] * scale, float(logistic.intercept_[0])


def _scaled(matrix: sparse.csr_matrix, scale: np.ndarray) -> sparse.csr_matrix:
    scaled = sparse.csr_matrix(matrix @ sparse.diags(scale))
    # liblinear accepts 32-bit indices only; sparse products may widen them
    scaled.indices = scaled.indices.astype(np.int32, copy=False)
    scaled.indptr = scaled.indptr.astype(np.int32, copy=False)
    return scaled


def _out_of_fold_decisions(
    matrix: sparse.csr_matrix, labels: np.ndarray, ratio_columns: np.ndarray,
    regularization: float, folds: int,
) -> np.ndarray:
    """Decision values of each unit from a scorer fitted without it (scaling refitted per fold).

    The folds are fitted through joblib: sequentially by default, on a process pool or a Dask
    cluster inside ``joblib.parallel_config(...)`` (``slant train --scheduler``); the result is
    the same either way, because each fold's fit is.
    """
    splits = list(_folds(labels, folds).split(np.zeros(len(labels)), labels))
    fitted = Parallel()(
        delayed(_fold_decisions)(matrix, labels, ratio_columns, regularization, train, held_out)
        for train, held_out in splits
    )
    decisions = np.zeros(len(labels))
    for (_, held_out), values in zip(splits, fitted, strict=True):
        decisions[held_out] = values
    return decisions


def _fold_decisions(
    matrix: sparse.csr_matrix, labels: np.ndarray, ratio_columns: np.ndarray,
    regularization: float, train: np.ndarray, held_out: np.ndarray,
) -> np.ndarray:
    weights, intercept = _fit_scaled(matrix[train], labels[train], ratio_columns, regularization)
    return np.asarray(matrix[held_out] @ weights).ravel() + intercept


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
    regularization: float | Sequence[float] = 1.0,
    folds: int = 5,
    log_ratio_prefixes: tuple[str, ...] = (),
) -> LinearScorer:
    """Fit a logistic regression, calibrate it on out-of-fold scores, fold both into weights.

    ``regularization`` is C, or several C values to choose from by out-of-fold ROC AUC;
    ``log_ratio_prefixes`` names the presence features that get NB log-count-ratio scaling.
    """
    y = np.asarray(labels, dtype=int)
    if smallest_class(y) < MIN_CLASS_EXAMPLES:
        raise ValueError(
            f"a scorer needs at least {MIN_CLASS_EXAMPLES} examples of both classes "
            f"(got {int(y.sum())} positive, {len(y) - int(y.sum())} negative)"
        )
    matrix = sparse.csr_matrix(matrix)
    ratio_columns = np.array(
        [bool(log_ratio_prefixes) and name.startswith(log_ratio_prefixes)
         for name in feature_names], dtype=bool,
    )
    candidates = (
        [float(regularization)] if isinstance(regularization, int | float)
        else [float(value) for value in regularization]
    )
    best: tuple[float, float, np.ndarray] | None = None  # (auc, C, out-of-fold decisions)
    for candidate in candidates:
        decisions = _out_of_fold_decisions(matrix, y, ratio_columns, candidate, folds)
        auc = float(roc_auc_score(y, decisions)) if len(candidates) > 1 else 0.0
        if best is None or auc > best[0]:
            best = (auc, candidate, decisions)
    assert best is not None
    _, chosen, out_of_fold = best
    slope, offset = platt_scaling(out_of_fold, y)

    raw_weights, raw_intercept = _fit_scaled(matrix, y, ratio_columns, chosen)
    return LinearScorer(
        feature_names=tuple(feature_names),
        weights=np.asarray(slope * raw_weights, dtype=float),
        intercept=slope * raw_intercept + offset,
        regularization=chosen,
    )


__all__ = [
    "MIN_CLASS_EXAMPLES",
    "LinearScorer",
    "fit_scorer",
    "log_count_ratios",
    "prior_scorer",
    "smallest_class",
]
