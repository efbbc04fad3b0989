"""``slant bench``: measured numbers, printed as a Markdown table and written as JSON.

Each task yields rows ``{"task", "metric", "value", "reference", "protocol", "model"}``. The
accuracy tasks live in ``training/benchmarks``; ``batch`` (``service.bench_batch``) runs
``slant batch`` as a user does; the ``speed`` task lives here because it times
the whole scoring path of ``POST /v1/score`` in-process (document, cues, attributions, every
model, explanations, response validation and JSON) on one core.
"""

from __future__ import annotations

import gzip
import json
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from service.registry import Manifest, ScoringModel
from service.scoring import freeze_loaded_objects, score_payload
from training.benchmarks import BenchContext, BenchRow, DataMissing, load_tasks
from training.model import SlantModel

DEFAULT_CORPUS = Path("datasets/core")
SPEED_ARTICLES = 500
WARMUP_ARTICLES = 5
TRANSFORMER_REFERENCE = "fine-tuned BERT-class models: hundreds of ms per article on a CPU"


def corpus_texts(path: Path, limit: int) -> list[str]:
    """Article texts from a native dataset (directory or JSONL: article-level examples only) or
    from a JSONL(.gz) corpus with a ``text`` or ``content`` field (AllSides' format)."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    texts: list[str] = []
    for file in files:
        for row in jsonl_rows(file):
            if row.get("level", "article") != "article":
                continue
            text = row.get("text") or row.get("content")
            if isinstance(text, str) and text.strip():
                texts.append(text)
                if len(texts) == limit:
                    return texts
    return texts


def jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def speed_rows(
    model: ScoringModel, manifest: Manifest, texts: Sequence[str], corpus: str, model_name: str
) -> list[BenchRow]:
    """Articles per second, p50/p99 latency and peak RSS of the full scoring path, one core."""
    if not texts:
        raise ValueError(f"no article texts in {corpus}")
    words = statistics.median(len(text.split()) for text in texts)
    latencies: list[float] = []
    with threadpool_limits(limits=1):
        for text in texts[:WARMUP_ARTICLES]:
            score_payload(model, manifest, text).model_dump_json()
        started = time.perf_counter()
        for text in texts:
            begin = time.perf_counter()
            score_payload(model, manifest, text).model_dump_json()
            latencies.append(time.perf_counter() - begin)
        elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    protocol = (
        f"score_payload + JSON, in-process, one core, {len(texts)} articles from {corpus} "
        f"(median {words:.0f} words), after {WARMUP_ARTICLES} warm-up articles"
    )
    measured = {
        "articles_per_s": (len(texts) / elapsed, "bar >= 150; " + TRANSFORMER_REFERENCE),
        "p50_ms": (1000 * _percentile(latencies, 0.5), TRANSFORMER_REFERENCE),
        "p99_ms": (1000 * _percentile(latencies, 0.99), TRANSFORMER_REFERENCE),
        # ru_maxrss is the process's lifetime peak: alone (`--only speed`) it is the scorer's
        # footprint; after other tasks it includes theirs.
        "peak_rss_mb": (peak_kb / 1024, "peak of the whole bench process; run --only speed alone"),
    }
    return [
        BenchRow(task="speed", metric=metric, value=value, reference=reference,
                 protocol=protocol, model=model_name)
        for metric, (value, reference) in measured.items()
    ]


def in_memory_manifest(model: SlantModel, name: str) -> Manifest:
    """A manifest for a model that was fitted here and never saved (the benchmark's own)."""
    return Manifest(
        version=name, created="", trained_on=list(model.trained_on), data=[],
        metrics=dict(model.metrics), lexicon_version=model.lexicon_version, libraries={},
        artifact_sha256="",
    )


def run_benchmarks(
    *, data_dir: Path, only: Sequence[str] = (), full: bool = False,
    speed_corpus: Path | None = None, log: Callable[[str], None] = print,
) -> list[BenchRow]:
    """Every registered task (or those in ``only``), then ``batch`` and ``speed``; skipped tasks
    are logged."""
    tasks = load_tasks()
    known = [*tasks, "batch", "speed"]
    unknown = [name for name in only if name not in known]
    if unknown:
        raise ValueError(f"unknown task(s) {', '.join(unknown)}; known: {', '.join(known)}")
    default_model = shipped_default_model()
    freeze_loaded_objects()  # as the service does once its model is loaded
    context = BenchContext(data_dir=data_dir, default_model=default_model, full=full)
    rows: list[BenchRow] = []
    for name, run in tasks.items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        try:
            rows.extend(run(context))
        except DataMissing as missing:
            log(f"skipped {name}: {missing}")
            continue
        log(f"{name}: {time.perf_counter() - started:.0f} s")
    if not only or "batch" in only:
        from service.bench_batch import batch_rows

        started = time.perf_counter()
        try:
            rows.extend(batch_rows(data_dir, default_model, full=full, log=log))
            log(f"batch: {time.perf_counter() - started:.0f} s")
        except DataMissing as missing:
            log(f"skipped batch: {missing}")
    if not only or "speed" in only:
        corpus = speed_corpus or _default_speed_corpus(data_dir)
        texts = corpus_texts(corpus, SPEED_ARTICLES)
        manifest = in_memory_manifest(default_model, "default")
        rows.extend(speed_rows(default_model, manifest, texts, str(corpus), "default"))
    return rows


def shipped_default_model() -> SlantModel:
    """The model ``make serve`` trains on a fresh machine: ``datasets/core`` without the quality
    gate's seeded hold-out (``slant train`` fits the first version that way too, so that later
    versions are compared with it fairly)."""
    from training.gate import build_split, fit_candidate
    from training.train import collect_examples

    split = build_split(collect_examples([DEFAULT_CORPUS]))
    model = fit_candidate(split).model
    model.trained_on = (str(DEFAULT_CORPUS),)
    return model


def _default_speed_corpus(data_dir: Path) -> Path:
    allsides = data_dir / "allsides" / "articles.jsonl.gz"
    return allsides if allsides.exists() else DEFAULT_CORPUS


def environment() -> dict[str, Any]:
    import numpy
    import sklearn

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
    }


def markdown_table(rows: Sequence[BenchRow]) -> str:
    lines = ["| task | metric | value | reference | model |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row.task} | {row.metric} | {row.value:.3f} | {row.reference or ''} "
            f"| {row.model} |"
        )
    return "\n".join(lines)


def report(rows: Sequence[BenchRow]) -> dict[str, Any]:
    return {"rows": [row.to_dict() for row in rows], "environment": environment()}
