from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from service.bench import corpus_texts
from service.cli import main

ARTICLES = [
    "Council Passes Budget\n\nThe council passed the budget on Tuesday, officials said.",
    "Regime Falls\n\nThe brutal regime collapsed, the so-called experts admitted.",
    "Rain Expected\n\nForecasters said rain was likely on Friday.",
]


def test_corpus_texts_reads_native_and_plain_corpora(tmp_path: Path) -> None:
    native = tmp_path / "native.jsonl"
    native.write_text(
        json.dumps({"id": "s", "text": "One sentence.", "level": "sentence",
                    "label": {"biased": False}}) + "\n"
        + json.dumps({"id": "a", "text": ARTICLES[0], "level": "article",
                      "label": {"framing": False}}) + "\n",
        encoding="utf-8",
    )
    assert corpus_texts(native, limit=10) == [ARTICLES[0]]
    plain = tmp_path / "allsides.jsonl.gz"
    with gzip.open(plain, "wt", encoding="utf-8") as handle:
        for text in ARTICLES:
            handle.write(json.dumps({"content": text, "bias": 1}) + "\n")
    assert corpus_texts(plain, limit=2) == ARTICLES[:2]


def test_bench_prints_a_table_and_writes_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"text": t}) + "\n" for t in ARTICLES), "utf-8")
    out = tmp_path / "bench.json"
    code = main([
        "bench", "--only", "speed", "--corpus", str(corpus), "--out", str(out),
        "--data", str(tmp_path / "no-data"),
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| task | metric | value |")
    report = json.loads(out.read_text("utf-8"))
    rows = {row["metric"]: row for row in report["rows"]}
    assert set(rows) == {"articles_per_s", "p50_ms", "p99_ms", "peak_rss_mb"}
    assert all(row["task"] == "speed" for row in rows.values())
    assert rows["articles_per_s"]["value"] > 0
    assert rows["p99_ms"]["value"] >= rows["p50_ms"]["value"] > 0
    assert rows["p50_ms"]["model"] == "default"
    assert "3 articles" in rows["p50_ms"]["protocol"]
    assert report["environment"]["python"]


def test_bench_refuses_an_empty_corpus_and_unknown_tasks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "empty.jsonl"
    corpus.write_text("", "utf-8")
    assert main(["bench", "--only", "speed", "--corpus", str(corpus)]) == 2
    assert "no article texts" in capsys.readouterr().err
    assert main(["bench", "--only", "nosuchtask"]) == 2
    assert "unknown task(s) nosuchtask" in capsys.readouterr().err
