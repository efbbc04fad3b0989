from __future__ import annotations

import time
from pathlib import Path

import pytest

from training.document import build_document
from training.importers import load_dataset
from training.importers.polnear import Relocator, load, parse_ann

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "polnear"
REAL = Path(__file__).resolve().parents[4] / "shared" / "data" / "polnear"


def _text(example_text: str, span: tuple[int, int]) -> str:
    return example_text[span[0] : span[1]]


def test_fixture_article_is_normalized_and_spans_relocated() -> None:
    [example] = load(FIXTURE / "dev")
    assert example.id == "polnear:nyt_2016-10-20_mayor-wins-vote"
    assert example.text == build_document(example.text).text
    assert example.text.startswith("Mayor wins vote\n\nThe mayor of Springfield said the budget")
    assert example.meta == {
        "annotated": ["attributions"], "publisher": "nyt", "split": "dev", "annotator": "b2c3",
    }
    assert example.level == "article" and example.label == {}
    said, quoted, expected, according = example.attributions
    assert said.source is not None and said.content is not None
    assert _text(example.text, (said.source.start, said.source.end)) == "The mayor of Springfield"
    assert _text(example.text, (said.cue.start, said.cue.end)) == "said"
    assert _text(example.text, (said.content.start, said.content.end)) == "the budget would pass"
    assert not said.content.direct
    # discontinuous content keeps its first fragment; the quotation makes it direct
    assert quoted.content is not None and quoted.content.direct
    assert _text(example.text, (quoted.content.start, quoted.content.end)) == "We have the votes,"
    assert quoted.source is not None and quoted.source.kind == "person"
    # no source annotated: kept with source None
    assert expected.source is None
    assert _text(example.text, (expected.cue.start, expected.cue.end)) == "is expected"
    assert according.source is not None
    assert _text(example.text, (according.source.start, according.source.end)) == "a city report"
    assert according.content is None


def test_the_fullest_annotation_is_chosen_and_the_registry_knows_the_format() -> None:
    examples = load_dataset(f"polnear={FIXTURE / 'dev'}")
    assert [len(example.attributions) for example in examples] == [4]
    assert load(FIXTURE)[0].id == examples[0].id  # the corpus root loads every split under it


def test_parse_ann_reads_discontinuous_spans_and_skips_continuation_lines() -> None:
    ann = (
        "T1\tSource 0 3\tshe\nT2\tCue 4 8\tsaid\nT3\tContent 10 20;30 40\ta\nmore text\n"
        "E1\tAttribution:T9 Content:T3 Cue:T2 Source:T1\nE2\tAttribution:T8 Cue:T2\n"
    )
    first, second = parse_ann(ann)
    assert first.content == ((10, 20), (30, 40))
    assert first.source == ((0, 3),) and first.cue == ((4, 8),)
    assert second.source is None and second.content is None


def test_relocator_maps_through_removed_characters() -> None:
    raw = "Top   Stories\nHeadline here\n\n\n\nBody  text said."
    normalized = build_document(raw).text
    relocate = Relocator(raw, normalized)
    start = raw.index("said")
    span = relocate.span(start, start + 4)
    assert span is not None and normalized[span[0] : span[1]] == "said"


@pytest.mark.skipif(not REAL.exists(), reason=f"{REAL} (the public data) is absent")
def test_real_dev_split_loads_quickly_with_valid_spans() -> None:
    began = time.perf_counter()
    examples = load(REAL / "dev")
    assert time.perf_counter() - began < 20
    assert len(examples) == 84
    assert 2000 < sum(len(example.attributions) for example in examples) < 2400
    cues = [
        example.text[a.cue.start : a.cue.end].lower()
        for example in examples
        for a in example.attributions
    ]
    assert cues.count("said") > 400
