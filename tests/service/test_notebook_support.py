"""The helpers behind the review notebooks: tables, figures, outlets and held-out evaluation.

Article and outlet helpers run on the fake model, whose numbers are known exactly (an intercept
of -1, 0.8 per loaded word, 0.5 per distancing verb); the model-card helpers run on the real
model and are checked against the training code's own metrics.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from sklearn.calibration import calibration_curve

from service.notebook_support import (
    article_responses,
    biased_sentences,
    calibration_chart,
    calibration_table,
    confusion_chart,
    confusion_table,
    contributions_chart,
    contributions_table,
    cue_density_chart,
    dataset_article,
    demo_corpus,
    dimensions_chart,
    driving_articles,
    error_examples,
    explanation_summary,
    framing_chart,
    gate_summary,
    gate_table,
    groups_overview,
    held_out_examples,
    in_group,
    load_model,
    metrics_table,
    model_identity,
    most_biased_explanation,
    most_framed_group,
    other_metrics,
    outlet_tables,
    predictions_table,
    recomputed_metrics,
    score_corpus,
    score_table,
    sentence_bias_chart,
    slant_model,
    sources_table,
    stance_mix_chart,
    strongest_features,
)
from service.registry import Manifest
from service.schemas import ScoreResponse
from service.scoring import score_payload
from tests.service.conftest import CORE_DATASET
from tests.service.fakes import FakeModel
from training.dataset import Example
from training.gate import EvaluationSummary, GateReport, MetricComparison, build_split
from training.model import SlantModel
from training.train import analyze_examples, collect_examples, evaluate_model

ARTICLE = (
    "Brown claimed the alleged vote was shocking. Smith noted the turnout. "
    "Brown claimed the regime lied. Jones said nothing."
)
# Outlets with known framing under the fake model: Beta is the most framed; in Beta, b1 is the
# most framed article (3 cues, 2 distancing verbs) and b3 holds most of the loaded words (4).
CORPUS = [
    ("a1", "Alpha", "Officials said the budget passed. Jones said it was fine."),
    ("a2", "Alpha", "The council met on Tuesday. Smith noted the vote."),
    ("b1", "Beta", "Brown claimed the alleged vote was shocking. Brown claimed the regime lied."),
    ("b2", "Beta", "The alleged plan failed."),
    ("b3", "Beta", "The so-called reform was a regime of thugs and shocking."),
    ("g1", "Gamma", "Heroic workers were legendary."),
    ("g2", "Gamma", "Officials said it went well."),
]


def sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-logit))


FRAMING = {"a1": sigmoid(-1), "a2": sigmoid(-1), "b1": sigmoid(-1 + 3 * 0.8 + 2 * 0.5),
           "b2": sigmoid(-1 + 0.8), "b3": sigmoid(-1 + 4 * 0.8), "g1": sigmoid(-1 + 2 * 0.8),
           "g2": sigmoid(-1)}


def bars(axes: Axes) -> list[Rectangle]:
    return [patch for patch in axes.patches if isinstance(patch, Rectangle)]


def bar_widths(axes: Axes) -> list[float]:
    return [bar.get_width() for bar in bars(axes)]


@pytest.fixture(scope="module")
def response(fake_home: Path) -> ScoreResponse:
    model, manifest = load_model(fake_home)
    return score_payload(model, manifest, ARTICLE)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "articles.jsonl"
    path.write_text("".join(
        json.dumps({"id": item, "body": text, "source": outlet, "title": f"Story {item}"}) + "\n"
        for item, outlet, text in CORPUS))
    return path


FIELDS = {"text": "body", "outlet": "source"}


@pytest.fixture(scope="module")
def scores(fake_home: Path, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus scored without the full responses (``--full-result`` not given)."""
    return score_corpus(corpus, tmp_path_factory.mktemp("scores") / "scores.jsonl", fake_home,
                        fields=FIELDS)


# -- one article


