"""The ``slant`` command line: score, train, serve, models, labels, batch, report.

Exit codes: 0 success, 1 the registry cannot serve (no model, refused model) or refuses the
change (unknown or active version, another training job running), 2 bad input or usage
(argparse's convention): unreadable or non-UTF-8 file, nothing to score, bad dataset, 3 the
quality gate kept the newly trained version inactive.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from service.config import Settings
from service.jobs import (
    Job,
    JobConflict,
    JobReporter,
    JobStateError,
    JobStore,
    TrainingOptions,
)
from service.registry import Manifest, Registry, RegistryError, ScoringModel
from service.report import render_report
from service.retrain import TrainingOutcome, run_training
from service.scoring import score_payload
from training.errors import DatasetError, NothingToScore
from training.gate import DEFAULT_HOLDOUT, DEFAULT_TOLERANCE, GateReport
from training.importers import parse_dataset_spec

DEFAULT_DATASETS = (Path("datasets/core"),)
HTML_SUFFIXES = {".html", ".htm"}
EXIT_REGISTRY = 1
EXIT_INPUT = 2
EXIT_GATE = 3


class CliError(Exception):
    """A failure reported as one line on stderr, without a traceback."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def settings_for(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the options given on the command line."""
    overrides = {
        name: getattr(args, name)
        for name in ("home", "host", "port")
        if getattr(args, name, None) is not None
    }
    return Settings(**overrides)


def read_text(source: str) -> str:
    """The file (or stdin for ``-``) decoded as strict UTF-8."""
    name = "standard input" if source == "-" else source
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as error:
        raise CliError(f"cannot read {name}: {error.strerror}", EXIT_INPUT) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CliError(
            f"{name} is not valid UTF-8: byte 0x{data[error.start]:02x} at offset {error.start} "
            f"({error.reason}); convert it first, e.g. `iconv -f latin1 -t utf-8`",
            EXIT_INPUT,
        ) from None
    return text.removeprefix("\ufeff")  # a byte-order mark belongs to the file, not the text


def is_html(args: argparse.Namespace) -> bool:
    if args.format is not None:
        return bool(args.format == "html")
    return Path(args.file).suffix.lower() in HTML_SUFFIXES


def load_active(registry: Registry) -> tuple[ScoringModel, Manifest]:
    try:
        return registry.load_active()
    except RegistryError as error:
        raise CliError(str(error), EXIT_REGISTRY) from None


