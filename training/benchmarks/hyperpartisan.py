"""``hyperpartisan``: is the article hyperpartisan (SemEval-2019 Task 4, by-article set)?

Protocol: the 645 labeled training articles (238 hyperpartisan), ``StratifiedKFold(10,
shuffle=True, random_state=42)``; accuracy and F1 of the hyperpartisan class, pooled over the
held-out folds. Hyperpartisan is imported as the ``framing`` label (``training.importers.
hyperpartisan`` says why).

- ``public``: on each fold the framing level is fitted on the training folds' articles with
  ``fit_framing_level`` (the code path of ``slant train --dataset hyperpartisan=...`` for the
  article level: with this many articles it reads word n-grams, and its regularization is chosen
  by inner cross-validation on the training folds). The corpus has no cue spans or sentence
  labels, so the cue tagger and the sentence level stacked into the article features are the
  shipped model's (trained on ``datasets/core`` only, never on this corpus).
- ``default``: the shipped model's framing score, zero-shot.

The published reference (0.822) is accuracy on the hidden by-publisher test set, not on
cross-validation folds of the training set. CI mode and ``--full`` run the same full protocol
(it takes well under a minute).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from training.article_model import fit_framing_level, stacked_article_bag
from training.benchmarks import SEED, BenchContext, BenchRow, require, task
from training.features import FeatureBag
from training.importers.hyperpartisan import load

FOLDS = 10
REFERENCE_ACCURACY = "0.822 (best SemEval-2019 system, hidden test set); bar >= 0.82"
REFERENCE_F1 = "0.809 F1 (best SemEval-2019 system, hidden test set)"


def article_bags(context: BenchContext) -> tuple[list[FeatureBag], list[FeatureBag], np.ndarray]:
    """Per article: the bag with every n-gram, the default model's own bag, and the labels."""
    examples = load(require(context.data_dir / "hyperpartisan"))
    default = context.default_model
    full: list[FeatureBag] = []
    own: list[FeatureBag] = []
    for example in examples:
        analysis = default.analyze(example.text)
        bag = stacked_article_bag(analysis, default.sentence)[0]
        full.append(bag)
        own.append(stacked_article_bag(analysis, default.sentence, default.article)[0])
    return full, own, np.array([e.biased for e in examples], dtype=int)


def cross_validated(bags: list[FeatureBag], labels: np.ndarray) -> np.ndarray:
    """Out-of-fold framing probabilities of the public protocol."""
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    probabilities = np.zeros(len(labels))
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        level = fit_framing_level([bags[i] for i in train], [bool(labels[i]) for i in train])
        probabilities[test] = level.probabilities([bags[i] for i in test])
    return probabilities


@task("hyperpartisan")
def run(context: BenchContext) -> list[BenchRow]:
    bags, own_bags, labels = article_bags(context)
    public = cross_validated(bags, labels)
    zero_shot = np.asarray(context.default_model.article.probabilities(own_bags))
    protocol = (
        f"stratified {FOLDS}-fold CV, random_state={SEED}, {len(labels)} by-article training "
        f"articles ({int(labels.sum())} hyperpartisan); framing level on the training folds, "
        "tagger and sentence level from datasets/core"
    )
    rows = []
    for model, probabilities in (("public", public), ("default", zero_shot)):
        predicted = (probabilities >= 0.5).astype(int)
        text = protocol if model == "public" else protocol + "; default model zero-shot"
        rows.append(BenchRow("hyperpartisan", "accuracy",
                             float(accuracy_score(labels, predicted)), REFERENCE_ACCURACY, text,
                             model))
        rows.append(BenchRow("hyperpartisan", "f1", float(f1_score(labels, predicted)),
                             REFERENCE_F1, text, model))
    return rows
