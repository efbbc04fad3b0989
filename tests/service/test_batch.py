"""``slant batch``: formats, field mapping, error rows, resuming, the same rows on every backend."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.batch.output import BatchStateError, partial_dir
from service.batch.reader import FieldMap, read_chunks
from service.batch.rows import ArticleMeta, article_row
from service.batch.runner import (
    BatchOptions,
    ChunkResult,
    ChunkTask,
    JoblibBackend,
    ModelRef,
    run_batch,
    score_chunk,
)
from service.cli import main
from service.registry import Registry
from service.scoring import score_payload

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "datasets" / "core"
CHUNK = 4


def core_texts(limit: int) -> list[str]:
    texts: list[str] = []
    for path in sorted(CORE.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            example = json.loads(line)
            if example["level"] == "article":
                texts.append(example["text"])
    return texts[:limit]


def articles(count: int) -> list[dict[str, Any]]:
    """Input records in AllSides' field names: ``content`` and ``source``."""
    outlets = ("Daily Planet", "The Bugle", "Gazette")
    return [
        {"id": f"a{index:03d}", "content": text, "source": outlets[index % 3],
         "date": f"2024-0{1 + index % 3}-15", "title": f"Story {index}", "rating": index % 2}
        for index, text in enumerate(core_texts(count))
    ]


def write_jsonl(path: Path, records: list[dict[str, Any]], *, gz: bool = False) -> Path:
    data = "".join(json.dumps(record) + "\n" for record in records).encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def read_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_table(path).to_pylist())
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def same_rows(left: list[dict[str, Any]], right: list[dict[str, Any]]) -> None:
    """Equal rows; floats to 1e-12 (sums may be taken in another order in another process)."""
    assert [row["id"] for row in left] == [row["id"] for row in right]
    for first, second in zip(left, right, strict=True):
        assert first.keys() == second.keys()
        for key, value in first.items():
            if isinstance(value, float):
                assert second[key] == pytest.approx(value, abs=1e-12), key
            else:
                assert second[key] == value, key


BASE = ["--field", "text=content", "--field", "outlet=source", "--keep", "rating",
        "--chunk-size", str(CHUNK), "--no-progress"]


def batch(home: Path, source: Path, out: Path, *extra: str) -> int:
    return main(["batch", str(source), "--out", str(out), "--home", str(home), *BASE, *extra])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "articles.jsonl", articles(18))


