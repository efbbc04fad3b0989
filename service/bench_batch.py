"""The ``batch`` benchmark: ``slant batch`` over AllSides, as a user runs it, in subprocesses.

Four runs of the same command on the same corpus: one joblib worker, two joblib workers, a
two-worker Dask ``LocalCluster``, and a two-worker run interrupted with SIGINT halfway and then
resumed. Throughput is articles over the wall time of the whole command (start-up, model loading
in every worker, reading, writing and the final merge included); memory is the peak of the summed
resident memory of the command and all its child processes, sampled every 0.1 s.
"""

from __future__ import annotations

import gzip
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from service.batch.output import partial_dir
from service.registry import Registry
from training.benchmarks import BenchRow, DataMissing
from training.model import SlantModel

CI_ARTICLES = 1_000  # the CI subset: the first articles of the file
CHUNK_SIZE = 64
SAMPLE_SECONDS = 0.1
BATCH_OPTIONS = ("--field", "text=content", "--field", "outlet=source", "--keep", "bias_text",
                 "--chunk-size", str(CHUNK_SIZE), "--no-progress")


class PeakMemory:
    """Samples the summed RSS of a process and its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        import psutil

        self._process = psutil.Process(pid)
        self._psutil = psutil
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                family = [self._process, *self._process.children(recursive=True)]
                total = 0
                for member in family:
                    try:
                        total += member.memory_info().rss
                    except self._psutil.Error:
                        continue  # a worker that just ended
                self.peak_bytes = max(self.peak_bytes, total)
            except self._psutil.Error:
                return
            self._stop.wait(SAMPLE_SECONDS)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_bytes / 2**20


def batch_command(home: Path, corpus: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "service", "batch", str(corpus), "--out", str(out),
            "--home", str(home), *BATCH_OPTIONS, *extra]


def timed_run(command: Sequence[str]) -> tuple[float, float]:
    """(wall seconds, peak MB of the process tree) of a command that must succeed."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    memory = PeakMemory(process.pid)
    _, error = process.communicate()
    seconds = time.perf_counter() - started
    peak = memory.stop()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {error[-2000:]}")
    return seconds, peak


def interrupted_and_resumed(command: Sequence[str], out: Path, chunks: int) -> dict[str, float]:
    """SIGINT once half the chunks are written, then the same command again."""
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    while len(list(partial_dir(out).glob("part-*"))) < chunks // 2:
        if process.poll() is not None:
            raise RuntimeError("the run ended before it could be interrupted")
        time.sleep(SAMPLE_SECONDS)
    process.send_signal(signal.SIGINT)
    _, error = process.communicate()
    if process.returncode != 130:
        raise RuntimeError(f"SIGINT gave exit {process.returncode}: {error[-2000:]}")
    kept = len(list(partial_dir(out).glob("part-*")))
    resumed = subprocess.run(command, stderr=subprocess.PIPE, text=True)
    if resumed.returncode != 0:
        raise RuntimeError(f"the resumed run failed: {resumed.stderr[-2000:]}")
    return {"chunks_kept_at_interrupt": float(kept), "chunks": float(chunks)}


def output_ids(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return [str(value) for value in pq.read_table(path, columns=["id"]).column("id").to_pylist()]


def input_ids(path: Path) -> list[str]:
    from service.bench import jsonl_rows  # bench imports this module when the task runs

    return [str(row["id"]) for row in jsonl_rows(path)]


def batch_rows(
    data_dir: Path, model: SlantModel, *, full: bool, log: Callable[[str], None] = print,
) -> list[BenchRow]:
    allsides = data_dir / "allsides" / "articles.jsonl.gz"
    if not allsides.exists():
        raise DataMissing(f"{allsides} is absent")
    try:
        import psutil  # noqa: F401  (memory sampling)
        import pyarrow  # noqa: F401  (Parquet output)
    except ImportError as error:
        raise DataMissing(f"{error.name} is not installed (pip install 'slant[dev]')") from None
    with tempfile.TemporaryDirectory(prefix="slant-bench-batch-") as scratch:
        work = Path(scratch)
        registry = Registry(work / "home")
        version = registry.save_model(model, [])
        registry.activate(version)
        corpus = allsides if full else _first_articles(allsides, work / "subset.jsonl.gz")
        ids = input_ids(corpus)
        articles = len(ids)
        chunks = -(-articles // CHUNK_SIZE)
        measured: dict[str, tuple[float, float]] = {}
        for name, extra in (("1 worker", ("--workers", "1")),
                            ("2 workers", ("--workers", "2")),
                            ("LocalCluster 2 workers",
                             ("--workers", "2", "--scheduler", "local"))):
            out = work / f"{name.replace(' ', '_')}.parquet"
            seconds, peak = timed_run(batch_command(work / "home", corpus, out, *extra))
            measured[name] = (articles / seconds, peak)
            log(f"batch {name}: {articles / seconds:.1f} articles/s, peak {peak:.0f} MB")
            if output_ids(out) != ids:
                raise RuntimeError(f"batch {name}: the output's ids are not the input's")
        out = work / "interrupted.parquet"
        resume = interrupted_and_resumed(
            batch_command(work / "home", corpus, out, "--workers", "2"), out, chunks
        )
        resumed_ids = output_ids(out)
    protocol = (
        f"slant batch over {articles} AllSides articles ({'all' if full else 'CI subset'}), "
        f"JSONL.gz in, Parquet out, chunks of {CHUNK_SIZE}; wall time of the whole command; "
        f"memory = peak summed RSS of the command and its workers"
    )
    one, two = measured["1 worker"][0], measured["2 workers"][0]
    dask = measured["LocalCluster 2 workers"][0]
    values = [
        ("articles_per_s_1_worker", one, ""),
        ("articles_per_s_2_workers", two, ""),
        ("scaling_1_to_2", two / (2 * one), "bar >= 0.90 (of linear)"),
        ("peak_mb_1_worker", measured["1 worker"][1], ""),
        ("peak_mb_2_workers", measured["2 workers"][1], "bar < 1024 MB in total"),
        ("articles_per_s_localcluster_2", dask, ""),
        ("localcluster_vs_joblib", dask / two, "bar >= 0.75 (within 25%)"),
        ("peak_mb_localcluster_2", measured["LocalCluster 2 workers"][1],
         "scheduler and nanny processes included"),
        ("resume_chunks_kept", resume["chunks_kept_at_interrupt"],
         f"of {chunks} chunks, SIGINT at half"),
        ("resume_ids_exactly_once", float(resumed_ids == ids and len(set(resumed_ids)) == len(ids)),
         "1 = every input id once, in input order"),
    ]
    return [
        BenchRow(task="batch", metric=metric, value=value, reference=reference,
                 protocol=protocol, model="default")
        for metric, value, reference in values
    ]


def _first_articles(source: Path, target: Path) -> Path:
    with gzip.open(source, "rt", encoding="utf-8") as reader, \
            gzip.open(target, "wt", encoding="utf-8") as writer:
        for count, line in enumerate(reader):
            if count == CI_ARTICLES:
                break
            writer.write(line)
    return target
