"""``slant labels import`` and ``slant labels export``: annotation files in and out of the store.

``import`` reads a file in any importer's format (``--mapping`` maps the labels of doccano,
Label Studio and spaCy files onto slant's) and adds the examples to the label store under
``--home`` with the source ``import:<format>``; ``export`` writes the stored examples (all, or
one source's or level's) in any exporter's format. ``service.cli`` registers the commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from service.cli import EXIT_INPUT, CliError, settings_for
from service.labels.store import LabelStore
from training.errors import DatasetError
from training.importers import import_file, read_mapping

FORMATS_HELP = (
    "native, doccano, labelstudio, spacy, babe, mbic, ptc or polnear "
    "(import also reads hyperpartisan and allsides)"
)


def run_labels_import(args: argparse.Namespace) -> int:
    try:
        mapping = read_mapping(args.mapping) if args.mapping is not None else None
        examples = import_file(args.file, args.format, mapping)
    except DatasetError as error:
        raise CliError(str(error), EXIT_INPUT) from None
    store = LabelStore.open(settings_for(args).home)
    stored = store.add(examples, source=f"import:{args.format}")
    new = sum(label.created for label in stored)
    print(
        f"imported {len(stored)} examples from {args.file}: {new} new, "
        f"{len(stored) - new} already stored"
    )
    return 0


def run_labels_export(args: argparse.Namespace) -> int:
    from training.exporters import export_examples  # loads the lexicon; only this command needs it

    store = LabelStore.open(settings_for(args).home)
    examples = store.examples(source=args.source, level=args.level)
    try:
        export_examples(examples, args.out, args.format)
    except DatasetError as error:
        raise CliError(str(error), EXIT_INPUT) from None
    print(f"exported {len(examples)} examples to {args.out} ({args.format})")
    return 0


def add_labels_commands(commands: argparse._SubParsersAction) -> None:
    """The ``labels`` command and its ``import`` and ``export`` subcommands."""
    home = argparse.ArgumentParser(add_help=False)
    home.add_argument("--home", type=Path, help="store directory (default: $SLANT_HOME or var)")
    labels = commands.add_parser("labels", help="import and export labeled examples")
    actions = labels.add_subparsers(dest="labels_command", required=True)

    load = actions.add_parser(
        "import", parents=[home], help="add the examples of a file to the label store"
    )
    load.add_argument("file", type=Path, help="the file (a directory for ptc and polnear)")
    load.add_argument("--format", required=True, help=f"the file's format: {FORMATS_HELP}")
    load.add_argument(
        "--mapping", type=Path, metavar="MAP.json",
        help='JSON object {"their label": "our label"} for doccano, labelstudio and spacy files',
    )
    load.set_defaults(handler=run_labels_import)

    save = actions.add_parser("export", parents=[home], help="write the stored examples to a file")
    save.add_argument("out", type=Path, help="the file (a new directory for ptc and polnear)")
    save.add_argument("--format", required=True, help=f"the format: {FORMATS_HELP}")
    save.add_argument("--source", help="only the examples of this source, e.g. import:doccano")
    save.add_argument("--level", choices=("sentence", "article"), help="only this level")
    save.set_defaults(handler=run_labels_export)
