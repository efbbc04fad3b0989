import math
import random

import numpy as np
import pytest

from training.article_model import (
    NGRAM_MIN_ARTICLES,
    fit_framing_level,
    stacked_article_bag,
)
from training.article_ngrams import ARTICLE_NGRAM_PREFIX, ngram_bag, without_ngrams
from training.dataset import Example
from training.document import build_document
from training.features import FeatureBag
from training.leaning import fit_leaning, fit_leaning_level
from training.model import SlantModel

FILLER = (
    "the", "council", "plan", "budget", "vote", "city", "said", "on", "tuesday", "officials",
    "report", "week",
)


def _bag(text: str, **extra: float) -> FeatureBag:
    bag = ngram_bag(build_document(text))
    for name, value in extra.items():
        bag.add(name.replace("__", ":"), value)
    return bag


def _corpus(size: int, markers: dict[str, str], seed: int = 7) -> tuple[list[str], list[str]]:
    """Texts of filler words; each class's marker appears in 90% of its texts."""
    rng = random.Random(seed)
    classes = sorted(markers)
    texts, labels = [], []
    for index in range(size):
        label = classes[index % len(classes)]
        words = rng.choices(FILLER, k=30)
        if rng.random() < 0.9:
            words.insert(rng.randrange(len(words)), markers[label])
        texts.append(" ".join(words) + ".")
        labels.append(label)
    return texts, labels


def test_ngram_values_are_sublinear_counts_with_unit_norm() -> None:
    bag = ngram_bag(build_document("Stop! Stop the lies!"))
    twice, once = 1.0 + math.log(2.0), 1.0
    norm = math.sqrt(2 * twice**2 + 7 * once**2)  # stop, ! twice; the, lies and 5 bigrams once
    assert bag.values == pytest.approx({
        ARTICLE_NGRAM_PREFIX + "stop": twice / norm, ARTICLE_NGRAM_PREFIX + "!": twice / norm,
        ARTICLE_NGRAM_PREFIX + "the": once / norm, ARTICLE_NGRAM_PREFIX + "lies": once / norm,
        ARTICLE_NGRAM_PREFIX + "stop !": once / norm, ARTICLE_NGRAM_PREFIX + "! stop": once / norm,
        ARTICLE_NGRAM_PREFIX + "stop the": once / norm,
        ARTICLE_NGRAM_PREFIX + "the lies": once / norm,
        ARTICLE_NGRAM_PREFIX + "lies !": once / norm,
    })


def test_ngram_spans_are_located_on_request() -> None:
    text = "Stop! Stop the lies!"
    bag = ngram_bag(build_document(text))
    assert bag.spans.get(ARTICLE_NGRAM_PREFIX + "stop") == [(0, 4), (6, 10)]
    assert bag.spans.get(ARTICLE_NGRAM_PREFIX + "stop the") == [(6, 14)]
    assert text[6:14] == "Stop the"
    assert bag.spans.get(ARTICLE_NGRAM_PREFIX + "lies stop", ()) == ()
    assert bag.spans.get("cue_density:doubt") is None


def test_few_articles_keep_ngrams_out_of_the_framing_model(trained_model: SlantModel) -> None:
    vocabulary = trained_model.article.space.vocabulary_
    assert vocabulary and not any(name.startswith(ARTICLE_NGRAM_PREFIX) for name in vocabulary)
    bag = stacked_article_bag(
        trained_model.analyze("Officials said the plan was approved."), trained_model.sentence,
        trained_model.article,
    )[0]
    assert not any(name.startswith(ARTICLE_NGRAM_PREFIX) for name in bag.values)
    assert "sentences:mean_bias" in bag.values


