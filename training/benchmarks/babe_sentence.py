"""``babe_sentence``: sentence bias on BABE (Spinde et al. 2021) under its published protocol.

Stratified 5-fold cross-validation with ``random_state=42`` over ``final_labels_SG2.csv`` with
the ``No agreement`` row dropped; binary F1 of the "biased" class and sklearn's weighted F1.

- ``public``: on each fold, the training sentences go through the same fitting path as
  ``slant train --dataset babe=...`` for the sentence level: the cue tagger fitted on the
  training folds' biased words, training sentences scored by cross-fitted taggers, then
  ``fit_sentence_level`` (regularization chosen inside the training folds). The held-out
  sentences are scored by that tagger and sentence level.
- ``default``: the shipped model's sentence level, zero-shot, on the same held-out sentences.

CI mode evaluates the first ``CI_FOLDS`` of the five folds (the same folds, fewer of them);
``--full`` evaluates all five.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from training.analysis import Analysis, analyze
from training.benchmarks import SEED, BenchContext, BenchRow, require, task
from training.dataset import Example
from training.importers.babe import babe_rows
from training.lexicon import load_lexicon
from training.sentence_model import fit_sentence_level, sentence_bag
from training.tagging import cross_fitted, fit_tagger, with_tagger

FOLDS = 5
CI_FOLDS = 1
REFERENCE_BINARY = "0.803 (BERT + distant supervision); word+char TF-IDF LR ~0.74; XGBoost 0.517"
REFERENCE_WEIGHTED = "0.804 (BERT + distant supervision)"


def fold_predictions(
    examples: Sequence[Example], analyses: dict[str, Analysis], train: Sequence[int],
    test: Sequence[int],
) -> list[float]:
    """Bias probabilities of the ``test`` sentences from a sentence level fitted on ``train``."""
    training = [examples[i] for i in train]
    tagger = fit_tagger([e for e in training if e.annotated("spans")], analyses)
    scored = cross_fitted(training, analyses)
    level = fit_sentence_level(training, [], scored)
    bags = [sentence_bag(with_tagger(analyses[examples[i].id], tagger)) for i in test]
    return level.probabilities(bags)


@task("babe_sentence")
def run(context: BenchContext) -> list[BenchRow]:
    path = require(context.data_dir / "babe" / "final_labels_SG2.csv")
    examples = [row.to_example() for row in babe_rows(path)]
    lexicon = load_lexicon()
    analyses = {e.id: analyze(e.text, lexicon) for e in examples}
    labels = np.array([e.biased for e in examples], dtype=int)
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    folds = list(splitter.split(np.zeros(len(examples)), labels))
    evaluated = folds if context.full else folds[:CI_FOLDS]

    default = context.default_model
    held_out: list[int] = []
    public: list[float] = []
    for train, test in evaluated:
        public.extend(fold_predictions(examples, analyses, list(train), list(test)))
        held_out.extend(int(i) for i in test)
    zero_shot = default.sentence.probabilities(
        [sentence_bag(with_tagger(analyses[examples[i].id], default.tagger)) for i in held_out]
    )

    scope = (
        f"stratified {FOLDS}-fold CV, random_state={SEED}, BABE SG2 without 'No agreement' "
        f"({len(examples)} sentences)"
    )
    if not context.full:
        scope += f"; CI: fold 1 of {FOLDS} only ({len(held_out)} held-out sentences)"
    truth = labels[held_out]
    rows = []
    for model, probabilities in (("public", public), ("default", zero_shot)):
        predicted = (np.asarray(probabilities) >= 0.5).astype(int)
        protocol = scope if model == "public" else scope + "; default model zero-shot"
        rows.append(BenchRow(
            "babe_sentence", "binary_f1", float(f1_score(truth, predicted)),
            REFERENCE_BINARY, protocol, model,
        ))
        rows.append(BenchRow(
            "babe_sentence", "weighted_f1",
            float(f1_score(truth, predicted, average="weighted")),
            REFERENCE_WEIGHTED, protocol, model,
        ))
    return rows
