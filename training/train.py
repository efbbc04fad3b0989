"""Fit a ``SlantModel`` from native labeled data, and measure it honestly.

Order of fitting: the cue tagger (on every example's cue spans), then the sentence model (on the
sentence examples and, as negatives, the sentences of articles labeled not framed), then the
article and dimension models (on the article examples, with the sentence model's output as a
stacked feature). Downstream models are trained on *cross-fitted* tagger probabilities: each
example's cues are scored by a tagger that never saw that example, so the sentence and article
models learn how much to trust the tagger on unseen text.

Metrics come from an outer, seeded, stratified 5-fold cross-validation of this whole procedure:
every number in ``metrics`` is measured on examples the evaluated model never saw.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from training.analysis import Analysis, analyze
from training.article_model import fit_article_levels, stacked_article_bag
from training.dataset import Example
from training.errors import DatasetError
from training.importers import load_dataset
from training.leaning import fit_leaning_level
from training.level import FOLDS
from training.lexicon import Lexicon, load_lexicon
from training.linear import MIN_CLASS_EXAMPLES, RANDOM_STATE, smallest_class
from training.model import SlantModel
from training.sentence_model import fit_sentence_level, sentence_bag
from training.tagging import cross_fitted, cue_labels, fit_tagger, with_tagger

log = logging.getLogger(__name__)


def train_model(datasets: Sequence[str | Path], *, evaluate: bool = True) -> SlantModel:
    """Fit on every dataset; with ``evaluate``, record cross-validated metrics.

    A dataset is a path to native JSONL (a file or a directory of them) or ``NAME=PATH`` for an
    importer (``babe=../shared/data/babe/final_labels_SG2.csv``).
    """
    examples = collect_examples(datasets)
    lexicon = load_lexicon()
    analyses = analyze_examples(examples, lexicon)
    model = fit_model(examples, analyses, lexicon)
    model.trained_on = tuple(str(dataset) for dataset in datasets)
    if evaluate:
        model.metrics = cross_validate(examples, analyses, lexicon)
    return model


def collect_examples(datasets: Sequence[str | Path]) -> list[Example]:
    """The examples of every dataset, with ids unique across all of them."""
    examples: list[Example] = []
    seen: set[str] = set()
    for dataset in datasets:
        for example in load_dataset(str(dataset)):
            if example.id in seen:
                raise DatasetError(f"{dataset}: example id {example.id!r} appears twice")
            seen.add(example.id)
            examples.append(example)
    return examples


def analyze_examples(examples: Sequence[Example], lexicon: Lexicon) -> dict[str, Analysis]:
    analyses = {}
    for example in examples:
        analysis = analyze(example.text, lexicon)
        if analysis.document.text != example.text:
            raise DatasetError(
                f"example {example.id!r}: text is not normalized, so its spans would not align "
                "with the document (normalize the text and recompute the offsets)"
            )
        analyses[example.id] = analysis
    return analyses


def fit_model(
    examples: Sequence[Example], analyses: dict[str, Analysis], lexicon: Lexicon
) -> SlantModel:
    """Fit every level on ``examples`` (their analyses computed without a tagger)."""
    sentences = [e for e in examples if e.level == "sentence"]
    articles = [e for e in examples if e.level == "article"]
    if not sentences or not any(e.has_label("framing") for e in articles):
        raise DatasetError(
            "training needs labeled sentences and articles labeled for framing"
        )
    log.info("fitting on %d sentences and %d articles", len(sentences), len(articles))

    with_cues = [e for e in examples if e.annotated("spans")]
    tagger = fit_tagger(with_cues, analyses)
    scored = cross_fitted(examples, analyses)
    sentence = fit_sentence_level(sentences, articles, scored)
    framing, dimensions = fit_article_levels(articles, scored, sentence)
    leaning = fit_leaning_level(articles, scored, sentence)
    return SlantModel(
        lexicon=lexicon, tagger=tagger, sentence=sentence, article=framing,
        dimensions=dimensions, leaning=leaning,
    )


def _stratified_folds(examples: Sequence[Example]) -> list[tuple[set[str], set[str]]]:
    """Per-level stratified folds, paired up: fold k holds out fold k of each level.

    Small data sets get fewer folds (as many as the rarest class has examples), never fewer
    than two.
    """
    levels = {
        "sentence": [e for e in examples if e.level == "sentence"],
        "article": [e for e in examples if e.level == "article" and e.has_label("framing")],
    }
    n_splits = min(
        [FOLDS] + [smallest_class(np.array([e.biased for e in subset])) for subset in
                   levels.values()]
    )
    if n_splits < MIN_CLASS_EXAMPLES:
        raise DatasetError(
            "cross-validation needs at least two biased and two unbiased examples at both "
            "the sentence and the article level"
        )
    per_level = []
    for subset in levels.values():
        labels = [int(e.biased) for e in subset]
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=RANDOM_STATE)
        per_level.append([
            {subset[i].id for i in held_out}
            for _, held_out in splitter.split(np.zeros(len(subset)), labels)
        ])
    all_ids = {e.id for e in examples}
    return [
        (all_ids - (sentences | articles), sentences | articles)
        for sentences, articles in zip(*per_level, strict=True)
    ]


class PredictionTally:
    """Gold labels and 0.5-threshold predictions per metric key, summarized as F1 and accuracy."""

    def __init__(self) -> None:
        self.truth: dict[str, list[int]] = {}
        self.predicted: dict[str, list[int]] = {}

    def record(self, key: str, actual: bool, probability: float) -> None:
        self.truth.setdefault(key, []).append(int(actual))
        self.predicted.setdefault(key, []).append(int(probability >= 0.5))

    def metrics(self) -> dict[str, float]:
        """``<key>:f1``, ``<key>:accuracy`` and ``<key>:evaluated`` (the number of items)."""
        metrics: dict[str, float] = {}
        for key, truth in self.truth.items():
            predicted = self.predicted[key]
            metrics[f"{key}:f1"] = float(f1_score(truth, predicted, zero_division=0.0))
            metrics[f"{key}:accuracy"] = float(accuracy_score(truth, predicted))
            metrics[f"{key}:evaluated"] = float(len(truth))
        return metrics


def tally_predictions(
    model: SlantModel,
    examples: Sequence[Example],
    analyses: dict[str, Analysis],
    tally: PredictionTally,
) -> None:
    """Record ``model``'s predictions on ``examples``: cue tagger, sentences, articles."""
    for example in examples:
        analysis = with_tagger(analyses[example.id], model.tagger)
        if example.annotated("spans"):
            labels = cue_labels(example, analysis.cues)
            for cue, label in zip(analysis.cues, labels, strict=True):
                tally.record("cue_tagger", bool(label), cue.probability)
        if example.level == "sentence":
            bias = model.sentence.probabilities([sentence_bag(analysis)])[0]
            tally.record("sentence", example.biased, bias)
            continue
        bag = stacked_article_bag(analysis, model.sentence)[0]
        if example.has_label("framing"):
            tally.record("article", example.biased, float(model.article.explain(bag).probability))
        for name, level in model.dimensions.items():
            if example.has_label(name):
                tally.record(f"dimension:{name}", example.dimension(name),
                             level.explain(bag).probability)