def test_score_table_lists_framing_and_every_dimension(response: ScoreResponse) -> None:
    table = score_table(response)
    assert table["score"].tolist() == [
        "framing", "dimension: loaded language", "dimension: doubt", "dimension: glorification",
        "dimension: demonization", "dimension: attribution imbalance"]
    assert table["probability"].iloc[0] == pytest.approx(sigmoid(-1 + 3 * 0.8 + 2 * 0.5))
    assert table["probability"].iloc[2] == response.article.dimensions.doubt


def test_sources_table_counts_stances_and_names_the_verbs(response: ScoreResponse) -> None:
    table = sources_table(response).set_index("source")
    assert table.index.tolist() == ["Brown", "Smith", "Jones"]
    assert list(table.loc["Brown", ["mentions", "distancing", "neutral"]]) == [2, 2, 0]
    assert table.loc["Brown", "verbs"] == "claimed (distancing) ×2"
    assert table.loc["Smith", "verbs"] == "noted (endorsing)"
    assert list(table.loc["Jones", ["neutral", "verbs"]]) == [1, "said (neutral)"]


def test_contributions_table_is_largest_first_with_the_words_behind_each(
    response: ScoreResponse,
) -> None:
    table = contributions_table(response, "framing", top=3)
    assert table["feature"].tolist() == [
        "attr:stance:distancing", "cue:demonizing:regime", "cue:doubt:alleged"]
    assert table["contribution"].tolist() == pytest.approx([1.0, 0.8, 0.8])
    assert table["evidence"].tolist() == ["claimed", "regime", "alleged"]  # each text once
    summary = explanation_summary(response, "framing")
    assert summary == ("framing: intercept -1.000 + 4 contributions +3.400 = logit +2.400 → "
                       f"probability {sigmoid(2.4):.3f}")


def test_contributions_chart_draws_each_contribution_on_the_logit_axis(
    response: ScoreResponse,
) -> None:
    axes = contributions_chart(response, "framing", top=3).axes[0]
    assert axes.get_xlabel() == "contribution to the framing logit"
    assert bar_widths(axes) == pytest.approx([1.0, 0.8, 0.8])
    assert [label.get_text() for label in axes.get_yticklabels()] == [
        "attr:stance:distancing", "cue:demonizing:regime", "cue:doubt:alleged"]
    sentence = contributions_chart(response, "sentence:0").axes[0]
    assert sentence.get_xlabel() == "contribution to the sentence logit"


def test_sentence_helpers_follow_the_sentence_scores(response: ScoreResponse) -> None:
    bias = [sentence.bias for sentence in response.sentences]
    axes = sentence_bias_chart(response).axes[0]
    assert [bar.get_height() for bar in bars(axes)] == pytest.approx(bias)
    assert axes.get_ylabel() == "probability the sentence is biased"
    top = biased_sentences(response, top=2)
    assert top["sentence"].tolist() == [0, 2]  # two loaded words, then one
    assert top["text"].iloc[0] == "Brown claimed the alleged vote was shocking."
    assert top["features"].iloc[0] == "cue:doubt:alleged, cue:emotive:shocking"
    assert most_biased_explanation(response) == "sentence:0"


def test_dataset_article_reads_a_native_example() -> None:
    text = dataset_article(CORE_DATASET, "aa-016")
    assert text.startswith("NATO flexes muscles in Baltic")
    with pytest.raises(KeyError, match="no example 'zz-999'"):
        dataset_article(CORE_DATASET, "zz-999")


# -- outlets


def test_groups_and_the_most_framed_group(scores: Path) -> None:
    _, tables = outlet_tables(scores, "outlet")
    overview = groups_overview(tables)
    assert overview.index.tolist() == ["Beta", "Alpha", "Gamma"]  # most articles first
    assert overview.loc["Beta", "articles"] == 3
    assert overview.loc["Beta", "framing_mean"] == pytest.approx(
        (FRAMING["b1"] + FRAMING["b2"] + FRAMING["b3"]) / 3)
    assert most_framed_group(tables) == "Beta"


