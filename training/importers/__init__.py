"""Importers: public and annotation-tool formats converted into native ``Example``s.

An importer is a function ``(Path) -> list[Example]`` registered under a name with
``@importer("babe")``; ``slant train --dataset babe=PATH`` uses it. Importers normalize every
text with ``build_document`` and re-locate spans in the normalized text, so offsets always point
into ``Example.text`` exactly as the rest of the system expects. Importer modules in this
package register themselves when ``load_importers()`` imports them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path

from training.dataset import Example, load_examples
from training.errors import DatasetError

Importer = Callable[[Path], list[Example]]
IMPORTERS: dict[str, Importer] = {}
NATIVE = "native"


def importer(name: str) -> Callable[[Importer], Importer]:
    def register(function: Importer) -> Importer:
        if name in IMPORTERS:
            raise ValueError(f"importer {name!r} registered twice")
        IMPORTERS[name] = function
        return function

    return register


def load_importers() -> dict[str, Importer]:
    """Import every module of this package (each registers its importers); the registry."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return IMPORTERS


def parse_dataset_spec(spec: str) -> tuple[str, Path]:
    """``NAME=PATH`` or a bare ``PATH`` (the native format)."""
    name, separator, path = spec.partition("=")
    if not separator:
        return NATIVE, Path(spec)
    return name.strip().lower(), Path(path)


def load_dataset(spec: str) -> list[Example]:
    """The examples of one ``--dataset`` argument."""
    name, path = parse_dataset_spec(spec)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or directory")
    if name == NATIVE:
        return load_examples([path])
    importers = load_importers()
    if name not in importers:
        known = ", ".join(sorted([NATIVE, *importers]))
        raise DatasetError(f"unknown dataset format {name!r}; known formats: {known}")
    return importers[name](path)
