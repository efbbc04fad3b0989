"""Reading a corpus in chunks: JSONL, JSONL.gz or Parquet, with a mapping of field names.

The reader does as little as it can in the driving process: JSONL lines travel to the workers
as raw bytes and are parsed there, Parquet rows as plain dicts of the mapped columns. Positions
(0-based, in input order) decide which chunk an article belongs to, so a resumed run cuts the
input exactly as the interrupted one did.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from service.batch.rows import ArticleMeta

InputFormat = Literal["jsonl", "jsonl.gz", "parquet"]
ROLES: tuple[str, ...] = ("text", "id", "outlet", "title", "date", "topic")
PARQUET_BATCH_ROWS = 1024


class BatchInputError(ValueError):
    """The input cannot be read as asked (unknown format, missing file, unknown column)."""


@dataclass(frozen=True)
class FieldMap:
    """Which input field plays which role; ``keep`` names fields copied to the output as-is."""

    text: str = "text"
    id: str = "id"
    outlet: str = "outlet"
    title: str = "title"
    date: str = "date"
    topic: str = "topic"
    keep: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, mapping: Mapping[str, str], keep: tuple[str, ...] = ()) -> FieldMap:
        unknown = sorted(set(mapping) - set(ROLES))
        if unknown:
            raise BatchInputError(
                f"unknown field role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}"
            )
        clashes = sorted(set(keep) & {mapping.get(role, role) for role in ROLES})
        if clashes:
            raise BatchInputError(f"--keep {', '.join(clashes)}: already mapped to a role")
        return cls(**dict(mapping), keep=tuple(keep))

    def as_dict(self) -> dict[str, Any]:
        return {**{role: getattr(self, role) for role in ROLES}, "keep": list(self.keep)}

    def columns(self) -> list[str]:
        return [*(getattr(self, role) for role in ROLES), *self.keep]


@dataclass(frozen=True)
class Chunk:
    """Consecutive articles of the input: raw JSONL lines or Parquet records, not yet parsed."""

    index: int
    first_position: int
    items: list[Any] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)


def input_format(path: Path) -> InputFormat:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonl.gz", ".json.gz", ".ndjson.gz")):
        return "jsonl.gz"
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    raise BatchInputError(f"{path}: unknown input format; use .jsonl, .jsonl.gz or .parquet")


def count_articles(path: Path) -> int:
    """How many articles the input holds (non-blank lines; Parquet from its metadata)."""
    kind = input_format(path)
    if kind == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    return sum(1 for _ in _jsonl_lines(path, kind))


def read_chunks(path: Path, fields: FieldMap, size: int) -> Iterator[Chunk]:
    """The input cut into chunks of ``size`` articles, in order (the last may be shorter)."""
    if size < 1:
        raise BatchInputError("the chunk size must be at least 1")
    kind = input_format(path)
    items: Iterator[Any] = (
        _parquet_records(path, fields) if kind == "parquet" else _jsonl_lines(path, kind)
    )
    buffer: list[Any] = []
    index = position = 0
    for item in items:
        buffer.append(item)
        if len(buffer) == size:
            yield Chunk(index, position, buffer)
            index, position, buffer = index + 1, position + size, []
    if buffer:
        yield Chunk(index, position, buffer)


def parse_item(item: Any, position: int, fields: FieldMap) -> tuple[ArticleMeta, str | None, str]:
    """(meta, text or None, problem) of one input item; a problem is "" when there is none.

    An item that cannot be read still has a meta (its id, or ``line-N`` when it has none), so it
    is reported as an error row instead of disappearing from the output.
    """
    fallback_id = f"line-{position + 1}"
    record = item
    if isinstance(item, bytes):
        try:
            record = json.loads(item)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return ArticleMeta(id=fallback_id), None, f"line {position + 1}: not JSON ({error})"
    if not isinstance(record, dict):
        return ArticleMeta(id=fallback_id), None, f"line {position + 1}: not a JSON object"
    raw_id = record.get(fields.id)
    meta = ArticleMeta(
        id=fallback_id if raw_id is None else str(raw_id),
        outlet=_optional_text(record.get(fields.outlet)),
        title=_optional_text(record.get(fields.title)),
        date=_optional_text(record.get(fields.date)),
        topic=_optional_text(record.get(fields.topic)),
        kept={name: _kept_value(record.get(name)) for name in fields.keep},
    )
    text = record.get(fields.text)
    if not isinstance(text, str):
        found = "missing" if text is None else f"a {type(text).__name__}"
        return meta, None, f"the text field {fields.text!r} is {found}"
    return meta, text, ""


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _kept_value(value: Any) -> str | None:
    """Kept fields are stored as text, so every part of a run has the same column types."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _jsonl_lines(path: Path, kind: InputFormat) -> Iterator[bytes]:
    try:
        with gzip.open(path, "rb") if kind == "jsonl.gz" else path.open("rb") as stream:
            for line in stream:
                if line.strip():
                    yield line
    except OSError as error:  # gzip raises BadGzipFile (an OSError) while reading
        raise BatchInputError(f"cannot read {path}: {error}") from None


def _parquet_records(path: Path, fields: FieldMap) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
    except OSError as error:
        raise BatchInputError(f"cannot read {path} as Parquet: {error}") from None
    present = set(source.schema_arrow.names)
    if fields.text not in present:
        raise BatchInputError(
            f"{path} has no column {fields.text!r} for the text; "
            f"columns: {', '.join(sorted(present))}"
        )
    missing_kept = [name for name in fields.keep if name not in present]
    if missing_kept:
        raise BatchInputError(f"{path} has no column(s) {', '.join(missing_kept)} to keep")
    columns = [name for name in dict.fromkeys(fields.columns()) if name in present]
    for batch in source.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
        yield from batch.to_pylist()