def run_score(args: argparse.Namespace) -> int:
    text = read_text(args.file)
    model, manifest = load_active(Registry(settings_for(args).home))
    try:
        response = score_payload(model, manifest, text, html=is_html(args))
    except NothingToScore as error:
        raise CliError(f"nothing to score in {args.file}: {error}", EXIT_INPUT) from None
    if args.json:
        # The API's serializer (json.dumps of the validated model), so both print the same JSON.
        print(json.dumps(response.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        render_report(response, Console())
    return 0


def run_train(args: argparse.Namespace) -> int:
    home = settings_for(args).home
    registry = Registry(home)
    active = registry.active_version()
    if args.if_missing and active is not None:
        print(f"model {active} is active in {registry.models_dir}; nothing to do")
        if args.job:
            JobStore.open(home).finish(args.job, "succeeded", error=None, version=active)
        return 0
    options = training_options(args)
    jobs = JobStore.open(home)
    job = claim_job(jobs, args.job, options)
    reporter = JobReporter(jobs, job.id)

    def progress(stage: str) -> None:
        reporter.stage(stage)
        if args.job is None:  # someone is watching the terminal
            print(f"{stage}…", file=sys.stderr)

    try:
        missing = [
            str(path) for spec in [*options.datasets, *options.eval]
            if not (path := parse_dataset_spec(spec)[1]).exists()
        ]
        if missing:
            raise DatasetError(f"no such dataset: {', '.join(missing)}")
        with reporter.capturing_logs(), training_backend(args):
            outcome = run_training(home, options, job_id=job.id, progress=progress)
    except DatasetError as error:
        jobs.finish(job.id, "failed", error=str(error))
        raise CliError(str(error), EXIT_INPUT) from None
    except BaseException as error:  # Ctrl-C included: the job must not stay "running"
        jobs.finish(job.id, "failed", error=f"{type(error).__name__}: {error}")
        raise
    jobs.finish(
        job.id, "succeeded" if outcome.activated else "rejected-by-gate",
        version=outcome.version, gate=outcome.gate,
    )
    print_outcome(outcome)
    return 0 if outcome.activated else EXIT_GATE


def training_backend(args: argparse.Namespace) -> AbstractContextManager[None]:
    """Where training's fold fits run: in this process, or on Dask with ``--scheduler``."""
    if getattr(args, "scheduler", None) is None:
        return nullcontext()
    from service.batch.dask_backend import DaskUnavailable, joblib_on_dask

    try:
        return joblib_on_dask(args.scheduler, args.workers or 2)
    except DaskUnavailable as error:
        raise CliError(str(error), EXIT_INPUT) from None


def training_options(args: argparse.Namespace) -> TrainingOptions:
    try:
        return TrainingOptions(
            datasets=args.dataset or [str(path) for path in DEFAULT_DATASETS],
            labels=args.labels,
            eval=args.eval or [],
            tolerance=args.tolerance,
            holdout=args.holdout,
            force=args.force,
        )
    except ValidationError as error:
        problems = "; ".join(
            f"--{item['loc'][0]}: {item['msg']}" for item in error.errors(include_url=False)
        )
        raise CliError(problems, EXIT_INPUT) from None


def claim_job(jobs: JobStore, job_id: str | None, options: TrainingOptions) -> Job:
    """The job this run reports to: the queued one it was started for, or a new one."""
    try:
        if job_id is not None:
            return jobs.mark_running(job_id, os.getpid())
        return jobs.create(options, kind="cli", pid=os.getpid())
    except (JobConflict, JobStateError) as error:
        raise CliError(str(error), EXIT_REGISTRY) from None


def print_outcome(outcome: TrainingOutcome) -> None:
    console = Console()
    status = "active" if outcome.activated else "inactive: refused by the quality gate"
    table = Table(title=f"model {outcome.version} ({status})", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in sorted(outcome.metrics.items()):
        table.add_row(name, f"{value:.3f}")
    console.print(table)
    console.print(gate_table(outcome.gate))
    console.print(f"gate: {outcome.gate.decision}: {outcome.gate.reason}", highlight=False)


def gate_table(gate: GateReport) -> Table:
    evaluation = gate.evaluation
    table = Table(
        title=f"quality gate against {gate.active_version or '(no active model)'}: "
        f"{evaluation.sentences} sentences, {evaluation.articles} articles evaluated",
        title_justify="left",
    )
    for column in ("metric", "active", "candidate", "delta", "tolerance", "items", "passed"):
        table.add_column(column, justify="left" if column == "metric" else "right")

    def number(value: float | None, sign: str = "") -> str:
        return "n/a" if value is None else f"{value:{sign}.3f}"

    for row in gate.comparisons:
        table.add_row(
            row.metric, number(row.active), number(row.candidate), number(row.delta, "+"),
            f"{row.tolerance:.3f}", str(row.evaluated),
            "yes" if row.passed else "NO",
        )
    return table


def run_serve(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT, let the requests in flight finish, then exit 0.

    This process answers every request. With one worker it scores on a thread of its own;
    with N it starts N scoring processes (``service.pool``) and stops them after the last
    request in flight.
    """
    import signal
    from typing import Any

    import uvicorn

    from service.app import create_app
    from service.logs import logging_config

    settings = settings_for(args)
    if args.workers is not None:
        if args.workers < 1:
            raise CliError("--workers must be at least 1", EXIT_INPUT)
        settings = settings.model_copy(update={"workers": args.workers})
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "timeout_graceful_shutdown": settings.shutdown_timeout,
        "log_config": logging_config(settings.log_format, settings.log_level),
        "access_log": False,  # the request middleware writes access lines, with request ids
    }

    def exit_cleanly(signum: int, frame: object) -> None:
        # uvicorn shuts down gracefully, then raises the signal again for the default action,
        # which would end the process with status 143. The shutdown is complete by then (and
        # before uvicorn took over, there was nothing to shut down), so: a clean exit.
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, exit_cleanly)
    try:
        uvicorn.run(create_app(settings), **options)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def run_models(args: argparse.Namespace) -> int:
    registry = Registry(settings_for(args).home)
    try:
        active = registry.active_version()
        manifests = [registry.read_manifest(version) for version in registry.list_versions()]
    except RegistryError as error:
        raise CliError(str(error), EXIT_REGISTRY) from None
    if not manifests:
        print(f"no models in {registry.models_dir}; run `slant train`")
        return 0
    # One line a version, easy to read and to grep; "*" marks the active one.
    for manifest in manifests:
        metrics = ", ".join(
            f"{name} {value:.3f}" for name, value in sorted(manifest.metrics.items())
        )
        print(
            f"{'*' if manifest.version == active else ' '} {manifest.version}  {manifest.created}"
            f"  trained on {', '.join(manifest.trained_on) or '-'}  {gate_summary(manifest)}"
            f"  {metrics}"
        )
    return 0


def gate_summary(manifest: Manifest) -> str:
    gate = manifest.gate
    if gate is None:
        return "gate -"
    failed = gate.failed_metrics
    return f"gate {gate.decision}" + (f" ({', '.join(failed)})" if failed else "")


def run_models_activate(args: argparse.Namespace) -> int:
    """Activate (promote or roll back to) a version once it has loaded and passed its checks."""
    registry = Registry(settings_for(args).home)
    try:
        registry.load(args.version)
        registry.activate(args.version)
    except RegistryError as error:
        raise CliError(str(error), EXIT_REGISTRY) from None
    print(f"model {args.version} is active; running services switch to it within a second")
    return 0


def run_models_delete(args: argparse.Namespace) -> int:
    registry = Registry(settings_for(args).home)
    try:
        registry.delete(args.version)
    except RegistryError as error:
        raise CliError(str(error), EXIT_REGISTRY) from None
    print(f"model {args.version} deleted")
    return 0


def run_bench(args: argparse.Namespace) -> int:
    from service import bench

    def log(message: str) -> None:
        print(message, file=sys.stderr)

    try:
        rows = bench.run_benchmarks(
            data_dir=args.data, only=args.only or (), full=args.full,
            speed_corpus=args.corpus, log=log,
        )
    except ValueError as error:
        raise CliError(str(error), EXIT_INPUT) from None
    print(bench.markdown_table(rows))
    if args.out is not None:
        args.out.write_text(json.dumps(bench.report(rows), indent=2) + "\n", encoding="utf-8")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="slant", description="Framing and source bias in news.")
    commands = parser.add_subparsers(dest="command", required=True)
    home = argparse.ArgumentParser(add_help=False)
    home.add_argument("--home", type=Path, help="registry directory (default: $SLANT_HOME or var)")

    score = commands.add_parser("score", parents=[home], help="score an article file")
    score.add_argument("file", help="a UTF-8 text or HTML file, or - for standard input")
    kind = score.add_mutually_exclusive_group()
    kind.add_argument(
        "--html", dest="format", action="store_const", const="html", help="read as HTML"
    )
    kind.add_argument(
        "--text", dest="format", action="store_const", const="text", help="read as plain text"
    )
    score.add_argument("--json", action="store_true", help="print the API's JSON response")
    score.set_defaults(handler=run_score, format=None)

    train = commands.add_parser("train", parents=[home], help="train and activate a model")
    train.add_argument(
        "--dataset", action="append", metavar="[FORMAT=]PATH",
        help="native JSONL file or directory, or FORMAT=PATH for an importer such as "
        "babe=final_labels_SG2.csv (repeatable; default datasets/core)",
    )
    train.add_argument("--if-missing", action="store_true", help="only if no model is active")
    train.add_argument("--labels", action="store_true", help="also train on the label store")
    train.add_argument(
        "--eval", action="append", metavar="[FORMAT=]PATH",
        help="extra evaluation data for the quality gate, never trained on (repeatable)",
    )
    train.add_argument(
        "--tolerance", type=float, default=DEFAULT_TOLERANCE,
        help="how much worse than the active model a metric may be (default %(default)s)",
    )
    train.add_argument(
        "--holdout", type=float, default=DEFAULT_HOLDOUT,
        help="fraction of the training mix held back for evaluation (default %(default)s)",
    )
    train.add_argument(
        "--force", action="store_true",
        help="activate even if the quality gate refuses (recorded in the manifest)",
    )
    train.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="fit the cross-validation folds on Dask: 'local' for a LocalCluster of --workers "
        "processes, or a scheduler address (needs slant[dask])",
    )
    train.add_argument("--workers", type=int, help="LocalCluster processes (default 2)")
    train.add_argument("--job", help=argparse.SUPPRESS)  # internal: the job to report to
    train.set_defaults(handler=run_train)

    serve = commands.add_parser("serve", parents=[home], help="run the HTTP API")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument(
        "--workers", type=int, help="worker processes (default: $SLANT_WORKERS or 1)"
    )
    serve.set_defaults(handler=run_serve)

    bench = commands.add_parser("bench", help="measure accuracy and speed on public data")
    bench.add_argument("--only", action="append", metavar="TASK", help="run only TASK (repeatable)")
    bench.add_argument("--out", type=Path, help="also write the rows as JSON to this file")
    bench.add_argument(
        "--full", action="store_true", help="the slow tasks in full, not the documented CI subset"
    )
    bench.add_argument(
        "--data", type=Path, default=Path("../shared/data"),
        help="the public datasets (default ../shared/data)",
    )
    bench.add_argument(
        "--corpus", type=Path,
        help="speed corpus: native dataset or JSONL(.gz) with text/content "
        "(default: AllSides if present, else datasets/core)",
    )
    bench.set_defaults(handler=run_bench)

    models = commands.add_parser("models", parents=[home], help="list model versions")
    models.set_defaults(handler=run_models)
    # --home may come before or after the action: the action's own default must not override
    # a value given before it, so it has none (SUPPRESS).
    action_home = argparse.ArgumentParser(add_help=False)
    action_home.add_argument("--home", type=Path, default=argparse.SUPPRESS,
                             help="registry directory (default: $SLANT_HOME or var)")
    model_commands = models.add_subparsers(dest="models_command")
    activate = model_commands.add_parser(
        "activate", parents=[action_home], help="activate a version (promote or roll back)"
    )
    activate.add_argument("version")
    activate.set_defaults(handler=run_models_activate)
    delete = model_commands.add_parser(
        "delete", parents=[action_home], help="delete an inactive version"
    )
    delete.add_argument("version")
    delete.set_defaults(handler=run_models_delete)

    from service.cli_labels import add_labels_commands  # it imports this module's helpers

    add_labels_commands(commands)
    from service.cli_batch import add_batch_commands  # it imports this module's helpers

    add_batch_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        exit_code: int = args.handler(args)
    except CliError as error:
        print(f"slant: error: {error}", file=sys.stderr)
        return error.exit_code
    return exit_code