def test_driving_articles_are_the_most_framed_and_the_most_loaded(scores: Path) -> None:
    loaded, tables = outlet_tables(scores, "outlet")
    drivers = driving_articles(loaded, tables, "Beta", top=1)
    assert drivers["id"].tolist() == ["b1", "b3"]
    assert drivers["framing"].tolist() == pytest.approx([FRAMING["b1"], FRAMING["b3"]])
    assert drivers["why"].tolist() == ["most framed", "most loaded terms"]
    assert drivers["cues"].tolist() == [3, 4]
    assert drivers["cue_share"].tolist() == pytest.approx([3 / 8, 4 / 8])
    assert drivers["top_terms"].iloc[1] == "regime ×1, shocking ×1, so-called ×1, thugs ×1"
    both = driving_articles(loaded, tables, "Beta", top=2)
    assert both.set_index("id")["why"].to_dict() == {
        "b1": "most framed and most loaded terms", "b3": "most framed and most loaded terms"}
    with pytest.raises(KeyError, match=r"no group 'Delta'.*Beta, Alpha, Gamma"):
        driving_articles(loaded, tables, "Delta")


def test_in_group_keeps_the_rows_of_one_group(scores: Path) -> None:
    _, tables = outlet_tables(scores, "outlet")
    terms = in_group(tables.terms, tables, "Beta")
    assert set(terms["outlet"]) == {"Beta"}
    assert set(terms["term"]) == {"alleged", "shocking", "regime", "so-called", "thugs"}
    assert terms.set_index("term").loc["regime", "count"] == 2


def test_article_responses_come_from_the_result_column_or_are_scored_again(
    fake_home: Path, corpus: Path, scores: Path, tmp_path: Path,
) -> None:
    loaded, _ = outlet_tables(scores)
    again = article_responses(loaded, [2, 4], articles=corpus, fields=FIELDS, home=fake_home)
    full = score_corpus(corpus, tmp_path / "full.jsonl", fake_home, fields=FIELDS, full=True)
    stored = article_responses(outlet_tables(full)[0], [4, 2])
    assert sorted(again) == sorted(stored) == [2, 4]
    for row in (2, 4):
        assert again[row].text == stored[row].text == CORPUS[row][2]
        assert again[row].article.framing == stored[row].article.framing
    assert article_responses(loaded, [2]) == {}  # no result column and no articles


def test_article_responses_refuse_another_input(
    fake_home: Path, scores: Path, tmp_path: Path,
) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps({"id": f"x{i}", "body": "Officials said so."}) + "\n"
                             for i in range(len(CORPUS))))
    loaded, _ = outlet_tables(scores)
    with pytest.raises(ValueError, match=r"not the input of scores\.jsonl: row 2 is 'b1'"):
        article_responses(loaded, [2], articles=other, fields=FIELDS, home=fake_home)


def test_outlet_charts_draw_the_groups_numbers(scores: Path) -> None:
    _, tables = outlet_tables(scores)
    groups = groups_overview(tables).index.tolist()
    framing = framing_chart(tables).axes[0]
    assert [label.get_text() for label in framing.get_yticklabels()] == groups
    dimensions = dimensions_chart(tables).axes[0]
    image = dimensions.get_images()[0].get_array()
    assert image is not None
    assert image[0, 1] == pytest.approx(tables.groups.loc[0, "dim_doubt_mean"])
    panels = cue_density_chart(tables).axes
    assert [axes.get_title() for axes in panels[:3]] == [
        "in the writer's words", "in reported speech", "inside quotes"]
    writer_total = sum(bar_widths(panels[0])[:: len(groups)])
    assert writer_total == pytest.approx(tables.groups.loc[0, "cue_density_writer"])
    stances = stance_mix_chart(tables).axes[0]
    beta = bar_widths(stances)[:: len(groups)]
    assert beta == pytest.approx([0.0, 0.0, 100.0, 0.0])  # Beta: only "claimed"
    assert stances.get_yticklabels()[0].get_text() == "Beta (n=2)"


