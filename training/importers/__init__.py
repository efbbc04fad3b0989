"""Importers: public and annotation-tool formats converted into native ``Example``s.

An importer is a function ``(path) -> list[Example]`` registered under a name with
``@importer("babe")``; ``slant train --dataset babe=PATH`` and ``slant labels import`` use it.
Importers of formats whose labels the user chose (doccano, Label Studio, spaCy) also take a
keyword ``mapping`` (``{"their label": "our label"}``, see ``annotation_tools``); the registry
knows which do from their signature. Importers normalize every text with ``build_document`` and
re-locate spans in the normalized text, so offsets always point into ``Example.text`` exactly as
the rest of the system expects. Importer modules in this package register themselves when
``load_importers()`` imports them.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from training.dataset import Example, load_examples
from training.errors import DatasetError

Importer = Callable[..., list[Example]]  # (path) or (path, *, mapping=None)
ImporterT = TypeVar("ImporterT", bound=Importer)
IMPORTERS: dict[str, Importer] = {}
MAPPED_FORMATS: set[str] = set()  # the importers that take a label mapping
NATIVE = "native"


def importer(name: str) -> Callable[[ImporterT], ImporterT]:
    def register(function: ImporterT) -> ImporterT:
        if name in IMPORTERS:
            raise ValueError(f"importer {name!r} registered twice")
        IMPORTERS[name] = function
        if "mapping" in inspect.signature(function).parameters:
            MAPPED_FORMATS.add(name)
        return function

    return register


def load_importers() -> dict[str, Importer]:
    """Import every module of this package (each registers its importers); the registry."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return IMPORTERS


def import_formats() -> tuple[str, ...]:
    """Every format ``import_file`` reads, sorted."""
    return tuple(sorted([NATIVE, *load_importers()]))


def parse_dataset_spec(spec: str) -> tuple[str, Path]:
    """``NAME=PATH`` or a bare ``PATH`` (the native format)."""
    name, separator, path = spec.partition("=")
    if not separator:
        return NATIVE, Path(spec)
    return name.strip().lower(), Path(path)


def import_file(
    path: Path, format: str, mapping: Mapping[str, str] | None = None
) -> list[Example]:
    """The examples of a file (or corpus directory) in ``format``.

    ``mapping`` maps the labels of a format whose labels the user chose (doccano, labelstudio,
    spacy) onto slant's; their importers raise ``DatasetError`` listing every label that is
    neither slant's nor mapped. Other formats have fixed labels and refuse a mapping.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or directory")
    importers = load_importers()
    if format != NATIVE and format not in importers:
        raise DatasetError(
            f"unknown dataset format {format!r}; known formats: {', '.join(import_formats())}"
        )
    if mapping and format not in MAPPED_FORMATS:
        raise DatasetError(
            f"format {format} has fixed labels and takes no mapping; mappings apply to "
            f"{', '.join(sorted(MAPPED_FORMATS))}"
        )
    if format == NATIVE:
        return load_examples([path])
    if format in MAPPED_FORMATS:
        return importers[format](path, mapping=mapping)
    return importers[format](path)


def load_dataset(spec: str) -> list[Example]:
    """The examples of one ``--dataset`` argument."""
    name, path = parse_dataset_spec(spec)
    return import_file(path, name)


def read_mapping(path: Path) -> dict[str, str]:
    """The user's label mapping: a JSON object ``{"their label": "our label"}``."""
    try:
        mapping = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise DatasetError(f"{path}: cannot read the mapping ({error.strerror})") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: the mapping is not JSON ({error})") from error
    if not isinstance(mapping, dict) or not all(
        isinstance(value, str) for value in mapping.values()
    ):
        raise DatasetError(
            f'{path}: the mapping must be a JSON object of strings {{"their label": "our label"}}'
        )
    return dict(mapping)
