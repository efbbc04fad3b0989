"""Explanations as plain data: for one score, ``intercept + Σ contribution = logit``.

Computation lives in ``training.linear``; rendering lives in the service. This module holds the
values (and ``explanation_from_terms``, which assembles them from a scorer's terms), so an
explanation can be compared, serialized and rendered without any model.

These two dataclasses are also the API's schema for explanations (``service.schemas``): pydantic
serializes them as they are, so a score response never copies its hundreds of contributions into
dicts and validates them again. The field descriptions below are what ``/docs`` shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import ConfigDict, Field, computed_field

Span = tuple[int, int]

# In the response schema every field is present, defaults included.
_SCHEMA_CONFIG = ConfigDict(json_schema_serialization_defaults_required=True)


@dataclass(frozen=True, slots=True)
class Contribution:
    """One named feature's share of a logit: ``contribution == weight × value``."""

    feature: str
    value: float
    weight: float
    contribution: Annotated[float, Field(description="weight × value, in logit units.")]
    spans: Annotated[
        tuple[Span, ...], Field(description="Where the feature's evidence is in the text.")
    ] = ()

    __pydantic_config__ = _SCHEMA_CONFIG

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "value": self.value,
            "weight": self.weight,
            "contribution": self.contribution,
            "spans": [list(span) for span in self.spans],
        }


_CONTRIBUTION_SETTERS = tuple(
    getattr(Contribution, name).__set__
    for name in ("feature", "value", "weight", "contribution", "spans")
)


@dataclass(frozen=True, slots=True)
class ScoreExplanation:
    """``intercept + Σ contribution == logit`` exactly; probability is the calibrated logit."""

    intercept: float
    logit: float
    contributions: tuple[Contribution, ...] = field(default_factory=tuple)

    __pydantic_config__ = _SCHEMA_CONFIG

    @computed_field(description="σ(logit), the calibrated probability.")  # type: ignore[prop-decorator]
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


# One explanation term, keyed for sorting: (-|contribution|, feature, value, weight, contribution).
Term = tuple[float, str, float, float, float]


def explanation_from_terms(
    intercept: float, terms: list[Term], spans: Mapping[str, Iterable[Span]]
) -> ScoreExplanation:
    """The explanation with these terms, largest contribution first (ties by feature name),
    each with its feature's spans from ``spans``; ``terms`` is sorted in place.

    Contributions are built without the frozen dataclass ``__init__`` (one
    ``object.__setattr__`` call per field): an article's explanations hold hundreds of them.
    Same type, same values.
    """
    terms.sort()  # feature names are unique: the order never depends on the later fields
    set_feature, set_value, set_weight, set_contribution, set_spans = _CONTRIBUTION_SETTERS
    new = object.__new__
    contributions = []
    for _, feature, value, weight, contribution in terms:
        instance = new(Contribution)
        set_feature(instance, feature)
        set_value(instance, value)
        set_weight(instance, weight)
        set_contribution(instance, contribution)
        set_spans(instance, tuple(spans.get(feature, ())))
        contributions.append(instance)
    return ScoreExplanation(
        intercept=intercept,
        logit=intercept + math.fsum([term[4] for term in terms]),
        contributions=tuple(contributions),
    )


def sigmoid(logit: float) -> float:
    """The logistic function, stable for large magnitudes."""
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    exp = math.exp(logit)
    return exp / (1.0 + exp)