def test_demo_corpus_uses_the_style_as_the_outlet(tmp_path: Path) -> None:
    path = demo_corpus(CORE_DATASET, tmp_path / "demo" / "articles.jsonl")
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 48
    first = next(record for record in records if record["id"] == "aa-016")
    assert first["outlet"] == "state-media"
    assert first["title"] == "NATO flexes muscles in Baltic as Western media push alleged "\
        "‘Russian threat’"


# -- the model card


def manifest_with(metrics: dict[str, float], gate: GateReport | None = None) -> Manifest:
    return Manifest(
        version="20260101-000000-abcdef", created="2026-01-01T00:00:00+00:00",
        trained_on=["datasets/core"], data=[], metrics=metrics, lexicon_version="lex-1",
        libraries={"numpy": "2.0"}, artifact_sha256="0" * 64, gate=gate,
    )


def gate_for(ids: list[str]) -> GateReport:
    digest = hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()
    summary = EvaluationSummary(holdout=0.2, seed=42, held_out=len(ids), extra=0, sentences=0,
                                articles=0, ids_sha256=digest)
    comparison = MetricComparison(metric="sentence:f1", active=0.8, candidate=0.85, delta=0.05,
                                  tolerance=0.02, evaluated=85, passed=True)
    return GateReport(decision="activated", passed=True, forced=False, tolerance=0.02,
                      active_version="20251231-000000-000000", evaluation=summary,
                      comparisons=[comparison], reason="no metric is worse")


def test_metrics_tables_split_the_manifest_metrics() -> None:
    manifest = manifest_with({
        "sentence:f1": 0.8, "sentence:accuracy": 0.9, "sentence:evaluated": 85.0,
        "article:f1": 1.0, "article:evaluated": 8.0, "cue_lexicon_recall": 0.93,
        "examples:sentence": 355.0,
    })
    table = metrics_table(manifest)
    assert list(table.loc["sentence"]) == [0.8, 0.9, 85]
    assert table.loc["article", "f1"] == 1.0 and table["accuracy"].isna()["article"]
    assert other_metrics(manifest).to_dict() == {"cue_lexicon_recall": 0.93,
                                                 "examples:sentence": 355.0}
    assert model_identity(manifest)["lexicon version"] == "lex-1"


def test_gate_summary_and_table() -> None:
    gated = manifest_with({}, gate_for(["s1", "s2"]))
    assert gate_summary(gated).startswith("Decision: activated. no metric is worse.")
    table = gate_table(gated)
    assert list(table.loc[0, ["metric", "candidate", "evaluated", "passed"]]) == [
        "sentence:f1", 0.85, 85, True]
    assert "No quality-gate report" in gate_summary(manifest_with({}))
    assert gate_table(manifest_with({})).empty


def test_held_out_examples_say_whether_the_model_saw_them() -> None:
    held = build_split(collect_examples([CORE_DATASET])).evaluation
    ids = [example.id for example in held]
    unseen = held_out_examples("datasets/core", manifest_with({}, gate_for(ids)))
    assert [e.id for e in unseen.examples] == ids and unseen.unseen is True
    assert "never saw them" in unseen.note
    other = held_out_examples("datasets/core", manifest_with({}, gate_for(ids[1:])))
    assert other.unseen is False and "may have been trained on" in other.note
    ungated = held_out_examples(["datasets/core"], manifest_with({}))
    assert ungated.unseen is None and "no gate report" in ungated.note
    assert [e.id for e in ungated.examples] == ids


@pytest.fixture(scope="module")
def predictions(trained_model: SlantModel) -> pd.DataFrame:
    return predictions_table(trained_model, _held_out())


def _held_out() -> list[Example]:
    return build_split(collect_examples([CORE_DATASET])).evaluation


