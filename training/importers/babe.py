"""BABE (Spinde et al., Findings of EMNLP 2021): expert-labeled news sentences with biased words.

``final_labels_SG2.csv`` (or the older ``final_labels_SG1.csv``) is ``;``-separated UTF-8 with a
BOM; columns ``text;news_link;outlet;topic;type;label_bias;label_opinion;biased_words``.
``label_bias`` is ``Biased`` / ``Non-biased`` / ``No agreement`` (dropped); ``biased_words`` is a
Python list literal of words, without offsets.

Locating the biased words: each word is tokenized like a document and matched as a token
sequence against the sentence's casefolded tokens, so "called" never matches inside "so-called"
and "’" matches "'". Every occurrence is marked: annotators marked a word, not one occurrence of
it. A word with no token match (a typo, a partial word, a form the tokenizer splits
differently) gets no span; ``BabeRow.missing`` keeps it so benchmarks can count it.

Span labels: the framing lexicon's category when the located word is (part of) a lexicon match
in the sentence or is itself a lexicon term or form; otherwise ``emotive``, BABE's "biased word"
being closest to an emotive word choice. Reporting-verb entries ("slammed") are stances, not
cue categories, so they map to ``emotive`` as well.
"""

from __future__ import annotations

import ast
import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from training.dataset import Example, LabeledSpan
from training.document import Document, build_document
from training.errors import DatasetError
from training.features import is_word
from training.importers import importer
from training.lexicon import Lexicon, LexiconMatch, load_lexicon, term_tokens

BABE_FILES = ("final_labels_SG2.csv", "final_labels_SG1.csv")
BIASED, NON_BIASED, NO_AGREEMENT = "Biased", "Non-biased", "No agreement"
FALLBACK_CATEGORY = "emotive"
MIN_STEM = 5  # letters an inflected form must share with the annotated word
LEANINGS = ("left", "center", "right")


@dataclass(frozen=True)
class BabeRow:
    """One labeled sentence of BABE or MBIC with its biased words, located."""

    id: str
    text: str  # normalized, as in the Example
    biased: bool
    words: tuple[str, ...]  # the raw biased_words list, as annotated
    spans: tuple[tuple[int, int, str], ...]  # every located occurrence, with its cue category
    missing: tuple[str, ...]  # words with no token match in the sentence
    outlet: str
    topic: str
    leaning: str | None

    def to_example(self) -> Example:
        meta: dict[str, object] = {
            "outlet": self.outlet,
            "topic": self.topic,
            "type": self.leaning,
            "annotated": ["spans"],
        }
        return Example(
            id=self.id,
            text=self.text,
            level="sentence",
            label={"biased": self.biased},
            spans=tuple(LabeledSpan(start=s, end=e, label=label) for s, e, label in self.spans),  # type: ignore[arg-type]
            meta=meta,
        )


def parse_words(literal: str) -> tuple[str, ...]:
    """The biased words of a ``['bizarre', 'characteristically']`` cell; empty when blank."""
    literal = literal.strip()
    if not literal:
        return ()
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError) as error:
        raise DatasetError(f"biased words {literal!r} are not a list literal") from error
    if not isinstance(value, list | tuple):
        raise DatasetError(f"biased words {literal!r} are not a list")
    return tuple(str(word).strip() for word in value if str(word).strip())


@lru_cache(maxsize=4096)
def _word_tokens(word: str) -> tuple[str, ...]:
    # Quote marks and punctuation annotators copied along ('"approved"', 'identity"') are no
    # part of the word.
    return tuple(token.lower for token in build_document(word).tokens if is_word(token.text))


def _single_token_categories(lexicon: Lexicon) -> dict[str, str]:
    categories: dict[str, str] = {}
    for entry in lexicon.entries:
        if entry.kind != "framing":
            continue
        for surface in entry.surfaces:
            tokens = term_tokens(surface)
            if len(tokens) == 1:
                categories.setdefault(tokens[0], entry.category)
    return categories


@lru_cache(maxsize=1)
def _default_categories() -> tuple[Lexicon, dict[str, str]]:
    lexicon = load_lexicon()
    return lexicon, _single_token_categories(lexicon)


