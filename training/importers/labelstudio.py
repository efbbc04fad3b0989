"""Label Studio JSON exports (``Export -> JSON``) as native examples.

The file is a list of tasks::

    [{"id": 1, "data": {"text": "...", "level": "sentence", "meta": {...}},
      "annotations": [{"id": 3, "was_cancelled": false, "updated_at": "2024-05-01T10:00:00Z",
                       "result": [
        {"type": "labels", "value": {"start": 4, "end": 10, "text": "regime", "labels": ["L"]}},
        {"type": "choices", "value": {"choices": ["biased"]}}]}]}]

- **One annotation per task.** A task annotated several times (several annotators, or one
  annotator updating) is imported from its most recent annotation that was not cancelled
  (``was_cancelled``): latest ``updated_at`` (else ``created_at``), then highest id, then the
  last in the list. Labels are not merged across annotations: merging two people's spans would
  produce a reading nobody made. A task without such an annotation is skipped (and counted in
  the log). Exports from Label Studio before 1.0 call annotations ``completions``; both are read.
- ``labels`` results are spans (one per label when a region has several); ``choices`` results
  are document labels; ``relation`` results (``from_id``/``to_id`` naming regions) tie
  attribution roles together (``training.importers.annotation_tools``). Other result types
  (ratings, text areas, ...) are ignored.
- Offsets: Label Studio counts in UTF-16 code units, like the browser it runs in; where a
  region's ``text`` does not match the Python slice, the offsets are converted (texts with emoji
  or other characters beyond the Basic Multilingual Plane). A region that still does not match
  is dropped (and counted in the log).
- Text is ``data.text``; level ``data.level`` (or ``data.meta.level``), else the rule of
  ``annotation_tools``; ``data.meta`` is the example's meta; ``data.id`` (else
  ``labelstudio:<task id>``) the example id.

Label names and the mapping: ``training.importers.tool_labels``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from training.dataset import Example
from training.errors import DatasetError
from training.importers import importer
from training.importers.annotation_tools import (
    ToolItem,
    build_examples,
    item_meta,
    relation_pairs,
    span_triple,
    text_of,
)

log = logging.getLogger(__name__)


def latest_annotation(annotations: Sequence[object]) -> dict[str, object] | None:
    """The most recent annotation that was not cancelled, or None."""
    kept = [
        (index, annotation) for index, annotation in enumerate(annotations)
        if isinstance(annotation, dict) and not annotation.get("was_cancelled", False)
    ]
    if not kept:
        return None

    def recency(entry: tuple[int, dict[str, object]]) -> tuple[str, int, int]:
        index, annotation = entry
        stamp = annotation.get("updated_at") or annotation.get("created_at") or ""
        identifier = annotation.get("id")
        return str(stamp), identifier if isinstance(identifier, int) else -1, index

    return max(kept, key=recency)[1]


def _python_offset(text: str, utf16_offset: int) -> int:
    """The index into ``text`` of a UTF-16 code-unit offset."""
    units = 0
    for index, character in enumerate(text):
        if units >= utf16_offset:
            return index
        units += 2 if ord(character) > 0xFFFF else 1
    return len(text)


def _region(
    text: str, value: Mapping[str, object], location: str
) -> tuple[int, int] | None:
    start, end, _ = span_triple(value.get("start"), value.get("end"), "", location)
    surface = value.get("text")
    if not isinstance(surface, str) or text[start:end] == surface:
        return start, end
    start, end = _python_offset(text, start), _python_offset(text, end)
    return (start, end) if text[start:end] == surface else None


def item_from_task(task: object, location: str) -> tuple[ToolItem | None, int]:
    """The task's item (None without a usable annotation) and the regions dropped."""
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise DatasetError(f"{location}: a task must be an object with data")
    data: dict[str, object] = task["data"]
    text = text_of(data, "text", location)
    annotations = task.get("annotations", task.get("completions", []))
    if not isinstance(annotations, list):
        raise DatasetError(f"{location}: annotations must be a list")
    annotation = latest_annotation(annotations)
    if annotation is None:
        return None, 0
    results = annotation.get("result", [])
    if not isinstance(results, list):
        raise DatasetError(f"{location}: an annotation's result must be a list")
    spans: list[tuple[int, int, str]] = []
    labels: list[tuple[str, bool]] = []
    ids: dict[object, list[int]] = {}  # region id -> its spans (none when dropped)
    relations: list[dict[str, object]] = []
    dropped = 0
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("value", {}), dict):
            raise DatasetError(f"{location}: a result must be an object with a value")
        if result.get("type") == "relation":
            relations.append(result)
            continue
        if result.get("type") not in ("labels", "choices"):
            continue
        value: dict[str, object] = result.get("value", {})
        names = value.get(result["type"], [])
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise DatasetError(f"{location}: {result['type']} must be a list of strings")
        if result["type"] == "choices":
            labels.extend((name, True) for name in names)
            continue
        region = _region(text, value, location)
        indexes = ids.setdefault(result.get("id"), [])
        if region is None:
            dropped += 1
            continue
        for name in names:
            spans.append((region[0], region[1], name))
            indexes.append(len(spans) - 1)
    pairs = relation_pairs(relations, ids, location, "from_id", "to_id")
    level, meta = item_meta(data, location)
    identifier = data.get("id", f"labelstudio:{task.get('id')}")
    item = ToolItem(
        id=str(identifier), text=text, location=location, spans=tuple(spans),
        relations=tuple(pairs), labels=tuple(labels), level=level, meta=meta,
    )
    return item, dropped


@importer("labelstudio")
def load(path: Path, *, mapping: Mapping[str, str] | None = None) -> list[Example]:
    """Every annotated task of a Label Studio JSON export."""
    try:
        tasks = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatasetError(f"{path}: not a Label Studio JSON export ({error})") from error
    if not isinstance(tasks, list):
        raise DatasetError(f"{path}: a Label Studio JSON export is a list of tasks")
    items = []
    unannotated = dropped = several = 0
    for number, task in enumerate(tasks, start=1):
        task_id = task.get("id", number) if isinstance(task, dict) else number
        item, lost = item_from_task(task, f"{path}: task {task_id}")
        dropped += lost
        several += isinstance(task, dict) and len(
            task.get("annotations", task.get("completions")) or ()
        ) > 1
        if item is None:
            unannotated += 1
        else:
            items.append(item)
    if several:
        log.warning(
            "%s: %d tasks have several annotations; the most recent one not cancelled was "
            "imported for each", path, several,
        )
    if unannotated:
        log.warning("%s: %d tasks without a completed annotation were skipped", path, unannotated)
    if dropped:
        log.warning("%s: %d regions whose text does not match were dropped", path, dropped)
    return build_examples(items, source=path, mapping=mapping)
