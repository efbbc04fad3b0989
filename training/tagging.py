"""Fitting the cue tagger on labeled examples, and scoring analyses with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from sklearn.model_selection import KFold

from training.analysis import Analysis
from training.cues import Cue, CueTagger, TaggingSample
from training.dataset import Example
from training.linear import RANDOM_STATE

CROSS_FIT_FOLDS = 5


def cue_labels(example: Example, cues: Sequence[Cue]) -> list[int]:
    """1 for a cue that overlaps an annotated cue span, else 0."""
    spans = [(span.start, span.end) for span in example.spans]
    return [int(any(cue.start < end and start < cue.end for start, end in spans)) for cue in cues]


def tagging_sample(example: Example, analysis: Analysis) -> TaggingSample:
    """The example's text with its lexicon candidates (the analysis without a tagger)."""
    candidates = [cue for cue in analysis.cues if cue.end_token - cue.start_token >= 1]
    return TaggingSample(
        document=analysis.document,
        attributions=analysis.attributions,
        candidates=candidates,
        spans=[(span.start, span.end, span.label) for span in example.spans],
    )


def fit_tagger(examples: Sequence[Example], analyses: dict[str, Analysis]) -> CueTagger:
    """A tagger fitted on the examples annotated for cue spans (others are skipped)."""
    return CueTagger().fit([
        tagging_sample(example, analyses[example.id])
        for example in examples if example.annotated("spans")
    ])


def with_tagger(analysis: Analysis, tagger: CueTagger) -> Analysis:
    """The analysis (computed without a tagger) with its cues scored and extended."""
    return replace(analysis, cues=tuple(
        tagger.tag(analysis.document, analysis.attributions, analysis.cues)))


def cross_fitted(
    examples: Sequence[Example], analyses: dict[str, Analysis]
) -> dict[str, Analysis]:
    """Each example's cues scored by a tagger fitted on the other folds.

    Downstream models trained on these learn how far to trust the tagger on text it never saw.
    """
    scored: dict[str, Analysis] = {}
    folds = KFold(n_splits=CROSS_FIT_FOLDS, shuffle=True, random_state=RANDOM_STATE)
    for train, held_out in folds.split(np.zeros(len(examples))):
        tagger = fit_tagger([examples[i] for i in train], analyses)
        for index in held_out:
            example = examples[index]
            scored[example.id] = with_tagger(analyses[example.id], tagger)
    return scored
