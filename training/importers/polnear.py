"""PolNeAR (Newell, Margolin, Ruths, LREC 2018): attributions in US election news, brat standoff.

Layout of a split directory (``polnear/train``, ``polnear/dev``)::

    text/<name>.txt                       the article (title line, blank line, paragraphs)
    attributions/<name>_<annotator>.ann   brat standoff, one file per annotator
    ../metadata.tsv                       publisher, date, ... per <name> (optional)

Given the corpus root instead (the directory holding ``train/`` and ``dev/``), every split under
it is loaded. An ``.ann`` file has ``T`` lines (``T3\\tContent 120 211;215 240\\t...``, labels
Source, Cue, Content, Attribution, plus Discard/Discuss notes that are ignored) and ``E`` lines
tying them together (``E1\\tAttribution:T4 Content:T3 Cue:T2 Source:T1``). A span's text may run
over several lines of the file (content across paragraphs), so only lines that start with an
annotation id are parsed.

Choices (each needed because the native format is stricter than brat):

- **One annotator per article.** A few articles (16 in train, 2 in dev) were annotated by every
  annotator to measure agreement. The annotation with the most attributions is kept, ties going
  to the alphabetically first annotator id: the most complete reading, chosen without looking at
  any prediction.
- **Discontinuous spans.** Cue and source keep the covering span (first start to last end): their
  gaps are a word or two ("was, he said, told"). Content keeps its first fragment: a content split
  in two is nearly always a quotation interrupted by its own frame ('"A," he said, "B"'), and the
  covering span would swallow the cue and source.
- **Relocation.** The text is normalized with ``build_document``; spans are mapped through an
  alignment of the non-space characters of the raw and the normalized text (identical for most
  articles; a ``difflib`` alignment where normalization removed a line or composed characters).
  A span whose characters were all removed is dropped, and an attribution without its cue with it.
- **Attributions without a cue** (36 in train, 1 in dev) are dropped: a native attribution needs
  a cue. Attributions without a source keep ``source: null``.
- **Source kind** is not annotated in PolNeAR: it is ``training.sources.classify_phrase`` of the
  source's tokens (a pronoun by its own kind: "he" person, "they" vague).
- **Cue stance** is not annotated either: the stance of the reporting lexicon entry found inside
  the cue ("claimed" distancing), ``neutral`` when the cue holds none ("believes", "wants").

Examples: level ``article``, label ``{}`` (no framing judgement), ``meta`` ``{"annotated":
["attributions"], "publisher", "split", "annotator"}`` (cue spans of framing words are not
annotated), ids ``polnear:<name>``.
"""

from __future__ import annotations

import csv
import difflib
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from training.dataset import ContentSpan, CueSpan, Example, LabeledAttribution, SourceSpan
from training.document import Document, build_document
from training.errors import DatasetError
from training.importers import importer
from training.lexicon import Stance, load_lexicon
from training.sources import SourceKind, classify_phrase

SPLITS = ("train", "dev", "test")
ROLES = ("Source", "Cue", "Content")
_ANNOTATION_LINE = re.compile(r"^([TE]\d+)\t([^\t]*)")

Fragments = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class BratAttribution:
    """One ``E`` line: each role's raw fragments, or None when the role is absent."""

    source: Fragments | None
    cue: Fragments | None
    content: Fragments | None


def parse_ann(text: str) -> list[BratAttribution]:
    """The attributions of one ``.ann`` file, in the file's order."""
    spans: dict[str, tuple[str, Fragments]] = {}
    events: list[dict[str, str]] = []
    for line in text.splitlines():
        found = _ANNOTATION_LINE.match(line)
        if found is None:
            continue  # the continuation of a span's text over several lines
        identifier, body = found.groups()
        if identifier.startswith("T"):
            label, _, offsets = body.partition(" ")
            fragments = tuple(
                (int(start), int(end))
                for start, end in (piece.split() for piece in offsets.split(";"))
            )
            spans[identifier] = (label, fragments)
        else:
            events.append(dict(part.split(":", 1) for part in body.split()))
    attributions = []
    for roles in events:
        found_roles = {
            role: spans[roles[role]][1] if roles.get(role) in spans else None for role in ROLES
        }
        attributions.append(BratAttribution(*(found_roles[role] for role in ROLES)))
    return attributions


class Relocator:
    """Maps raw character offsets into ``build_document(raw).text``."""

    def __init__(self, raw: str, normalized: str) -> None:
        self.raw_positions = [i for i, ch in enumerate(raw) if not ch.isspace()]
        self.normalized_positions = [i for i, ch in enumerate(normalized) if not ch.isspace()]
        raw_chars = "".join(raw[i] for i in self.raw_positions)
        normalized_chars = "".join(normalized[i] for i in self.normalized_positions)
        # raw non-space index -> normalized non-space index, -1 where normalization removed it
        if raw_chars == normalized_chars:
            self.mapping = list(range(len(raw_chars)))
            return
        self.mapping = [-1] * len(raw_chars)
        matcher = difflib.SequenceMatcher(None, raw_chars, normalized_chars, autojunk=False)
        for block in matcher.get_matching_blocks():
            for offset in range(block.size):
                self.mapping[block.a + offset] = block.b + offset

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """The normalized span of raw [start, end), trimmed to its first and last kept chars."""
        first = bisect_left(self.raw_positions, start)
        last = bisect_left(self.raw_positions, end) - 1
        kept = [self.mapping[k] for k in range(first, last + 1) if self.mapping[k] >= 0]
        if not kept:
            return None
        return self.normalized_positions[kept[0]], self.normalized_positions[kept[-1]] + 1


