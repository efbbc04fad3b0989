"""What the annotation-tool importers (doccano, Label Studio, spaCy/Prodigy) share.

Each tool format is read into ``ToolItem``s: the raw text, its spans, the relations between
spans and the document-level labels, exactly as the tool names them. ``build_examples`` turns
them into native examples the same way for every tool. The label names, and how the user's
mapping applies to them, are in ``training.importers.tool_labels``.

**Level.** In this order: an explicit ``level`` field (``"sentence"``/``"article"``; where each
format keeps it is in its module); else the level of the document labels (``biased`` and
``not_biased`` are sentence labels, the others article labels; mixing both is an error); else
the text: ``article`` when its normalized text has more than one sentence or paragraph,
``sentence`` otherwise. A sentence must carry ``biased`` or ``not_biased``.

**Attributions.** Every ``cue:<stance>`` span is an attribution's cue. A relation (of any name,
in either direction) between it and a ``source:<kind>`` span gives the source, and one with a
``content:direct|indirect`` span the content. A cue related to several contents gives one
attribution per content, sharing the source (``"A," he said. "B."``); a cue related to two
sources is an error. Role spans related to no cue are ignored.

**Text and spans.** Texts are normalized by ``build_document``; spans are re-located in the
normalized text with ``training.importers.ptc.relocate_spans``. A span that cannot be is dropped
(an attribution whose cue is dropped with it), with a logged count. Texts with no words once
normalized are skipped.

**Annotated layers.** ``meta.annotated`` is taken from the item's meta when present (slant's
exporters write it); else it lists ``"spans"`` when the file holds any cue-category span and
``"attributions"`` when it holds any cue span: a project that marked a layer somewhere is taken
to have marked it everywhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from training.dataset import (
    ANNOTATION_LAYERS,
    DIMENSIONS,
    ContentSpan,
    CueSpan,
    Example,
    LabeledAttribution,
    LabeledSpan,
    SourceSpan,
)
from training.document import build_document
from training.errors import DatasetError
from training.importers.ptc import relocate_spans
from training.importers.tool_labels import (
    CONTENT,
    CUE,
    ROLE_TARGETS,
    SOURCE,
    DocumentTarget,
    LabelMapper,
    Level,
)
from training.lexicon import FRAMING_CATEGORIES

log = logging.getLogger(__name__)

LEVELS: tuple[Level, ...] = ("sentence", "article")
Span = tuple[int, int]


@dataclass(frozen=True)
class ToolItem:
    """One annotated text as a tool stores it, before mapping and normalization."""

    id: str
    text: str
    location: str  # "file:line" or "file: task 7", for error messages
    spans: tuple[tuple[int, int, str], ...] = ()
    relations: tuple[tuple[int, int], ...] = ()  # pairs of indexes into spans
    labels: tuple[tuple[str, bool], ...] = ()  # document labels as named by the tool, with truth
    level: object = None  # the explicit level field, validated in build_examples
    meta: dict[str, object] = field(default_factory=dict)


@dataclass
class _Counts:
    spans: int = 0  # spans that could not be re-located
    attributions: int = 0  # attributions whose cue could not be
    empty: int = 0  # texts without words


def build_examples(
    items: Sequence[ToolItem], *, source: Path, mapping: Mapping[str, str] | None
) -> list[Example]:
    """Native examples of the items (see the module docstring for every rule)."""
    mapper = LabelMapper(mapping)
    resolved = [
        (
            [mapper.span_label(label) for _, _, label in item.spans],
            [mapper.document_label(label, truth) for label, truth in item.labels],
        )
        for item in items
    ]
    mapper.raise_unknown(source)  # every unknown label of the file at once
    targets = {label for span_labels, _ in resolved for label in span_labels}
    has_cue_spans = bool(targets & set(FRAMING_CATEGORIES))
    has_attributions = any(
        label in ROLE_TARGETS and ROLE_TARGETS[label][0] == CUE for label in targets
    )
    annotated = [
        layer for layer, present in zip(
            ANNOTATION_LAYERS, (has_cue_spans, has_attributions), strict=True
        ) if present
    ]
    counts = _Counts()
    examples = []
    for item, (span_labels, document_targets) in zip(items, resolved, strict=True):
        example = _example(item, span_labels, document_targets, annotated, counts)
        if example is not None:
            examples.append(example)
    if counts.spans:
        log.warning(
            "%s: %d spans could not be re-located in the normalized text (%d attributions "
            "dropped with their cue)", source, counts.spans, counts.attributions,
        )
    if counts.empty:
        log.warning("%s: %d texts with no words were skipped", source, counts.empty)
    return examples


def _example(
    item: ToolItem, span_labels: Sequence[str | None],
    document_targets: Sequence[DocumentTarget | None], annotated: list[str], counts: _Counts,
) -> Example | None:
    document = build_document(item.text)
    if not document.tokens:
        counts.empty += 1
        return None
    kept = [index for index, label in enumerate(span_labels) if label is not None]
    located_spans = relocate_spans(
        item.text, document.text, [item.spans[index][:2] for index in kept]
    )
    located: dict[int, Span] = {}
    for index, span in zip(kept, located_spans, strict=True):
        if span is None:
            counts.spans += 1
        else:
            located[index] = span
    cue_spans = {
        (start, end, label) for index, (start, end) in located.items()
        if (label := span_labels[index]) in FRAMING_CATEGORIES
    }
    roles = {index: ROLE_TARGETS[label] for index, label in enumerate(span_labels)
             if label in ROLE_TARGETS}
    text_level: Level = (
        "article" if len(document.sentences) > 1 or len(document.paragraphs) > 1 else "sentence"
    )
    found = [target for target in document_targets if target is not None]
    level = _level(item, found, text_level)
    meta = dict(item.meta)
    meta.setdefault("annotated", list(annotated))
    return Example(
        id=item.id,
        text=document.text,
        level=level,
        label=_label(item, found, level),
        spans=tuple(
            LabeledSpan(start=start, end=end, label=label)  # type: ignore[arg-type]
            for start, end, label in sorted(cue_spans)
        ),
        attributions=tuple(_attributions(item, roles, located, counts, document.text)),
        meta=meta,
    )


def _attributions(
    item: ToolItem, roles: Mapping[int, tuple[str, str | bool]], located: Mapping[int, Span],
    counts: _Counts, text: str,
) -> list[LabeledAttribution]:
    linked: dict[int, list[int]] = {index: [] for index in roles}
    for first, second in item.relations:
        if first in linked and second in linked:
            linked[first].append(second)
            linked[second].append(first)
    attributions: list[LabeledAttribution] = []
    for cue, (role, stance) in roles.items():
        if role != CUE:
            continue
        if cue not in located:
            counts.attributions += 1
            continue
        parts: dict[str, list[int]] = {SOURCE: [], CONTENT: []}
        for other in dict.fromkeys(linked[cue]):  # each related span once, in relation order
            other_role = roles[other][0]
            if other_role in parts and other in located:
                parts[other_role].append(other)
        start, end = located[cue]
        if len(parts[SOURCE]) > 1:
            raise DatasetError(
                f"{item.location}: the cue {text[start:end]!r} is related to "
                f"{len(parts[SOURCE])} sources; an attribution has one"
            )
        source = None
        if parts[SOURCE]:
            index = parts[SOURCE][0]
            source = SourceSpan(start=located[index][0], end=located[index][1],
                                kind=roles[index][1])  # type: ignore[arg-type]
        cue_span = CueSpan(start=start, end=end, stance=stance)  # type: ignore[arg-type]
        contents: list[ContentSpan | None] = [
            ContentSpan(start=located[index][0], end=located[index][1],
                        direct=bool(roles[index][1]))
            for index in parts[CONTENT]
        ] or [None]
        attributions.extend(
            LabeledAttribution(source=source, cue=cue_span, content=content)
            for content in contents
        )
    return attributions


def _level(item: ToolItem, targets: Sequence[DocumentTarget], text_level: Level) -> Level:
    label_levels = {level for _, _, level in targets}
    if len(label_levels) > 1:
        keys = ", ".join(sorted({key for key, _, _ in targets}))
        raise DatasetError(f"{item.location}: sentence and article labels together ({keys})")
    if item.level is not None:
        if item.level not in LEVELS:
            raise DatasetError(
                f"{item.location}: level must be sentence or article, got {item.level!r}"
            )
        if label_levels and item.level not in label_levels:
            raise DatasetError(
                f"{item.location}: level {item.level} but {label_levels.pop()} labels"
            )
        return item.level
    if label_levels:
        return label_levels.pop()
    return text_level


def _label(item: ToolItem, targets: Sequence[DocumentTarget], level: Level) -> dict[str, object]:
    values: dict[str, bool | str] = {}
    for key, value, _ in targets:
        if values.setdefault(key, value) != value:
            raise DatasetError(f"{item.location}: contradictory labels for {key}")
    if level == "sentence":
        if "biased" not in values:
            raise DatasetError(
                f"{item.location}: a sentence needs the label biased or not_biased "
                '(or the level "article" to import its spans alone)'
            )
        return {"biased": values["biased"]}
    label: dict[str, object] = {}
    if "framing" in values:
        label["framing"] = values["framing"]
    dimensions = {name: values[name] for name in DIMENSIONS if name in values}
    if dimensions:
        label["dimensions"] = dimensions
    if "leaning" in values:
        label["leaning"] = values["leaning"]
    return label


def exported_meta(example: Example) -> dict[str, object]:
    """The example's meta as the tool formats write it, ``annotated`` made explicit."""
    meta = dict(example.meta)
    meta["annotated"] = [layer for layer in ANNOTATION_LAYERS if example.annotated(layer)]
    return meta


