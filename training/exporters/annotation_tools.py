"""Writers for the annotation-tool formats: doccano, Label Studio, spaCy/Prodigy.

Each writes what ``training.importers`` of the same name reads back, under slant's own label
names (``training.importers.tool_labels``), so no mapping is needed to import the files again:

- the text (already normalized, so it comes back unchanged), the level (``level``, in Label
  Studio ``data.level``), the id, the meta (with ``annotated`` made explicit);
- the cue spans, labeled with their categories;
- the document labels: ``biased``/``not_biased``, ``framing``/``not_framing``, each dimension and
  its ``not_`` form, the leaning (label keys other than the native format's are not written);
- the attributions, as role spans (``cue:<stance>``, ``source:<kind>``,
  ``content:direct|indirect``) with a relation from the cue to its source (``source``) and to its
  content (``content``): doccano's relation format (``entities`` and ``relations``), Label
  Studio ``relation`` results, Prodigy's ``relations``.

Everything comes back. One thing may move: Prodigy relations name spans by offsets, so
attributions that share a cue share one cue span there, and come back next to each other
(in the order of their cues' first appearance) when they were not.

Label Studio needs a labeling config naming the same controls, for example::

    <View>
      <Relations><Relation value="source"/><Relation value="content"/></Relations>
      <Labels name="label" toName="text"><Label value="doubt"/>...<Label value="cue:neutral"/>
      </Labels>
      <Choices name="document" toName="text" choice="multiple"><Choice value="biased"/>...
      </Choices>
      <Text name="text" value="$text"/>
    </View>

Label Studio counts offsets in UTF-16 code units, so they are written that way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from training.dataset import Example
from training.importers.annotation_tools import exported_meta
from training.importers.tool_labels import document_labels, label_names, tool_spans


def doccano_row(example: Example) -> dict[str, object]:
    spans, relations = tool_spans(example)
    return {
        "id": example.id,
        "text": example.text,
        "entities": [
            {"id": index, "label": label, "start_offset": start, "end_offset": end}
            for index, (start, end, label) in enumerate(spans, start=1)
        ],
        "relations": [
            {"id": number, "from_id": cue + 1, "to_id": other + 1, "type": role}
            for number, (cue, other, role) in enumerate(relations, start=1)
        ],
        "cats": label_names(document_labels(example)),
        "level": example.level,
        "meta": exported_meta(example),
    }


def spacy_row(example: Example) -> dict[str, object]:
    spans, relations = tool_spans(example, merge=True)
    objects = [{"start": start, "end": end, "label": label} for start, end, label in spans]
    row: dict[str, object] = {
        "id": example.id,
        "text": example.text,
        "spans": objects,
        "cats": dict(document_labels(example)),
        "answer": "accept",
        "level": example.level,
        "meta": exported_meta(example),
    }
    if relations:
        row["relations"] = [
            {"head_span": objects[cue], "child_span": objects[other], "label": role}
            for cue, other, role in relations
        ]
    return row


def utf16_offset(text: str, index: int) -> int:
    """The UTF-16 code-unit offset of ``text[index]``."""
    return index + sum(1 for character in text[:index] if ord(character) > 0xFFFF)


def labelstudio_task(example: Example, number: int) -> dict[str, object]:
    text = example.text
    spans, relations = tool_spans(example)
    region = [f"t{number}-s{index}" for index in range(len(spans))]
    result: list[dict[str, object]] = [
        {
            "id": region[index],
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "origin": "manual",
            "value": {
                "start": utf16_offset(text, start),
                "end": utf16_offset(text, end),
                "text": text[start:end],
                "labels": [label],
            },
        }
        for index, (start, end, label) in enumerate(spans)
    ]
    result.extend(
        {"from_id": region[cue], "to_id": region[other], "type": "relation",
         "direction": "right", "labels": [role]}
        for cue, other, role in relations
    )
    choices = label_names(document_labels(example))
    if choices:
        result.append({
            "id": f"t{number}-d",
            "from_name": "document",
            "to_name": "text",
            "type": "choices",
            "origin": "manual",
            "value": {"choices": choices},
        })
    return {
        "id": number,
        "data": {
            "text": text, "id": example.id, "level": example.level,
            "meta": exported_meta(example),
        },
        "annotations": [
            {"id": number, "was_cancelled": False, "ground_truth": False, "result": result}
        ],
        "predictions": [],
    }


def _write_lines(rows: Sequence[dict[str, object]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_doccano(examples: Sequence[Example], path: Path) -> None:
    _write_lines([doccano_row(example) for example in examples], path)


def write_spacy(examples: Sequence[Example], path: Path) -> None:
    _write_lines([spacy_row(example) for example in examples], path)


def write_labelstudio(examples: Sequence[Example], path: Path) -> None:
    tasks = [labelstudio_task(example, number) for number, example in enumerate(examples, 1)]
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_native(examples: Sequence[Example], path: Path) -> None:
    _write_lines([example.model_dump(mode="json") for example in examples], path)
