"""Article-level features: cue densities by voice, the attribution mix, sentence-bias summary,
and the article's word n-grams (``training.article_ngrams``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.analysis import Analysis
from training.article_ngrams import ngram_bag
from training.features import (
    ASYMMETRY_FEATURE,
    BIASED_SHARE_FEATURE,
    MEAN_BIAS_FEATURE,
    FeatureBag,
    distinct_reports,
    source_kind_feature,
    stance_feature,
    voice_feature,
)

BIASED_SENTENCE_THRESHOLD = 0.5
# Densities are per 100 words, but a text shorter than this counts as this long: two cues in a
# ten-word snippet are not "20 per 100 words", a rate no article in training comes near.
MIN_DENSITY_WORDS = 100


def article_bag(
    analysis: Analysis, sentence_bias: Sequence[float], *,
    ngrams: bool | frozenset[str] = True,
) -> FeatureBag:
    """Article-level features: cue densities by voice, attribution mix, sentence-bias summary,
    and word n-grams: all of them (``ngrams=True``), none, or only the given ones (as words
    without the ``article_ngram:`` prefix: a fitted model's vocabulary, so that scoring does not
    pay for n-grams no model reads)."""
    document = analysis.document
    words = sum(document.word_flags())
    per_hundred = 100.0 / max(words, MIN_DENSITY_WORDS)
    if not ngrams:  # False, or a model's vocabulary without n-grams
        bag = FeatureBag()
    else:
        bag = ngram_bag(document, keep=None if ngrams is True else ngrams)
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


