"""Named features with provenance, and the transformer that turns them into a matrix.

Extraction (``sentence_features``, ``article_features``) turns an ``Analysis`` into
``FeatureBag``s: for each feature name a value and the spans that produced it. ``FeatureSpace``
is a scikit-learn transformer from bags to a sparse matrix whose columns are the names
(``get_feature_names_out``). Every feature name is built by one function below, so a name means
the same thing everywhere.

Names: ``ngram:<words>`` (writer's and reported words, outside direct quotes),
``cue:<category>:<term>`` and ``cue:<category>`` (writer-voice cues, weighted by the tagger's
probability), ``reported:<category>`` and ``quoted:<category>`` (cues in other voices),
``attr:stance:<stance>``, ``attr:source:<kind>``, ``attr:asymmetry``; at article level the cue
counts become densities per 100 words (``cue_density:<category>``, ``reported_density:...``,
``quoted_density:...``) and the sentence model's output enters as ``sentences:mean_bias`` and
``sentences:biased_share``.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from training.attribution import Attribution
from training.document import Document
from training.document import is_word as is_word  # re-exported: features name words by it

Span = tuple[int, int]
NGRAM_PREFIX = "ngram:"


def ngram_feature(words: Sequence[str]) -> str:
    return NGRAM_PREFIX + " ".join(words)


def cue_feature(category: str, term: str | None = None) -> str:
    return f"cue:{category}" if term is None else f"cue:{category}:{term}"


def voice_feature(voice: str, category: str, *, density: bool = False) -> str:
    """``quoted:demonizing`` at sentence level; ``quoted_density:demonizing`` for articles."""
    prefix = "cue" if voice == "writer" else voice
    return f"{prefix}_density:{category}" if density else f"{prefix}:{category}"


def stance_feature(stance: str) -> str:
    return f"attr:stance:{stance}"


def source_kind_feature(kind: str) -> str:
    return f"attr:source:{kind}"


ASYMMETRY_FEATURE = "attr:asymmetry"
MEAN_BIAS_FEATURE = "sentences:mean_bias"
BIASED_SHARE_FEATURE = "sentences:biased_share"


@dataclass
class FeatureBag:
    """Feature values of one unit (a sentence or an article) and the spans behind each."""

    values: dict[str, float] = field(default_factory=dict)
    spans: dict[str, list[Span]] = field(default_factory=dict)

    def add(self, name: str, value: float, spans: Iterable[Span] = ()) -> None:
        self.values[name] = self.values.get(name, 0.0) + value
        self.spans.setdefault(name, []).extend(spans)


def quoted_token_mask(document: Document) -> list[bool]:
    """For each token, whether it lies inside a direct quotation."""
    mask = [False] * len(document.tokens)
    starts = document.token_starts()
    for quote in document.quotes:
        first = bisect.bisect_left(starts, quote.start)
        last = bisect.bisect_left(starts, quote.end)
        mask[first:last] = [True] * (last - first)
    return mask


def distinct_reports(attributions: Sequence[Attribution]) -> list[Attribution]:
    """One attribution per reporting cue: a continuation quote reuses its speaker's cue, and
    counting it again would weigh one verb twice."""
    seen: set[tuple[int, int]] = set()
    distinct = []
    for attribution in attributions:
        key = (attribution.cue.start, attribution.cue.end)
        if key not in seen:
            seen.add(key)
            distinct.append(attribution)
    return distinct


def merge_bags(bags: Iterable[FeatureBag]) -> FeatureBag:
    """One bag for a text labeled as a whole (a sentence example the splitter cut in two)."""
    merged = FeatureBag()
    for bag in bags:
        for name, value in bag.values.items():
            if name.startswith(NGRAM_PREFIX):
                value = 1.0 if name not in merged.values else 0.0  # stays binary
            merged.add(name, value, bag.spans.get(name, ()))
    return merged


class FeatureSpace(TransformerMixin, BaseEstimator):
    """Feature bags → sparse matrix, one column per named feature.

    ``min_df`` drops n-grams seen in fewer training units (rare n-grams only memorize);
    ``prefixes`` keeps only features whose name starts with one of them (``None``: all).
    """

    def __init__(self, min_df: int = 2, prefixes: tuple[str, ...] | None = None) -> None:
        self.min_df = min_df
        self.prefixes = prefixes

    def _wanted(self, name: str) -> bool:
        return self.prefixes is None or name.startswith(self.prefixes)

    def fit(self, bags: Sequence[FeatureBag], y: object = None) -> FeatureSpace:
        frequency: Counter[str] = Counter()
        for bag in bags:
            frequency.update(name for name in bag.values if self._wanted(name))
        names = sorted(
            name for name, count in frequency.items()
            if not name.startswith(NGRAM_PREFIX) or count >= self.min_df
        )
        self.vocabulary_ = {name: column for column, name in enumerate(names)}
        return self

    def transform(self, bags: Sequence[FeatureBag]) -> sparse.csr_matrix:
        check_is_fitted(self, "vocabulary_")
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        vocabulary = self.vocabulary_
        for bag in bags:
            for name, value in bag.values.items():
                column = vocabulary.get(name)
                if column is not None and value != 0.0:
                    indices.append(column)
                    data.append(value)
            indptr.append(len(indices))
        return sparse.csr_matrix(
            (np.asarray(data, dtype=float), np.asarray(indices, dtype=np.int32), indptr),
            shape=(len(bags), len(vocabulary)),
        )

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        return np.array(sorted(self.vocabulary_, key=self.vocabulary_.__getitem__), dtype=object)
