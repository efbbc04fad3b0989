"""The quality gate: the fixed evaluation set, the comparison, and its decisions on real models.

The decisive tests train real models on ``datasets/core``: the active one on the training side of
the seeded hold-out, then a faithful retrain (accepted) and one on the same examples with every
label flipped (refused, kept inactive, the comparison in its manifest and model card).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from service.jobs import TrainingOptions
from service.registry import Registry
from service.retrain import run_training
from tests.service.conftest import CORE_DATASET, USE_REAL_MODEL
from training.dataset import Example, load_examples
from training.gate import (
    DEFAULT_TOLERANCE,
    MIN_GATED_ITEMS,
    build_split,
    compare_metrics,
    holdout_draw,
    split_holdout,
    stratum,
)

needs_training = pytest.mark.skipif(
    not USE_REAL_MODEL, reason="needs the training package and datasets/core (SLANT_TEST_MODEL)"
)


def sentence(example_id: str, biased: bool, text: str | None = None) -> Example:
    return Example(
        id=example_id, text=text or f"Sentence {example_id}.", level="sentence",
        label={"biased": biased},
    )


def article(example_id: str, framing: bool) -> Example:
    return Example(
        id=example_id, text=f"Article {example_id}.", level="article",
        label={"framing": framing},
    )


MIX = [sentence(f"s{i}", i % 2 == 0) for i in range(400)] + [
    article(f"a{i}", i % 3 == 0) for i in range(300)
]


def ids(examples: Sequence[Example]) -> set[str]:
    return {example.id for example in examples}


# -- the hold-out


def test_holdout_draw_is_a_seeded_fixed_number_per_id() -> None:
    assert holdout_draw("sa-0001") == holdout_draw("sa-0001")
    assert 0.0 <= holdout_draw("sa-0001") < 1.0
    assert holdout_draw("sa-0001", seed=42) != holdout_draw("sa-0001", seed=43)
    draws = [holdout_draw(f"x{i}") for i in range(2000)]
    assert 0.18 < sum(draw < 0.2 for draw in draws) / len(draws) < 0.22


def test_split_holds_back_about_a_fifth_of_every_level_and_label() -> None:
    train, held = split_holdout(MIX, 0.2)
    assert ids(train) | ids(held) == ids(MIX) and not ids(train) & ids(held)
    sizes = Counter(stratum(e) for e in MIX)
    held_sizes = Counter(stratum(e) for e in held)
    assert set(held_sizes) == set(sizes)  # every stratum is represented
    for key, size in sizes.items():  # 20% in expectation; 4 standard deviations either side
        spread = 4 * (size * 0.2 * 0.8) ** 0.5
        assert abs(held_sizes[key] - 0.2 * size) <= spread, (key, held_sizes[key], size)
    # The rule is the draw, nothing else, where a stratum is big enough.
    assert {e.id for e in held if e.level == "sentence"} == {
        e.id for e in MIX if e.level == "sentence" and holdout_draw(e.id) < 0.2
    }


def test_split_is_stable_when_examples_are_added() -> None:
    _, held_before = split_holdout(MIX, 0.2)
    more = MIX + [sentence(f"new{i}", i % 2 == 1) for i in range(300)]
    train_after, held_after = split_holdout(more, 0.2)
    assert ids(held_after) & ids(MIX) == ids(held_before)
    assert ids(train_after) & ids(MIX) == ids(MIX) - ids(held_before)


def test_split_keeps_one_example_on_each_side_of_a_small_stratum() -> None:
    examples = [sentence("p1", True), sentence("p2", True), sentence("n1", False)]
    train, held = split_holdout(examples, 0.2)
    positives = sorted(["p1", "p2"], key=holdout_draw)
    assert positives[0] in ids(held) and positives[1] in ids(train)
    assert "n1" in ids(train)  # a single example stays with training


def test_split_without_a_holdout_trains_on_everything() -> None:
    train, held = split_holdout(MIX, 0.0)
    assert train == MIX and held == []
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        split_holdout(MIX, 1.0)


def test_extra_evaluation_data_is_never_trained_on() -> None:
    same_id = sentence("s1", False)
    same_text = sentence("other-id", True, text=MIX[2].text)
    split = build_split(MIX, [same_id, same_text], holdout=0.2)
    assert "s1" not in ids(split.train) and MIX[2].id not in ids(split.train)
    assert split.extra == 2 and split.evaluation[-2:] == [same_id, same_text]
    assert len(split.evaluation) == split.held_out + 2
    assert not ids(split.train) & ids(split.evaluation)


# -- the comparison


def test_a_metric_worse_than_the_tolerance_fails_and_within_it_passes() -> None:
    active = {"sentence:f1": 0.80, "article:f1": 0.70, "cue_tagger:f1": 0.60,
              "sentence:evaluated": 85.0, "article:evaluated": 40.0, "cue_tagger:evaluated": 141.0}
    candidate = {**active, "sentence:f1": 0.78, "article:f1": 0.6799, "cue_tagger:f1": 0.90}
    rows = {row.metric: row for row in compare_metrics(candidate, active, tolerance=0.02)}
    assert rows["sentence:f1"].passed  # exactly at the tolerance
    assert rows["sentence:f1"].delta == pytest.approx(-0.02)
    assert not rows["article:f1"].passed
    assert rows["article:f1"].delta == pytest.approx(-0.0201)
    assert rows["cue_tagger:f1"].passed and rows["cue_tagger:f1"].delta == pytest.approx(0.30)
    assert (rows["sentence:f1"].evaluated, rows["article:f1"].evaluated) == (85, 40)
    assert all(row.tolerance == 0.02 for row in rows.values())


def test_a_drop_measured_on_too_few_items_is_reported_but_does_not_block() -> None:
    active = {"article:f1": 1.0, "article:evaluated": float(MIN_GATED_ITEMS - 1)}
    candidate = {**active, "article:f1": 0.8}
    [row] = compare_metrics(candidate, active, metrics=["article:f1"])
    assert row.passed and row.delta == pytest.approx(-0.2)
    assert row.note == "not gated: 29 items are too few to judge (fewer than 30)"
    enough = {**active, "article:evaluated": float(MIN_GATED_ITEMS)}
    [row] = compare_metrics({**enough, "article:f1": 0.8}, enough, metrics=["article:f1"])
    assert not row.passed and row.note is None


def test_unmeasurable_metrics_are_reported_not_compared() -> None:
    candidate = {"sentence:f1": 0.8, "sentence:evaluated": 10.0}
    rows = {row.metric: row for row in compare_metrics(candidate, None)}
    assert rows["sentence:f1"].passed and rows["sentence:f1"].active is None
    assert rows["sentence:f1"].note == "the active model cannot be measured on it"
    assert rows["article:f1"].passed and rows["article:f1"].candidate is None
    assert rows["article:f1"].note == "not measured: the evaluation set has nothing for it"
    lost = {row.metric: row for row in compare_metrics({}, {"cue_tagger:f1": 0.5})}
    assert not lost["cue_tagger:f1"].passed
    assert lost["cue_tagger:f1"].note == "the candidate cannot be measured on it"
    assert DEFAULT_TOLERANCE == 0.02


# -- real models


def write_examples(path: Path, examples: Sequence[Example]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(e.model_dump_json() + "\n" for e in examples), encoding="utf-8")
    return path


def flipped(example: Example) -> Example:
    """The same example with every label inverted (spans and attributions kept)."""
    if example.level == "sentence":
        label: dict[str, object] = {"biased": not example.biased}
    else:
        dimensions = example.label.get("dimensions", {})
        assert isinstance(dimensions, dict)
        label = {
            **example.label,
            "framing": not example.biased,
            "dimensions": {name: not value for name, value in dimensions.items()},
        }
    return example.model_copy(update={"label": label})


@pytest.fixture(scope="module")
def core_split(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """datasets/core split by the gate's own rule into training and evaluation files, and a
    copy of the training side with every label flipped."""
    directory = tmp_path_factory.mktemp("gate-data")
    train, held = split_holdout(load_examples([CORE_DATASET]))
    return {
        "train": write_examples(directory / "train" / "core.jsonl", train),
        "eval": write_examples(directory / "eval.jsonl", held),
        "corrupted": write_examples(directory / "corrupted" / "core.jsonl",
                                    [flipped(e) for e in train]),
    }


@pytest.fixture(scope="module")
def gated_home(tmp_path_factory: pytest.TempPathFactory, core_split: dict[str, Path]) -> Path:
    """A registry whose active model was trained on the training side only."""
    home = tmp_path_factory.mktemp("gated-home")
    outcome = run_training(home, options(core_split["train"], core_split["eval"]))
    assert outcome.activated and outcome.gate.decision == "first"
    return home


def options(train: Path, evaluation: Path, **overrides: object) -> TrainingOptions:
    return TrainingOptions(
        datasets=[str(train)], eval=[str(evaluation)], holdout=0.0, **overrides
    )


def copy_home(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@needs_training
def test_gate_refuses_a_version_trained_on_corrupted_labels(
    gated_home: Path, core_split: dict[str, Path], tmp_path: Path
) -> None:
    home = copy_home(gated_home, tmp_path / "home")
    registry = Registry(home)
    [active] = registry.list_versions()
    outcome = run_training(home, options(core_split["corrupted"], core_split["eval"]))

    assert not outcome.activated
    assert registry.active_version() == active  # still the old one
    assert registry.list_versions() == sorted([active, outcome.version])  # kept, inactive
    manifest = registry.read_manifest(outcome.version)
    gate = manifest.gate
    assert gate is not None and gate.decision == "rejected" and not gate.passed
    assert gate.active_version == active and gate.tolerance == DEFAULT_TOLERANCE
    rows = {row.metric: row for row in gate.comparisons}
    # Flipped labels teach the opposite: the sentence and article models collapse. The few
    # held-back articles are reported, but only the sentences are enough to block.
    for metric in ("sentence:f1", "article:f1"):
        row = rows[metric]
        assert row.active is not None and row.candidate is not None and row.delta is not None
        assert row.delta < -0.3, row
        assert row.delta == pytest.approx(row.candidate - row.active)
        assert row.passed == (row.evaluated < MIN_GATED_ITEMS)
    held = load_examples([core_split["eval"]])
    sentences = sum(e.level == "sentence" for e in held)
    assert rows["sentence:f1"].evaluated == gate.evaluation.sentences == sentences
    assert gate.evaluation.articles == len(held) - sentences
    assert (gate.evaluation.extra, gate.evaluation.held_out) == (len(held), 0)
    assert "sentence:f1" in gate.failed_metrics
    assert gate.reason.startswith(f"worse than model {active} beyond the tolerance 0.02")
    card = (registry.models_dir / outcome.version / "MODEL_CARD.md").read_text()
    assert "## Quality gate" in card and "Decision: **rejected**" in card
    assert f"| sentence:f1 | {rows['sentence:f1'].active:.3f} |" in card
    assert "| NO |" in card
    assert manifest.evaluation_data[0].path == core_split["eval"].as_posix()


@needs_training
def test_gate_accepts_a_faithful_retrain_within_tolerance(
    gated_home: Path, core_split: dict[str, Path], tmp_path: Path
) -> None:
    home = copy_home(gated_home, tmp_path / "home")
    registry = Registry(home)
    [previous] = registry.list_versions()
    outcome = run_training(home, options(core_split["train"], core_split["eval"]))

    assert outcome.activated and registry.active_version() == outcome.version != previous
    gate = registry.read_manifest(outcome.version).gate
    assert gate is not None and gate.decision == "activated" and gate.passed
    for row in gate.comparisons:
        assert row.passed and row.delta is not None
        assert abs(row.delta) <= DEFAULT_TOLERANCE, row
    assert [row.metric for row in gate.comparisons] == ["sentence:f1", "article:f1",
                                                         "cue_tagger:f1"]
    # The version's metrics are the evaluation-set metrics the gate compared.
    metrics = registry.read_manifest(outcome.version).metrics
    assert metrics["sentence:f1"] == gate.comparisons[0].candidate
    assert metrics["sentence:evaluated"] == gate.evaluation.sentences > 50


@needs_training
def test_forcing_activates_a_refused_version_and_says_so(
    gated_home: Path, core_split: dict[str, Path], tmp_path: Path
) -> None:
    home = copy_home(gated_home, tmp_path / "home")
    outcome = run_training(
        home, options(core_split["corrupted"], core_split["eval"], force=True)
    )
    registry = Registry(home)
    assert outcome.activated and registry.active_version() == outcome.version
    gate = registry.read_manifest(outcome.version).gate
    assert gate is not None
    assert (gate.decision, gate.passed, gate.forced) == ("forced", False, True)
    assert gate.reason.startswith("forced: worse than model")
    card = (registry.models_dir / outcome.version / "MODEL_CARD.md").read_text()
    assert "The decision was forced (`--force`)." in card


@needs_training
def test_the_gate_needs_an_evaluation_set_once_a_model_is_active(
    gated_home: Path, core_split: dict[str, Path], tmp_path: Path
) -> None:
    from training.errors import DatasetError

    home = copy_home(gated_home, tmp_path / "home")
    with pytest.raises(DatasetError, match="needs an evaluation set"):
        run_training(home, TrainingOptions(datasets=[str(core_split["train"])], holdout=0.0))
    assert len(Registry(home).list_versions()) == 1


def test_manifest_gate_round_trips_through_json(tmp_path: Path) -> None:
    from service.registry import Manifest
    from training.gate import EvaluationSummary, GateReport

    gate = GateReport(
        decision="rejected", passed=False, forced=False, tolerance=0.02,
        active_version="20260101-000000-abcdef",
        evaluation=EvaluationSummary(holdout=0.2, seed=42, held_out=3, extra=0, sentences=2,
                                     articles=1, ids_sha256="0" * 64),
        comparisons=compare_metrics({"sentence:f1": 0.5, "sentence:evaluated": 50.0},
                                    {"sentence:f1": 0.9, "sentence:evaluated": 50.0}),
        reason="worse",
    )
    manifest = Manifest(
        version="20260102-000000-abcdef", created="2026-01-02T00:00:00+00:00",
        trained_on=["x"], data=[], metrics={}, lexicon_version="1", libraries={},
        artifact_sha256="0" * 64, gate=gate, job="abc",
    )
    again = Manifest.model_validate_json(manifest.model_dump_json())
    assert again == manifest and again.gate is not None
    assert again.gate.failed_metrics == ["sentence:f1"]
    # A manifest written before the gate existed still reads.
    old = json.loads(manifest.model_dump_json())
    for key in ("gate", "job", "label_store", "evaluation_data"):
        del old[key]
    assert Manifest.model_validate(old).gate is None
