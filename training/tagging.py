"""Fitting the cue tagger on labeled examples, and scoring analyses with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from sklearn.model_selection import KFold

from training.analysis import Analysis
from training.cues import Cue, CueTagger
from training.dataset import Example
from training.linear import RANDOM_STATE

CROSS_FIT_FOLDS = 5


def cue_labels(example: Example, cues: Sequence[Cue]) -> list[int]:
    """1 for a candidate that overlaps an annotated cue span, else 0."""
    spans = [(span.start, span.end) for span in example.spans]
    return [int(any(cue.start < end and start < cue.end for start, end in spans)) for cue in cues]


def fit_tagger(examples: Sequence[Example], analyses: dict[str, Analysis]) -> CueTagger:
    return CueTagger().fit(
        [analyses[e.id].document for e in examples],
        [analyses[e.id].cues for e in examples],
        [cue_labels(e, analyses[e.id].cues) for e in examples],
    )


def with_tagger(analysis: Analysis, tagger: CueTagger) -> Analysis:
    return replace(analysis, cues=tuple(tagger.score(analysis.document, analysis.cues)))


def cross_fitted(
    examples: Sequence[Example], analyses: dict[str, Analysis]
) -> dict[str, Analysis]:
    """Each example's cues scored by a tagger fitted on the other folds.

    Downstream models trained on these learn how far to trust the tagger on text it never saw.
    """
    scored: dict[str, Analysis] = {}
    folds = KFold(n_splits=CROSS_FIT_FOLDS, shuffle=True, random_state=RANDOM_STATE)
    for train, held_out in folds.split(np.zeros(len(examples))):
        tagger = fit_tagger(
            [examples[i] for i in train if examples[i].annotated("spans")], analyses
        )
        for index in held_out:
            example = examples[index]
            scored[example.id] = with_tagger(analyses[example.id], tagger)
    return scored
