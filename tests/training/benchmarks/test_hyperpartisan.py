from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from training.benchmarks import BenchContext, DataMissing
from training.benchmarks.hyperpartisan import FOLDS, run
from training.model import SlantModel

FRAMED = (
    "The so-called experts and their corrupt regime slammed the outrageous truth. "
    "Shocking lies from radical thugs, the devastating disaster they allegedly caused."
)
PLAIN = "The council approved the budget on Tuesday, officials said. The vote was seven to two."


def _corpus(directory: Path, per_class: int) -> None:
    articles, truth = [], []
    for index in range(2 * per_class):
        framed = index % 2 == 0
        body = FRAMED if framed else PLAIN
        articles.append(
            f'<article id="{index:07d}" title={quoteattr(f"Story {index}")}><p>{body}</p></article>'
        )
        truth.append(f'<article id="{index:07d}" hyperpartisan="{str(framed).lower()}"/>')
    (directory / "articles-training-byarticle-x.xml").write_text(
        "<articles>" + "".join(articles) + "</articles>", encoding="utf-8")
    (directory / "ground-truth-training-byarticle-x.xml").write_text(
        "<articles>" + "".join(truth) + "</articles>", encoding="utf-8")


def test_missing_data_skips_the_task(tmp_path: Path, trained_model: SlantModel) -> None:
    with pytest.raises(DataMissing, match="hyperpartisan is absent"):
        run(BenchContext(data_dir=tmp_path, default_model=trained_model))


def test_rows_measure_public_and_default_models(tmp_path: Path,
                                                trained_model: SlantModel) -> None:
    (tmp_path / "hyperpartisan").mkdir()
    _corpus(tmp_path / "hyperpartisan", per_class=FOLDS)
    rows = run(BenchContext(data_dir=tmp_path, default_model=trained_model))
    values = {(row.model, row.metric): row.value for row in rows}
    assert set(values) == {(m, k) for m in ("public", "default") for k in ("accuracy", "f1")}
    # Loaded-language articles against wire copy: the framing features separate them.
    assert values[("public", "accuracy")] == 1.0
    assert values[("default", "accuracy")] == 1.0
    assert all(row.task == "hyperpartisan" and "10-fold" in row.protocol for row in rows)
    assert "20 by-article training articles (10 hyperpartisan)" in rows[0].protocol
