"""The article level: the framing score and its five dimensions."""

from __future__ import annotations

from collections.abc import Sequence

from training.analysis import Analysis
from training.article_features import article_bag
from training.dataset import DIMENSIONS, Example
from training.features import FeatureBag
from training.level import LevelModel, fit_level
from training.sentence_features import sentence_bags

ARTICLE_REGULARIZATION = 1.0

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


def stacked_article_bag(
    analysis: Analysis, sentence: LevelModel
) -> tuple[FeatureBag, list[FeatureBag], list[float]]:
    """The article's bag (with the sentence model's output stacked in), its sentence bags and
    their bias probabilities."""
    bags = sentence_bags(analysis)
    bias = sentence.probabilities(bags)
    return article_bag(analysis, bias), bags, bias


def fit_article_levels(
    articles: Sequence[Example], scored: dict[str, Analysis], sentence: LevelModel
) -> tuple[LevelModel, dict[str, LevelModel]]:
    """The framing model and one model per dimension, each on the articles labeled for it."""
    bags = {e.id: stacked_article_bag(scored[e.id], sentence)[0] for e in articles}

    def fit(name: str, key: str, prefixes: tuple[str, ...] | None) -> LevelModel:
        labeled = [e for e in articles if e.has_label(key)]
        labels = [e.biased if key == "framing" else e.dimension(key) for e in labeled]
        return fit_level(
            name, [bags[e.id] for e in labeled], labels, prefixes=prefixes,
            regularization=ARTICLE_REGULARIZATION,
        )

    framing = fit("framing", "framing", None)
    dimensions = {
        name: fit(f"dimension:{name}", name, DIMENSION_FEATURES[name]) for name in DIMENSIONS
    }
    return framing, dimensions
