from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

from training.benchmarks import BenchContext, DataMissing
from training.benchmarks.allsides import _sample, run
from training.model import SlantModel

MARKERS = {0: "corporate greed", 1: "bipartisan compromise", 2: "illegal aliens"}
FILLER = (
    "the", "council", "plan", "budget", "vote", "city", "said", "on", "tuesday", "officials",
    "report", "week",
)


def _row(index: int, domain: int, bias: int, split: str, rng: random.Random) -> dict[str, object]:
    words = rng.choices(FILLER, k=25)
    words.insert(rng.randrange(len(words)), MARKERS[bias])
    return {
        "id": f"r{index}", "source": f"Outlet {domain}", "source_url": f"www.d{domain}.example",
        "title": f"Story {index}", "content": " ".join(words) + ".", "bias": bias,
        "split": split,
    }


def _corpus(path: Path) -> None:
    rng = random.Random(3)
    domains = [(d, 0) for d in range(4)] + [(d, 1) for d in range(4, 7)] + [
        (d, 2) for d in range(7, 10)]
    rows = [_row(len(domains) * i + d, d, bias, "train", rng)
            for i in range(24) for d, bias in domains]
    rows += [_row(1000 + i, 10 + i % 2, 0 if i % 2 == 0 else 2, "valid", rng) for i in range(30)]
    path.mkdir()
    with gzip.open(path / "articles.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(row) for row in rows) + "\n")


def test_missing_data_skips_the_task(tmp_path: Path, trained_model: SlantModel) -> None:
    with pytest.raises(DataMissing, match="allsides is absent"):
        run(BenchContext(data_dir=tmp_path, default_model=trained_model))


def test_full_protocol_rows(tmp_path: Path, trained_model: SlantModel) -> None:
    _corpus(tmp_path / "allsides")
    rows = run(BenchContext(data_dir=tmp_path, default_model=trained_model, full=True))
    values = {(row.model, row.metric): row.value for row in rows}
    assert set(values) == {
        ("public", "valid_macro_f1"), ("public", "valid_accuracy"),
        ("majority", "valid_macro_f1"), ("majority", "valid_accuracy"),
        ("public", "group_cv_source_url_macro_f1"), ("public", "group_cv_source_url_accuracy"),
        ("public", "group_cv_source_macro_f1"), ("public", "group_cv_source_accuracy"),
    }
    # The training majority is left (4 of 10 domains); half the valid articles are left.
    assert values[("majority", "valid_accuracy")] == 0.5
    assert values[("majority", "valid_macro_f1")] == pytest.approx((2 / 3) / 3)
    # Each leaning's marker phrase is in every one of its articles, in every domain.
    assert values[("public", "valid_accuracy")] == 1.0
    assert values[("public", "group_cv_source_url_accuracy")] >= 0.95
    protocol = next(r.protocol for r in rows if r.metric == "group_cv_source_accuracy")
    assert protocol == "GroupKFold(5) by source (10 groups) over 240 training articles"


def test_ci_samples_are_seeded_and_keep_file_order() -> None:
    rows = [{"id": str(i)} for i in range(50)]
    first = _sample(rows, 10)
    assert first == _sample(rows, 10) and len(first) == 10
    assert [int(r["id"]) for r in first] == sorted(int(r["id"]) for r in first)
    assert _sample(rows, 80) == rows
