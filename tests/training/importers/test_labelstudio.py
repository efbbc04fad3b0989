from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from training.dataset import Example
from training.document import build_document
from training.errors import DatasetError
from training.importers import import_file, read_mapping
from training.importers.labelstudio import latest_annotation, load

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "labelstudio"  # written for tests
EXPORT = FIXTURES / "export.json"
MAPPING = FIXTURES / "mapping.json"


def _surfaces(example: Example) -> list[tuple[str, str]]:
    return [(example.text[s.start:s.end], s.label) for s in example.spans]


def _load() -> list[Example]:
    return load(EXPORT, mapping=read_mapping(MAPPING))


def test_the_most_recent_annotation_not_cancelled_is_imported() -> None:
    first = _load()[0]
    assert first.id == "labelstudio:1"
    # annotation 12 (updated last) over 11; 13 is newer but cancelled
    assert _surfaces(first) == [("regime", "demonizing"), ("so-called", "doubt")]
    assert (first.level, first.label) == ("sentence", {"biased": True})  # "Slanted", not "Neutral"
    assert first.meta == {"annotated": ["spans", "attributions"]}


def test_choices_become_article_labels_and_multi_label_regions_split() -> None:
    article = _load()[1]
    assert article.text == build_document(article.text).text
    assert article.level == "article"  # several paragraphs, article labels
    assert article.label == {"framing": True, "leaning": "right"}
    # "reckless" has the labels Emotive and Loaded; Loaded is mapped to "ignore"
    assert _surfaces(article) == [
        ("outraged", "emotive"), ("extremely", "exaggeration"), ("reckless", "emotive"),
    ]
    assert article.meta == {"outlet": "Example Gazette", "annotated": ["spans", "attributions"]}


def test_relation_results_tie_regions_into_attributions() -> None:
    article = _load()[1]
    text = article.text

    def show(span: object) -> str | None:
        return None if span is None else text[span.start:span.end]  # type: ignore[attr-defined]

    # a relation counts in either direction ("Claim" -> "Cue" here)
    assert [
        (show(a.source), a.source and a.source.kind, show(a.cue), a.cue.stance, show(a.content),
         a.content and a.content.direct)
        for a in article.attributions
    ] == [
        ("The mayor", "person", "said", "neutral", "the plan was balanced", False),
        ("opposition", "organization", "slammed", "emotive", None, None),
    ]


def test_tasks_without_a_completed_annotation_are_skipped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        examples = _load()
    assert [e.id for e in examples] == ["labelstudio:1", "labelstudio:2", "labelstudio:4"]
    assert "1 tasks without a completed annotation were skipped" in caplog.text
    assert "1 tasks have several annotations; the most recent one not cancelled" in caplog.text


def test_utf16_offsets_after_an_emoji_are_converted() -> None:
    emoji = _load()[2]
    assert emoji.text == "Fans 🎉 cheered the legendary coach after a shocking comeback."
    assert [(s.start, s.end) for s in emoji.spans] == [(19, 28), (43, 51)]
    assert _surfaces(emoji) == [("legendary", "glorifying"), ("shocking", "emotive")]


def test_unknown_labels_of_the_imported_annotations_are_listed() -> None:
    with pytest.raises(DatasetError) as error:
        load(EXPORT)
    # "Neutral" is only in an annotation that is not imported
    assert (
        "unknown labels: span labels 'Claim' (1 occurrence), 'Cue' (1 occurrence), "
        "'Loaded' (1 occurrence), 'Speaker' (1 occurrence); "
        "document labels 'Framed' (1 occurrence), 'Slanted' (2 occurrences)."
    ) in str(error.value)


def test_latest_annotation_order() -> None:
    assert latest_annotation([]) is None
    assert latest_annotation([{"id": 1, "was_cancelled": True}]) is None
    by_time = [
        {"id": 9, "updated_at": "2024-01-02T00:00:00Z"}, {"id": 2, "created_at": "2024-02-01"},
    ]
    assert latest_annotation(by_time) == by_time[1]
    by_id = [{"id": 5}, {"id": 3}]
    assert latest_annotation(by_id) == {"id": 5}
    assert latest_annotation([{"x": 1}, {"x": 2}]) == {"x": 2}  # else the last


def test_bad_exports_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"data": {"text": "x"}}', encoding="utf-8")
    with pytest.raises(DatasetError, match="is a list of tasks"):
        load(path)
    path.write_text("[{\"data\": {\"txt\": \"x\"}, \"annotations\": []}]", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"export\.json: task 1: no 'text' string"):
        load(path)
    path.write_text("[not json", encoding="utf-8")
    with pytest.raises(DatasetError, match="not a Label Studio JSON export"):
        load(path)


def test_old_completions_and_mismatched_regions(tmp_path: Path) -> None:
    text = "The so-called audit."
    task = {
        "id": 7, "data": {"text": text},
        "completions": [{"id": 1, "result": [
            {"type": "labels", "value": {"start": 4, "end": 13, "text": "so-called",
                                         "labels": ["doubt"]}},
            {"type": "labels", "value": {"start": 0, "end": 3, "text": "A", "labels": ["doubt"]}},
            {"type": "choices", "value": {"choices": ["biased"]}},
            {"type": "rating", "value": {"rating": 4}},
        ]}],
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps([task]), encoding="utf-8")
    [example] = import_file(path, "labelstudio")
    assert example.id == "labelstudio:7"
    assert _surfaces(example) == [("so-called", "doubt")]  # the region whose text differs: dropped
