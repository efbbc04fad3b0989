"""The ``slant`` command line: score, train, serve, models.

Exit codes: 0 success, 1 the registry cannot serve (no model, refused model), 2 bad input or
usage (argparse's convention): unreadable or non-UTF-8 file, nothing to score, bad dataset.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from service.config import Settings
from service.registry import Manifest, Registry, RegistryError, ScoringModel
from service.report import render_report
from service.scoring import score_payload
from training.errors import DatasetError, NothingToScore
from training.importers import parse_dataset_spec

DEFAULT_DATASETS = (Path("datasets/core"),)
HTML_SUFFIXES = {".html", ".htm"}
EXIT_REGISTRY = 1
EXIT_INPUT = 2


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
    registry = Registry(settings_for(args).home)
    active = registry.active_version()
    if args.if_missing and active is not None:
        print(f"model {active} is active in {registry.models_dir}; nothing to do")
        return 0
    specs = args.dataset or [str(path) for path in DEFAULT_DATASETS]
    paths = [parse_dataset_spec(spec)[1] for spec in specs]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise CliError(f"no such dataset: {', '.join(missing)}", EXIT_INPUT)
    from training.train import train_model  # heavy; only this command needs it

    try:
        model = train_model(specs)
    except DatasetError as error:
        raise CliError(str(error), EXIT_INPUT) from None
    version = registry.save_model(model, paths)
    registry.activate(version)
    table = Table(title=f"model {version} (active)", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in sorted(model.metrics.items()):
        table.add_row(name, f"{value:.3f}")
    Console().print(table)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app

    settings = settings_for(args)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
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
            f"  trained on {', '.join(manifest.trained_on) or '-'}  {metrics}"
        )
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
    train.set_defaults(handler=run_train)

    serve = commands.add_parser("serve", parents=[home], help="run the HTTP API")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        exit_code: int = args.handler(args)
    except CliError as error:
        print(f"slant: error: {error}", file=sys.stderr)
        return error.exit_code
    return exit_code