def evaluate_model(
    model: SlantModel, examples: Sequence[Example], analyses: dict[str, Analysis]
) -> dict[str, float]:
    """Metrics of a fitted model on labeled examples it was not fitted on (a fixed test set)."""
    tally = PredictionTally()
    tally_predictions(model, examples, analyses, tally)
    return tally.metrics()


def cross_validate(
    examples: Sequence[Example], analyses: dict[str, Analysis], lexicon: Lexicon
) -> dict[str, float]:
    """Out-of-fold metrics of the whole fitting procedure (seeded stratified 5-fold)."""
    by_id = {e.id: e for e in examples}
    tally = PredictionTally()
    for train_ids, test_ids in _stratified_folds(examples):
        train = [e for e in examples if e.id in train_ids]
        model = fit_model(train, analyses, lexicon)
        tally_predictions(model, [by_id[i] for i in sorted(test_ids)], analyses, tally)
    metrics = tally.metrics()
    metrics["cue_lexicon_recall"] = _lexicon_recall(examples, analyses)
    metrics["examples:sentence"] = float(sum(e.level == "sentence" for e in examples))
    metrics["examples:article"] = float(sum(e.level == "article" for e in examples))
    return metrics


def _lexicon_recall(examples: Sequence[Example], analyses: dict[str, Analysis]) -> float:
    """Share of annotated cue spans that some lexicon candidate overlaps (the tagger's ceiling)."""
    found = total = 0
    for example in examples:
        cues = analyses[example.id].cues
        for span in example.spans:
            total += 1
            found += any(c.start < span.end and span.start < c.end for c in cues)
    return found / total if total else 0.0
