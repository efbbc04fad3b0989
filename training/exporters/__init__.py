"""Exporters: native examples written in the formats the importers read.

``export_examples(examples, path, format)`` writes one of ``EXPORT_FORMATS``; importing the file
with ``training.importers.import_file(path, format)`` gives the examples back, as far as the
format holds them. ``native`` holds everything. What each other format cannot hold is listed in
``training.exporters.annotation_tools`` (doccano, labelstudio, spacy: no attributions) and
``training.exporters.corpora`` (babe, mbic, ptc, polnear: one level each, and less).

``path`` is a file for native, doccano, labelstudio, spacy, babe and mbic, and a new or empty
directory for ptc and polnear (their layouts are folders of files).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from training.dataset import Example
from training.errors import DatasetError
from training.exporters.annotation_tools import (
    write_doccano,
    write_labelstudio,
    write_native,
    write_spacy,
)
from training.exporters.corpora import write_babe, write_mbic, write_polnear, write_ptc

Writer = Callable[[Sequence[Example], Path], None]
WRITERS: dict[str, Writer] = {
    "native": write_native,
    "doccano": write_doccano,
    "labelstudio": write_labelstudio,
    "spacy": write_spacy,
    "babe": write_babe,
    "mbic": write_mbic,
    "ptc": write_ptc,
    "polnear": write_polnear,
}
EXPORT_FORMATS: tuple[str, ...] = tuple(WRITERS)
DIRECTORY_FORMATS = frozenset({"ptc", "polnear"})


def export_examples(examples: Sequence[Example], path: Path, format: str) -> None:
    """Write ``examples`` to ``path`` in ``format`` (see the module docstring)."""
    writer = WRITERS.get(format)
    if writer is None:
        raise DatasetError(
            f"unknown export format {format!r}; known formats: {', '.join(EXPORT_FORMATS)}"
        )
    path = Path(path)
    if format not in DIRECTORY_FORMATS:
        if path.is_dir():
            raise DatasetError(f"{path}: is a directory; {format} is written to a file")
        path.parent.mkdir(parents=True, exist_ok=True)
    writer(examples, path)
