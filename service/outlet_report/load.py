"""Reading the rows of ``slant batch`` into compact tables, chunk by chunk.

A scores file can hold tens of thousands of articles and, with ``--full-result``, the whole
response of each (about 100 kB of JSON an article). Only the columns the report uses are kept:
the flat numbers and metadata in one frame (one row per article), and the nested ``cue_terms``
and ``reporting`` records flattened into long frames keyed by the article's row number. The full
responses are read again later, for the few articles the report shows (``read_results``).

JSONL (optionally gzip-compressed) and Parquet give the same frames: strings stay strings (no
type guessing), numbers become float64, and JSON floats are parsed exactly.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from service.batch.rows import COUNT_COLUMNS, META_FIELDS, SCORE_COLUMNS

TEXT_COLUMNS: tuple[str, ...] = (
    *META_FIELDS, "status", "error", "model_version", "label", "leaning_label",
)
NUMBER_COLUMNS: tuple[str, ...] = (*SCORE_COLUMNS, *COUNT_COLUMNS)
TERM_FIELDS: tuple[str, ...] = ("term", "category", "voice", "count")
REPORTING_FIELDS: tuple[str, ...] = ("source_kind", "verb", "stance", "count")
RESULT_COLUMN = "result"
ROW = "row"  # the article's position in the scores file: ids are the user's and may repeat

GROUPINGS: tuple[str, ...] = ("outlet", "topic", "month")
NONE_KEY = "(none)"  # the group of articles without the grouping field
UNKNOWN_MONTH = "unknown"  # the month of a date that cannot be parsed
# A chunk of JSONL rows is parsed whole, ``result`` included: 500 full rows are about 50 MB.
CHUNK_ROWS = 500
_ISO_MONTH = re.compile(r"\s*(\d{4})-(\d{1,2})\b")
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class Scores:
    """The report's view of a scores file."""

    path: Path
    articles: pd.DataFrame  # one row per article: ROW, text and number columns, group keys
    terms: pd.DataFrame  # ROW + TERM_FIELDS, one row per (article, term, category, voice)
    reporting: pd.DataFrame  # ROW + REPORTING_FIELDS
    has_result: bool  # the rows carry the full response (``slant batch --full-result``)


def load_scores(
    path: Path, by: Sequence[str], *, leaning_column: str | None = None,
) -> Scores:
    """Read ``path`` (.jsonl, .jsonl.gz or .parquet) and add one key column per ``by`` value."""
    text_columns = (*TEXT_COLUMNS, *([leaning_column] if leaning_column else []))
    wanted = (*text_columns, *NUMBER_COLUMNS, "cue_terms", "reporting")
    articles: list[pd.DataFrame] = []
    terms: list[pd.DataFrame] = []
    reporting: list[pd.DataFrame] = []
    seen_columns: set[str] = set()
    first_row = 0
    for file_columns, chunk in _read_chunks(path, wanted):
        seen_columns.update(file_columns)
        rows = np.arange(first_row, first_row + len(chunk))
        first_row += len(chunk)
        articles.append(_flat_columns(chunk, rows, text_columns))
        terms.append(_records(chunk, "cue_terms", rows, TERM_FIELDS))
        reporting.append(_records(chunk, "reporting", rows, REPORTING_FIELDS))
    if leaning_column and leaning_column not in seen_columns:
        raise ValueError(f"the leaning column {leaning_column!r} is not in {path}")
    frame = (
        pd.concat(articles, ignore_index=True) if articles
        else _flat_columns(pd.DataFrame(), np.arange(0), text_columns)
    )
    for key in by:
        frame[key] = group_key(frame, key)
    return Scores(
        path=path,
        articles=frame,
        terms=_concat(terms, TERM_FIELDS),
        reporting=_concat(reporting, REPORTING_FIELDS),
        has_result=RESULT_COLUMN in seen_columns,
    )


def read_results(path: Path, rows: Iterable[int]) -> dict[int, str]:
    """The full responses (JSON text) of the given rows, skipping rows that have none."""
    wanted = set(rows)
    results: dict[int, str] = {}
    first_row = 0
    for _, chunk in _read_chunks(path, (RESULT_COLUMN,)):
        if RESULT_COLUMN in chunk.columns:
            for offset, value in enumerate(chunk[RESULT_COLUMN].tolist()):
                if first_row + offset in wanted and isinstance(value, str):
                    results[first_row + offset] = value
        first_row += len(chunk)
    return results


