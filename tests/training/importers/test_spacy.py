from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from training.dataset import Example
from training.errors import DatasetError
from training.importers import import_file, read_mapping
from training.importers.spacy import load

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "spacy"  # written for the tests
SAMPLE = FIXTURES / "spans_sample.jsonl"
MAPPING = FIXTURES / "mapping.json"


def _surfaces(example: Example) -> list[tuple[str, str]]:
    return [(example.text[s.start:s.end], s.label) for s in example.spans]


def test_accepted_rows_with_spans_and_scored_cats(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        examples = load(SAMPLE, mapping=read_mapping(MAPPING))
    # the "reject" and "ignore" rows (lines 3 and 5) are skipped
    assert [e.id for e in examples] == ["spacy:1", "spacy:2", "storm-1"]
    assert "2 rejected or ignored rows were skipped" in caplog.text
    first = examples[0]
    assert _surfaces(first) == [
        ("rammed", "emotive"), ("draconian", "emotive"), ("apparently", "hedge"),
    ]
    assert (first.level, first.label) == ("sentence", {"biased": True})  # SLANTED 0.9
    assert first.meta == {"source": "hand-written", "annotated": ["spans", "attributions"]}
    ministry = examples[1]
    assert (ministry.label, ministry.spans) == ({"biased": False}, ())  # SLANTED false
    # Prodigy relations name their spans by offsets and label
    [said] = ministry.attributions
    assert said.source is not None and said.content is not None
    assert [
        (ministry.text[part.start:part.end]) for part in (said.source, said.cue, said.content)
    ] == ["The ministry", "said", "exports rose 4 percent in March"]
    assert (said.source.kind, said.cue.stance, said.content.direct) == (
        "organization", "neutral", False,
    )


def test_choice_answers_and_the_article_level() -> None:
    storm = load(SAMPLE, mapping=read_mapping(MAPPING))[2]
    assert storm.text == (
        "Storm Hits Coast\n\nA storm reached the coast on Sunday.\n\n"
        "Officials finally opened shelters after days of delay."
    )
    assert (storm.level, storm.label) == ("article", {"framing": True})  # accept: ["FRAMED"]
    assert _surfaces(storm) == [("finally", "presupposition")]


def test_unknown_labels_are_listed() -> None:
    with pytest.raises(DatasetError) as error:
        import_file(SAMPLE, "spacy")
    assert (
        "unknown labels: span labels 'SOURCE_ORG' (1 occurrence); "
        "document labels 'FRAMED' (1 occurrence), 'NEUTRAL' (1 occurrence), "
        "'SLANTED' (2 occurrences)."
    ) in str(error.value)


def test_cats_scores_false_values_and_leanings(tmp_path: Path) -> None:
    rows = [
        {"text": "A calm report on rates.", "cats": {"biased": 0.2}},
        {"text": "Markets Rise\n\nStocks rose.", "cats": {"framing": 0.7, "doubt": 0.1,
                                                        "left": 0.0, "right": 1.0}},
        {"text": "Anything.", "spans": [], "cats": ["biased"], "level": "sentence"},
    ]
    path = tmp_path / "cats.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    examples = load(path)
    assert [(e.level, e.label) for e in examples] == [
        ("sentence", {"biased": False}),
        # a false leaning says nothing; a false dimension is a negative label
        ("article", {"framing": True, "dimensions": {"doubt": False}, "leaning": "right"}),
        ("sentence", {"biased": True}),
    ]
    assert [e.meta["annotated"] for e in examples] == [[], [], []]  # no spans in the file


def test_bad_rows_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "x y.", "spans": {}, "cats": ["biased"]}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"bad\.jsonl:1: spans must be a list of objects"):
        load(path)
    path.write_text('{"text": "x y.", "cats": {"biased": "yes"}}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"cats\['biased'\] must be true/false or a score"):
        load(path)
    path.write_text(
        '{"text": "He said.", "spans": [{"start": 0, "end": 2, "label": "source:person"}], '
        '"relations": [{"head_span": {"start": 3, "end": 7}, "child_span": '
        '{"start": 0, "end": 2}}], "cats": ["not_biased"]}\n', encoding="utf-8",
    )
    with pytest.raises(DatasetError, match=r"the head_span \[3, 7, None\] is not in spans"):
        load(path)
    path.write_text('\n["text"]\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"bad\.jsonl:2: expected a JSON object"):
        load(path)
