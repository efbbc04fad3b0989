"""The learned attribution model on a small synthetic corpus written for these tests."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from training.attribution_learned import LearnedAttributionModel, LinearTable
from training.attribution_learned_features import DocumentView, cue_keys, cue_rows
from training.dataset import CueSpan, Example, LabeledAttribution, SourceSpan
from training.document import build_document
from training.lexicon import load_lexicon

NAMES = ("Maria Lopez", "Tom Baker", "Ann Fischer", "Omar Haddad", "Lena Park", "Ivo Novak")
THINGS = ("budget", "bridge", "plan", "vote", "deal", "law")
PREDICATES = ("will fail", "is too expensive", "was a mistake", "helps farmers", "needs work")
PLACES = ("Denver", "Ohio", "the capital", "the north")
VERBS = ("reckons", "said", "claimed")  # "reckons" is in no lexicon: only the data teaches it


def _article(rng: random.Random, number: int) -> Example:
    sentences: list[tuple[str, tuple[int, int] | None, tuple[int, int] | None]] = []
    for _ in range(4):
        if rng.random() < 0.6:
            name, verb = rng.choice(NAMES), rng.choice(VERBS)
            text = f"{name} {verb} that the {rng.choice(THINGS)} {rng.choice(PREDICATES)}."
            sentences.append((text, (0, len(name)), (len(name) + 1, len(name) + 1 + len(verb))))
        else:
            text = f"The {rng.choice(THINGS)} {rng.choice(PREDICATES)} in {rng.choice(PLACES)}."
            sentences.append((text, None, None))
    body, attributions, offset = [], [], 0
    for text, source, cue in sentences:
        if source is not None and cue is not None:
            attributions.append(
                LabeledAttribution(
                    source=SourceSpan(start=offset + source[0], end=offset + source[1],
                                      kind="person"),
                    cue=CueSpan(start=offset + cue[0], end=offset + cue[1], stance="neutral"),
                    content=None,
                )
            )
        body.append(text)
        offset += len(text) + 1
    text = " ".join(body)
    assert build_document(text).text == text
    return Example(
        id=f"synthetic:{number}", text=text, level="article", label={},
        attributions=tuple(attributions), meta={"annotated": ["attributions"]},
    )


@pytest.fixture(scope="module")
def corpus() -> list[Example]:
    rng = random.Random(7)
    return [_article(rng, number) for number in range(40)]


@pytest.fixture(scope="module")
def model(corpus: list[Example]) -> LearnedAttributionModel:
    return LearnedAttributionModel(holdout=0.25).fit(corpus, load_lexicon())


def test_learned_model_finds_a_cue_no_lexicon_lists() -> None:
    lexicon = load_lexicon()
    assert not any("reckons" in entry.surfaces for entry in lexicon.entries)


def test_find_returns_learned_cue_source_and_content(model: LearnedAttributionModel) -> None:
    text = "The deal helps farmers in Ohio. Lena Park reckons that the law was a mistake."
    found = model.find(build_document(text), load_lexicon())
    assert len(found) == 1
    attribution = found[0]
    assert (attribution.cue.start, attribution.cue.end, attribution.cue.text) == (42, 49, "reckons")
    assert attribution.cue.stance == "neutral"
    assert attribution.source is not None
    assert text[attribution.source.start : attribution.source.end] == "Lena Park"
    assert attribution.source.kind == "person"
    assert attribution.content is not None
    assert text[attribution.content.start : attribution.content.end] == "the law was a mistake"
    assert attribution.content.direct is False


def test_find_takes_the_stance_of_the_lexicon_entry(model: LearnedAttributionModel) -> None:
    text = "Omar Haddad claimed that the bridge will fail."
    found = model.find(build_document(text), load_lexicon())
    assert [(a.cue.text, a.cue.stance, a.cue.term) for a in found] == [
        ("claimed", "distancing", "claimed")
    ]


def test_find_reports_nothing_without_a_speaker(model: LearnedAttributionModel) -> None:
    text = "The plan needs work in Denver. The vote was a mistake in the north."
    assert model.find(build_document(text), load_lexicon()) == []


def test_thresholds_are_chosen_on_held_out_training_articles(
    model: LearnedAttributionModel,
) -> None:
    assert 0.2 <= model.cue_threshold_ <= 0.8
    assert 0.2 <= model.source_threshold_ <= 0.8


def test_without_rules_the_rule_templates_are_not_learned(corpus: list[Example]) -> None:
    plain = LearnedAttributionModel(use_rules=False, holdout=0).fit(corpus, load_lexicon())
    assert "rule" not in plain.cue_tagger_.tables_
    assert "rule" not in plain.source_ranker_.tables_
    assert "w0" in plain.cue_tagger_.tables_


def test_fit_refuses_examples_without_annotated_attributions(corpus: list[Example]) -> None:
    unannotated = [example.model_copy(update={"meta": {"annotated": []}}) for example in corpus]
    with pytest.raises(ValueError, match="annotated attributions"):
        LearnedAttributionModel().fit(unannotated, load_lexicon())


def test_linear_table_scores_like_the_fitted_regression(corpus: list[Example]) -> None:
    """The look-up tables reproduce scikit-learn's probabilities (the compile step is exact)."""
    lexicon = load_lexicon()
    views = [DocumentView.build(build_document(example.text), lexicon) for example in corpus[:10]]
    blocks = [cue_keys(view, cue_rows(view)) for view in views]
    labels = [int(word == "reckons") for block in blocks for word in block["w0"]]
    table = LinearTable(["bias", "w0", "w-1"], c=1.0).fit(blocks, labels)
    templates = ("bias", "w0", "w-1")
    vocabulary = sorted({(t, k) for block in blocks for t in templates for k in block[t]})
    column = {feature: position for position, feature in enumerate(vocabulary)}
    matrix = np.zeros((len(labels), len(vocabulary)))
    row = 0
    for block in blocks:
        for position in range(len(block["w0"])):
            for template in templates:
                matrix[row, column[(template, block[template][position])]] = 1.0
            row += 1
    reference = LogisticRegression(solver="liblinear", dual=True, C=1.0, max_iter=500)
    reference.fit(matrix, labels)
    expected = reference.predict_proba(matrix)[:, 1]
    scored = np.concatenate([table.probabilities(block) for block in blocks])
    assert np.allclose(scored, expected, atol=1e-3)
    assert scored[labels.index(1)] > 0.5
