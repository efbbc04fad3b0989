"""``slant bench``: measured numbers, printed as a Markdown table and written as JSON.

Each task yields rows ``{"task", "metric", "value", "reference", "protocol", "model"}``. The
``speed`` task times the whole scoring path of ``POST /v1/score`` in-process (document, cues,
attributions, every model, explanations, response validation and JSON) on one core.
"""

from __future__ import annotations

import gzip
import json
import platform
import resource
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from service.registry import Manifest, ScoringModel
from service.scoring import score_payload

DEFAULT_CORPUS = Path("datasets/core")
WARMUP_ARTICLES = 5
TRANSFORMER_REFERENCE = "fine-tuned BERT-class models: hundreds of ms per article on a CPU"


def corpus_texts(path: Path, limit: int) -> list[str]:
    """Article texts from a native dataset (directory or JSONL: article-level examples only) or
    from a JSONL(.gz) corpus with a ``text`` or ``content`` field (AllSides' format)."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    texts: list[str] = []
    for file in files:
        for row in _jsonl_rows(file):
            if row.get("level", "article") != "article":
                continue
            text = row.get("text") or row.get("content")
            if isinstance(text, str) and text.strip():
                texts.append(text)
                if len(texts) == limit:
                    return texts
    return texts


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def speed_rows(
    model: ScoringModel, manifest: Manifest, texts: Sequence[str], corpus: str
) -> list[dict[str, Any]]:
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
        "articles_per_s": len(texts) / elapsed,
        "p50_ms": 1000 * _percentile(latencies, 0.5),
        "p99_ms": 1000 * _percentile(latencies, 0.99),
        "peak_rss_mb": peak_kb / 1024,
    }
    return [
        {"task": "speed", "metric": metric, "value": value,
         "reference": TRANSFORMER_REFERENCE if metric != "peak_rss_mb" else None,
         "protocol": protocol, "model": manifest.version}
        for metric, value in measured.items()
    ]


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


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    lines = ["| task | metric | value | reference | model |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['task']} | {row['metric']} | {row['value']:.3f} | {row['reference'] or ''} "
            f"| {row['model']} |"
        )
    return "\n".join(lines)
