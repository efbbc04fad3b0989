from __future__ import annotations

import time
from pathlib import Path

import pytest

from training.document import build_document
from training.importers import load_dataset
from training.importers.ptc import TECHNIQUE_CATEGORIES, load, relocate_spans, technique_spans

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ptc"
SHARED_PTC = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ptc" / "train-tc"


def _by_id() -> dict:
    return {example.id: example for example in load(FIXTURES)}


def test_articles_are_normalized_with_spans_relocated() -> None:
    article = _by_id()["ptc:1"]
    assert article.text == build_document(article.text).text
    assert article.text.startswith("Senators Slam the Reckless Plan\n\nThe so-called reform")
    assert "Share this article" not in article.text
    surfaces = [(article.text[s.start:s.end], s.label) for s in article.spans]
    assert surfaces == [
        ("Reckless", "emotive"),
        ("so-called", "doubt"),
        ("a disastrous giveaway", "emotive"),
        ("corrupt elites", "demonizing"),
        ("a puppet of the bankers", "demonizing"),
        ("Is this really about safety, or about control?", "doubt"),
    ]


def test_article_level_without_framing_label_and_spans_annotated() -> None:
    article = _by_id()["ptc:1"]
    assert article.level == "article"
    assert article.label == {}
    assert article.meta["annotated"] == ["spans"]
    assert article.annotated("spans") and not article.annotated("attributions")


def test_every_technique_is_kept_only_mapped_ones_become_cue_spans() -> None:
    article = _by_id()["ptc:1"]
    techniques = {(article.text[s.start:s.end], s.technique) for s in technique_spans(article)}
    assert ("Every patriot must stand up now", "Flag-Waving") in techniques
    assert ("Café owners in Córdoba", "Causal_Oversimplification") in techniques
    # the label in the removed repeated title line is gone, the one in the kept line is not
    assert sum(technique == "Loaded_Language" for _, technique in techniques) == 2
    cue_texts = {article.text[s.start:s.end] for s in article.spans}
    assert "Every patriot must stand up now" not in cue_texts
    assert {s.label for s in article.spans} <= set(TECHNIQUE_CATEGORIES.values())
    loaded = technique_spans(article, ["Loaded_Language"])
    assert [article.text[s.start:s.end] for s in loaded] == ["Reckless", "a disastrous giveaway"]


def test_nested_spans_of_two_techniques_both_kept() -> None:
    article = _by_id()["ptc:2"]
    assert [(article.text[s.start:s.end], s.label) for s in article.spans] == [
        ("historic, crushing victory", "exaggeration"),
        ("crushing", "emotive"),
    ]


def test_registered_as_an_importer() -> None:
    examples = load_dataset(f"ptc={FIXTURES / 'train-tc'}")
    assert sorted(example.id for example in examples) == ["ptc:1", "ptc:2"]


def test_relocate_trims_whitespace_and_rejects_removed_lines() -> None:
    raw = "Title\nTitle\n\nA  loaded  word here. \n"
    normalized = build_document(raw).text
    assert normalized == "Title\n\nA loaded word here."
    located = relocate_spans(raw, normalized, [(8, 11), (14, 28), (13, 16)])
    # "itl" of the repeated title line is gone; " loaded  word" loses its leading space
    assert located[0] is None
    assert located[1] is not None and normalized[slice(*located[1])] == "loaded word"
    assert located[2] is not None and normalized[slice(*located[2])] == "A"


@pytest.mark.skipif(not SHARED_PTC.exists(), reason=f"{SHARED_PTC} is absent (public data)")
def test_real_articles_sample() -> None:
    started = time.perf_counter()
    texts = sorted(SHARED_PTC.glob("article*.txt"))[:40]
    examples = []
    from training.importers.ptc import load_article

    dropped = 0
    for path in texts:
        labels = SHARED_PTC / "labels" / f"{path.stem}.task-flc-tc.labels"
        example, lost = load_article(path, labels)
        examples.append(example)
        dropped += lost
    spans = [s for e in examples for s in e.spans]
    techniques = [t for e in examples for t in technique_spans(e)]
    assert len(spans) > 200 and len(techniques) >= len(spans)
    assert dropped <= len(techniques) // 100
    for example in examples:
        assert example.text == build_document(example.text).text
        for span in technique_spans(example):
            assert example.text[span.start:span.end].strip() == example.text[span.start:span.end]
    assert time.perf_counter() - started < 20
