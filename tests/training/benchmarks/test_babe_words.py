from __future__ import annotations

from pathlib import Path

import pytest

from training.analysis import analyze
from training.benchmarks import babe_words
from training.benchmarks.babe_words import WordCounts, evaluate, folds, gold_words, predicted_words
from training.importers.babe import BabeRow, babe_rows
from training.lexicon import load_lexicon
from training.tagging import with_tagger

SHARED_BABE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "babe"


def _row(words: tuple[str, ...], biased: bool = True) -> BabeRow:
    return BabeRow(id="babe:0", text="x", biased=biased, words=words, spans=(), missing=(),
                   outlet="", topic="", leaning=None)


def test_gold_words_are_lowercased_and_stripped_of_quotes() -> None:
    row = _row(("Bizarre", '"approved"', "identity”", "Trump’s", "  "))
    assert gold_words(row) == {"bizarre", "approved", "identity", "trump's"}


def test_word_counts_are_micro_averaged_over_sentences() -> None:
    counts = WordCounts()
    counts.add({"radical", "slammed"}, {"radical"})  # one right, one wrong
    counts.add({"thugs"}, set())  # a non-biased sentence: a false positive
    counts.add(set(), {"absurd"})  # a miss
    precision, recall, f1 = counts.scores()
    assert (counts.true_positives, counts.predicted, counts.gold) == (1, 3, 2)
    assert precision == pytest.approx(1 / 3) and recall == pytest.approx(1 / 2)
    assert f1 == pytest.approx(0.4)


def test_predicted_words_are_the_loaded_cues_word_tokens(trained_model) -> None:
    analysis = with_tagger(analyze("The so-called reform is a brutal regime.", load_lexicon()),
                           trained_model.tagger)
    words = predicted_words(trained_model.tagger, analysis)
    loaded = {c.text.lower() for c in trained_model.tagger.loaded(analysis.cues)}
    assert words == loaded
    assert "so-called" in words


@pytest.mark.skipif(not (SHARED_BABE / "final_labels_SG2.csv").exists(),
                    reason="../shared/data/babe is absent (public data)")
def test_folds_and_a_sampled_fold_on_real_sentences() -> None:
    rows = babe_rows(SHARED_BABE / "final_labels_SG2.csv")
    assert len(rows) == 3673
    splits = folds(rows)
    assert len(splits) == babe_words.FOLDS
    assert sorted(i for _, held in splits for i in held) == list(range(len(rows)))
    sample = rows[:400]
    lexicon = load_lexicon()
    analyses = {row.id: analyze(row.text, lexicon) for row in sample}
    counts = evaluate(sample, analyses, folds(sample)[:1])
    precision, recall, f1 = counts.scores()
    assert counts.gold > 50
    assert 0.2 < f1 < 0.9 and precision > 0 and recall > 0
