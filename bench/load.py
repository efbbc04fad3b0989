"""Load and soak test of ``slant serve --workers 2`` on loopback.

Prepares a registry with two model versions, starts the service in a subprocess, then measures:

- levels: for each concurrency, that many clients send ``POST /v1/score`` back to back with
  articles near the median length; p50/p99 latency, requests/s, errors;
- soak: 8 clients for a long run, the summed RSS of the server's processes sampled at an
  interval, and a model activation through the API at the middle of it.

It prints a Markdown table and writes JSON. The exit status is non-zero only when the harness
fails (the server does not start, a request to prepare fails); missed bars are reported, not fatal.

The clients are threads with one keep-alive ``httpx.Client`` each, in this process, on the same
machine as the server: their CPU use is measured and reported next to the server's so the reader
can tell how much of the machine the load generator took.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
CORE_DATASET = REPO / "datasets" / "core"
ALLSIDES = REPO.parent / "shared" / "data" / "allsides" / "articles.jsonl.gz"
WORKERS = 2
ARTICLES = 50  # several texts, so that the numbers are not those of one article's quirks
# AllSides rows are ordered by a random id, so its first rows are a fair sample of lengths.
LENGTH_SAMPLE = 5000
# Requests ending this close to the activation are "around it": each scoring process loads the
# new version when its first request for it comes, which takes a second or two.
ACTIVATION_WINDOW_SECONDS = 10.0
SLOPE_BAR_MB_PER_MIN = 1.0  # "no growth trend": under 60 MB an hour
P99_BAR_MS = 100.0
# The response starts with its model (field order of ScoreResponse); reading the version from
# the first bytes spares the client a full JSON parse of ~100 kB per response.
VERSION_PREFIX = re.compile(rb'"model"\s*:\s*\{\s*"version"\s*:\s*"([^"]+)"')


STARTED = time.monotonic()


def progress(message: str) -> None:
    """On stderr, so that stdout is the table alone; a long soak shows it is alive."""
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True)
class Sample:
    ended: float  # time.monotonic() when the response was read
    latency: float  # seconds
    error: str | None  # None, "HTTP <status>" or the exception's class name
    version: str | None


def near_median_articles(count: int) -> tuple[list[str], str]:
    """``count`` article texts whose word counts are closest to the corpus median."""
    from service.bench import corpus_texts  # the speed benchmark's reader of the same corpora

    if ALLSIDES.exists():
        texts, source = corpus_texts(ALLSIDES, LENGTH_SAMPLE), f"AllSides ({ALLSIDES.name})"
    else:
        texts, source = corpus_texts(CORE_DATASET, LENGTH_SAMPLE), "datasets/core articles"
    if not texts:
        raise SystemExit("load: no article texts found")
    median = statistics.median(len(text.split()) for text in texts)
    texts.sort(key=lambda text: abs(len(text.split()) - median))
    return texts[:count], f"{source}, the {count} nearest the median of {len(texts)}"


def prepare_home(home: Path) -> None:
    """Train from datasets/core until the registry holds two versions (reusing what is there)."""
    from service.registry import Registry  # the registry's own notion of a saved version

    while len(Registry(home).list_versions()) < 2:
        progress(f"training a model version in {home}")
        done = subprocess.run(
            [sys.executable, "-m", "service", "train", "--dataset", str(CORE_DATASET),
             "--home", str(home)],
            cwd=REPO, capture_output=True, text=True, check=False,
        )
        if done.returncode not in (0, 3):  # 3: saved, but the quality gate kept it inactive
            raise SystemExit(f"load: slant train failed:\n{done.stdout}{done.stderr}")


class Server:
    """``slant serve --workers 2`` on a free loopback port, its log in the registry directory."""

    def __init__(self, home: Path, admin_token: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "load-serve.log"
        environment = {**os.environ, "SLANT_HOME": str(home), "SLANT_ADMIN_TOKEN": admin_token,
                       "SLANT_LOG_FORMAT": "json"}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service", "serve", "--workers", str(WORKERS),
                 "--port", str(self.port)],
                cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"load: the server exited with {self.process.returncode}:\n"
                                 + self.log_tail())
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise SystemExit(f"load: the server was not ready within {timeout:.0f} s:\n"
                         + self.log_tail())

    def processes(self) -> list[psutil.Process]:
        """The HTTP process, its scoring processes and the fork server that starts them."""
        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def rss_mb(self) -> float:
        return sum(usage.rss for usage in self._each(psutil.Process.memory_info).values()) / 2**20

    def cpu_seconds(self) -> dict[int, float]:
        """CPU seconds so far, by process id."""
        return {pid: times.user + times.system
                for pid, times in self._each(psutil.Process.cpu_times).items()}

    def _each(self, read: Callable[[psutil.Process], Any]) -> dict[int, Any]:
        values = {}
        for process in self.processes():
            try:  # a process of the tree may have ended between listing and reading it
                values[process.pid] = read(process)
            except psutil.Error:
                continue
        return values

    def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM, then the exit status (None: it had to be killed)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Clients:
    """``count`` threads, each sending POST /v1/score back to back until ``stop_at``."""

    def __init__(self, url: str, bodies: list[bytes], count: int, stop_at: float) -> None:
        self.samples: list[list[Sample]] = [[] for _ in range(count)]
        self._threads = [
            threading.Thread(target=self._run, args=(url, bodies, index, stop_at), daemon=True)
            for index in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, url: str, bodies: list[bytes], index: int, stop_at: float) -> None:
        mine = self.samples[index]
        headers = {"content-type": "application/json"}
        position = index * 7  # clients start on different articles
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < stop_at:
                body = bodies[position % len(bodies)]
                position += 1
                began = time.perf_counter()
                try:
                    response = client.post(f"{url}/v1/score", content=body, headers=headers)
                except httpx.HTTPError as error:
                    mine.append(Sample(time.monotonic(), time.perf_counter() - began,
                                       type(error).__name__, None))
                    continue
                latency = time.perf_counter() - began
                ok = response.status_code == 200
                match = VERSION_PREFIX.search(response.content[:200]) if ok else None
                mine.append(Sample(
                    time.monotonic(), latency, None if ok else f"HTTP {response.status_code}",
                    match.group(1).decode() if match else None,
                ))

    def done(self) -> int:
        return sum(len(samples) for samples in self.samples)

    def errors(self) -> int:
        return sum(sample.error is not None for samples in self.samples for sample in samples)

    def join(self) -> list[Sample]:
        for thread in self._threads:
            thread.join()
        return sorted((sample for samples in self.samples for sample in samples),
                      key=lambda sample: sample.ended)


def percentile_ms(latencies: list[float], share: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(latencies)
    return 1000 * ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


def summarize(samples: list[Sample], begin: float, end: float) -> dict[str, Any]:
    """Latency and throughput of the responses read between ``begin`` and ``end``; errors of
    every request, warm-up and the last ones in flight included."""
    latencies = [sample.latency for sample in samples if begin <= sample.ended <= end]
    kinds = Counter(sample.error for sample in samples if sample.error is not None)
    return {
        "requests": len(latencies),
        "requests_per_s": len(latencies) / (end - begin),
        "p50_ms": percentile_ms(latencies, 0.50),
        "p99_ms": percentile_ms(latencies, 0.99),
        "max_ms": 1000 * max(latencies, default=math.nan),
        "errors": sum(kinds.values()),
        "error_kinds": dict(kinds),
    }


def run_level(server: Server, bodies: list[bytes], clients: int, seconds: float,
              warmup: float, explain: bool) -> dict[str, Any]:
    """Back-to-back requests for ``warmup + seconds``; only responses read after the warm-up
    count, so the numbers are not those of cold connections and caches."""
    progress(f"level: {clients} clients, explain_sentences={explain}")
    started = time.monotonic()
    measure_from, stop_at = started + warmup, started + warmup + seconds
    running = Clients(server.url, bodies, clients, stop_at)
    time.sleep(max(0.0, measure_from - time.monotonic()))
    cpu = CpuMeter(server)
    samples = running.join()
    return {"clients": clients, "explain_sentences": explain, "seconds": seconds,
            "warmup_seconds": warmup, **summarize(samples, measure_from, stop_at), **cpu.used()}


class CpuMeter:
    """CPU used since it was made, by this process (the clients) and by the server, in % of one
    core: both share the machine's cores, so the clients' share is part of the result."""

    def __init__(self, server: Server) -> None:
        self._server, self._started = server, time.monotonic()
        self._clients, self._served = self._own_seconds(), server.cpu_seconds()

    @staticmethod
    def _own_seconds() -> float:
        times = psutil.Process().cpu_times()
        return float(times.user + times.system)

    def used(self) -> dict[str, Any]:
        """Also each server process's share (the HTTP process, the fork server, each scoring
        process), to show how the work was spread."""
        wall = time.monotonic() - self._started
        by_process = {pid: round(100 * (seconds - self._served.get(pid, 0.0)) / wall, 1)
                      for pid, seconds in self._server.cpu_seconds().items()}
        return {"client_cpu_percent": 100 * (self._own_seconds() - self._clients) / wall,
                "server_cpu_percent": sum(by_process.values()),
                "server_cpu_percent_by_process": by_process}


def served_versions(server: Server) -> dict[str, float]:
    """``slant_model_info`` per version from /metrics: 1 for each version some process serves
    (the HTTP process's, and the one each scoring process scored its last text with), so the old
    version's absence means every process switched."""
    try:
        text = httpx.get(f"{server.url}/metrics", timeout=10).text
    except httpx.HTTPError:
        return {}  # asked again a quarter of a second later
    return {match.group(1): float(match.group(2)) for match in
            re.finditer(r'^slant_model_info\{version="([^"]+)"\} (\S+)$', text, re.MULTILINE)}


def run_soak(server: Server, bodies: list[bytes], clients: int, seconds: float,
             every: float, admin_token: str, old: str, new: str) -> dict[str, Any]:
    """``clients`` clients for ``seconds``; RSS every ``every`` s; ``new`` activated midway."""
    progress(f"soak: {clients} clients for {seconds:.0f} s, activating {new} midway")
    started, cpu = time.monotonic(), CpuMeter(server)
    running = Clients(server.url, bodies, clients, started + seconds)
    memory: list[dict[str, float]] = []
    activation: dict[str, Any] = {"from": old, "to": new, "at_s": seconds / 2}
    # The call runs beside the sampling, which must keep its schedule while a worker loads.
    activating = threading.Thread(
        target=lambda: activation.update(activate(server, admin_token, new)), daemon=True)
    next_sample = started
    while (now := time.monotonic()) < started + seconds:
        if now >= next_sample:
            memory.append({"t_s": now - started, "rss_mb": server.rss_mb(),
                           "requests": running.done(), "errors": running.errors()})
            progress("soak: {t_s:.0f} s, {rss_mb:.0f} MB, {requests:.0f} requests, "
                     "{errors:.0f} errors".format(**memory[-1]))
            next_sample += every
        if activating.ident is None and now >= started + activation["at_s"]:
            activation["at_s"] = now - started
            activating.start()
        if "status" in activation and "all_workers_switched_s" not in activation:
            versions = served_versions(server)
            if versions.get(old, 0.0) == 0.0 and versions.get(new) == 1.0:
                activation["all_workers_switched_s"] = (
                    time.monotonic() - started - activation["at_s"])
        time.sleep(min(0.25, max(0.0, min(next_sample, started + seconds) - time.monotonic())))
    samples, used = running.join(), cpu.used()
    if activating.ident is not None:
        activating.join()
    memory.append({"t_s": time.monotonic() - started, "rss_mb": server.rss_mb(),
                   "requests": len(samples), "errors": sum(s.error is not None for s in samples)})
    activation.setdefault("all_workers_switched_s", None)
    activation.update(activation_effects(samples, activation, started, old, new))
    return {"clients": clients, "seconds": seconds,
            **summarize(samples, started, started + seconds), **used, "memory_samples": memory,
            **memory_trend(memory, activation), "activation": activation}


def activate(server: Server, admin_token: str, version: str) -> dict[str, Any]:
    sent = time.monotonic()
    try:
        response = httpx.post(f"{server.url}/v1/models/{version}/activate", timeout=60,
                              headers={"authorization": f"Bearer {admin_token}"})
        status: int | str = response.status_code
    except httpx.HTTPError as error:
        status = type(error).__name__
    return {"status": status, "call_ms": 1000 * (time.monotonic() - sent)}


def activation_effects(samples: list[Sample], activation: dict[str, Any], started: float,
                       old: str, new: str) -> dict[str, Any]:
    """What the clients saw around the activation: failures, the first response of the new
    version, old-version responses after it, and the slowest response near it."""
    at = started + activation["at_s"]
    near = [s for s in samples if abs(s.ended - at) <= ACTIVATION_WINDOW_SECONDS]
    after = [s for s in samples if s.ended > at]
    first_new = next((s.ended - at for s in after if s.version == new), None)
    old_after = [s.ended - at for s in after if s.version == old]
    return {
        "window_s": ACTIVATION_WINDOW_SECONDS,
        "failed_in_window": sum(s.error is not None for s in near),
        "requests_in_window": len(near),
        "max_ms_in_window": 1000 * max((s.latency for s in near), default=math.nan),
        "first_new_version_response_s": first_new,
        "old_version_responses_after": len(old_after),
        "last_old_version_response_s": max(old_after, default=None),
        "last_response_version": after[-1].version if after else None,
    }


def memory_trend(memory: list[dict[str, float]], activation: dict[str, Any]) -> dict[str, Any]:
    """Least-squares slope over the second half, from the first sample taken after every worker
    serves the new version: loading it is a step, not a trend."""
    switched = activation["all_workers_switched_s"]
    settled = activation["at_s"] + (
        switched if switched is not None else activation["call_ms"] / 1000)
    tail = [point for point in memory if point["t_s"] > settled]
    slope = (statistics.linear_regression([p["t_s"] / 60 for p in tail],
                                          [p["rss_mb"] for p in tail]).slope
             if len(tail) >= 2 else math.nan)
    return {"memory_slope_second_half_mb_per_min": slope,
            "memory_change_mb": memory[-1]["rss_mb"] - memory[0]["rss_mb"]}


def judge(levels: list[dict[str, Any]], soak: dict[str, Any],
          exit_status: int | None) -> list[dict[str, Any]]:
    """The issue's bars, each met, missed or not measured (a level that was not run)."""
    def level(clients: int) -> dict[str, Any] | None:
        return next((row for row in levels if row["clients"] == clients
                     and row["explain_sentences"]), None)

    eight, many = level(8), level(32)
    activation, slope = soak["activation"], soak["memory_slope_second_half_mb_per_min"]
    checks: list[tuple[str, bool | None, Any]] = [
        (f"p99 < {P99_BAR_MS:.0f} ms at 8 clients",
         None if eight is None else eight["p99_ms"] < P99_BAR_MS, eight and eight["p99_ms"]),
        ("zero errors at 32 clients",
         None if many is None else many["errors"] == 0, many and many["errors"]),
        ("soak: zero errors", soak["errors"] == 0, soak["errors"]),
        (f"soak: no memory growth (second-half slope < {SLOPE_BAR_MB_PER_MIN} MB/min)",
         None if math.isnan(slope) else slope < SLOPE_BAR_MB_PER_MIN, slope),
        ("activation: zero failed requests, every worker switched",
         activation["status"] == 200 and activation["failed_in_window"] == 0
         and soak["errors"] == 0 and activation["all_workers_switched_s"] is not None,
         activation["failed_in_window"]),
        ("server exits 0 on SIGTERM", exit_status == 0, exit_status),
    ]
    return [{"bar": bar, "result": {True: "met", False: "missed", None: "not measured"}[ok],
             "value": value} for bar, ok, value in checks]


def markdown(report: dict[str, Any]) -> Iterator[str]:
    def number(value: Any, digits: int = 1) -> str:
        if isinstance(value, float):
            return "-" if math.isnan(value) else f"{value:.{digits}f}"
        return "-" if value is None else str(value)

    yield f"slant serve --workers {WORKERS} on 127.0.0.1; {report['environment']['note']}"
    yield f"articles: {report['setup']['articles']}"
    yield ""
    yield ("| run | clients | explain | requests | req/s | p50 ms | p99 ms | max ms | errors "
           "| client CPU % | server CPU % (by process) |")
    yield "|---|---|---|---|---|---|---|---|---|---|---|"
    for row in [*report["levels"], {**report["soak"], "explain_sentences": True}]:
        name = "soak" if "memory_samples" in row else "level"
        yield (f"| {name} | {row['clients']} | {'yes' if row['explain_sentences'] else 'no'} "
               f"| {row['requests']} | {number(row['requests_per_s'])} | {number(row['p50_ms'])} "
               f"| {number(row['p99_ms'])} | {number(row['max_ms'])} | {row['errors']} "
               f"| {number(row.get('client_cpu_percent'), 0)} "
               f"| {number(row.get('server_cpu_percent'), 0)} ("
               + " + ".join(f"{share:.0f}" for share in
                            row.get("server_cpu_percent_by_process", {}).values()) + ") |")
    soak = report["soak"]
    yield ""
    yield ("memory (s: MB): " + ", ".join(f"{p['t_s']:.0f}: {p['rss_mb']:.0f}"
                                         for p in soak["memory_samples"]))
    yield (f"memory slope (second half): {number(soak['memory_slope_second_half_mb_per_min'], 2)}"
           f" MB/min; first to last: {number(soak['memory_change_mb'])} MB")
    yield "activation: " + ", ".join(f"{key} {number(value, 2)}"
                                     for key, value in soak["activation"].items())
    yield f"server exit status after SIGTERM: {report['server_exit_status']}"
    yield ""
    yield "| bar | result | value |"
    yield "|---|---|---|"
    for bar in report["bars"]:
        yield f"| {bar['bar']} | {bar['result']} | {number(bar['value'], 2)} |"


def without_nan(value: Any) -> Any:
    """NaN (no data, e.g. no sample to take a percentile of) as JSON null: NaN is not JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nan(item) for item in value]
    return value


def positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def counts(text: str) -> list[int]:
    """``"1,8,32"`` as client counts; ``""`` as none."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list") from None
    if any(value < 1 for value in values):
        raise argparse.ArgumentTypeError(f"{text!r}: a level needs at least one client")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path,
                        help="registry to use (two versions are trained if missing); "
                        "default: a temporary one, removed afterwards")
    parser.add_argument("--levels", type=counts, default="1,8,32",
                        help="client counts (default %(default)s)")
    parser.add_argument("--no-explain-levels", type=counts, default="8",
                        help="client counts also measured with explain_sentences=false "
                        "(default %(default)s; empty for none)")
    parser.add_argument("--seconds-per-level", type=positive, default=30)
    parser.add_argument("--warmup-seconds", type=float, default=3)
    parser.add_argument("--soak-seconds", type=positive, default=600)
    parser.add_argument("--soak-clients", type=int, default=8)
    parser.add_argument("--sample-every", type=positive, default=10,
                        help="seconds between RSS samples (default %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("bench/load.json"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    texts, described = near_median_articles(ARTICLES)
    progress(f"articles: {described}")
    words = statistics.median(len(text.split()) for text in texts)
    bodies = [json.dumps({"text": text}).encode() for text in texts]  # the default request
    quiet = [json.dumps({"text": text, "explain_sentences": False}).encode() for text in texts]
    home = args.home or Path(tempfile.mkdtemp(prefix="slant-load-"))
    admin_token = secrets.token_urlsafe(24)
    try:
        prepare_home(home)
        server = Server(home, admin_token)
        try:
            server.wait_ready(timeout=180)
            progress(f"serving on {server.url}, log in {server.log}")
            listed = httpx.get(f"{server.url}/v1/models", timeout=10).json()
            old = listed["active"]
            others = [m["version"] for m in listed["models"] if m["version"] != old]
            if old is None or not others:
                raise SystemExit(f"load: {home} needs an active and another version: {listed}")
            new = others[-1]  # the newest
            levels = [run_level(server, bodies, clients, args.seconds_per_level,
                                args.warmup_seconds, explain=True)
                      for clients in args.levels]
            levels += [run_level(server, quiet, clients, args.seconds_per_level,
                                 args.warmup_seconds, explain=False)
                       for clients in args.no_explain_levels]
            soak = run_soak(server, bodies, args.soak_clients, args.soak_seconds,
                            args.sample_every, admin_token, old, new)
        finally:
            progress("stopping the server (SIGTERM)")
            exit_status = server.stop()
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    report = {
        "environment": {
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(),
            "note": f"the clients are threads in one process on the same {os.cpu_count()} CPUs "
                    "as the server; their CPU use is in client_cpu_percent (100 = one core)",
        },
        "setup": {"workers": WORKERS, "models": {"active_at_start": old, "activated": new},
                  "articles": f"{described}: median {words:.0f} words",
                  "request": "POST /v1/score {\"text\": ...}: the default request, sentence "
                             "explanations included (explain=no rows: explain_sentences=false)"},
        "levels": levels, "soak": soak, "server_exit_status": exit_status,
        "bars": judge(levels, soak, exit_status),
    }
    print("\n".join(markdown(report)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(without_nan(report), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
