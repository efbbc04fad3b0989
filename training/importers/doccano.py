"""doccano JSONL exports (sequence labeling, relations, text classification) as native examples.

One JSON object a line, in any of doccano's export shapes::

    {"id": 7, "text": "...", "label": [[start, end, "LABEL"], ...], "cats": ["LABEL", ...]}
    {"id": 7, "text": "...", "entities": [{"id": 1, "start_offset": 0, "end_offset": 6,
     "label": "LABEL"}], "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "TYPE"}]}
    {"id": 7, "text": "...", "label": ["LABEL", ...]}

- ``text`` (``data`` in doccano 1.x exports) is the text; offsets are character offsets into it.
- Spans: ``label`` as ``[start, end, label]`` triples (sequence labeling), or ``entities``
  (relation labeling; objects, or triples). Relations (``from_id``/``to_id`` naming entity ids)
  tie attribution roles together (``training.importers.annotation_tools``).
- Document labels: ``label`` as a list of strings (text classification), or ``cats`` as a list
  of strings (or an object of ``{label: true|false|score}``) beside spans.
- Level: a ``level`` field (or ``meta.level``), else the rule of ``annotation_tools``.
- ``meta`` (an object) is kept as the example's meta; ``id`` becomes the example id
  (``doccano:<line>`` without one).

Label names and the mapping: ``training.importers.tool_labels``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from training.dataset import Example
from training.errors import DatasetError
from training.importers import importer
from training.importers.annotation_tools import (
    ToolItem,
    build_examples,
    item_meta,
    labels_from_cats,
    read_json_lines,
    relation_pairs,
    span_triple,
    text_of,
)


def _is_span_list(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(entry, list | tuple) and len(entry) == 3 for entry in value
    )


def item_from_row(row: dict[str, object], location: str, line: int) -> ToolItem:
    """One doccano row, labels as doccano names them."""
    # doccano 1.x exported the text as "data"
    text = text_of(row, "data" if "data" in row and "text" not in row else "text", location)
    spans: list[tuple[int, int, str]] = []
    labels: list[tuple[str, bool]] = []
    label = row.get("label", [])
    if isinstance(label, list) and label and _is_span_list(label):
        spans.extend(span_triple(entry[0], entry[1], entry[2], location) for entry in label)
    elif label:
        labels.extend(labels_from_cats(label, location))
    entities = row.get("entities", [])
    if not isinstance(entities, list):
        raise DatasetError(f"{location}: entities must be a list")
    ids: dict[object, list[int]] = {}
    for entity in entities:
        if isinstance(entity, dict):
            spans.append(span_triple(
                entity.get("start_offset"), entity.get("end_offset"), entity.get("label"),
                location,
            ))
            if "id" in entity:
                ids.setdefault(entity["id"], []).append(len(spans) - 1)
        elif isinstance(entity, list | tuple) and len(entity) == 3:
            spans.append(span_triple(entity[0], entity[1], entity[2], location))
        else:
            raise DatasetError(f"{location}: an entity must be an object or [start, end, label]")
    relations = relation_pairs(row.get("relations"), ids, location, "from_id", "to_id")
    labels.extend(labels_from_cats(row.get("cats"), location))
    level, meta = item_meta(row, location)
    identifier = row.get("id")
    return ToolItem(
        id=str(identifier) if identifier is not None else f"doccano:{line}",
        text=text,
        location=location,
        spans=tuple(spans),
        relations=tuple(relations),
        labels=tuple(labels),
        level=level,
        meta=meta,
    )


@importer("doccano")
def load(path: Path, *, mapping: Mapping[str, str] | None = None) -> list[Example]:
    """Every row of a doccano JSONL export."""
    items = [item_from_row(row, location, line) for line, location, row in read_json_lines(path)]
    return build_examples(items, source=path, mapping=mapping)
