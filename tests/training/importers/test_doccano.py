from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.document import build_document
from training.errors import DatasetError
from training.importers import import_file, load_dataset, read_mapping
from training.importers.doccano import load

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "doccano"  # written for the tests
SAMPLE = FIXTURES / "doccano_sample.jsonl"
MAPPING = FIXTURES / "mapping.json"


def _write(tmp_path: Path, *rows: dict[str, object]) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _surfaces(example: object) -> list[tuple[str, str]]:
    text = example.text  # type: ignore[attr-defined]
    return [(text[s.start:s.end], s.label) for s in example.spans]  # type: ignore[attr-defined]


def test_sequence_labels_and_categories_through_the_mapping() -> None:
    examples = load(SAMPLE, mapping=read_mapping(MAPPING))
    assert [e.id for e in examples] == ["101", "102", "103", "104"]
    first = examples[0]
    # "  " collapsed by normalization; the spans moved with the text
    assert first.text == "The regime’s thugs attacked so-called protesters in the capital."
    assert [(s.start, s.end, s.label) for s in first.spans] == [
        (4, 10, "demonizing"), (13, 18, "demonizing"), (28, 37, "doubt"),
    ]
    assert _surfaces(first) == [
        ("regime", "demonizing"), ("thugs", "demonizing"), ("so-called", "doubt"),
    ]
    assert (first.level, first.label) == ("sentence", {"biased": True})
    # the file marks cue spans and attributions (row 104), so both layers are annotated
    assert first.meta == {"annotated": ["spans", "attributions"]}
    assert first.attributions == ()


def test_text_classification_rows_and_entities_rows() -> None:
    _, plain, _, heroic = load(SAMPLE, mapping=read_mapping(MAPPING))
    assert (plain.level, plain.label, plain.spans) == ("sentence", {"biased": False}, ())
    # newer exports' "entities"; built-in names match whatever their case
    assert _surfaces(heroic) == [("heroic", "glorifying")]


def test_relations_tie_role_entities_into_an_attribution() -> None:
    heroic = load(SAMPLE, mapping=read_mapping(MAPPING))[3]
    [said] = heroic.attributions
    assert said.source is not None and said.content is not None
    text = heroic.text
    assert (text[said.source.start:said.source.end], said.source.kind) == (
        "the hospital", "organization",  # SPEAKER, mapped
    )
    assert (text[said.cue.start:said.cue.end], said.cue.stance) == ("said", "neutral")
    assert (said.content.start, said.content.end, said.content.direct) == (0, 42, False)
    assert text[0:42] == "The heroic medics worked through the night"


def test_a_cue_with_several_contents_and_bad_relations(tmp_path: Path) -> None:
    text = "“Go,” he said. “Now.”"
    entities = [
        {"id": 1, "start_offset": 1, "end_offset": 3, "label": "content:direct"},
        {"id": 2, "start_offset": 6, "end_offset": 8, "label": "source:person"},
        {"id": 3, "start_offset": 9, "end_offset": 13, "label": "cue:neutral"},
        {"id": 4, "start_offset": 16, "end_offset": 20, "label": "content:direct"},
    ]
    relations = [{"from_id": 3, "to_id": i} for i in (1, 2, 4)]
    path = _write(tmp_path, {"text": text, "entities": entities, "relations": relations,
                             "cats": ["not_biased"]})
    first, second = load(path)[0].attributions
    assert first.source == second.source and first.cue == second.cue
    assert [(a.content.start, a.content.end) for a in (first, second)  # type: ignore[union-attr]
            ] == [(1, 3), (16, 20)]
    two_sources = [*relations, {"from_id": 3, "to_id": 5}]
    entities.append({"id": 5, "start_offset": 0, "end_offset": 1, "label": "source:vague"})
    path = _write(tmp_path, {"text": text, "entities": entities, "relations": two_sources,
                             "cats": ["not_biased"]})
    with pytest.raises(DatasetError, match="the cue 'said' is related to 2 sources"):
        load(path)
    path = _write(tmp_path, {"text": text, "entities": entities, "cats": ["not_biased"],
                             "relations": [{"from_id": 3, "to_id": 9}]})
    with pytest.raises(DatasetError, match="a relation names no span with id 9"):
        load(path)


