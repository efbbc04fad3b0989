"""The default model, trained from datasets/core, on real and written-for-the-test articles."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import f1_score

from tests.conftest import CORE_DATASET
from training.dataset import DIMENSIONS, Example
from training.features import FeatureSpace
from training.leaning import LeaningModel
from training.linear import LinearScorer
from training.model import SlantModel
from training.train import analyze_examples, collect_examples, evaluate_model

NEUTRAL_WIRE = (
    "City Council Approves Budget\n\n"
    "The city council approved a $2.1 billion budget on Tuesday, officials said.\n\n"
    "The budget increases spending on road repairs by 4 percent, according to the finance "
    "department. Council member Ana Ruiz said the plan balanced competing needs.\n\n"
    "\"We funded the libraries and kept the tax rate flat,\" Ruiz told reporters. Another member, "
    "Tom Becker, said he voted against the plan because of its transit cuts."
)


def _find(result: dict, **wanted: str) -> list[dict]:
    return [c for c in result["cues"] if all(c.get(k) == v for k, v in wanted.items())]


def test_result_offsets_point_into_the_text(trained_model: SlantModel, tasnim_text: str) -> None:
    result = trained_model.score(tasnim_text)
    text = result["text"]
    for cue in result["cues"]:
        assert text[cue["start"]:cue["end"]] == cue["text"]
    for attribution in result["attributions"]:
        cue = attribution["cue"]
        assert text[cue["start"]:cue["end"]] == cue["text"]
        if attribution["source"] is not None:
            source = attribution["source"]
            assert text[source["start"]:source["end"]] == source["text"]
    for sentence in result["sentences"]:
        assert 0 <= sentence["start"] < sentence["end"] <= len(text)


def test_tasnim_example(trained_model: SlantModel, tasnim_text: str) -> None:
    result = trained_model.score(tasnim_text)
    text = result["text"]
    assert "Most Visited in World" not in text and "Top Stories" not in text
    assert text.count("Iraqi FM’s Remarks on Need for US Troops Draw Strong Criticism") == 1

    alleged = [a for a in result["attributions"] if a["cue"]["text"] == "alleged"]
    assert alleged and alleged[0]["cue"]["stance"] == "distancing"
    assert alleged[0]["source"]["name"] == "Fuad Hussein"

    assert _find(result, text="legendary", category="glorifying", voice="writer")
    assert _find(result, term="allegedly", category="doubt")
    assert _find(result, term="pretext", category="doubt")
    assert _find(result, term="debunked", category="doubt")
    assert _find(result, text="Zionist regime", category="demonizing")
    assert _find(result, text="assassinated")
    heroic = _find(result, text="heroic")
    assert heroic and heroic[0]["voice"] == "quoted"

    endorsing = {
        a["cue"]["text"] for a in result["attributions"] if a["cue"]["stance"] == "endorsing"
    }
    assert {"underlined", "noted"} <= endorsing
    media = {s["name"] for s in result["sources"] if s["kind"] == "media"}
    assert any("Press TV" in name for name in media)
    assert any("al-Mayadeen" in name for name in media)
    assert result["source_asymmetry"] > 0.5
    assert result["article"]["label"] == "framed"
    assert result["article"]["dimensions"]["attribution_imbalance"] > 0.5


def test_neutral_wire_copy_scores_low(trained_model: SlantModel) -> None:
    result = trained_model.score(NEUTRAL_WIRE)
    assert result["article"]["framing"] < 0.5
    assert result["article"]["label"] == "not framed"
    assert result["source_asymmetry"] < 0.2
    assert all(s["bias"] < 0.5 for s in result["sentences"])


def test_html_input_is_parsed(trained_model: SlantModel) -> None:
    html = (
        "<html><head><script>var regime = 1;</script></head><body><nav>Top Stories</nav>"
        "<p>The so-called reform &amp; its critics.</p><p>Officials said it would pass.</p>"
        "</body></html>"
    )
    result = trained_model.score(html, html=True)
    assert "var regime" not in result["text"]
    assert "Top Stories" not in result["text"]
    assert "The so-called reform & its critics." in result["text"]
    assert _find(result, text="so-called", category="doubt")


def test_scores_are_deterministic(trained_model: SlantModel, tasnim_text: str) -> None:
    assert trained_model.score(tasnim_text) == trained_model.score(tasnim_text)


def test_short_texts_do_not_extrapolate_densities(trained_model: SlantModel) -> None:
    result = trained_model.score("The regime’s so-called reforms were slammed by critics.")
    explanation = result["explanation"]["framing"]
    densities = {
        c["feature"]: c["value"] for c in explanation["contributions"]
        if c["feature"].startswith(("cue_density:", "reported_density:"))
    }
    # Two cues of about 0.9 probability each, over the 100-word floor, not over 8 words.
    assert densities and all(value <= 1.0 for value in densities.values())


def test_text_with_characters_that_lowercase_to_two_does_not_crash(
    trained_model: SlantModel,
) -> None:
    # "İ".lower() is two characters; the tagger once misaligned its capitalization flags on it.
    result = trained_model.score("İstanbul officials said the so-called reform İs stalled.")
    assert result["text"].startswith("İstanbul")
    assert any(cue["text"] == "so-called" for cue in result["cues"])


# -- read-only accessors for the model card


def _core_sample() -> list[Example]:
    """Every 8th sentence and every 4th article of datasets/core: both labels of each level."""
    examples = collect_examples([CORE_DATASET])
    sentences = [e for e in examples if e.level == "sentence"][::8]
    articles = [e for e in examples if e.level == "article"][::4]
    return sentences + articles


def test_example_probabilities_give_the_metrics_of_evaluate_model(
    trained_model: SlantModel,
) -> None:
    examples = _core_sample()
    expected = evaluate_model(trained_model, examples,
                              analyze_examples(examples, trained_model.lexicon))
    truth: dict[str, list[bool]] = {}
    predicted: dict[str, list[bool]] = {}
    for example in examples:
        for score, probability in trained_model.example_probabilities(example).items():
            key = "article" if score == "framing" else score
            name = score.removeprefix("dimension:")
            label = example.dimension(name) if score.startswith("dimension:") else example.biased
            truth.setdefault(key, []).append(label)
            predicted.setdefault(key, []).append(probability >= 0.5)
    assert set(truth) == {"sentence", "article", *(f"dimension:{n}" for n in DIMENSIONS)}
    for key, labels in truth.items():
        assert expected[f"{key}:evaluated"] == len(labels)
        assert expected[f"{key}:f1"] == f1_score(labels, predicted[key], zero_division=0.0), key


def test_example_probabilities_of_an_article_are_its_scores(trained_model: SlantModel) -> None:
    article = next(e for e in _core_sample() if e.level == "article")
    probabilities = trained_model.example_probabilities(article)
    scored = trained_model.score(article.text)["article"]
    assert probabilities["framing"] == pytest.approx(scored["framing"], abs=1e-12)
    for name, value in scored["dimensions"].items():
        assert probabilities[f"dimension:{name}"] == pytest.approx(value, abs=1e-12)
    assert set(probabilities) == {"framing", *(f"dimension:{n}" for n in DIMENSIONS)}


def test_feature_weights_are_the_weights_the_explanations_use(trained_model: SlantModel) -> None:
    assert trained_model.level_names() == [
        "sentence", "framing", *(f"dimension:{name}" for name in trained_model.dimensions)]
    explanations = trained_model.score(NEUTRAL_WIRE)["explanation"]
    for level, explained in (("framing", "framing"), ("sentence", "sentence:0"),
                             ("dimension:doubt", "dimension:doubt")):
        weights = trained_model.feature_weights(level)
        contributions = explanations[explained]["contributions"]
        assert contributions
        for contribution in contributions:
            assert weights[contribution["feature"]] == contribution["weight"]
    with pytest.raises(KeyError, match=r"no level named 'article'.*known: sentence, framing"):
        trained_model.feature_weights("article")


def test_feature_weights_of_each_leaning_class(trained_model: SlantModel) -> None:
    scorers = {
        leaning: LinearScorer(("ngram:regime", "attr:stance:neutral"),
                              np.array([weight, -0.5]), intercept=0.1)
        for leaning, weight in (("left", 1.5), ("center", -2.0), ("right", 0.25))
    }
    with_leaning = replace(trained_model, leaning=LeaningModel(FeatureSpace(), scorers))
    assert with_leaning.level_names()[-3:] == ["leaning:left", "leaning:center", "leaning:right"]
    assert with_leaning.feature_weights("leaning:center") == {
        "ngram:regime": -2.0, "attr:stance:neutral": -0.5}
    with pytest.raises(KeyError, match="leaning:far-left"):
        with_leaning.feature_weights("leaning:far-left")
    with pytest.raises(KeyError, match="leaning:left"):
        trained_model.feature_weights("leaning:left")  # no leaning level: no such names
