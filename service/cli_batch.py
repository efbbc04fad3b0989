"""``slant batch`` (score a corpus) and ``slant report`` (aggregate the scores by outlet)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from service.batch.output import BatchStateError, output_format, partial_dir
from service.batch.reader import ROLES, BatchInputError, FieldMap
from service.batch.runner import (
    DEFAULT_CHUNK_SIZE,
    Backend,
    BatchOptions,
    JoblibBackend,
    ModelRef,
    default_workers,
    run_batch,
)
from service.cli import EXIT_INPUT, EXIT_REGISTRY, CliError, settings_for
from service.registry import Registry, RegistryError

EXIT_INTERRUPTED = 130  # the shell's convention for a run ended by SIGINT


class RateColumn(ProgressColumn):
    """Articles per second over the whole run so far (steadier than rich's recent speed)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:6.1f} articles/s", style="progress.data.speed")


def field_map(args: argparse.Namespace) -> FieldMap:
    mapping: dict[str, str] = {}
    for item in args.field or []:
        role, separator, name = item.partition("=")
        if not separator or not name:
            raise CliError(f"--field {item!r}: expected ROLE=NAME, e.g. text=content", EXIT_INPUT)
        mapping[role.strip()] = name.strip()
    try:
        return FieldMap.from_options(mapping, tuple(args.keep or ()))
    except BatchInputError as error:
        raise CliError(str(error), EXIT_INPUT) from None


def model_ref(args: argparse.Namespace) -> ModelRef:
    """The version to score with, pinned for the whole run (an activation mid-run changes
    nothing, and a resumed run must use the model of the interrupted one)."""
    registry = Registry(settings_for(args).home)
    try:
        version = args.model or registry.active_version()
        if version is None:
            raise CliError(
                f"no active model in {registry.models_dir}; run `slant train` first",
                EXIT_REGISTRY,
            )
        registry.read_manifest(version)
    except RegistryError as error:
        raise CliError(str(error), EXIT_REGISTRY) from None
    return ModelRef(home=str(registry.home.resolve()), version=version)


def backend_for(args: argparse.Namespace) -> AbstractContextManager[Backend]:
    workers = args.workers or default_workers()
    if args.scheduler is None:
        return nullcontext(JoblibBackend(workers))
    from service.batch.dask_backend import DaskBackend, DaskUnavailable

    try:
        return DaskBackend(args.scheduler, workers)
    except DaskUnavailable as error:
        raise CliError(str(error), EXIT_INPUT) from None


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), RateColumn(),
        TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        yield progress


