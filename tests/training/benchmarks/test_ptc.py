from __future__ import annotations

from pathlib import Path

import pytest

from training.benchmarks.ptc import Counts, Scores, runs, word_tokens_in
from training.document import build_document

SHARED_PTC = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ptc" / "train-tc"
TEXT = "They called it a hopeless, corrupt hellhole. The mayor disagreed."


def _span(phrase: str) -> tuple[int, int]:
    start = TEXT.index(phrase)
    return start, start + len(phrase)


def _indices(document, *words: str) -> set[int]:
    return {token.index for token in document.tokens if token.text in words}


def test_gold_tokens_are_words_overlapping_the_spans() -> None:
    document = build_document(TEXT)
    gold = word_tokens_in(document, [_span("a hopeless, corrupt hellhole")])
    assert sorted(document.tokens[i].text for i in gold) == [
        "a", "corrupt", "hellhole", "hopeless"]  # the comma is no word


def test_runs_join_adjacent_tokens_only() -> None:
    document = build_document(TEXT)
    spans = runs(document, _indices(document, "corrupt", "hellhole", "hopeless"))
    assert [TEXT[s:e] for s, e in spans] == ["hopeless", "corrupt hellhole"]


def test_token_and_span_scores() -> None:
    document = build_document(TEXT)
    scores = Scores(Counts(), Counts())
    predicted = _indices(document, "corrupt", "hellhole", "disagreed")
    scores.add(document, predicted, [_span("a hopeless, corrupt hellhole")])
    # tokens: 2 of 3 predicted are gold; 2 of 4 gold found
    assert scores.tokens.scores() == pytest.approx((2 / 3, 1 / 2, 4 / 7))
    # spans: "corrupt hellhole" overlaps the gold span, "disagreed" does not; the gold span found
    assert (scores.spans.predicted, scores.spans.correct_predicted) == (2, 1)
    assert (scores.spans.gold, scores.spans.found_gold) == (1, 1)
    assert scores.spans.scores()[2] == pytest.approx(2 / 3)


@pytest.mark.skipif(not SHARED_PTC.exists(), reason=f"{SHARED_PTC} is absent (public data)")
def test_tagger_trained_on_ptc_sample_finds_loaded_words() -> None:
    from training.analysis import analyze
    from training.benchmarks.ptc import LOADED_CATEGORIES, LOADED_TECHNIQUES, predicted_tokens
    from training.importers.ptc import load_article, technique_spans
    from training.lexicon import load_lexicon
    from training.tagging import fit_tagger, with_tagger

    texts = sorted(SHARED_PTC.glob("article*.txt"))[:40]
    examples = [load_article(p, SHARED_PTC / "labels" / f"{p.stem}.task-flc-tc.labels")[0]
                for p in texts]
    lexicon = load_lexicon()
    analyses = {e.id: analyze(e.text, lexicon) for e in examples}
    tagger = fit_tagger(examples[:30], analyses)
    scores = Scores(Counts(), Counts())
    for example in examples[30:]:
        analysis = with_tagger(analyses[example.id], tagger)
        gold = sorted({(s.start, s.end) for s in technique_spans(example, LOADED_TECHNIQUES)})
        scores.add(analysis.document, predicted_tokens(tagger, analysis, LOADED_CATEGORIES), gold)
    assert scores.tokens.gold > 30
    assert scores.tokens.scores()[0] > 0.15  # precision well above the base rate of ~4%
