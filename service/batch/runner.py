"""A batch run: chunks of the input scored in worker processes, written as they finish.

The scoring function (``score_chunk``) is the same on every backend: joblib's process pool on
one machine, or a Dask cluster (``service.batch.dask_backend``). Each worker process loads the
model once, by registry and version, and keeps it for every chunk it is given; the driving
process only reads raw input, hands out chunks, and writes parts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from threadpoolctl import threadpool_limits

from service.batch.output import RunOutput
from service.batch.reader import (
    Chunk,
    FieldMap,
    count_articles,
    input_format,
    parse_item,
    read_chunks,
)
from service.batch.rows import article_row, error_row
from service.registry import Manifest, Registry, ScoringModel
from service.scoring import freeze_loaded_objects, score_payload
from training.errors import NothingToScore

DEFAULT_CHUNK_SIZE = 64

_loaded: dict[tuple[str, str], tuple[ScoringModel, Manifest]] = {}


@dataclass(frozen=True)
class ModelRef:
    """A model as workers find it: the registry directory and the version (never "active",
    which could change during a run)."""

    home: str
    version: str


@dataclass(frozen=True)
class ChunkTask:
    model: ModelRef
    chunk: Chunk
    fields: FieldMap
    html: bool = False
    full: bool = False


@dataclass(frozen=True)
class ChunkResult:
    index: int
    rows: list[dict[str, Any]]
    errors: int
    seconds: float


def worker_model(ref: ModelRef) -> tuple[ScoringModel, Manifest]:
    """The model of this process, loaded (and its sha256 checked) on first use only."""
    key = (ref.home, ref.version)
    if key not in _loaded:
        _loaded[key] = Registry(Path(ref.home)).load(ref.version)
        freeze_loaded_objects()
    return _loaded[key]


def score_chunk(task: ChunkTask) -> ChunkResult:
    """Score every article of a chunk; an article that cannot be scored becomes an error row."""
    started = time.perf_counter()
    model, manifest = worker_model(task.model)
    rows: list[dict[str, Any]] = []
    errors = 0
    for offset, item in enumerate(task.chunk.items):
        meta, text, problem = parse_item(item, task.chunk.first_position + offset, task.fields)
        if text is not None:
            try:
                response = score_payload(model, manifest, text, html=task.html)
            except NothingToScore as error:
                problem = f"nothing to score: {error}"
            else:
                rows.append(article_row(response, meta, full=task.full))
                continue
        rows.append(error_row(meta, problem, manifest.version))
        errors += 1
    return ChunkResult(task.chunk.index, rows, errors, time.perf_counter() - started)


class Backend(Protocol):
    """Runs ``score_chunk`` over tasks, yielding results as they finish (any order)."""

    workers: int

    def map_unordered(self, tasks: Iterator[ChunkTask]) -> Iterator[ChunkResult]: ...


@dataclass
class JoblibBackend:
    """joblib's process pool (loky); at most two chunks per worker are queued at a time, so
    memory stays bounded whatever the input's size."""

    workers: int

    def map_unordered(self, tasks: Iterator[ChunkTask]) -> Iterator[ChunkResult]:
        if self.workers == 1:  # in this process: no pool to start, nothing to pickle
            # one worker is one core, as in loky's workers (which limit BLAS threads the same way)
            with threadpool_limits(limits=1):
                yield from map(score_chunk, tasks)
            return
        from joblib import Parallel, delayed

        parallel = Parallel(
            n_jobs=self.workers, return_as="generator_unordered",
            pre_dispatch="2*n_jobs", batch_size=1,
        )
        yield from parallel(delayed(score_chunk)(task) for task in tasks)


@dataclass(frozen=True)
class BatchOptions:
    input: Path
    output: Path
    fields: FieldMap = field(default_factory=FieldMap)
    chunk_size: int = DEFAULT_CHUNK_SIZE
    html: bool = False
    full: bool = False
    restart: bool = False


@dataclass(frozen=True)
class BatchSummary:
    articles: int  # scored in this run (error rows included)
    errors: int
    skipped_chunks: int  # already written by an interrupted run
    chunks: int
    seconds: float
    output: Path

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int, int], None]  # (articles done so far in this run, articles to do)


def run_batch(
    options: BatchOptions,
    model: ModelRef,
    backend: Backend,
    *,
    progress: Progress | None = None,
) -> BatchSummary:
    """Score the input into the output, resuming an interrupted run with the same options."""
    started = time.perf_counter()
    total = count_articles(options.input)
    chunks = -(-total // options.chunk_size)
    run = RunOutput(
        options.output, run_state(options, model, total),
        kept=options.fields.keep, full=options.full,
    )
    done = run.open(restart=options.restart)
    remaining = total - sum(
        min(options.chunk_size, total - index * options.chunk_size) for index in done
    )
    tasks = (
        ChunkTask(model, chunk, options.fields, options.html, options.full)
        for chunk in read_chunks(options.input, options.fields, options.chunk_size)
        if chunk.index not in done
    )
    scored = errors = 0
    if progress is not None:
        progress(0, remaining)
    for result in backend.map_unordered(tasks):
        run.write_part(result.index, result.rows)
        scored += len(result.rows)
        errors += result.errors
        if progress is not None:
            progress(scored, remaining)
    run.merge(chunks)
    return BatchSummary(
        articles=scored, errors=errors, skipped_chunks=len(done), chunks=chunks,
        seconds=time.perf_counter() - started, output=options.output,
    )


def run_state(options: BatchOptions, model: ModelRef, total: int) -> dict[str, Any]:
    """Everything that decides a run's rows: a partial output is resumed only if all match."""
    stat = options.input.stat()
    return {
        "input": str(options.input.resolve()),
        "input_format": input_format(options.input),
        "input_bytes": stat.st_size,
        "input_modified_ns": stat.st_mtime_ns,
        "articles": total,
        "fields": options.fields.as_dict(),
        "chunk_size": options.chunk_size,
        "html": options.html,
        "full": options.full,
        "model_version": model.version,
    }


def default_workers() -> int:
    """Every core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