def locate_words(
    document: Document, words: Iterable[str]
) -> tuple[list[tuple[int, int, str]], list[str]]:
    """Every occurrence of each word as ``(start, end, category)``, and the words not found."""
    lexicon, single_token = _default_categories()
    lowers = [token.lower for token in document.tokens]
    matches = lexicon.find(document, "framing")
    located: dict[tuple[int, int], str] = {}
    missing: list[str] = []
    for word in words:
        sequence = list(_word_tokens(word))
        positions = _exact_positions(lowers, sequence) or _inflected_positions(lowers, sequence)
        for position in positions:
            start = document.tokens[position].start
            end = document.tokens[position + len(sequence) - 1].end
            located[(start, end)] = _category(start, end, sequence, matches, single_token)
        if not positions:
            missing.append(word)
    spans = [(start, end, label) for (start, end), label in sorted(located.items())]
    return spans, missing


def _exact_positions(lowers: Sequence[str], sequence: Sequence[str]) -> list[int]:
    if not sequence:
        return []
    width = len(sequence)
    return [
        position for position in range(len(lowers) - width + 1)
        if lowers[position:position + width] == list(sequence)
    ]


def _inflected_positions(lowers: Sequence[str], sequence: Sequence[str]) -> list[int]:
    """A one-word form the sentence inflects ("dictator" for "dictators"): same first
    ``MIN_STEM`` letters and at most two letters of difference at the end."""
    if len(sequence) != 1 or len(sequence[0]) < MIN_STEM:
        return []
    word = sequence[0]
    return [
        position for position, lower in enumerate(lowers)
        if lower[:MIN_STEM] == word[:MIN_STEM] and _shared_prefix(lower, word) >= max(
            len(lower), len(word)) - 2
    ]


def _shared_prefix(first: str, second: str) -> int:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length


def _category(
    start: int, end: int, sequence: Sequence[str], matches: Sequence[LexiconMatch],
    single_token: Mapping[str, str],
) -> str:
    for match in matches:
        if match.start < end and start < match.end:
            return match.entry.category
    if len(sequence) == 1 and sequence[0] in single_token:
        return single_token[sequence[0]]
    return FALLBACK_CATEGORY


def make_row(
    prefix: str, index: int, raw_text: str, label: str, words_literal: str,
    outlet: str, topic: str, leaning: str,
) -> BabeRow | None:
    """One row, or None for ``No agreement`` and unlabeled rows."""
    label = label.strip()
    if label not in (BIASED, NON_BIASED):
        return None
    document = build_document(raw_text)
    if not document.tokens:
        return None
    words = parse_words(words_literal)
    spans, missing = locate_words(document, words)
    leaning = leaning.strip().lower()
    return BabeRow(
        id=f"{prefix}:{index}",
        text=document.text,
        biased=label == BIASED,
        words=words,
        spans=tuple(spans),
        missing=tuple(missing),
        outlet=outlet.strip(),
        topic=topic.strip(),
        leaning=leaning if leaning in LEANINGS else None,
    )


def resolve(path: Path, names: Sequence[str]) -> Path:
    """The file itself, or the first of ``names`` found in a directory."""
    if path.is_dir():
        for name in names:
            if (path / name).is_file():
                return path / name
        raise DatasetError(f"{path}: none of {', '.join(names)} found")
    return path


def babe_rows(path: Path) -> list[BabeRow]:
    """BABE's labeled rows (``No agreement`` dropped), ids ``babe:<data row index>``."""
    csv_path = resolve(Path(path), BABE_FILES)
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        required = {"text", "outlet", "topic", "type", "label_bias", "biased_words"}
        if not required <= set(reader.fieldnames or ()):
            raise DatasetError(f"{csv_path}: expected BABE columns {sorted(required)}")
        rows = []
        for index, record in enumerate(reader):
            row = make_row(
                "babe", index, record["text"] or "", record["label_bias"] or "",
                record["biased_words"] or "", record["outlet"] or "", record["topic"] or "",
                record["type"] or "",
            )
            if row is not None:
                rows.append(row)
    return rows


@importer("babe")
def load(path: Path) -> list[Example]:
    """BABE sentences as native examples (biased words as cue spans)."""
    return [row.to_example() for row in babe_rows(path)]
