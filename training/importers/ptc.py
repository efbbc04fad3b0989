"""PTC (SemEval-2020 Task 11 propaganda techniques corpus) as article examples with cue spans.

Input: a ``train-tc`` folder (or the corpus folder holding one) with ``article<ID>.txt`` and
``labels/article<ID>.task-flc-tc.labels`` (``<ID>\\t<technique>\\t<start>\\t<end>``, character
offsets into the .txt, end exclusive). Each text is normalized by ``build_document`` and every
span is re-located in the normalized text (``relocate_spans``).

Only the techniques that mark loaded wording become cue spans, with this mapping onto the cue
categories (``TECHNIQUE_CATEGORIES``):

- ``Loaded_Language`` -> emotive
- ``Name_Calling,Labeling`` -> demonizing
- ``Doubt`` -> doubt
- ``Exaggeration,Minimisation`` -> exaggeration

The other ten techniques (Repetition, Flag-Waving, Appeal_to_fear-prejudice, Slogans,
Causal_Oversimplification, ...) are arguments or rhetorical moves rather than word choices:
Flag-Waving spans are mostly "Americans", "our", "the American people", which would teach a
word tagger that a nationality is loaded. They are kept, with every mapped one, in
``meta["techniques"]`` as ``[start, end, technique]`` triples (``technique_spans``), so a
benchmark can score any technique on its own. Examples are articles with no framing label
(``label == {}``) and ``meta["annotated"] == ["spans"]``: the corpus marks every technique
occurrence, but not attributions.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from training.dataset import Example, LabeledSpan
from training.document import build_document
from training.errors import DatasetError
from training.importers import importer
from training.normalize import normalize_text

log = logging.getLogger(__name__)

TECHNIQUE_CATEGORIES: dict[str, str] = {
    "Loaded_Language": "emotive",
    "Name_Calling,Labeling": "demonizing",
    "Doubt": "doubt",
    "Exaggeration,Minimisation": "exaggeration",
}
ID_PREFIX = "ptc:"
_WHITESPACE = re.compile(r"\s+")
_LINE_BREAKS = str.maketrans(dict.fromkeys("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", "\n"))


@dataclass(frozen=True, slots=True)
class TechniqueSpan:
    start: int
    end: int
    technique: str


def technique_spans(example: Example, techniques: Sequence[str] | None = None
                    ) -> list[TechniqueSpan]:
    """The example's PTC technique spans (all of them, or those of ``techniques``)."""
    raw = example.meta.get("techniques", [])
    spans = [TechniqueSpan(int(s), int(e), str(t)) for s, e, t in raw]  # type: ignore[attr-defined]
    if techniques is None:
        return spans
    return [span for span in spans if span.technique in techniques]


def _line_offsets(raw: str, normalized: str) -> list[tuple[int, int, int] | None]:
    """For each raw line: (raw start, normalized start, normalized length), None if removed.

    Normalization works line by line (trim, collapse spaces, drop boilerplate and repeated
    lines), so a raw line either survives as its own normalized form at the next line position
    of the normalized text, or is gone.
    """
    offsets: list[tuple[int, int, int] | None] = []
    cursor = 0
    raw_start = 0
    for line in raw.split("\n"):
        expected = normalize_text(line).text
        position = cursor
        while position < len(normalized) and normalized[position] == "\n":
            position += 1
        after = position + len(expected)
        if expected and normalized.startswith(expected, position) and (
            after == len(normalized) or normalized[after] == "\n"
        ):
            offsets.append((raw_start, position, len(expected)))
            cursor = after
        else:
            offsets.append(None)
        raw_start += len(line) + 1
    return offsets


def _char_map(raw: str, normalized: str) -> list[int | None]:
    """Raw character offset -> normalized offset (None where the character was removed)."""
    mapping: list[int | None] = [None] * (len(raw) + 1)
    lines = raw.split("\n")
    for line, offset in zip(lines, _line_offsets(raw, normalized), strict=True):
        if offset is None:
            continue
        raw_start, target, length = offset
        end = target + length
        position = target
        in_space = False
        index = 0
        while index < len(line) and position < end:
            character = line[index]
            if character.isspace():
                if normalized[position] == " " and position > target and not in_space:
                    mapping[raw_start + index] = position
                    position += 1
                in_space = True
                index += 1
                continue
            in_space = False
            # A letter and the combining marks after it may be one character once composed.
            cluster_end = index + 1
            while cluster_end < len(line) and unicodedata.combining(line[cluster_end]):
                cluster_end += 1
            composed = unicodedata.normalize("NFC", line[index:cluster_end])
            if normalized.startswith(composed, position):
                for raw_index in range(index, cluster_end):
                    mapping[raw_start + raw_index] = min(position + raw_index - index,
                                                         position + len(composed) - 1)
                position += len(composed)
            # otherwise the character was removed; the span check catches any drift
            index = cluster_end
    return mapping


