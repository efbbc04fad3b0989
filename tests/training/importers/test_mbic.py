from pathlib import Path

import pytest

from training.importers import load_dataset
from training.importers.mbic import mbic_rows

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "mbic" / "mbic_sample.csv"  # written for the tests
REAL = REPO.parent / "shared" / "data" / "mbic" / "labeled_dataset.csv"


def test_rows_drop_no_agreement_and_locate_biased_words() -> None:
    rows = mbic_rows(FIXTURE)
    assert [row.id for row in rows] == ["mbic:0", "mbic:1"]
    first = rows[0]
    assert first.text == "The alleged plot was a shocking betrayal."
    assert first.biased and not rows[1].biased
    assert [(first.text[s:e], label) for s, e, label in first.spans] == [
        ("shocking", "emotive"), ("betrayal", "emotive"),
    ]
    assert (first.outlet, first.topic, first.leaning) == ("example-news", "crime", "right")


def test_importer_registered_as_mbic() -> None:
    examples = load_dataset(f"mbic={FIXTURE}")
    assert [e.id for e in examples] == ["mbic:0", "mbic:1"]
    assert [(s.start, s.end) for s in examples[0].spans] == [(23, 31), (32, 40)]
    assert examples[0].meta["annotated"] == ["spans"]


@pytest.mark.skipif(not REAL.exists(), reason=f"{REAL} (public data outside the repo) is absent")
def test_real_mbic_file() -> None:
    rows = mbic_rows(REAL)
    assert len(rows) == 1551  # 1,018 biased + 533 non-biased; 149 "No agreement" dropped
    assert sum(row.biased for row in rows) == 1018
    assert sum(len(row.missing) for row in rows) < 10