def run_batch_command(args: argparse.Namespace) -> int:
    if not args.input.is_file():
        raise CliError(f"no such input file: {args.input}", EXIT_INPUT)
    if args.chunk_size < 1 or (args.workers is not None and args.workers < 1):
        raise CliError("--chunk-size and --workers must be at least 1", EXIT_INPUT)
    try:
        output_format(args.out)
    except ValueError as error:
        raise CliError(str(error), EXIT_INPUT) from None
    options = BatchOptions(
        input=args.input, output=args.out, fields=field_map(args), chunk_size=args.chunk_size,
        html=args.html, full=args.full_result, restart=args.restart,
    )
    model = model_ref(args)
    show_progress = args.progress if args.progress is not None else sys.stderr.isatty()
    try:
        with backend_for(args) as backend, progress_bar(show_progress) as bar:
            task = bar.add_task("scoring", total=None) if bar is not None else None

            def progress(done: int, total: int) -> None:
                if bar is not None and task is not None:
                    bar.update(task, completed=done, total=total)

            summary = run_batch(options, model, backend, progress=progress)
    except KeyboardInterrupt:
        print(
            f"slant: interrupted; finished chunks are kept in {partial_dir(args.out)}: "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except (BatchInputError, BatchStateError) as error:
        raise CliError(str(error), EXIT_INPUT) from None
    resumed = f", {summary.skipped_chunks} chunks kept from an earlier run" if (
        summary.skipped_chunks) else ""
    print(
        f"scored {summary.articles} articles ({summary.errors} errors) in "
        f"{summary.seconds:.1f} s, {summary.articles_per_second:.1f} articles/s, with "
        f"{backend_description(args)}{resumed} → {summary.output}",
        file=sys.stderr,
    )
    return 0


def backend_description(args: argparse.Namespace) -> str:
    workers = args.workers or default_workers()
    if args.scheduler is None:
        return f"{workers} worker{'s' if workers > 1 else ''}"
    return f"Dask ({args.scheduler})"


def run_report_command(args: argparse.Namespace) -> int:
    try:
        from service.outlet_report import build_report
    except ImportError as error:
        raise CliError(str(error), EXIT_INPUT) from None  # it names the extra to install
    if not args.scores.is_file():
        raise CliError(f"no such scores file: {args.scores}", EXIT_INPUT)
    try:
        files = build_report(
            args.scores, by=tuple(args.by or ("outlet",)), out_dir=args.out, top=args.top,
            min_articles=args.min_articles, leaning_column=args.leaning_column,
        )
    except (ValueError, KeyError) as error:
        raise CliError(str(error), EXIT_INPUT) from None
    for path in files.paths():
        print(path)
    return 0


def add_batch_commands(commands: argparse._SubParsersAction) -> None:
    home = argparse.ArgumentParser(add_help=False)
    home.add_argument("--home", type=Path, help="registry directory (default: $SLANT_HOME or var)")

    batch = commands.add_parser(
        "batch", parents=[home], help="score a corpus (JSONL, JSONL.gz or Parquet)",
        description="Score every article of INPUT into OUTPUT, one row per article. An "
        "interrupted run leaves OUTPUT.partial/; the same command resumes it.",
    )
    batch.add_argument("input", type=Path, help="articles: .jsonl, .jsonl.gz or .parquet")
    batch.add_argument("--out", type=Path, required=True,
                       help="scores: .jsonl, .jsonl.gz or .parquet")
    batch.add_argument(
        "--field", action="append", metavar="ROLE=NAME",
        help=f"input field of a role ({', '.join(ROLES)}), e.g. text=content outlet=source; "
        "default: the role's own name (repeatable)",
    )
    batch.add_argument("--keep", action="append", metavar="FIELD",
                       help="copy this input field to the output (repeatable)")
    batch.add_argument("--workers", type=int, help="worker processes (default: every core)")
    batch.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="run on Dask: 'local' for a LocalCluster of --workers processes, or a scheduler "
        "address such as tcp://host:8786 (needs slant[dask])",
    )
    batch.add_argument("--model", metavar="VERSION", help="model version (default: the active)")
    batch.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                       help="articles per task and per part file (default %(default)s)")
    batch.add_argument("--html", action="store_true", help="the texts are HTML")
    batch.add_argument("--full-result", action="store_true",
                       help="add each article's whole score response (JSON) as `result`")
    batch.add_argument("--restart", action="store_true",
                       help="discard an interrupted run's partial output instead of resuming")
    batch.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="show a progress bar (default: when stderr is a terminal)")
    batch.set_defaults(handler=run_batch_command)

    report = commands.add_parser(
        "report", help="aggregate batch scores by outlet, topic or month (needs slant[report])"
    )
    report.add_argument("scores", type=Path, help="the output of slant batch")
    report.add_argument("--out", type=Path, required=True, help="directory for the report files")
    report.add_argument("--by", action="append", choices=("outlet", "topic", "month"),
                        help="group by (repeatable for combinations; default outlet)")
    report.add_argument("--top", type=int, default=25,
                        help="groups shown in the charts, by article count (default %(default)s)")
    report.add_argument("--min-articles", type=int, default=1,
                        help="leave out groups with fewer articles (default %(default)s)")
    report.add_argument("--leaning-column", metavar="COLUMN",
                        help="a kept input column with a gold leaning, e.g. bias_text")
    report.set_defaults(handler=run_report_command)
