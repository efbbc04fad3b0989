from pathlib import Path

import pytest

from training.document import build_document
from training.errors import DatasetError
from training.importers import load_dataset
from training.importers.babe import babe_rows, locate_words, parse_words

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "babe" / "babe_sample.csv"  # written for the tests
REAL = REPO.parent / "shared" / "data" / "babe" / "final_labels_SG2.csv"


def _spans(text: str, spans: tuple[tuple[int, int, str], ...]) -> list[tuple[str, str]]:
    return [(text[start:end], label) for start, end, label in spans]


def test_rows_drop_no_agreement_and_keep_row_indices_as_ids() -> None:
    rows = babe_rows(FIXTURE)
    assert [row.id for row in rows] == ["babe:0", "babe:1", "babe:3", "babe:4"]
    assert [row.biased for row in rows] == [True, False, True, True]


def test_text_is_normalized_and_words_are_located_with_lexicon_categories() -> None:
    row = babe_rows(FIXTURE)[0]
    assert row.text == "The regime's massive crackdown was, frankly, bizarre."
    assert row.text == build_document(row.text).text
    assert _spans(row.text, row.spans) == [
        ("regime", "demonizing"), ("massive", "exaggeration"), ("bizarre", "emotive"),
    ]
    assert row.words == ("regime", "massive", "bizarre")
    assert (row.outlet, row.topic, row.leaning) == ("Example Times", "world", "left")


def test_every_occurrence_is_marked_and_quote_marks_are_stripped_from_words() -> None:
    row = babe_rows(FIXTURE)[2]
    assert row.spans == ((27, 35, "emotive"), (43, 51, "emotive"))
    assert _spans(row.text, row.spans) == [("disaster", "emotive"), ("disaster", "emotive")]
    assert row.missing == ("radicalz",)
    assert row.leaning is None  # empty type column


def test_words_match_whole_tokens_or_an_inflected_form() -> None:
    row = babe_rows(FIXTURE)[3]
    # "called" is inside the one token "so-called"; "dictator" is inflected as "dictators";
    # "slammed" is a reporting verb in the lexicon, so not a framing category: emotive
    assert _spans(row.text, row.spans) == [("slammed", "emotive"), ("dictators", "demonizing")]
    assert row.missing == ("called",)


def test_locate_words_matches_case_insensitively_and_across_apostrophes() -> None:
    document = build_document("Alleged crimes? The ALLEGED crimes of the group’s leader.")
    spans, missing = locate_words(document, ["alleged", "group's"])
    assert spans == [(0, 7, "doubt"), (20, 27, "doubt"), (42, 49, "emotive")]
    assert [document.text[s:e] for s, e, _ in spans] == ["Alleged", "ALLEGED", "group’s"]
    assert missing == []


def test_examples_carry_labels_spans_and_meta(tmp_path: Path) -> None:
    # A folder is read through BABE's own file name, as a user points at the unpacked data set.
    (tmp_path / "final_labels_SG2.csv").write_bytes(FIXTURE.read_bytes())
    examples = load_dataset(f"babe={tmp_path}")
    first = examples[0]
    assert first.id == "babe:0" and first.level == "sentence" and first.biased
    assert [(s.start, s.end, s.label) for s in first.spans] == [
        (4, 10, "demonizing"), (13, 20, "exaggeration"), (45, 52, "emotive"),
    ]
    assert first.meta == {
        "outlet": "Example Times", "topic": "world", "type": "left", "annotated": ["spans"],
    }
    assert first.annotated("spans") and not first.annotated("attributions")
    assert examples[1].label == {"biased": False} and examples[1].spans == ()


def test_parse_words_rejects_what_is_not_a_list() -> None:
    assert parse_words("") == ()
    assert parse_words("['a', ' b ']") == ("a", "b")
    with pytest.raises(DatasetError, match="not a list"):
        parse_words("'word'")
    with pytest.raises(DatasetError, match="list literal"):
        parse_words("[unclosed")


def test_missing_columns_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text;label\nx;Biased\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="BABE columns"):
        babe_rows(path)


@pytest.mark.skipif(not REAL.exists(), reason=f"{REAL} (public data outside the repo) is absent")
def test_real_babe_file() -> None:
    rows = babe_rows(REAL)
    assert len(rows) == 3673  # 3,674 rows minus the one "No agreement"
    assert sum(row.biased for row in rows) == 1810
    words = sum(len(row.words) for row in rows)
    missing = sum(len(row.missing) for row in rows)
    assert words == 3902
    assert missing < 40  # typos and partial words the annotators typed
    assert all(row.text[s:e] for row in rows for s, e, _ in row.spans)
