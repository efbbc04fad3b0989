"""Every score is explained exactly, and every contribution points at the words it names."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training.article_model import stacked_article_bag
from training.document import build_document
from training.explain import sigmoid
from training.model import SlantModel

WORDS = [
    "the", "minister", "said", "claimed", "noted", "according", "to", "regime", "so-called",
    "alleged", "heroic", "thugs", "legendary", "critics", "say", "sources", "told", "reporters",
    "occupying", "forces", "massive", "reportedly", "revealed", "Press", "TV", "reported",
    "Hussein", "alleged", "that", "budget", "rose", "percent", "in", "March", "he", "added",
    '"', "“", "”", ",", ".", "\n\n", "extremely", "outrageous", "terrorists", "it",
]

texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=80).map(" ".join).filter(
    lambda text: bool(build_document(text).tokens)
)


def _check_explanation(explanation: dict[str, object]) -> None:
    contributions = explanation["contributions"]
    assert isinstance(contributions, list)
    total = explanation["intercept"] + math.fsum(c["contribution"] for c in contributions)  # type: ignore[operator]
    assert total == pytest.approx(explanation["logit"], abs=1e-9)
    assert explanation["probability"] == pytest.approx(sigmoid(explanation["logit"]), abs=1e-12)  # type: ignore[arg-type]
    for contribution in contributions:
        assert contribution["contribution"] == pytest.approx(
            contribution["weight"] * contribution["value"], abs=1e-12
        )


def _check_spans(model: SlantModel, result: dict[str, object], name: str) -> None:
    text = result["text"]
    assert isinstance(text, str)
    explanation = result["explanation"][name]  # type: ignore[index]
    forms = {entry.term: {entry.term, *entry.forms} for entry in model.lexicon.entries}
    quotes = [(q.start, q.end) for q in build_document(text).quotes]
    for contribution in explanation["contributions"]:
        feature = contribution["feature"]
        spans = contribution["spans"]
        for start, end in spans:
            assert 0 <= start < end <= len(text)
        words = [text[start:end] for start, end in spans]
        if feature.startswith("ngram:"):
            assert spans, feature
            expected = feature.removeprefix("ngram:")
            for surface in words:
                tokens = [t.lower for t in build_document(surface).tokens]
                assert " ".join(tokens) == expected
        elif feature.startswith("cue:") and feature.count(":") == 2:
            term = feature.split(":", 2)[2]
            for surface in words:
                normalized = " ".join(t.lower for t in build_document(surface).tokens)
                assert normalized in {" ".join(f.split()) for f in forms[term]} or (
                    normalized.replace(" 's", "'s") in forms[term]
                ), (feature, surface)
        elif feature.startswith(("quoted:", "quoted_density:")):
            for start, end in spans:
                assert any(q_start <= start and end <= q_end for q_start, q_end in quotes)
        elif feature.startswith("attr:stance:"):
            stance = feature.rsplit(":", 1)[1]
            cues = {
                (a["cue"]["start"], a["cue"]["end"])
                for a in result["attributions"]  # type: ignore[attr-defined]
                if a["cue"]["stance"] == stance
            }
            assert set(map(tuple, spans)) <= cues


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_every_score_is_explained_exactly(trained_model: SlantModel, text: str) -> None:
    result = trained_model.score(text)
    explanations = result["explanation"]
    assert "framing" in explanations
    assert {f"sentence:{i}" for i in range(len(result["sentences"]))} <= set(explanations)
    for name, explanation in explanations.items():
        _check_explanation(explanation)
        _check_spans(trained_model, result, name)
    assert result["article"]["framing"] == explanations["framing"]["probability"]
    for index, sentence in enumerate(result["sentences"]):
        assert sentence["bias"] == pytest.approx(
            explanations[f"sentence:{index}"]["probability"], abs=1e-12
        )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_explained_logit_equals_the_vectorized_model(trained_model: SlantModel, text: str) -> None:
    analysis = trained_model.analyze(text)
    bag, _, _ = stacked_article_bag(analysis, trained_model.sentence)
    matrix = trained_model.article.space.transform([bag])
    expected = float(trained_model.article.scorer.logits(matrix)[0])
    assert trained_model.article.explain(bag).logit == pytest.approx(expected, abs=1e-9)
    for name, level in trained_model.dimensions.items():
        vectorized = float(level.scorer.logits(level.space.transform([bag]))[0])
        assert level.explain(bag).logit == pytest.approx(vectorized, abs=1e-9), name


# Hostile text: control and invisible characters, combining marks, other scripts, emoji, runs of
# quotation marks and punctuation, markup. Every offset still names its words, and every score
# of the response is still explained exactly.

HOSTILE_PIECES = [
    "\x00", "\x07", "\r\n", "\u2028", "\u200d", "\ufeff", "\u202e", "\u0301" * 35, "\u0344",
    "👨‍👩‍👧", "🇺🇸", "مرحبا", "Москва", "“" * 6, "‘", "'" * 3, '"' * 5, "!?" * 3, "…",
    "<script>alert(1)</script>", "&amp;", "U.S.", "\n\n",
]  # fmt: skip
hostile_texts = (
    st.lists(st.sampled_from(WORDS + HOSTILE_PIECES), min_size=1, max_size=80)
    .map(" ".join)
    .filter(lambda text: bool(build_document(text).tokens))
)


def _check_offsets(result: dict[str, Any]) -> None:
    text = result["text"]
    for cue in result["cues"]:
        assert text[cue["start"] : cue["end"]] == cue["text"]
    for attribution in result["attributions"]:
        parts = [attribution["cue"], attribution["source"]]
        for part in filter(None, parts):
            assert text[part["start"] : part["end"]] == part["text"]
        if attribution["content"] is not None:
            assert 0 <= attribution["content"]["start"] < attribution["content"]["end"]
            assert attribution["content"]["end"] <= len(text)
    for sentence in result["sentences"]:
        assert 0 <= sentence["start"] < sentence["end"] <= len(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_texts)
def test_hostile_text_is_explained_exactly_at_the_right_offsets(
    trained_model: SlantModel, text: str
) -> None:
    result = trained_model.score(text)
    assert result["text"] == build_document(text).text
    _check_offsets(result)
    assert {f"sentence:{i}" for i in range(len(result["sentences"]))} <= set(
        result["explanation"]
    )
    for name, explanation in result["explanation"].items():
        _check_explanation(explanation)
        _check_spans(trained_model, result, name)
