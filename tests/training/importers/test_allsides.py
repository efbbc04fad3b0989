import gzip
import json
from pathlib import Path

import pytest

from training.document import build_document
from training.errors import DatasetError
from training.importers import load_dataset
from training.importers.allsides import example_from_row, load, read_rows

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "allsides" / "articles.jsonl"
REAL = REPO.parent / "shared" / "data" / "allsides"


def test_rows_become_leaning_examples_with_outlet_meta() -> None:
    examples = load(FIXTURE)
    assert [e.id for e in examples] == ["allsides:aaa111", "allsides:bbb222", "allsides:ccc333"]
    assert [e.label for e in examples] == [
        {"leaning": "left"}, {"leaning": "center"}, {"leaning": "right"},
    ]
    assert examples[1].meta == {
        "annotated": [], "source": "Example Wire", "source_url": "www.wire.example",
        "split": "valid", "topic": "economy", "date": "2019-05-03",
    }


def test_text_is_title_then_content_normalized_with_a_repeated_title_kept_once() -> None:
    left, center, _ = load(FIXTURE)
    assert left.text == (
        "Senate Passes Bill\n\nThe Senate passed the bill on Monday.\n\nIt now goes to the House."
    )
    assert center.text == "Markets steady\n\nStocks were little changed."
    assert all(build_document(e.text).text == e.text for e in (left, center))


def test_gzipped_corpus_and_its_directory_load_the_same(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "articles.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(FIXTURE.read_text(encoding="utf-8"))
    assert load(tmp_path) == load(FIXTURE)
    assert load_dataset(f"allsides={tmp_path}") == load(FIXTURE)


def test_bad_rows_are_clear_errors(tmp_path: Path) -> None:
    row = json.loads(FIXTURE.read_text(encoding="utf-8").splitlines()[0])
    with pytest.raises(DatasetError, match="bias must be 0, 1 or 2, got 3"):
        example_from_row({**row, "bias": 3})
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"broken\.jsonl:2: not JSON"):
        list(read_rows(broken))
    with pytest.raises(DatasetError, match="no such file"):
        list(read_rows(tmp_path))


def test_an_article_without_text_is_skipped() -> None:
    row = json.loads(FIXTURE.read_text(encoding="utf-8").splitlines()[0])
    assert example_from_row({**row, "title": " ", "content": "\n\n"}) is None


def test_real_corpus_rows_and_a_sample_of_examples() -> None:
    if not REAL.exists():
        pytest.skip(f"{REAL} is absent (the public data is not part of a clone)")
    rows = list(read_rows(REAL))
    assert len(rows) == 26942
    assert sum(row["split"] == "valid" for row in rows) == 2278
    examples = [example_from_row(row) for row in rows[:300]]
    assert all(e is not None and build_document(e.text).text == e.text for e in examples)
    assert {e.label["leaning"] for e in examples if e is not None} == {"left", "center", "right"}
