"""``allsides_leaning``: the outlet's leaning (left / center / right) from an article's text.

Data: AllSides articles (Baly et al. 2020), labeled with their outlet's rating.

- ``valid``: train on ``split == "train"``, measure on ``split == "valid"`` (2,278 articles from
  12 web domains never seen in training; mostly left): macro-F1 and accuracy.
- ``majority``: the baseline that always answers the training split's most common leaning
  (right), on the same valid articles.
- ``group_cv_source_url`` and ``group_cv_source``: 5-fold ``GroupKFold`` over the training
  articles grouped by web domain, then by outlet name, so no domain (resp. outlet name) is on
  both sides of a fold: pooled macro-F1 and accuracy. (Grouping by both at once is degenerate
  here: domains and names chain into one component holding 85% of the articles.)

Model (``public``): ``training.leaning.fit_leaning`` on the training articles: one-vs-rest
calibrated linear scorers over word n-grams and the framing features of the article bag; the
cue tagger and stacked sentence level are the shipped model's (``datasets/core``). The shipped
model has no leaning level, so there is no ``default`` row.

CI mode (``slant bench`` without ``--full``, about a minute): seeded samples of 1,200 training
articles (for both the model and the grouped folds) and 1,000 valid articles, and the grouped
folds by domain only; ``--full``: every article and both groupings. Articles are analyzed in
two processes.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GroupKFold

from training.article_model import stacked_article_bag
from training.benchmarks import SEED, BenchContext, BenchRow, require, task
from training.dataset import LEANINGS
from training.features import FeatureBag
from training.importers.allsides import example_from_row, leaning, read_rows
from training.leaning import fit_leaning
from training.model import SlantModel

CI_TRAIN_ARTICLES = 1200
CI_VALID_ARTICLES = 1000
GROUP_KEYS = ("source_url", "source")
CI_GROUP_KEYS = ("source_url",)
GROUP_FOLDS = 5
WORKERS = 2
CHUNKS_PER_WORKER = 4
REFERENCE = "unverified reports: fine-tuned BERT ~0.37 accuracy on unseen media"


def _bags_of(model: SlantModel, texts: Sequence[str]) -> list[FeatureBag]:
    bags = []
    for text in texts:
        bag = stacked_article_bag(model.analyze(text), model.sentence)[0]
        # Spans are for explanations, not training; interned names are stored once per chunk.
        bags.append(FeatureBag(values={sys.intern(n): v for n, v in bag.values.items()}))
    return bags


def article_bags(model: SlantModel, texts: Sequence[str]) -> list[FeatureBag]:
    """Article bags of ``texts`` (in order), computed in ``WORKERS`` processes."""
    size = max(1, -(-len(texts) // (WORKERS * CHUNKS_PER_WORKER)))
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    results = Parallel(n_jobs=WORKERS)(delayed(_bags_of)(model, chunk) for chunk in chunks)
    return [bag for chunk in results for bag in chunk]


def _rows(truth: Sequence[str], predicted: Sequence[str], split: str, model: str,
          protocol: str) -> list[BenchRow]:
    return [
        BenchRow("allsides_leaning", f"{split}_macro_f1",
                 float(f1_score(truth, predicted, labels=list(LEANINGS), average="macro",
                                zero_division=0.0)),
                 REFERENCE, protocol, model),
        BenchRow("allsides_leaning", f"{split}_accuracy",
                 float(accuracy_score(truth, predicted)), REFERENCE, protocol, model),
    ]


def _texts(rows: Sequence[dict[str, Any]]) -> list[str]:
    texts = []
    for row in rows:
        example = example_from_row(row)
        texts.append(example.text if example is not None else "")
    return texts


def _sample(rows: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """A seeded sample of ``size`` rows (all of them when there are fewer), in file order."""
    if len(rows) <= size:
        return rows
    chosen = np.random.default_rng(SEED).choice(len(rows), size=size, replace=False)
    return [rows[i] for i in sorted(chosen)]


@task("allsides_leaning")
def run(context: BenchContext) -> list[BenchRow]:
    rows = [r for r in read_rows(require(context.data_dir / "allsides")) if r.get("content")]
    train_rows = [r for r in rows if r.get("split") == "train"]
    valid_rows = [r for r in rows if r.get("split") == "valid"]
    if not context.full:
        train_rows = _sample(train_rows, CI_TRAIN_ARTICLES)
        valid_rows = _sample(valid_rows, CI_VALID_ARTICLES)
    model = context.default_model
    train_bags = article_bags(model, _texts(train_rows))
    valid_bags = article_bags(model, _texts(valid_rows))
    train_labels = [leaning(r) for r in train_rows]
    valid_labels = [leaning(r) for r in valid_rows]

    scope = f"{len(train_rows)} training articles" + ("" if context.full else " (CI sample)")
    leaning_model = fit_leaning(train_bags, train_labels)
    assert leaning_model is not None, "every leaning has thousands of training articles"
    valid_protocol = (
        f"train split ({scope}) -> valid split ({len(valid_rows)} articles"
        + (", unseen domains)" if context.full else ", unseen domains, CI sample)")
    )
    result = _rows(valid_labels, leaning_model.predict(valid_bags), "valid", "public",
                   valid_protocol)
    majority = Counter(train_labels).most_common(1)[0][0]
    result += _rows(valid_labels, [majority] * len(valid_labels), "valid", "majority",
                    valid_protocol + f"; always '{majority}' (the training majority)")

    for key in GROUP_KEYS if context.full else CI_GROUP_KEYS:
        result += _group_rows(train_bags, train_labels, [str(r[key]) for r in train_rows],
                              f"group_cv_{key}", scope)
    return result


def _group_rows(bags: Sequence[FeatureBag], labels: Sequence[str], groups: Sequence[str],
                split: str, scope: str) -> list[BenchRow]:
    """Pooled metrics of ``GroupKFold`` with no group on both sides of a fold."""
    truth: list[str] = []
    predicted: list[str] = []
    for train, test in GroupKFold(n_splits=GROUP_FOLDS).split(bags, groups=groups):
        fold_model = fit_leaning([bags[i] for i in train], [labels[i] for i in train])
        assert fold_model is not None
        predicted.extend(fold_model.predict([bags[i] for i in test]))
        truth.extend(labels[i] for i in test)
    key = split.removeprefix("group_cv_")
    protocol = f"GroupKFold({GROUP_FOLDS}) by {key} ({len(set(groups))} groups) over {scope}"
    return _rows(truth, predicted, split, "public", protocol)
