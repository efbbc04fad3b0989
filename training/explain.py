"""Explanations as plain data: for one score, ``intercept + Σ contribution = logit``.

Computation lives in ``training.linear``; rendering lives in the service. This module only holds
the values, so an explanation can be compared, serialized and rendered without any model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    value: float
    weight: float
    contribution: float  # weight × value, in the calibrated logit
    spans: tuple[Span, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "value": self.value,
            "weight": self.weight,
            "contribution": self.contribution,
            "spans": [list(span) for span in self.spans],
        }


@dataclass(frozen=True, slots=True)
class ScoreExplanation:
    intercept: float
    logit: float
    contributions: tuple[Contribution, ...] = field(default_factory=tuple)

    @property
    def probability(self) -> float:
        return sigmoid(self.logit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "intercept": self.intercept,
            "logit": self.logit,
            "probability": self.probability,
            "contributions": [c.to_dict() for c in self.contributions],
        }


def sigmoid(logit: float) -> float:
    """The logistic function, stable for large magnitudes."""
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    exp = math.exp(logit)
    return exp / (1.0 + exp)
