"""Writing a batch run: one part file per chunk, merged into the output when every chunk is in.

Resuming rests on two facts. A part is written to a temporary name and renamed, so a part file
that exists is complete; and chunks are cut from the input by position, so the chunk a part file
names holds the same articles in every run. An interrupted run leaves ``OUTPUT.partial/`` with
its parts and ``state.json`` (the input's identity and every option that changes a row); the
next run with the same options scores only the chunks that have no part, then merges all parts
in chunk order. Nothing is scored twice, nothing is skipped.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from service.batch.rows import COUNT_COLUMNS, DIMENSIONS, META_FIELDS, STANCES, dimension_column

if TYPE_CHECKING:
    import pyarrow as pa

OutputFormat = Literal["jsonl", "jsonl.gz", "parquet"]
STATE_FILE = "state.json"
PART_DIGITS = 6


class BatchStateError(RuntimeError):
    """The partial output belongs to another run (other input, model or options)."""


def output_format(path: Path) -> OutputFormat:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".jsonl.gz"):
        return "jsonl.gz"
    if name.endswith(".jsonl"):
        return "jsonl"
    raise ValueError(f"{path}: unknown output format; use .jsonl, .jsonl.gz or .parquet")


def partial_dir(output: Path) -> Path:
    return output.with_name(output.name + ".partial")


@dataclass
class RunOutput:
    """The part files of one run and the merge into the final output."""

    output: Path
    state: dict[str, Any]
    kept: tuple[str, ...] = ()
    full: bool = False

    @property
    def format(self) -> OutputFormat:
        return output_format(self.output)

    @property
    def directory(self) -> Path:
        return partial_dir(self.output)

    def open(self, *, restart: bool = False) -> set[int]:
        """Create or resume the run; returns the chunk indexes already written."""
        directory = self.directory
        if restart and directory.exists():
            shutil.rmtree(directory)
        state_path = directory / STATE_FILE
        if state_path.exists():
            recorded = json.loads(state_path.read_text(encoding="utf-8"))
            differences = sorted(
                key for key in set(recorded) | set(self.state)
                if recorded.get(key) != self.state.get(key)
            )
            if differences:
                raise BatchStateError(
                    f"{directory} was left by a run with other {', '.join(differences)}; "
                    "run with --restart to discard it, or with that run's options to resume it"
                )
            return self.done_chunks()
        directory.mkdir(parents=True, exist_ok=True)
        _write_atomically(state_path, json.dumps(self.state, indent=2).encode("utf-8"))
        return set()

    def done_chunks(self) -> set[int]:
        suffix = self._part_suffix()
        return {
            int(path.name[len("part-"):-len(suffix)])
            for path in self.directory.glob(f"part-*{suffix}")
        }

    def _part_suffix(self) -> str:
        return ".parquet" if self.format == "parquet" else ".jsonl"

    def part_path(self, index: int) -> Path:
        return self.directory / f"part-{index:0{PART_DIGITS}d}{self._part_suffix()}"

    def write_part(self, index: int, rows: Sequence[dict[str, Any]]) -> None:
        path = self.part_path(index)
        if self.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pylist(list(rows), schema=self.schema())
            temporary = path.with_name(path.name + ".tmp")
            pq.write_table(table, temporary)
            _sync_and_replace(temporary, path)
        else:
            lines = b"".join(
                json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n" for row in rows
            )
            _write_atomically(path, lines)

    def merge(self, chunk_count: int) -> None:
        """Concatenate the parts in chunk order into the output, then drop the partial folder."""
        missing = sorted(set(range(chunk_count)) - self.done_chunks())
        if missing:
            raise BatchStateError(f"cannot merge: chunks {missing[:10]} have no part yet")
        parts = [self.part_path(index) for index in range(chunk_count)]
        temporary = self.output.with_name(self.output.name + ".tmp")
        if self.format == "parquet":
            self._merge_parquet(parts, temporary)
        else:
            self._merge_jsonl(parts, temporary)
        _sync_and_replace(temporary, self.output)
        shutil.rmtree(self.directory)

    def _merge_jsonl(self, parts: Iterable[Path], target: Path) -> None:
        opener = gzip.open if self.format == "jsonl.gz" else open
        with opener(target, "wb") as sink:
            for part in parts:
                with part.open("rb") as source:
                    shutil.copyfileobj(source, sink)

    def _merge_parquet(self, parts: Iterable[Path], target: Path) -> None:
        import pyarrow.parquet as pq

        with pq.ParquetWriter(target, self.schema()) as writer:
            for part in parts:  # one part in memory at a time
                writer.write_table(pq.read_table(part, schema=self.schema()))

    def schema(self) -> pa.Schema:
        return parquet_schema(self.kept, full=self.full)


def parquet_schema(kept: Sequence[str] = (), *, full: bool = False) -> pa.Schema:
    """The one schema of every row (``service.batch.rows``), so parts can be streamed together."""
    import pyarrow as pa

    text, number, count = pa.string(), pa.float64(), pa.int64()
    columns: list[tuple[str, pa.DataType]] = [
        *((name, text) for name in META_FIELDS),
        *((name, text) for name in kept),
        ("status", text), ("error", text), ("model_version", text), ("label", text),
        ("framing", number),
        *((dimension_column(name), number) for name in DIMENSIONS),
        ("sentence_bias_mean", number), ("sentence_bias_max", number),
        ("source_asymmetry", number),
        *((name, count) for name in COUNT_COLUMNS),
        ("leaning_label", text),
        ("leaning_probabilities",
         pa.list_(pa.struct([("label", text), ("probability", number)]))),
        ("cue_terms", pa.list_(pa.struct(
            [("term", text), ("category", text), ("voice", text), ("count", count)]))),
        ("reporting", pa.list_(pa.struct(
            [("source_kind", text), ("verb", text), ("stance", text), ("count", count)]))),
        ("sources", pa.list_(pa.struct(
            [("name", text), ("kind", text), ("mentions", count),
             *((stance, count) for stance in STANCES)]))),
    ]
    if full:
        columns.append(("result", text))
    return pa.schema(columns)


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def _sync_and_replace(temporary: Path, path: Path) -> None:
    with temporary.open("rb") as stream:
        os.fsync(stream.fileno())
    os.replace(temporary, path)