def test_enough_articles_bring_ngrams_and_exact_explanations(trained_model: SlantModel) -> None:
    texts, labels = _corpus(NGRAM_MIN_ARTICLES + 40, {"framed": "outrageous", "plain": "noted"})
    bags = [_bag(text, cue_density__emotive=float(label == "framed")) for text, label in
            zip(texts, labels, strict=True)]
    level = fit_framing_level(bags, [label == "framed" for label in labels])
    columns = level.scorer.columns
    weights = level.scorer.weights
    assert weights[columns[ARTICLE_NGRAM_PREFIX + "outrageous"]] > 0
    assert weights[columns[ARTICLE_NGRAM_PREFIX + "noted"]] < 0
    assert level.scorer.regularization in (3.0, 10.0, 30.0)

    text = "The council said the plan was outrageous."
    bag = _bag(text, cue_density__emotive=1.0)
    explanation = level.explain(bag)
    assert explanation.logit == pytest.approx(
        explanation.intercept + sum(c.contribution for c in explanation.contributions)
    )
    assert explanation.probability == pytest.approx(level.probabilities([bag])[0])
    outrageous = next(c for c in explanation.contributions
                      if c.feature == ARTICLE_NGRAM_PREFIX + "outrageous")
    assert [text[s:e] for s, e in outrageous.spans] == ["outrageous"]
    assert explanation.probability > 0.5

    scored = stacked_article_bag(trained_model.analyze(text), trained_model.sentence, level)[0]
    ngrams = {name for name in scored.values if name.startswith(ARTICLE_NGRAM_PREFIX)}
    assert ARTICLE_NGRAM_PREFIX + "outrageous" in ngrams
    assert ngrams <= set(level.space.vocabulary_)
    assert ARTICLE_NGRAM_PREFIX + "was outrageous" not in ngrams  # never in 3 training articles


def test_leaning_is_one_vs_rest_with_an_exact_explanation_per_class() -> None:
    markers = {"left": "greed", "center": "bipartisan", "right": "aliens"}
    texts, labels = _corpus(150, markers)
    model = fit_leaning([_bag(text) for text in texts], labels)
    assert model is not None and model.classes == ("left", "center", "right")

    text = "The council blamed corporate greed for the budget."
    bag = _bag(text)
    result = model.explain(bag)
    assert result.label == "left"
    assert sum(result.probabilities.values()) == pytest.approx(1.0)
    assert result.probabilities["left"] == max(result.probabilities.values())
    assert list(model.probabilities([bag])[0]) == pytest.approx(
        [result.probabilities[c] for c in model.classes])
    for leaning, explanation in result.explanations.items():
        scorer = model.scorers[leaning]
        matrix = model.space.transform([bag])
        assert explanation.logit == pytest.approx(float(scorer.logits(matrix)[0]))
        assert explanation.logit == pytest.approx(
            explanation.intercept + sum(c.contribution for c in explanation.contributions))
    greed = next(c for c in result.explanations["left"].contributions
                 if c.feature == ARTICLE_NGRAM_PREFIX + "greed")
    assert greed.contribution > 0 and [text[s:e] for s, e in greed.spans] == ["greed"]
    assert model.predict([bag, _bag("Officials said illegal aliens crossed.")]) == [
        "left", "right"]


def test_leaning_needs_enough_articles_of_every_class(trained_model: SlantModel) -> None:
    texts, labels = _corpus(60, {"left": "greed", "right": "aliens"})
    assert fit_leaning([_bag(text) for text in texts], labels) is None
    examples = [Example(id="a", text="The plan passed.", level="article",
                        label={"framing": False})]
    scored = {"a": trained_model.analyze("The plan passed.")}
    assert fit_leaning_level(examples, scored, trained_model.sentence) is None


def test_without_ngrams_keeps_only_the_named_ones() -> None:
    bag = _bag("Stop the lies", cue_density__doubt=2.0)
    kept = without_ngrams(bag, keep={ARTICLE_NGRAM_PREFIX + "lies"})
    assert kept.values == {ARTICLE_NGRAM_PREFIX + "lies": bag.values[ARTICLE_NGRAM_PREFIX + "lies"],
                           "cue_density:doubt": 2.0}
    assert np.isclose(sum(v * v for n, v in bag.values.items() if n != "cue_density:doubt"), 1.0)


def test_leaning_bag_carries_only_the_models_ngrams(trained_model: SlantModel) -> None:
    texts, labels = _corpus(150, {"left": "greed", "center": "bipartisan", "right": "aliens"})
    model = fit_leaning([_bag(text) for text in texts], labels)
    assert model is not None
    analysis = trained_model.analyze("Corporate greed, the council said, zzyzx greed.")
    bag = model.bag(analysis, [0.25])
    ngrams = {name for name in bag.values if name.startswith(ARTICLE_NGRAM_PREFIX)}
    assert ARTICLE_NGRAM_PREFIX + "greed" in ngrams
    assert ARTICLE_NGRAM_PREFIX + "zzyzx" not in ngrams
    assert {name.removeprefix(ARTICLE_NGRAM_PREFIX) for name in ngrams} <= model.ngram_words
    assert bag.values["sentences:mean_bias"] == 0.25
    assert model.explain(bag).label == "left"
