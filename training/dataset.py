"""The native labeled-data format: JSONL, one example a line, validated on load.

See ``datasets/README.md`` for the schema and the annotation guidelines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from training.errors import DatasetError
from training.lexicon import FRAMING_CATEGORIES, FramingCategory

# Cue spans are labeled with the framing lexicon's categories: one list, in the lexicon.
CUE_LABELS = FRAMING_CATEGORIES
DIMENSIONS = (
    "loaded_language",
    "doubt",
    "glorification",
    "demonization",
    "attribution_imbalance",
)

LEANINGS = ("left", "center", "right")
ANNOTATION_LAYERS = ("spans", "attributions")

SourceKind = Literal["person", "organization", "media", "anonymous", "vague", "outlet"]
Stance = Literal["neutral", "endorsing", "distancing", "emotive"]
CueLabel = FramingCategory


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabeledSpan(_Strict):
    start: int
    end: int
    label: CueLabel


class SourceSpan(_Strict):
    start: int
    end: int
    kind: SourceKind


class CueSpan(_Strict):
    start: int
    end: int
    stance: Stance


class ContentSpan(_Strict):
    start: int
    end: int
    direct: bool


class LabeledAttribution(_Strict):
    source: SourceSpan | None
    cue: CueSpan
    content: ContentSpan | None


class Example(BaseModel):
    """One labeled sentence or article in the native format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    text: str
    level: Literal["sentence", "article"]
    label: dict[str, object]
    spans: tuple[LabeledSpan, ...] = ()
    attributions: tuple[LabeledAttribution, ...] = ()
    meta: dict[str, object] = {}

    @model_validator(mode="after")
    def _check(self) -> Example:
        length = len(self.text)
        bounds: list[tuple[int, int]] = [(s.start, s.end) for s in self.spans]
        for attribution in self.attributions:
            bounds.append((attribution.cue.start, attribution.cue.end))
            if attribution.source is not None:
                bounds.append((attribution.source.start, attribution.source.end))
            if attribution.content is not None:
                bounds.append((attribution.content.start, attribution.content.end))
        for start, end in bounds:
            if not 0 <= start < end <= length:
                raise ValueError(f"span ({start}, {end}) is outside the text (length {length})")
        if self.level == "sentence":
            if not isinstance(self.label.get("biased"), bool):
                raise ValueError('a sentence example needs label {"biased": true|false}')
        else:
            if "framing" in self.label and not isinstance(self.label["framing"], bool):
                raise ValueError('label.framing must be true or false')
            dimensions = self.label.get("dimensions", {})
            if not isinstance(dimensions, dict) or set(dimensions) - set(DIMENSIONS):
                raise ValueError(f"label.dimensions keys must be among {DIMENSIONS}")
            if not all(isinstance(value, bool) for value in dimensions.values()):
                raise ValueError("label.dimensions values must be true or false")
            if "leaning" in self.label and self.label["leaning"] not in LEANINGS:
                raise ValueError(f"label.leaning must be one of {LEANINGS}")
        annotated = self.meta.get("annotated", list(ANNOTATION_LAYERS))
        if not isinstance(annotated, list) or set(annotated) - set(ANNOTATION_LAYERS):
            raise ValueError(f"meta.annotated must be a list drawn from {ANNOTATION_LAYERS}")
        return self

    @property
    def biased(self) -> bool:
        """The sentence's bias label, or the article's framing label (False when absent)."""
        key = "biased" if self.level == "sentence" else "framing"
        return bool(self.label.get(key, False))

    def has_label(self, key: str) -> bool:
        """Whether the article is labeled for ``framing``, ``leaning`` or a dimension."""
        if key in DIMENSIONS:
            dimensions = self.label.get("dimensions", {})
            return isinstance(dimensions, dict) and key in dimensions
        return key in self.label

    def dimension(self, name: str) -> bool:
        dimensions = self.label.get("dimensions", {})
        return bool(isinstance(dimensions, dict) and dimensions.get(name, False))

    def annotated(self, layer: str) -> bool:
        """Whether ``spans`` or ``attributions`` were annotated exhaustively for this example.

        Native examples are (the guidelines ask for every cue and attribution); an importer of
        data that marks only some layers lists those in ``meta.annotated``, so that an empty
        list is not mistaken for "none here".
        """
        annotated = self.meta.get("annotated", ANNOTATION_LAYERS)
        return isinstance(annotated, list | tuple) and layer in annotated


def dataset_files(paths: Iterable[Path]) -> list[Path]:
    """Expand directories into their ``*.jsonl`` files, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.jsonl")))
        elif path.is_file():
            files.append(path)
        else:
            raise DatasetError(f"{path}: no such file or directory")
    return files


def read_examples(path: Path) -> Iterator[Example]:
    """Yield the examples of one JSONL file; a bad line raises ``DatasetError`` naming it."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield Example.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as error:
                raise DatasetError(f"{path}:{number}: {error}") from error


def load_examples(paths: Sequence[Path]) -> list[Example]:
    """All examples from files or directories, ids unique across them."""
    examples: list[Example] = []
    seen: set[str] = set()
    for file in dataset_files(paths):
        for example in read_examples(file):
            if example.id in seen:
                raise DatasetError(f"{file}: duplicate example id {example.id!r}")
            seen.add(example.id)
            examples.append(example)
    return examples