def choose_annotation(files: Sequence[Path]) -> tuple[str, list[BratAttribution]]:
    """(annotator, attributions) of the fullest annotation; ties to the first annotator id."""
    parsed = [
        (path.stem.rsplit("_", 1)[1], parse_ann(path.read_text(encoding="utf-8")))
        for path in files
    ]
    return min(parsed, key=lambda item: (-len(item[1]), item[0]))


def _tokens_in(document: Document, starts: Sequence[int], start: int, end: int) -> list[int]:
    first = bisect_left(starts, start)
    last = bisect_left(starts, end)
    return [i for i in range(first, last) if document.tokens[i].end <= end]


def _source_kind(document: Document, starts: Sequence[int], start: int, end: int) -> SourceKind:
    inside = _tokens_in(document, starts, start, end)
    if not inside:
        return "person"
    return classify_phrase([document.tokens[i] for i in inside])


def _stance(
    document: Document, starts: Sequence[int], start: int, end: int, stances: dict[int, Stance]
) -> Stance:
    for index in _tokens_in(document, starts, start, end):
        if index in stances:
            return stances[index]
    return "neutral"


def convert(
    raw: str, attributions: Sequence[BratAttribution]
) -> tuple[Document, list[LabeledAttribution]]:
    """The normalized text and the attributions relocated into it (see the module docstring)."""
    document = build_document(raw)
    relocate = Relocator(raw, document.text)
    starts = [token.start for token in document.tokens]
    stances: dict[int, Stance] = {}
    for match in load_lexicon().find(document, kind="reporting"):
        for index in range(match.start_token, match.end_token):
            stances[index] = match.entry.stance or "neutral"

    def covering(fragments: Fragments | None) -> tuple[int, int] | None:
        if not fragments:
            return None
        return relocate.span(fragments[0][0], fragments[-1][1])

    converted = []
    for attribution in attributions:
        cue = covering(attribution.cue)
        if cue is None:
            continue
        source = covering(attribution.source)
        content = relocate.span(*attribution.content[0]) if attribution.content else None
        converted.append(
            LabeledAttribution(
                source=None if source is None else SourceSpan(
                    start=source[0], end=source[1], kind=_source_kind(document, starts, *source)
                ),
                cue=CueSpan(
                    start=cue[0], end=cue[1], stance=_stance(document, starts, *cue, stances)
                ),
                content=None if content is None else ContentSpan(
                    start=content[0], end=content[1], direct=_is_direct(document.text, *content)
                ),
            )
        )
    return document, converted


def _is_direct(text: str, start: int, end: int) -> bool:
    """Content inside quotation marks ('“...”' or a mark just outside the span)."""
    before = text[max(start - 1, 0) : start + 1]
    after = text[end - 1 : end + 1]
    return any(mark in before for mark in "\"“") and any(mark in after for mark in "\"”")


def read_metadata(path: Path) -> dict[str, dict[str, str]]:
    """``metadata.tsv`` rows by file name; empty when the file is absent."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["filename"]: row for row in csv.DictReader(handle, delimiter="\t")}


def load_split(directory: Path, metadata: dict[str, dict[str, str]]) -> list[Example]:
    return [example for example, _ in load_split_documents(directory, metadata)]


def load_split_documents(
    directory: Path, metadata: dict[str, dict[str, str]], *, every: int = 1
) -> list[tuple[Example, Document]]:
    """The split's examples with their documents; ``every`` > 1 keeps every n-th article by name."""
    text_dir, ann_dir = directory / "text", directory / "attributions"
    if not text_dir.is_dir() or not ann_dir.is_dir():
        raise DatasetError(f"{directory}: expected text/ and attributions/ directories")
    by_article: dict[str, list[Path]] = {}
    for path in sorted(ann_dir.glob("*.ann")):
        by_article.setdefault(path.stem.rsplit("_", 1)[0], []).append(path)
    examples = []
    for name, files in sorted(by_article.items())[::every]:
        text_path = text_dir / f"{name}.txt"
        if not text_path.is_file():
            raise DatasetError(f"{files[0]}: no article text {text_path.name}")
        annotator, attributions = choose_annotation(files)
        document, converted = convert(text_path.read_text(encoding="utf-8"), attributions)
        row = metadata.get(name, {})
        example = Example(
            id=f"polnear:{name}",
            text=document.text,
            level="article",
            label={},
            attributions=tuple(converted),
            meta={
                "annotated": ["attributions"],
                "publisher": row.get("publisher") or name.split("_", 1)[0],
                "split": row.get("compartment") or directory.name,
                "annotator": annotator,
            },
        )
        examples.append((example, document))
    return examples


@importer("polnear")
def load(path: Path) -> list[Example]:
    """A split directory (``polnear/dev``), or the corpus root with every split under it."""
    if (path / "attributions").is_dir():
        return load_split(path, read_metadata(path.parent / "metadata.tsv"))
    splits = [path / split for split in SPLITS if (path / split / "attributions").is_dir()]
    if not splits:
        raise DatasetError(f"{path}: not a PolNeAR split (no attributions/) nor the corpus root")
    metadata = read_metadata(path / "metadata.tsv")
    return [example for split in splits for example in load_split(split, metadata)]
