"""Named features with provenance, and the transformer that turns them into a matrix.

Extraction turns an ``Analysis`` into ``FeatureBag``s: for each feature name a value and the
spans that produced it. ``FeatureSpace`` is a scikit-learn transformer from bags to a sparse
matrix whose columns are the names (``get_feature_names_out``). Every feature name is built by one
function below, so a name means the same thing everywhere.

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

from training.analysis import Analysis
from training.attribution import Attribution
from training.document import Document

Span = tuple[int, int]
NGRAM_PREFIX = "ngram:"
BIASED_SENTENCE_THRESHOLD = 0.5
# Densities are per 100 words, but a text shorter than this counts as this long: two cues in a
# ten-word snippet are not "20 per 100 words", a rate no article in training comes near.
MIN_DENSITY_WORDS = 100


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


def _is_word(text: str) -> bool:
    # Most tokens start with a letter or digit; only the rest ("'s", "$5") need a full scan.
    return text[:1].isalnum() or any(character.isalnum() for character in text)


def quoted_token_mask(document: Document) -> list[bool]:
    """For each token, whether it lies inside a direct quotation."""
    mask = [False] * len(document.tokens)
    starts = [token.start for token in document.tokens]
    for quote in document.quotes:
        first = bisect.bisect_left(starts, quote.start)
        last = bisect.bisect_left(starts, quote.end)
        for index in range(first, last):
            mask[index] = True
    return mask


def _add_ngrams(bag: FeatureBag, document: Document, token_indices: Sequence[int],
                quoted: Sequence[bool]) -> None:
    """Binary unigrams and bigrams of consecutive unquoted words (punctuation breaks a bigram)."""
    tokens = document.tokens
    seen: dict[str, list[Span]] = {}
    previous: int | None = None
    for index in token_indices:
        token = tokens[index]
        if quoted[index] or not _is_word(token.text):
            previous = None
            continue
        seen.setdefault(ngram_feature((token.lower,)), []).append((token.start, token.end))
        if previous is not None:
            first = tokens[previous]
            name = ngram_feature((first.lower, token.lower))
            seen.setdefault(name, []).append((first.start, token.end))
        previous = index
    for name, spans in seen.items():
        bag.add(name, 1.0, spans)


def _sentence_token_ranges(document: Document) -> list[range]:
    ranges: list[range] = []
    tokens = document.tokens
    first = 0
    for sentence in document.sentences:
        last = first
        while last < len(tokens) and tokens[last].sentence == sentence.index:
            last += 1
        ranges.append(range(first, last))
        first = last
    return ranges


def sentence_bags(analysis: Analysis) -> list[FeatureBag]:
    """One bag per sentence of the document."""
    document = analysis.document
    quoted = quoted_token_mask(document)
    bags = [FeatureBag() for _ in document.sentences]
    for bag, token_range in zip(bags, _sentence_token_ranges(document), strict=True):
        _add_ngrams(bag, document, token_range, quoted)
    for cue in analysis.cues:
        bag = bags[cue.sentence]
        span = [(cue.start, cue.end)]
        if cue.voice == "writer":
            bag.add(cue_feature(cue.category, cue.term), cue.probability, span)
            bag.add(cue_feature(cue.category), cue.probability, span)
        else:
            bag.add(voice_feature(cue.voice, cue.category), cue.probability, span)
    for attribution in distinct_reports(analysis.attributions):
        bag = bags[document.sentence_of(attribution.cue.start)]
        bag.add(stance_feature(attribution.cue.stance), 1.0,
                [(attribution.cue.start, attribution.cue.end)])
        if attribution.source is not None:
            bag.add(source_kind_feature(attribution.source.kind), 1.0,
                    [(attribution.source.start, attribution.source.end)])
    return bags


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


def article_bag(analysis: Analysis, sentence_bias: Sequence[float]) -> FeatureBag:
    """Article-level features: cue densities by voice, attribution mix, sentence-bias summary."""
    document = analysis.document
    words = sum(1 for token in document.tokens if _is_word(token.text))
    per_hundred = 100.0 / max(words, MIN_DENSITY_WORDS)
    bag = FeatureBag()
    for cue in analysis.cues:
        bag.add(voice_feature(cue.voice, cue.category, density=True),
                cue.probability * per_hundred, [(cue.start, cue.end)])
    attributions = distinct_reports(analysis.attributions)
    if attributions:
        share = 1.0 / len(attributions)
        for attribution in attributions:
            bag.add(stance_feature(attribution.cue.stance), share,
                    [(attribution.cue.start, attribution.cue.end)])
            kind = attribution.source.kind if attribution.source is not None else "none"
            source_spans = (
                [(attribution.source.start, attribution.source.end)]
                if attribution.source is not None else []
            )
            bag.add(source_kind_feature(kind), share, source_spans)
        slanted = [(a.cue.start, a.cue.end) for a in attributions if a.cue.stance != "neutral"]
        bag.add(ASYMMETRY_FEATURE, analysis.profile.asymmetry, slanted)
    if sentence_bias:
        biased = [
            (sentence.start, sentence.end)
            for sentence, bias in zip(document.sentences, sentence_bias, strict=True)
            if bias > BIASED_SENTENCE_THRESHOLD
        ]
        bag.add(MEAN_BIAS_FEATURE, float(np.mean(sentence_bias)), biased)
        bag.add(BIASED_SHARE_FEATURE, len(biased) / len(sentence_bias), biased)
    return bag


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
