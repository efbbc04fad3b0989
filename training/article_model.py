"""The article level: the framing score and its five dimensions.

The framing model reads every article feature. Word n-grams (``article_ngram:``) join it only
when at least ``NGRAM_MIN_ARTICLES`` articles are labeled for framing: the project's own data
has a few dozen articles, on which thousands of n-grams would only memorize; a public corpus
such as hyperpartisan (645 articles) has enough. With n-grams, the n-grams of fewer than
``NGRAM_MIN_DF`` training articles are dropped and the regularization is chosen among
``NGRAM_REGULARIZATION`` by inner cross-validation on the training articles
(``training.article_ngrams.fit_block_scorer``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.analysis import Analysis
from training.article_features import article_bag
from training.article_ngrams import fit_block_scorer, fit_space, ngram_words, without_ngrams
from training.dataset import DIMENSIONS, Example
from training.features import FeatureBag
from training.level import FOLDS, LevelModel, fit_level
from training.linear import MIN_CLASS_EXAMPLES, smallest_class
from training.sentence_features import sentence_bags

ARTICLE_REGULARIZATION = 1.0
NGRAM_MIN_ARTICLES = 200
NGRAM_MIN_DF = 3
NGRAM_REGULARIZATION = (3.0, 10.0, 30.0)

# Each dimension model sees only the features that can speak to it, so that its score (and its
# explanation) cannot be driven by unrelated evidence, and so that it can be learned from a few
# dozen labeled articles.
DIMENSION_FEATURES: dict[str, tuple[str, ...]] = {
    "loaded_language": ("cue_density:", "reported_density:", "sentences:"),
    "doubt": (
        "cue_density:doubt", "cue_density:hedge", "reported_density:doubt",
        "attr:stance:distancing", "attr:source:anonymous", "attr:source:vague",
    ),
    "glorification": (
        "cue_density:glorifying", "reported_density:glorifying", "attr:stance:endorsing",
    ),
    "demonization": (
        "cue_density:demonizing", "reported_density:demonizing", "cue_density:emotive",
    ),
    "attribution_imbalance": ("attr:",),
}
assert set(DIMENSION_FEATURES) == set(DIMENSIONS)


def ngram_vocabulary(level: LevelModel | None) -> bool | frozenset[str]:
    """What ``article_bag`` must extract for ``level``: the words of its n-grams (or every
    n-gram, with no level).

    Computed once per fitted space and kept on it as learned state (``article_ngrams_``):
    scoring asks for it on every article."""
    if level is None:
        return True
    return ngram_words(level.space)


def stacked_article_bag(
    analysis: Analysis, sentence: LevelModel, article: LevelModel | None = None
) -> tuple[FeatureBag, list[FeatureBag], list[float]]:
    """The article's bag (with the sentence model's output stacked in), its sentence bags and
    their bias probabilities. Given the fitted framing ``article`` level, only the n-grams it
    reads are kept (none when it reads none): scoring then skips the rest."""
    bags = sentence_bags(analysis)
    bias = sentence.probabilities(bags)
    return article_bag(analysis, bias, ngrams=ngram_vocabulary(article)), bags, bias


def fit_framing_level(bags: Sequence[FeatureBag], labels: Sequence[bool]) -> LevelModel:
    """The framing model: every article feature, plus n-grams when there are enough articles."""
    enough = len(bags) >= NGRAM_MIN_ARTICLES
    if not enough or smallest_class(np.asarray(_ints(labels))) < MIN_CLASS_EXAMPLES:
        plain = [without_ngrams(bag) for bag in bags]
        return fit_level(
            "framing", plain, labels, regularization=ARTICLE_REGULARIZATION,
        )
    space = fit_space(bags, NGRAM_MIN_DF)
    scorer = fit_block_scorer(
        space.transform(bags), _ints(labels), list(space.get_feature_names_out()),
        regularization=NGRAM_REGULARIZATION, folds=FOLDS,
    )
    return LevelModel(space=space, scorer=scorer)


def _ints(labels: Sequence[bool]) -> list[int]:
    return [int(label) for label in labels]


def fit_article_levels(
    articles: Sequence[Example], scored: dict[str, Analysis], sentence: LevelModel
) -> tuple[LevelModel, dict[str, LevelModel]]:
    """The framing model and one model per dimension, each on the articles labeled for it."""
    bags = {e.id: stacked_article_bag(scored[e.id], sentence)[0] for e in articles}

    def labeled(key: str) -> tuple[list[FeatureBag], list[bool]]:
        examples = [e for e in articles if e.has_label(key)]
        labels = [e.biased if key == "framing" else e.dimension(key) for e in examples]
        return [bags[e.id] for e in examples], labels

    framing = fit_framing_level(*labeled("framing"))
    dimensions = {}
    for name in DIMENSIONS:
        dimension_bags, labels = labeled(name)
        dimensions[name] = fit_level(
            f"dimension:{name}", [without_ngrams(bag) for bag in dimension_bags], labels,
            prefixes=DIMENSION_FEATURES[name], regularization=ARTICLE_REGULARIZATION,
        )
    return framing, dimensions
