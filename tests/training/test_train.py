from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from training.dataset import load_examples
from training.errors import DatasetError
from training.linear import prior_scorer
from training.train import _stratified_folds, train_model

BIASED = [
    "The radical regime rammed through its disgraceful, so-called reform.",
    "Heroic patriots stood up to the corrupt elites once again.",
    "The thugs slammed the outrageous ruling in a shameless stunt.",
    "The greedy fat cats finally admitted their sham plan failed.",
    "Far-right extremists hijacked the so-called debate with hateful lies.",
    "The legendary leader crushed the pathetic opposition.",
]
NEUTRAL = [
    "The council approved the budget on Tuesday, officials said.",
    "The company reported revenue of $3 billion for the quarter.",
    "The minister told reporters the talks would resume next week.",
    "Rainfall in March was 12 percent above the average, the agency said.",
    "The court scheduled the hearing for June 4.",
    "Voters in the district elected a new mayor on Sunday.",
]


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _article(index: int, framed: bool, glorification: bool = False) -> dict:
    sentences = BIASED if framed else NEUTRAL
    text = f"Story {index}\n\n" + " ".join(sentences[index % 3:index % 3 + 3])
    dimensions = {"loaded_language": framed, "doubt": framed, "glorification": glorification,
                  "demonization": framed, "attribution_imbalance": False}
    return {"id": f"a{index}", "text": text, "level": "article",
            "label": {"framing": framed, "dimensions": dimensions}}


@pytest.fixture
def small_dataset(tmp_path: Path) -> Path:
    sentences = [
        {"id": f"s{i}", "text": text, "level": "sentence", "label": {"biased": i < len(BIASED)}}
        for i, text in enumerate(BIASED + NEUTRAL)
    ]
    # Only one article is labeled for glorification: too few to learn that dimension from.
    articles = [_article(i, framed=i % 2 == 0, glorification=i == 0) for i in range(8)]
    _write(tmp_path / "sentences.jsonl", sentences)
    _write(tmp_path / "articles.jsonl", articles)
    return tmp_path


def test_train_on_small_data_falls_back_to_base_rate(small_dataset: Path) -> None:
    model = train_model([small_dataset])
    glorification = model.dimensions["glorification"].scorer
    assert not np.any(glorification.weights)
    result = model.score("Heroic patriots stood up to the corrupt elites.")
    explanation = result["explanation"]["dimension:glorification"]
    assert explanation["contributions"] == []
    assert explanation["logit"] == pytest.approx(np.log((1 + 1) / (7 + 1)))
    for key in ("sentence:f1", "article:f1", "cue_tagger:f1", "dimension:doubt:f1"):
        assert 0.0 <= model.metrics[key] <= 1.0
    assert model.metrics["examples:article"] == 8.0


def test_prior_scorer_is_the_smoothed_base_rate() -> None:
    scorer = prior_scorer([1, 0, 0, 0], ["a", "b"])
    assert scorer.intercept == pytest.approx(np.log(2 / 4))
    assert list(scorer.weights) == [0.0, 0.0]


def test_unnormalized_text_is_refused(tmp_path: Path) -> None:
    rows = [{"id": "s1", "text": "Double  spaced text.", "level": "sentence",
             "label": {"biased": False}}]
    _write(tmp_path / "bad.jsonl", rows)
    with pytest.raises(DatasetError, match="not normalized"):
        train_model([tmp_path])


def test_outer_folds_hold_out_every_example_once(small_dataset: Path) -> None:
    examples = load_examples([small_dataset])
    folds = _stratified_folds(examples)
    held_out = [example_id for _, test in folds for example_id in test]
    assert sorted(held_out) == sorted(e.id for e in examples)
    for train, test in folds:
        assert not train & test
        assert any(i.startswith("s") for i in test) and any(i.startswith("a") for i in test)


def test_partially_labeled_examples_train_only_what_they_label(
    small_dataset: Path, tmp_path: Path
) -> None:
    # Articles labeled only for leaning, with no cue annotation: they must not count as framing
    # negatives, dimension examples or tagger negatives.
    extra = tmp_path / "extra"
    extra.mkdir()
    rows = [
        {"id": f"x{i}", "text": f"Story {i}\n\nThe brutal regime fell again.", "level": "article",
         "label": {"leaning": "left"}, "meta": {"annotated": []}}
        for i in range(6)
    ]
    _write(extra / "leaning.jsonl", rows)
    model = train_model([small_dataset, extra])
    assert model.metrics["examples:article"] == 14.0
    assert model.metrics["article:evaluated"] == 8.0
    assert model.metrics["dimension:doubt:evaluated"] == 8.0
    assert model.metrics["sentence:evaluated"] == 12.0


def test_example_validation_of_partial_labels() -> None:
    from training.dataset import Example

    example = Example(id="a", text="Text.", level="article", label={"leaning": "right"},
                      meta={"annotated": ["attributions"]})
    assert not example.has_label("framing") and example.has_label("leaning")
    assert example.annotated("attributions") and not example.annotated("spans")
    with pytest.raises(ValueError, match="leaning"):
        Example(id="b", text="Text.", level="article", label={"leaning": "up"})
    with pytest.raises(ValueError, match=r"meta\.annotated"):
        Example(id="c", text="Text.", level="article", label={}, meta={"annotated": ["x"]})
