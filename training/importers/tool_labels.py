"""The label names of the annotation-tool formats, and the user's mapping onto them.

**Span labels** (``SPAN_LABELS``):

- a cue category (``training.lexicon.FRAMING_CATEGORIES``: ``doubt``, ``glorifying``, ...);
- an attribution role (``ROLE_LABELS``): ``source:<kind>`` (``source:person``,
  ``source:anonymous``, ...), ``cue:<stance>`` (``cue:neutral``, ``cue:distancing``, ...),
  ``content:direct`` and ``content:indirect``. A relation between a cue span and a source or
  content span ties them into an attribution (see ``annotation_tools``).

**Document labels** (``DOCUMENT_LABELS``):

- sentence: ``biased`` / ``not_biased``;
- article: ``framing`` / ``not_framing``, each dimension (``loaded_language``, ``doubt``,
  ``glorification``, ``demonization``, ``attribution_imbalance``) and its ``not_`` form, and the
  leaning ``left`` / ``center`` / ``right``.

Built-in names match case-insensitively. Any other label goes through the user's mapping
(``{"their label": "our label"}``, ``"ignore"`` to drop a label); a label neither built in nor
mapped is an error, and the ``DatasetError`` lists every such label with its count, so a user
writes the whole mapping file at once. A tool's "false" for a label (a spaCy ``cats`` score
below 0.5) is the ``not_`` form; a false leaning says nothing and is dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, get_args

from training.dataset import DIMENSIONS, LEANINGS, Example, SourceKind, Stance
from training.errors import DatasetError
from training.lexicon import FRAMING_CATEGORIES

Level = Literal["sentence", "article"]
IGNORE = "ignore"
NEGATION = "not_"
SOURCE, CUE, CONTENT = "source", "cue", "content"
DIRECT, INDIRECT = "direct", "indirect"

# A document label's meaning: the label key ("biased", "framing", a dimension or "leaning"),
# the value it sets, and the level it belongs to.
DocumentTarget = tuple[str, bool | str, Level]
# An attribution role: ("source", kind), ("cue", stance) or ("content", direct).
Role = tuple[str, str | bool]


def _document_targets() -> dict[str, DocumentTarget]:
    targets: dict[str, DocumentTarget] = {
        "biased": ("biased", True, "sentence"),
        "not_biased": ("biased", False, "sentence"),
        "framing": ("framing", True, "article"),
        "not_framing": ("framing", False, "article"),
    }
    for dimension in DIMENSIONS:
        targets[dimension] = (dimension, True, "article")
        targets[NEGATION + dimension] = (dimension, False, "article")
    for leaning in LEANINGS:
        targets[leaning] = ("leaning", leaning, "article")
    return targets


def _role_targets() -> dict[str, Role]:
    roles: dict[str, Role] = {f"{SOURCE}:{kind}": (SOURCE, kind) for kind in get_args(SourceKind)}
    roles.update({f"{CUE}:{stance}": (CUE, stance) for stance in get_args(Stance)})
    roles[f"{CONTENT}:{DIRECT}"] = (CONTENT, True)
    roles[f"{CONTENT}:{INDIRECT}"] = (CONTENT, False)
    return roles


DOCUMENT_TARGETS = _document_targets()
DOCUMENT_LABELS: tuple[str, ...] = tuple(DOCUMENT_TARGETS)
ROLE_TARGETS = _role_targets()
ROLE_LABELS: tuple[str, ...] = tuple(ROLE_TARGETS)
SPAN_LABELS: tuple[str, ...] = (*FRAMING_CATEGORIES, *ROLE_LABELS)


class LabelMapper:
    """Resolves the tool's label names through the user's mapping and the built-in names."""

    def __init__(self, mapping: Mapping[str, str] | None) -> None:
        self.mapping = dict(mapping or {})
        valid = {*SPAN_LABELS, *DOCUMENT_LABELS, IGNORE}
        invalid = sorted({target for target in self.mapping.values() if target not in valid})
        if invalid:
            raise DatasetError(
                f"the mapping names labels slant does not know: {', '.join(map(repr, invalid))}; "
                f"{known_labels()}"
            )
        self.unknown: Counter[tuple[str, str]] = Counter()  # (kind, their label) -> occurrences

    def _target(self, label: str, known: Sequence[str]) -> str | None:
        target = self.mapping.get(label)
        if target is None and label.casefold() in known:
            target = label.casefold()
        return target

    def span_label(self, label: str) -> str | None:
        """A cue category or role label, or None for a dropped or unknown (counted) label."""
        target = self._target(label, SPAN_LABELS)
        if target == IGNORE:
            return None
        if target not in SPAN_LABELS:
            self.unknown["span", label] += 1
            return None
        return target

    def document_label(self, label: str, truth: bool) -> DocumentTarget | None:
        """What a document label sets, or None for a dropped or unknown (counted) label."""
        target = self._target(label, DOCUMENT_LABELS)
        if target == IGNORE:
            return None
        if target not in DOCUMENT_TARGETS:
            self.unknown["document", label] += 1
            return None
        key, value, level = DOCUMENT_TARGETS[target]
        if truth:
            return key, value, level
        if isinstance(value, bool):
            return key, not value, level
        return None  # "not left" says nothing about the leaning

    def raise_unknown(self, source: Path) -> None:
        """A ``DatasetError`` listing every unknown label met, with its count; none if none."""
        if not self.unknown:
            return
        listed = []
        for kind in ("span", "document"):
            labels = [(label, n) for (k, label), n in sorted(self.unknown.items()) if k == kind]
            if labels:
                counts = ", ".join(f"{label!r} ({_occurrences(n)})" for label, n in labels)
                listed.append(f"{kind} labels {counts}")
        raise DatasetError(
            f"{source}: unknown labels: {'; '.join(listed)}. Map them in a mapping file, a JSON "
            f'object {{"their label": "our label"}} ("{IGNORE}" drops a label); '
            f"{known_labels()}"
        )


def _occurrences(count: int) -> str:
    return f"{count} occurrence{'' if count == 1 else 's'}"


def known_labels() -> str:
    return (
        f"span labels are {', '.join(SPAN_LABELS)}; document labels are "
        f"{', '.join(DOCUMENT_LABELS)}"
    )


def document_labels(example: Example) -> list[tuple[str, bool]]:
    """The example's label as document-label names with truth, for the exporters.

    ``[("biased", True)]``, ``[("framing", False), ("doubt", True), ("left", True)]``, ...
    Label keys other than those of the native format are not exported.
    """
    label = example.label
    if example.level == "sentence":
        return [("biased", bool(label["biased"]))]
    labels: list[tuple[str, bool]] = []
    if isinstance(label.get("framing"), bool):
        labels.append(("framing", bool(label["framing"])))
    dimensions = label.get("dimensions", {})
    if isinstance(dimensions, dict):
        labels.extend((name, bool(dimensions[name])) for name in DIMENSIONS if name in dimensions)
    if isinstance(label.get("leaning"), str):
        labels.append((str(label["leaning"]), True))
    return labels


def label_names(labels: Sequence[tuple[str, bool]]) -> list[str]:
    """Names for formats that list labels without truth values: false ones as ``not_...``."""
    return [name if truth else NEGATION + name for name, truth in labels]


ToolSpan = tuple[int, int, str]
ToolRelation = tuple[int, int, str]  # (cue span index, source or content span index, role)


def tool_spans(
    example: Example, *, merge: bool = False
) -> tuple[list[ToolSpan], list[ToolRelation]]:
    """The example's cue spans and attribution role spans, and the relations tying them.

    Cue spans first, then each attribution's cue, source and content, with a relation from the
    cue to each. With ``merge``, a span with the same offsets and label is written once (for
    formats that refer to spans by their offsets): attributions sharing a cue then share it.
    """
    spans: list[ToolSpan] = [(span.start, span.end, span.label) for span in example.spans]
    relations: list[ToolRelation] = []
    index: dict[ToolSpan, int] = {}

    def add(span: ToolSpan) -> int:
        if merge and span in index:
            return index[span]
        spans.append(span)
        index[span] = len(spans) - 1
        return len(spans) - 1

    for attribution in example.attributions:
        cue = add((attribution.cue.start, attribution.cue.end, f"{CUE}:{attribution.cue.stance}"))
        if attribution.source is not None:
            source = attribution.source
            relations.append(
                (cue, add((source.start, source.end, f"{SOURCE}:{source.kind}")), SOURCE)
            )
        if attribution.content is not None:
            content = attribution.content
            role = f"{CONTENT}:{DIRECT if content.direct else INDIRECT}"
            relations.append((cue, add((content.start, content.end, role)), CONTENT))
    return spans, list(dict.fromkeys(relations))  # merged spans may repeat a relation
