"""Writers for the public corpus layouts: BABE and MBIC CSV, PTC articles, PolNeAR brat.

Each writes the layout its importer in ``training.importers`` reads, and each layout holds less
than the native format. What survives an export and import, exactly:

- **babe** (``final_labels_SG2.csv`` layout: ``;``-separated UTF-8 with a BOM) and **mbic**
  (``labeled_dataset.csv`` layout, comma-separated): sentence examples only. Kept: the text and
  ``biased``; meta ``outlet``, ``topic`` and ``type`` (the leaning; ``meta.lean`` when there is no
  ``type``). The cue spans become BABE's list of biased *words*, without offsets or categories:
  the importer marks every occurrence of each word and takes the category from the lexicon
  (``emotive`` when the lexicon has none), so spans survive only where that reading gives them
  back. Lost: attributions, ids (the importer numbers rows), other meta.
- **ptc** (``article<ID>.txt`` and ``labels/article<ID>.task-flc-tc.labels``): article examples
  only. Kept: the text and the cue spans of the four categories PTC has a technique for
  (emotive ``Loaded_Language``, demonizing ``Name_Calling,Labeling``, doubt ``Doubt``,
  exaggeration ``Exaggeration,Minimisation``), plus every technique span of an example that came
  from PTC (``meta.techniques``). Lost: glorifying, hedge and presupposition spans, the labels
  (PTC articles have none: ``{}``), attributions, meta.
- **polnear** (``text/<name>.txt`` and ``attributions/<name>_<annotator>.ann`` in brat
  standoff): article examples only. Kept: the text and every attribution's source, cue and
  content offsets (a missing source or content stays missing). The importer re-derives what brat
  does not hold from the text: the source kind, the cue's stance (from the reporting lexicon) and
  whether content is direct (quotation marks). Lost: cue spans, labels, other meta.

Texts are written exactly as stored (they are normalized already), so offsets need no mapping.
A directory layout is written into an empty or new directory.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from training.dataset import LEANINGS, Example
from training.errors import DatasetError
from training.importers.babe import BIASED, NON_BIASED
from training.importers.ptc import TECHNIQUE_CATEGORIES

BABE_COLUMNS = (
    "text", "news_link", "outlet", "topic", "type", "label_bias", "label_opinion", "biased_words",
)
# "Unnamed: 0" is the row-index column pandas left in the published MBIC file.
MBIC_COLUMNS = (
    "Unnamed: 0", "sentence", "news_link", "outlet", "topic", "type", "group_id", "num_sent",
    "Label_bias", "Label_opinion", "article", "biased_words4",
)
CATEGORY_TECHNIQUES = {category: technique for technique, category in TECHNIQUE_CATEGORIES.items()}
DEFAULT_NAME = "slant"
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def require_level(examples: Sequence[Example], level: str, format: str) -> None:
    others = sum(example.level != level for example in examples)
    if others:
        raise DatasetError(
            f"{format} holds {level} examples only; {others} of the {len(examples)} examples "
            f"are not {level}s (export them to another format, or select {level}s only)"
        )


def biased_words(example: Example) -> list[str]:
    """The distinct surfaces of the cue spans, in text order."""
    words: list[str] = []
    for span in sorted(example.spans, key=lambda span: (span.start, span.end)):
        word = example.text[span.start : span.end]
        if word not in words:
            words.append(word)
    return words


def _leaning(example: Example) -> str:
    value = example.meta.get("type") or example.meta.get("lean")
    return str(value) if value in LEANINGS else ""


def _meta(example: Example, key: str) -> str:
    value = example.meta.get(key)
    return "" if value is None else str(value)


def write_babe(examples: Sequence[Example], path: Path) -> None:
    require_level(examples, "sentence", "babe")
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(BABE_COLUMNS)
        for example in examples:
            writer.writerow([
                example.text, _meta(example, "news_link"), _meta(example, "outlet"),
                _meta(example, "topic"), _leaning(example),
                BIASED if example.biased else NON_BIASED, _meta(example, "label_opinion"),
                repr(biased_words(example)),
            ])


def write_mbic(examples: Sequence[Example], path: Path) -> None:
    require_level(examples, "sentence", "mbic")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MBIC_COLUMNS)
        for index, example in enumerate(examples):
            writer.writerow([
                index, example.text, _meta(example, "news_link"), _meta(example, "outlet"),
                _meta(example, "topic"), _leaning(example), _meta(example, "group_id"),
                _meta(example, "num_sent"), BIASED if example.biased else NON_BIASED,
                _meta(example, "label_opinion"), _meta(example, "article"),
                repr(biased_words(example)),
            ])


def _empty_directory(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise DatasetError(f"{path}: the export needs a new or empty directory")
    path.mkdir(parents=True, exist_ok=True)


def _file_names(candidates: Iterable[str | None]) -> list[str]:
    """One file name per example: its candidate when safe and unused, else a numbered one."""
    names: list[str] = []
    for index, candidate in enumerate(candidates, start=1):
        if candidate is None or not _SAFE_NAME.fullmatch(candidate) or candidate in names:
            candidate = f"{DEFAULT_NAME}_{index:04d}"
        names.append(candidate)
    return names


def _ptc_lines(example: Example, article: str) -> list[str]:
    triples = {
        (span.start, span.end, CATEGORY_TECHNIQUES[span.label])
        for span in example.spans if span.label in CATEGORY_TECHNIQUES
    }
    techniques = example.meta.get("techniques", [])
    if isinstance(techniques, list):
        for entry in techniques:
            if isinstance(entry, list | tuple) and len(entry) == 3:
                triples.add((int(entry[0]), int(entry[1]), str(entry[2])))
    return [f"{article}\t{technique}\t{start}\t{end}" for start, end, technique in sorted(triples)]


def write_ptc(examples: Sequence[Example], path: Path) -> None:
    require_level(examples, "article", "ptc")
    _empty_directory(path)
    (path / "labels").mkdir()
    names = _file_names(
        str(example.meta["article"]) if "article" in example.meta else None
        for example in examples
    )
    for article, example in zip(names, examples, strict=True):
        # newline="": the offsets count each "\n" as one character, on every platform
        with (path / f"article{article}.txt").open("w", encoding="utf-8", newline="") as handle:
            handle.write(example.text)
        lines = _ptc_lines(example, article)
        labels = path / "labels" / f"article{article}.task-flc-tc.labels"
        labels.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _brat_lines(example: Example) -> list[str]:
    lines: list[str] = []
    number = 0

    def mention(role: str, start: int, end: int) -> str:
        nonlocal number
        number += 1
        surface = example.text[start:end].replace("\n", " ")
        lines.append(f"T{number}\t{role} {start} {end}\t{surface}")
        return f"T{number}"

    for event, attribution in enumerate(example.attributions, start=1):
        roles = []
        if attribution.content is not None:
            content = attribution.content
            roles.append(f"Content:{mention('Content', content.start, content.end)}")
        roles.append(f"Cue:{mention('Cue', attribution.cue.start, attribution.cue.end)}")
        if attribution.source is not None:
            source = attribution.source
            roles.append(f"Source:{mention('Source', source.start, source.end)}")
        trigger = mention("Attribution", attribution.cue.start, attribution.cue.end)
        lines.append(f"E{event}\tAttribution:{trigger} {' '.join(roles)}")
    return lines


def write_polnear(examples: Sequence[Example], path: Path) -> None:
    require_level(examples, "article", "polnear")
    _empty_directory(path)
    (path / "text").mkdir()
    (path / "attributions").mkdir()
    names = _file_names(example.id.removeprefix("polnear:") for example in examples)
    for article, example in zip(names, examples, strict=True):
        annotator = _meta(example, "annotator")
        if not _SAFE_NAME.fullmatch(annotator) or "_" in annotator:
            annotator = DEFAULT_NAME
        with (path / "text" / f"{article}.txt").open("w", encoding="utf-8", newline="") as handle:
            handle.write(example.text)
        ann = path / "attributions" / f"{article}_{annotator}.ann"
        ann.write_text("".join(line + "\n" for line in _brat_lines(example)), encoding="utf-8")