def test_recomputed_metrics_equal_the_training_code_metrics(
    trained_model: SlantModel, predictions: pd.DataFrame,
) -> None:
    examples = _held_out()
    expected = evaluate_model(trained_model, examples,
                              analyze_examples(examples, trained_model.lexicon))
    recomputed = recomputed_metrics(predictions)
    assert len(recomputed) == 7  # sentence, framing and the five dimensions
    for score, row in recomputed.iterrows():
        key = "article" if score == "framing" else score
        assert row["f1"] == expected[f"{key}:f1"]
        assert row["accuracy"] == expected[f"{key}:accuracy"]
        assert row["evaluated"] == expected[f"{key}:evaluated"]


def test_confusion_table_counts_labels_against_predictions(predictions: pd.DataFrame) -> None:
    sentences = predictions[predictions["score"] == "sentence"]
    table = confusion_table(predictions, "sentence")
    true_positive = int((sentences["label"] & sentences["predicted"]).sum())
    false_positive = int((~sentences["label"] & sentences["predicted"]).sum())
    assert table.loc["actually biased", "predicted biased"] == true_positive
    assert table.loc["actually not biased", "predicted biased"] == false_positive
    assert table.to_numpy().sum() == len(sentences)
    chart = confusion_chart(predictions, ("sentence", "framing"))
    assert [axes.get_title() for axes in chart.axes] == [
        f"sentence ({len(sentences)} held-out items)",
        f"framing ({(predictions['score'] == 'framing').sum()} held-out items)"]


def test_calibration_table_is_sklearns_curve_with_item_counts(predictions: pd.DataFrame) -> None:
    sentences = predictions[predictions["score"] == "sentence"]
    table = calibration_table(predictions, "sentence", bins=4)
    observed, predicted = calibration_curve(sentences["label"].astype(int),
                                            sentences["probability"], n_bins=4)
    assert table["observed"].tolist() == pytest.approx(observed.tolist())
    assert table["predicted"].tolist() == pytest.approx(predicted.tolist())
    low = sentences["probability"] <= 0.25  # the first bin, whose upper edge is included
    assert table["items"].iloc[0] == low.sum() and table["items"].sum() == len(sentences)
    axes = calibration_chart(predictions, "sentence", bins=4).axes[0]
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("predicted probability",
                                                      "observed frequency")
    diagonal = axes.get_lines()[0]
    assert np.asarray(diagonal.get_xdata()).tolist() == [0, 1]
    assert np.asarray(diagonal.get_ydata()).tolist() == [0, 1]


def test_strongest_features_are_the_extreme_weights(trained_model: SlantModel) -> None:
    weights = trained_model.feature_weights("framing")
    table = strongest_features(trained_model, "framing", top=3)
    raising = table[table["direction"] == "raises"]
    lowering = table[table["direction"] == "lowers"]
    assert raising["weight"].tolist() == sorted(weights.values(), reverse=True)[:3]
    assert lowering["weight"].tolist() == sorted(weights.values())[:3]
    assert all(weights[name] == weight for name, weight in zip(table["feature"], table["weight"],
                                                                 strict=True))


def test_error_examples_are_the_most_confident_mistakes(predictions: pd.DataFrame) -> None:
    errors = error_examples(predictions, "sentence", count=3)
    sentences = predictions[predictions["score"] == "sentence"]
    wrong = sentences[sentences["label"] != sentences["predicted"]]
    distance = (wrong["probability"] - 0.5).abs().sort_values(ascending=False)
    assert len(errors) == min(3, len(wrong))
    assert (errors["probability"] - 0.5).abs().tolist() == pytest.approx(
        distance.head(3).tolist())
    assert all((errors["probability"] >= 0.5) != errors["label"])


def test_the_model_card_needs_a_slant_model(trained_model: SlantModel) -> None:
    assert slant_model(trained_model) is trained_model
    with pytest.raises(TypeError, match="needs a SlantModel, not a FakeModel"):
        slant_model(FakeModel())