@pytest.fixture(scope="module")
def reference(model_home: Path, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus scored in this process (one worker): the rows every other run must match."""
    out = tmp_path_factory.mktemp("reference") / "scores.jsonl"
    assert batch(model_home, corpus, out, "--workers", "1") == 0
    return out


def test_batch_rows_are_the_score_responses_flattened(
    model_home: Path, corpus: Path, reference: Path
) -> None:
    rows = read_rows(reference)
    records = articles(18)
    assert [row["id"] for row in rows] == [record["id"] for record in records]
    model, manifest = Registry(model_home).load_active()
    for row, record in zip(rows, records, strict=True):
        response = score_payload(model, manifest, record["content"])
        meta = ArticleMeta(id=record["id"], outlet=record["source"], title=record["title"],
                           date=record["date"], kept={"rating": str(record["rating"])})
        same_rows([row], [json.loads(json.dumps(article_row(response, meta)))])
        assert row["status"] == "ok" and row["model_version"] == manifest.version
        assert row["cues"] == len(response.cues)
        assert sum(row[key] for key in row if key.startswith("cues_")) == len(response.cues)
    assert not partial_dir(reference).exists()


def test_batch_parquet_and_gzip_in_two_workers_match_one(
    model_home: Path, corpus: Path, reference: Path, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet_in = tmp_path / "articles.parquet"
    pq.write_table(pa.Table.from_pylist(articles(18)), parquet_in)
    parquet_out = tmp_path / "scores.parquet"
    assert batch(model_home, parquet_in, parquet_out, "--workers", "2") == 0
    same_rows(read_rows(parquet_out), read_rows(reference))

    gz_in = write_jsonl(tmp_path / "articles.jsonl.gz", articles(18), gz=True)
    gz_out = tmp_path / "scores.jsonl.gz"
    assert batch(model_home, gz_in, gz_out, "--workers", "2") == 0
    same_rows(read_rows(gz_out), read_rows(reference))


def test_batch_reports_unreadable_articles_as_error_rows(model_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "mixed.jsonl"
    good = articles(1)[0]
    source.write_text(
        json.dumps(good) + "\n"
        + "{not json\n"
        + json.dumps({"id": "empty", "content": "   "}) + "\n"
        + json.dumps({"id": "no-text", "body": "x"}) + "\n"
        + json.dumps({"id": 7, "content": ["a", "list"]}) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "scores.jsonl"
    assert batch(model_home, source, out) == 0
    rows = read_rows(out)
    assert [row["id"] for row in rows] == ["a000", "line-2", "empty", "no-text", "7"]
    assert [row["status"] for row in rows] == ["ok", "error", "error", "error", "error"]
    assert rows[1]["error"].startswith("line 2: not JSON")
    assert rows[2]["error"].startswith("nothing to score")
    assert rows[3]["error"] == "the text field 'content' is missing"
    assert rows[4]["error"] == "the text field 'content' is a list"


class InterruptingBackend:
    """Scores ``allowed`` chunks, then raises KeyboardInterrupt as Ctrl-C would."""

    workers = 1

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.scored: list[int] = []

    def map_unordered(self, tasks: Iterator[ChunkTask]) -> Iterator[ChunkResult]:
        for task in tasks:
            if len(self.scored) == self.allowed:
                raise KeyboardInterrupt
            self.scored.append(task.chunk.index)
            yield score_chunk(task)


def test_an_interrupted_run_resumes_without_scoring_twice_or_skipping(
    model_home: Path, corpus: Path, reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "scores.jsonl"
    model = ModelRef(str(model_home), Registry(model_home).active_version() or "")
    options = BatchOptions(corpus, out, FieldMap(text="content", outlet="source",
                                                 keep=("rating",)), chunk_size=CHUNK)
    first = InterruptingBackend(allowed=2)
    with pytest.raises(KeyboardInterrupt):
        run_batch(options, model, first)
    assert not out.exists()
    assert sorted(path.name for path in partial_dir(out).glob("part-*")) == [
        "part-000000.jsonl", "part-000001.jsonl",
    ]
    second = InterruptingBackend(allowed=100)
    summary = run_batch(options, model, second)
    assert second.scored == [2, 3, 4]  # 18 articles in chunks of 4: only the missing ones
    assert summary.skipped_chunks == 2 and summary.articles == 18 - 2 * CHUNK
    same_rows(read_rows(out), read_rows(reference))
    assert not partial_dir(out).exists()


def test_a_partial_run_with_other_options_is_refused_until_restarted(
    model_home: Path, corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "scores.jsonl"
    model = ModelRef(str(model_home), Registry(model_home).active_version() or "")
    options = BatchOptions(corpus, out, FieldMap(text="content"), chunk_size=CHUNK)
    with pytest.raises(KeyboardInterrupt):
        run_batch(options, model, InterruptingBackend(allowed=1))
    other = BatchOptions(corpus, out, FieldMap(text="content"), chunk_size=CHUNK + 1)
    with pytest.raises(BatchStateError, match="chunk_size"):
        run_batch(other, model, JoblibBackend(1))
    assert batch(model_home, corpus, out, "--chunk-size", "5") == 2  # the CLI: exit 2, no trace
    restarted = BatchOptions(corpus, out, FieldMap(text="content"), chunk_size=CHUNK + 1,
                             restart=True)
    assert run_batch(restarted, model, JoblibBackend(1)).articles == 18


def test_chunks_cut_the_input_by_position(corpus: Path) -> None:
    chunks = list(read_chunks(corpus, FieldMap(text="content"), 5))
    assert [(chunk.index, chunk.first_position, len(chunk)) for chunk in chunks] == [
        (0, 0, 5), (1, 5, 5), (2, 10, 5), (3, 15, 3),
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--field", "body=content"], "unknown field role(s) body"),
        (["--field", "text"], "expected ROLE=NAME"),
        (["--chunk-size", "0"], "at least 1"),
    ],
)
def test_batch_refuses_bad_options_with_a_message(
    model_home: Path, corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    extra: list[str], message: str,
) -> None:
    code = main(["batch", str(corpus), "--out", str(tmp_path / "o.jsonl"),
                 "--home", str(model_home), "--no-progress", *extra])
    assert code == 2
    assert message in capsys.readouterr().err


def test_parquet_input_without_the_text_column_is_refused(
    model_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": "1", "body": "text"}]), source)
    assert main(["batch", str(source), "--out", str(tmp_path / "o.parquet"),
                 "--home", str(model_home), "--no-progress"]) == 2
    assert "no column 'text' for the text; columns: body, id" in capsys.readouterr().err


@pytest.mark.slow
def test_sigint_then_resume_gives_every_id_exactly_once(
    model_home: Path, reference: Path, tmp_path: Path
) -> None:
    """A real Ctrl-C on a two-worker run, then the same command again."""
    records = [{**record, "id": f"{record['id']}-{copy}"}
               for copy in range(5) for record in articles(48)]
    source = write_jsonl(tmp_path / "articles.jsonl", records)
    out = tmp_path / "scores.jsonl"
    command = [sys.executable, "-m", "service", "batch", str(source), "--out", str(out),
               "--home", str(model_home), *BASE, "--chunk-size", "2", "--workers", "2"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(list(partial_dir(out).glob("part-*.jsonl"))) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "no part written"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, error = process.communicate(timeout=60)
    assert process.returncode == 130, error
    assert "run the same command again to resume" in error
    parts = list(partial_dir(out).glob("part-*.jsonl"))
    assert 2 <= len(parts) < len(records) // 2 and not out.exists()

    resumed = subprocess.run(command, stderr=subprocess.PIPE, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(parts)} chunks kept from an earlier run" in resumed.stderr
    ids = [row["id"] for row in read_rows(out)]
    assert ids == [record["id"] for record in records]
    assert len(set(ids)) == len(records)


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_joblib_rows(
    model_home: Path, corpus: Path, reference: Path, tmp_path: Path
) -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    out = tmp_path / "scores.parquet"
    assert batch(model_home, corpus, out, "--scheduler", "local", "--workers", "2") == 0
    same_rows(read_rows(out), read_rows(reference))


def test_the_core_works_without_the_optional_extras() -> None:
    """With dask, pandas, pyarrow and matplotlib unimportable, the core still imports and runs."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in EXTRAS: raise ImportError(f'blocked: {name}')\n"
        "EXTRAS = {'dask', 'distributed', 'pandas', 'pyarrow', 'matplotlib'}\n"
        "sys.meta_path.insert(0, Block())\n"
        "import service.cli, service.app, service.batch.runner, service.batch.reader, "
        "training.train\n"
        "from service.cli import build_parser\n"
        "build_parser().parse_args(['batch', 'in.jsonl', '--out', 'out.jsonl'])\n"
        "print(sorted(EXTRAS & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