def test_article_labels_dimensions_leaning_and_ignored_labels() -> None:
    article = load(SAMPLE, mapping=read_mapping(MAPPING))[2]
    assert article.text == build_document(article.text).text
    assert article.text.startswith("Tax Plan Passes\n\nThe senate passed the massive tax plan")
    assert article.level == "article"
    assert article.label == {"framing": True, "dimensions": {"doubt": False}, "leaning": "right"}
    # "PERSON" is mapped to "ignore": no span for "Critics"
    assert _surfaces(article) == [("massive", "exaggeration"), ("shameful", "emotive")]
    assert article.meta == {"outlet": "Example Ledger", "annotated": ["spans", "attributions"]}


def test_unknown_labels_are_listed_with_their_counts() -> None:
    with pytest.raises(DatasetError) as error:
        load(SAMPLE)
    message = str(error.value)
    assert message.startswith(f"{SAMPLE}: unknown labels: span labels 'LOADED' (1 occurrence), "
                              "'NAME_CALLING' (2 occurrences), 'PERSON' (1 occurrence), "
                              "'SPEAKER' (1 occurrence); "
                              "document labels 'SLANTED' (2 occurrences).")
    assert "document labels are biased, not_biased, framing, not_framing" in message


def test_the_level_rule(tmp_path: Path) -> None:
    two_sentences = "The vote was held. The result was close."
    path = _write(
        tmp_path,
        {"text": two_sentences, "label": [[4, 8, "doubt"]]},  # no labels: by the text
        {"text": "One short sentence here.", "label": ["biased"]},
        {"text": two_sentences, "label": ["not_biased"]},  # a sentence label decides
        {"text": "One sentence.", "label": ["left"], "meta": {"level": "article"}},
    )
    examples = load(path)
    assert [(e.id, e.level, e.label) for e in examples] == [
        ("doccano:1", "article", {}), ("doccano:2", "sentence", {"biased": True}),
        ("doccano:3", "sentence", {"biased": False}), ("doccano:4", "article", {"leaning": "left"}),
    ]
    assert "level" not in examples[3].meta


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"text": "One sentence.", "label": [[0, 3, "doubt"]]},
         r"rows\.jsonl:1: a sentence needs the label biased or not_biased"),
        ({"text": "One sentence.", "label": ["biased", "framing"]},
         "sentence and article labels together"),
        ({"text": "One sentence.", "level": "article", "label": ["biased"]},
         "level article but sentence labels"),
        ({"text": "One sentence.", "level": "paragraph", "label": ["framing"]},
         "level must be sentence or article, got 'paragraph'"),
        ({"text": "One sentence.", "label": ["biased", "not_biased"]},
         "contradictory labels for biased"),
        ({"text": "One sentence.", "label": [[0, "3", "doubt"]]},
         "a span needs integer start and end"),
        ({"label": ["biased"]}, "no 'text' string"),
    ],
)
def test_bad_rows_are_clear_errors(tmp_path: Path, row: dict[str, object], message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        load(_write(tmp_path, row))


def test_mapping_targets_must_be_slants_labels(tmp_path: Path) -> None:
    path = _write(tmp_path, {"text": "A sad day.", "label": ["biased"]})
    with pytest.raises(DatasetError, match="the mapping names labels slant does not know: 'sad'"):
        load(path, mapping={"SAD": "sad"})
    bad = tmp_path / "mapping.json"
    bad.write_text('["biased"]', encoding="utf-8")
    with pytest.raises(DatasetError, match="must be a JSON object of strings"):
        read_mapping(bad)
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(DatasetError, match="the mapping is not JSON"):
        read_mapping(bad)


def test_registered_for_import_file_and_datasets(tmp_path: Path) -> None:
    path = _write(tmp_path, {"id": 5, "text": "The so-called plan.", "label": [[4, 13, "doubt"]],
                             "cats": ["biased"]})
    assert load_dataset(f"doccano={path}") == import_file(path, "doccano") == load(path)
    assert import_file(SAMPLE, "doccano", read_mapping(MAPPING)) == load(
        SAMPLE, mapping=read_mapping(MAPPING)
    )
    # formats with fixed labels take no mapping
    with pytest.raises(DatasetError, match="format babe has fixed labels and takes no mapping"):
        import_file(path, "babe", {"a": "biased"})
    with pytest.raises(DatasetError, match="unknown dataset format 'brat'; known formats: "):
        import_file(path, "brat")
