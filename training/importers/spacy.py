"""spaCy / Prodigy span JSONL (``prodigy db-out``, spaCy's span data) as native examples.

One JSON object a line::

    {"text": "...", "spans": [{"start": 4, "end": 10, "label": "LABEL", ...}],
     "answer": "accept", "cats": {"LABEL": true}, "accept": ["LABEL"], "meta": {...}}

- Only accepted rows are imported: ``answer`` ``"accept"`` or absent. Prodigy's ``"reject"`` and
  ``"ignore"`` rows say the text was judged unusable or wrong as shown, so they are skipped (and
  counted in the log).
- Spans: ``spans[]`` with character ``start``/``end`` (token fields are ignored) and ``label``.
- Relations: Prodigy's ``relations`` (``{"head_span": {...}, "child_span": {...}, "label"}``),
  whose spans are found in ``spans`` by their offsets and label, tie attribution roles together
  (``training.importers.annotation_tools``); the token indexes ``head``/``child`` are not used.
- Document labels: ``cats`` (``{label: true|false|score}``, a score of 0.5 or more is true, or a
  list of labels) and ``accept`` (the option ids chosen in Prodigy's choice interface).
- Level: a ``level`` field (or ``meta.level``), else the rule of ``annotation_tools``.
- ``meta`` is kept as the example's meta; ``id`` (else ``spacy:<line>``) is the example id.

Label names and the mapping: ``training.importers.tool_labels``.
"""

from __future__ import annotations

import logging
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
    span_triple,
    text_of,
)

log = logging.getLogger(__name__)
ACCEPT = "accept"


def _relations(
    row: dict[str, object], spans: list[tuple[int, int, str]], location: str
) -> list[tuple[int, int]]:
    """Index pairs into ``spans`` of the row's relations (found by offsets, and label if any)."""
    relations = row.get("relations", [])
    if not isinstance(relations, list) or not all(isinstance(r, dict) for r in relations):
        raise DatasetError(f"{location}: relations must be a list of objects")
    pairs = []
    for relation in relations:
        ends = []
        for key in ("head_span", "child_span"):
            span = relation.get(key)
            if not isinstance(span, dict):
                raise DatasetError(f"{location}: a relation needs a {key} object")
            wanted = (span.get("start"), span.get("end"), span.get("label"))
            matches = [
                index for index, (start, end, label) in enumerate(spans)
                if (start, end) == wanted[:2] and wanted[2] in (None, label)
            ]
            if not matches:
                raise DatasetError(f"{location}: the {key} {list(wanted)} is not in spans")
            ends.append(matches[0])
        pairs.append((ends[0], ends[1]))
    return pairs


def item_from_row(row: dict[str, object], location: str, line: int) -> ToolItem:
    """One accepted row, labels as the file names them."""
    text = text_of(row, "text", location)
    raw_spans = row.get("spans", [])
    if not isinstance(raw_spans, list) or not all(isinstance(span, dict) for span in raw_spans):
        raise DatasetError(f"{location}: spans must be a list of objects")
    spans = [
        span_triple(span.get("start"), span.get("end"), span.get("label"), location)
        for span in raw_spans
    ]
    labels = labels_from_cats(row.get("cats"), location)
    chosen = row.get("accept", [])
    if not isinstance(chosen, list):
        raise DatasetError(f"{location}: accept must be a list of option ids")
    labels.extend((str(option), True) for option in chosen)
    level, meta = item_meta(row, location)
    identifier = row.get("id")
    return ToolItem(
        id=str(identifier) if identifier is not None else f"spacy:{line}",
        text=text,
        location=location,
        spans=tuple(spans),
        relations=tuple(_relations(row, spans, location)),
        labels=tuple(labels),
        level=level,
        meta=meta,
    )


@importer("spacy")
def load(path: Path, *, mapping: Mapping[str, str] | None = None) -> list[Example]:
    """Every accepted row of a spaCy/Prodigy span JSONL file."""
    items = []
    skipped = 0
    for line, location, row in read_json_lines(path):
        if row.get("answer", ACCEPT) != ACCEPT:
            skipped += 1
            continue
        items.append(item_from_row(row, location, line))
    if skipped:
        log.warning("%s: %d rejected or ignored rows were skipped", path, skipped)
    return build_examples(items, source=path, mapping=mapping)
