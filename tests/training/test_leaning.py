"""The outlet-leaning level inside the scoring result: label, probabilities, exact explanations."""

from __future__ import annotations

import dataclasses
import math

import pytest

from tests.conftest import CORE_DATASET
from training.analysis import analyze
from training.article_model import stacked_article_bag
from training.dataset import LEANINGS, load_examples
from training.leaning import LEANING_MIN_ARTICLES, fit_leaning
from training.model import SlantModel

TEXT = (
    "The regime's so-called reforms were branded a sham by critics, who said the government "
    "had silenced dissent. Officials insisted the changes were necessary."
)


@pytest.fixture(scope="module")
def model_with_leaning(trained_model: SlantModel) -> SlantModel:
    articles = [e for e in load_examples([CORE_DATASET]) if e.level == "article"]
    bags = [
        stacked_article_bag(analyze(e.text, trained_model.lexicon, trained_model.tagger),
                            trained_model.sentence)[0]
        for e in articles
    ]
    # Labels by position: what the model learns is irrelevant here, only that it is wired in.
    copies = math.ceil(3 * LEANING_MIN_ARTICLES / len(bags))
    training_bags = bags * copies
    labels = [LEANINGS[index % 3] for index in range(len(training_bags))]
    leaning = fit_leaning(training_bags, labels)
    assert leaning is not None
    return dataclasses.replace(trained_model, leaning=leaning)


def test_without_a_leaning_model_the_leaning_is_null(trained_model: SlantModel) -> None:
    assert trained_model.leaning is None
    assert trained_model.score(TEXT)["article"]["leaning"] is None


def test_leaning_has_a_label_and_probabilities(model_with_leaning: SlantModel) -> None:
    leaning = model_with_leaning.score(TEXT)["article"]["leaning"]
    assert set(leaning["probabilities"]) == set(LEANINGS)
    assert math.isclose(sum(leaning["probabilities"].values()), 1.0, rel_tol=1e-9)
    most_probable = max(leaning["probabilities"], key=leaning["probabilities"].get)
    assert leaning["label"] == most_probable


def test_each_leaning_class_is_explained_exactly(model_with_leaning: SlantModel) -> None:
    result = model_with_leaning.score(TEXT)
    for leaning in LEANINGS:
        explanation = result["explanation"][f"leaning:{leaning}"]
        total = explanation["intercept"] + math.fsum(
            c["contribution"] for c in explanation["contributions"]
        )
        assert total == pytest.approx(explanation["logit"], abs=1e-9)
        for contribution in explanation["contributions"]:
            assert contribution["contribution"] == pytest.approx(
                contribution["weight"] * contribution["value"], abs=1e-12
            )