def group_key(articles: pd.DataFrame, grouping: str) -> pd.Series:
    """The group of each article: the field's text, its month for ``month``, or ``NONE_KEY``."""
    values = articles["date" if grouping == "month" else grouping]
    blank = values.isna() | (values.astype(str).str.strip() == "")
    if grouping == "month":
        months = {date: month_of(date) for date in values[~blank].unique()}
        values = values.map(months)
    return values.where(~blank, NONE_KEY).astype(object)


def month_of(date: str) -> str:
    """``YYYY-MM`` of a date as written (ISO dates keep their own month, whatever the zone)."""
    match = _ISO_MONTH.match(date)
    if match and 1 <= int(match[2]) <= 12:
        return f"{match[1]}-{int(match[2]):02d}"
    if not _YEAR.search(date):  # the date parser would fill a missing year with this year's
        return UNKNOWN_MONTH
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format": each value is parsed alone
        try:
            parsed = pd.to_datetime(date)
        except (ValueError, OverflowError, TypeError):
            return UNKNOWN_MONTH
    if pd.isna(parsed):
        return UNKNOWN_MONTH
    return f"{parsed.year:04d}-{parsed.month:02d}"


def _read_chunks(
    path: Path, columns: Sequence[str],
) -> Iterator[tuple[list[str], pd.DataFrame]]:
    """The columns each chunk of the file has, and the chunk cut to the wanted ones it has."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        parquet = pq.ParquetFile(path)
        names = list(parquet.schema_arrow.names)
        present = [column for column in columns if column in names]
        for batch in parquet.iter_batches(batch_size=CHUNK_ROWS, columns=present):
            yield names, batch.to_pandas()
    elif name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
        # dtype=False keeps ids and outlet names as written ("007" is not 7)
        with pd.read_json(
            path, lines=True, chunksize=CHUNK_ROWS, dtype=False, precise_float=True,
            compression="infer",
        ) as reader:
            for chunk in reader:
                names = list(chunk.columns)
                yield names, chunk[[column for column in columns if column in names]]
    else:
        raise ValueError(
            f"cannot read scores from {path.name}: expected .jsonl, .jsonl.gz or .parquet"
        )


def _flat_columns(
    chunk: pd.DataFrame, rows: np.ndarray, text_columns: Sequence[str],
) -> pd.DataFrame:
    """Every text column as Python strings or None, every number column as float64."""
    data: dict[str, Any] = {ROW: rows}
    for column in text_columns:
        values = chunk[column].tolist() if column in chunk.columns else [None] * len(rows)
        data[column] = pd.Series([_text(value) for value in values], dtype=object)
    for column in NUMBER_COLUMNS:
        data[column] = (
            pd.to_numeric(chunk[column], errors="coerce").astype("float64").to_numpy()
            if column in chunk.columns else np.full(len(rows), np.nan)
        )
    return pd.DataFrame(data)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value if isinstance(value, str) else str(value)


def _records(
    chunk: pd.DataFrame, column: str, rows: np.ndarray, fields: Sequence[str],
) -> pd.DataFrame:
    """One row per record of a nested column (a list in JSONL, an array in Parquet), by ROW.

    Texts are stored as pandas strings, not Python objects: a corpus has hundreds of thousands
    of records, and this keeps them compact from the first chunk on.
    """
    if column not in chunk.columns:
        return _empty_records(fields)
    cells = pd.Series(chunk[column].to_numpy(), index=rows)
    records = cells.explode().dropna()  # an empty list, null or NaN (an error row) has none
    frame = pd.DataFrame.from_records(records.tolist(), columns=list(fields))
    frame.insert(0, ROW, records.index.to_numpy(dtype="int64"))
    return _typed_records(frame, fields)


def _concat(frames: list[pd.DataFrame], fields: Sequence[str]) -> pd.DataFrame:
    frames = [frame for frame in frames if not frame.empty]
    return pd.concat(frames, ignore_index=True) if frames else _empty_records(fields)


def _empty_records(fields: Sequence[str]) -> pd.DataFrame:
    return _typed_records(pd.DataFrame({ROW: [], **{field: [] for field in fields}}), fields)


def _typed_records(frame: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    for field in fields:
        if field == "count":
            frame[field] = pd.to_numeric(frame[field], errors="coerce").fillna(0).astype("int64")
        else:
            frame[field] = frame[field].astype(pd.StringDtype())
    frame[ROW] = frame[ROW].astype("int64")
    return frame