def read_json_lines(path: Path) -> Iterator[tuple[int, str, dict[str, object]]]:
    """``(line number, location, object)`` for each non-blank line of a JSONL file."""
    if path.is_dir():
        raise DatasetError(f"{path}: expected a JSONL file, not a directory")
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            location = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{location}: not JSON ({error})") from error
            if not isinstance(row, dict):
                raise DatasetError(f"{location}: expected a JSON object")
            yield number, location, row


def text_of(row: Mapping[str, object], key: str, location: str) -> str:
    text = row.get(key)
    if not isinstance(text, str):
        raise DatasetError(f"{location}: no {key!r} string")
    return text


def span_triple(start: object, end: object, label: object, location: str) -> tuple[int, int, str]:
    """A validated ``(start, end, label)``."""
    if (
        not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool)
        or isinstance(end, bool) or not isinstance(label, str)
    ):
        raise DatasetError(
            f"{location}: a span needs integer start and end and a string label, "
            f"got {[start, end, label]!r}"
        )
    return start, end, label


def labels_from_cats(cats: object, location: str) -> list[tuple[str, bool]]:
    """Document labels of a ``cats`` field: a list of names, or ``{name: bool or score}``."""
    if cats is None:
        return []
    if isinstance(cats, list) and all(isinstance(name, str) for name in cats):
        return [(name, True) for name in cats]
    if isinstance(cats, dict):
        labels = []
        for name, value in cats.items():
            if not isinstance(value, bool | int | float):
                raise DatasetError(f"{location}: cats[{name!r}] must be true/false or a score")
            labels.append((str(name), value >= 0.5 if not isinstance(value, bool) else value))
        return labels
    raise DatasetError(f"{location}: cats must be a list of labels or an object of scores")


def item_meta(row: Mapping[str, object], location: str) -> tuple[object, dict[str, object]]:
    """The explicit level (a ``level`` field, else ``meta.level``) and the meta without it."""
    meta = row.get("meta", {})
    if not isinstance(meta, dict):
        raise DatasetError(f"{location}: meta must be an object")
    meta = dict(meta)
    level = row.get("level", meta.get("level"))
    meta.pop("level", None)
    return level, meta


def relation_pairs(
    relations: object, ids: Mapping[object, Sequence[int]], location: str,
    first_key: str, second_key: str,
) -> list[tuple[int, int]]:
    """Index pairs of ``relations`` (objects naming two span ids under the two keys)."""
    if relations is None:
        return []
    if not isinstance(relations, list) or not all(isinstance(r, dict) for r in relations):
        raise DatasetError(f"{location}: relations must be a list of objects")
    pairs: list[tuple[int, int]] = []
    for relation in relations:
        ends = relation.get(first_key), relation.get(second_key)
        missing = [end for end in ends if end not in ids]
        if missing:
            raise DatasetError(f"{location}: a relation names no span with id {missing[0]!r}")
        pairs.extend(
            (first, second) for first in ids[ends[0]] for second in ids[ends[1]]
        )
    return pairs
