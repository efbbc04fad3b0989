from __future__ import annotations

from pathlib import Path

from training.benchmarks.polnear import (
    Counts,
    Prediction,
    evaluate,
    harvest_cues,
    match_one_to_one,
    match_spans,
)
from training.document import build_document
from training.importers.polnear import load
from training.lexicon import load_lexicon

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "polnear"


def test_overlap_matching_is_one_to_one_largest_overlap_first() -> None:
    # (0, 10) overlaps both gold spans; it goes to the larger overlap, (8, 12) takes the other
    assert sorted(match_spans([(0, 10), (8, 12)], [(0, 9), (9, 20)])) == [(0, 0), (1, 1)]
    assert match_spans([(0, 5)], [(5, 9)]) == []  # touching is not overlapping
    assert match_spans([(0, 10)], [(1, 2), (3, 4)]) == [(0, 0)]


def test_pairs_need_both_cue_and_source_overlap() -> None:
    gold = [Prediction((10, 14), (0, 5)), Prediction((30, 34), None)]
    predicted = [Prediction((10, 14), (6, 9)), Prediction((30, 34), None)]
    assert match_one_to_one(predicted, gold, pairs=True) == [(1, 1)]
    assert len(match_one_to_one(predicted, gold)) == 2


def test_counts_give_precision_recall_f1() -> None:
    counts = Counts(predicted=4, gold=8, matched=2)
    assert counts.scores() == (0.5, 0.25, 2 * 0.5 * 0.25 / 0.75)
    assert Counts().scores() == (0.0, 0.0, 0.0)


def test_evaluate_on_the_fixture_article() -> None:
    examples = [(example, build_document(example.text)) for example in load(FIXTURE / "dev")]
    counts = evaluate(examples, load_lexicon())
    assert counts["cue"].gold == 4 and counts["source"].gold == 3
    # said, said, according to are found; "is expected" has no reporting cue
    assert counts["cue"].matched == 3
    assert counts["source"].matched == 3
    assert counts["pair"].matched == 3


def test_harvest_learns_frequent_reliable_cues_only() -> None:
    examples = [(example, build_document(example.text)) for example in load(FIXTURE / "dev")]
    # "is expected" is a cue in 1 of 1 occurrences, below the minimum count of 5; "expected"
    # alone is already a lexicon form and "according" is covered by "according to"
    assert harvest_cues(examples, load_lexicon()) == []
    harvested = harvest_cues(examples * 5, load_lexicon())
    assert [(entry.term, entry.source) for entry in harvested] == [("is expected", "polnear:train")]