def _comparable(text: str) -> str:
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def relocate_spans(raw: str, normalized: str, spans: Sequence[tuple[int, int]]
                   ) -> list[tuple[int, int] | None]:
    """Each raw ``(start, end)`` re-located in the normalized text, or None when it cannot be.

    Surrounding whitespace is trimmed off a span; a span whose first or last character was
    removed (a dropped line) or whose surface differs beyond whitespace is None.
    """
    # Line breaks of every kind become "\n" one for one, so raw offsets stay valid.
    source = raw.translate(_LINE_BREAKS)
    mapping = _char_map(source, normalized)
    located: list[tuple[int, int] | None] = []
    for start, end in spans:
        if not 0 <= start < end <= len(source):
            located.append(None)
            continue
        while start < end and source[start].isspace():
            start += 1
        while end > start and source[end - 1].isspace():
            end -= 1
        if start >= end:
            located.append(None)
            continue
        first, last = mapping[start], mapping[end - 1]
        if first is None or last is None or last < first:
            located.append(None)
            continue
        if _comparable(normalized[first:last + 1]) != _comparable(source[start:end]):
            located.append(None)
            continue
        located.append((first, last + 1))
    return located


def _read_labels(path: Path) -> list[tuple[str, int, int]]:
    labels: list[tuple[str, int, int]] = []
    if not path.exists():
        return labels
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            raise DatasetError(f"{path}:{number}: expected 4 tab-separated fields")
        try:
            labels.append((parts[1], int(parts[2]), int(parts[3])))
        except ValueError as error:
            raise DatasetError(f"{path}:{number}: offsets must be integers") from error
    return labels


def load_article(text_path: Path, labels_path: Path) -> tuple[Example, int]:
    """One article example and the number of spans that could not be re-located."""
    article_id = text_path.stem.removeprefix("article")
    # newline="" keeps "\r\n" as two characters: the label offsets count both
    with text_path.open(encoding="utf-8", newline="") as handle:
        raw = handle.read()
    document = build_document(raw)
    labels = _read_labels(labels_path)
    located = relocate_spans(raw, document.text, [(start, end) for _, start, end in labels])
    techniques: list[tuple[int, int, str]] = []
    cue_spans: set[tuple[int, int, str]] = set()
    dropped = 0
    for (technique, _, _), span in zip(labels, located, strict=True):
        if span is None:
            dropped += 1
            continue
        techniques.append((span[0], span[1], technique))
        category = TECHNIQUE_CATEGORIES.get(technique)
        if category is not None:
            cue_spans.add((span[0], span[1], category))
    example = Example(
        id=f"{ID_PREFIX}{article_id}",
        text=document.text,
        level="article",
        label={},
        spans=tuple(
            LabeledSpan(start=start, end=end, label=label)  # type: ignore[arg-type]
            for start, end, label in sorted(cue_spans)
        ),
        meta={"annotated": ["spans"], "source": "ptc", "article": article_id,
              "techniques": [list(triple) for triple in sorted(techniques)]},
    )
    return example, dropped


def _articles_folder(path: Path) -> Path:
    if (path / "train-tc").is_dir():
        return path / "train-tc"
    return path


@importer("ptc")
def load(path: Path) -> list[Example]:
    """Every article of a PTC ``train-tc`` folder (or the corpus folder containing one)."""
    folder = _articles_folder(path)
    texts = sorted(folder.glob("article*.txt"))
    if not texts:
        raise DatasetError(f"{folder}: no article<ID>.txt files")
    examples = []
    dropped = 0
    for text_path in texts:
        labels_path = folder / "labels" / f"{text_path.stem}.task-flc-tc.labels"
        example, lost = load_article(text_path, labels_path)
        dropped += lost
        if example.text:
            examples.append(example)
    if dropped:
        log.warning("ptc: %d spans could not be re-located in the normalized text", dropped)
    return examples
