"""Lexicons of loaded words and reporting verbs: schema, loader and matcher.

The word lists are data (``training/lexicons/<category>.jsonl``, one JSON object a line), validated
by ``LexiconEntry`` on load. Each surface form is written once per kind across all files, so a term
has one category and one source of truth. Matching works on ``Document`` tokens (never re-tokenizes)
and compares token sequences, so multi-word terms ("occupying forces") and hyphenated ones
("so-called", one token) follow the document's tokenization convention.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from training.document import Document

FramingCategory = Literal[
    "doubt",
    "glorifying",
    "demonizing",
    "exaggeration",
    "emotive",
    "hedge",
    "presupposition",
]
Category = Literal[FramingCategory, "reporting"]
Stance = Literal["neutral", "endorsing", "distancing", "emotive"]
Kind = Literal["framing", "reporting"]

CATEGORIES: tuple[str, ...] = get_args(Category)
FRAMING_CATEGORIES: tuple[str, ...] = get_args(FramingCategory)
DEFAULT_LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"

# A term is lowercase words separated by single spaces; inside a word only hyphens, straight
# apostrophes and periods are allowed, as in the document tokenizer ("so-called", "o'reilly").
_TERM_PATTERN = re.compile(r"[a-z0-9]+(?:['.\-][a-z0-9]+)*\.?(?: [a-z0-9'][a-z0-9'.\-]*)*")


def term_tokens(term: str) -> tuple[str, ...]:
    """Split a lexicon term into the tokens the document tokenizer would produce.

    Words split on spaces; a possessive "'s" at a word's end is its own token ("women's rights"
    -> "women", "'s", "rights"), as in ``Document.tokens``.
    """
    tokens: list[str] = []
    for word in term.split(" "):
        if len(word) > 2 and word.endswith("'s"):
            tokens.extend((word[:-2], "'s"))
        else:
            tokens.append(word)
    return tuple(tokens)


def _check_surface(value: str) -> str:
    if value != value.strip() or "  " in value:
        raise ValueError(f"{value!r} has leading, trailing or repeated spaces")
    if "’" in value:
        raise ValueError(f"{value!r} uses a curly apostrophe; write ' (tokens map ’ to ')")
    if value != value.lower():
        raise ValueError(f"{value!r} is not lowercase")
    if not _TERM_PATTERN.fullmatch(value):
        raise ValueError(f"{value!r} is not a lowercase word sequence")
    return value


class LexiconEntry(BaseModel, frozen=True):
    """One lexicon row: a term, its other surface forms, and what it signals."""

    model_config = ConfigDict(extra="forbid")

    term: str
    category: Category
    kind: Kind
    stance: Stance | None = None
    forms: tuple[str, ...] = ()
    source: str
    note: str = ""

    @field_validator("term")
    @classmethod
    def _term_is_clean(cls, value: str) -> str:
        return _check_surface(value)

    @field_validator("forms")
    @classmethod
    def _forms_are_clean(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            _check_surface(value)
        return values

    @field_validator("source")
    @classmethod
    def _source_is_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("source must name where the entry came from")
        return value

    @model_validator(mode="after")
    def _kind_matches_category_and_stance(self) -> LexiconEntry:
        if self.kind == "reporting":
            if self.category != "reporting":
                raise ValueError("a reporting entry must have category 'reporting'")
            if self.stance is None:
                raise ValueError("a reporting entry needs a stance")
        else:
            if self.category == "reporting":
                raise ValueError("category 'reporting' needs kind 'reporting'")
            if self.stance is not None:
                raise ValueError("a framing entry has no stance")
        return self

    @property
    def surfaces(self) -> tuple[str, ...]:
        """The term followed by its other forms."""
        return (self.term, *self.forms)


@dataclass(frozen=True, slots=True)
class LexiconMatch:
    start_token: int  # index into Document.tokens
    end_token: int  # exclusive
    start: int  # char offset into Document.text
    end: int  # exclusive
    surface: str  # Document.text[start:end]
    entry: LexiconEntry


# One-token terms by their token; longer terms by their first two tokens, each list longest first.
# Most tokens start no term, and a common word that starts a longer one ("the", "it") is ruled
# out by its next token with one dict look-up instead of a slice comparison per term.
_Singles = dict[str, LexiconEntry]
_Longer = dict[tuple[str, str], list[tuple[tuple[str, ...], LexiconEntry]]]


class Lexicon:
    """Validated entries plus, per kind, an index of their token sequences for fast matching."""

    def __init__(self, entries: Iterable[LexiconEntry], version: str) -> None:
        self.entries: tuple[LexiconEntry, ...] = tuple(entries)
        self.version = version
        self._singles: dict[str, _Singles] = {"framing": {}, "reporting": {}}
        self._longer: dict[str, _Longer] = {"framing": {}, "reporting": {}}
        self._longer_firsts: dict[str, frozenset[str]] = {}
        for entry in self.entries:
            for surface in entry.surfaces:
                tokens = term_tokens(surface)
                if len(tokens) == 1:
                    self._singles[entry.kind][tokens[0]] = entry
                else:
                    key = (tokens[0], tokens[1])
                    self._longer[entry.kind].setdefault(key, []).append((tokens, entry))
        for kind, longer in self._longer.items():
            for candidates in longer.values():
                candidates.sort(key=lambda candidate: -len(candidate[0]))
            self._longer_firsts[kind] = frozenset(first for first, _ in longer)

    def __getstate__(self) -> dict[str, object]:
        # The index is derived data: a pickled model stores the entries and rebuilds the index
        # on load, so a model saved before the index changed shape still loads.
        return {"entries": self.entries, "version": self.version}

    def __setstate__(self, state: dict[str, object]) -> None:
        entries = state["entries"]
        version = state["version"]
        assert isinstance(entries, tuple) and isinstance(version, str)
        self.__init__(entries, version)  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"Lexicon({len(self.entries)} entries, version={self.version!r})"

    def categories(self) -> tuple[str, ...]:
        """Categories present in the entries, in the canonical order of ``Category``."""
        present = {entry.category for entry in self.entries}
        return tuple(category for category in CATEGORIES if category in present)

    def by_category(self, category: str) -> tuple[LexiconEntry, ...]:
        return tuple(entry for entry in self.entries if entry.category == category)

    def find(self, doc: Document, kind: Kind) -> list[LexiconMatch]:
        """Non-overlapping matches in text order; where matches overlap, the longest wins.

        A match never crosses a sentence boundary. Ties in length go to the earlier match.
        """
        tokens = doc.tokens
        lowers = doc.token_lowers()
        positions = range(len(lowers))
        singles = self._singles[kind]
        # (start token, end token, entry). The scans run in C (map, compress): a document has
        # a thousand tokens and only a few dozen start a term.
        candidates: list[tuple[int, int, LexiconEntry]] = [
            (position, position + 1, singles[lowers[position]])
            for position in compress(positions, map(singles.__contains__, lowers))
        ]
        longer = self._longer[kind]
        for position in compress(positions, map(self._longer_firsts[kind].__contains__, lowers)):
            options = longer.get((lowers[position], lowers[position + 1])) if (
                position + 1 < len(lowers)) else None
            if options is None:
                continue
            sentence = tokens[position].sentence
            for sequence, entry in options:
                end = position + len(sequence)
                if (
                    end <= len(lowers)
                    and tuple(lowers[position:end]) == sequence
                    and tokens[end - 1].sentence == sentence
                ):
                    # shorter options stay candidates: one may fit where the longest overlaps
                    candidates.append((position, end, entry))
        if not candidates:
            return []
        taken = bytearray(len(tokens))
        chosen: list[tuple[int, int, LexiconEntry]] = []
        for start, end, entry in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            chosen.append((start, end, entry))
        chosen.sort(key=lambda c: c[0])
        matches = []
        for start, end, entry in chosen:
            char_start, char_end = tokens[start].start, tokens[end - 1].end
            matches.append(
                LexiconMatch(
                    start_token=start,
                    end_token=end,
                    start=char_start,
                    end=char_end,
                    surface=doc.text[char_start:char_end],
                    entry=entry,
                )
            )
        return matches


def _read_file(path: Path) -> list[tuple[LexiconEntry, str]]:
    """Validated entries of one file, each with its ``file:line`` for error messages."""
    entries = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{line_number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{where}: invalid JSON ({error.msg})") from error
        try:
            entry = LexiconEntry.model_validate(row)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc']) or 'row'}: {problem['msg']}"
                for problem in error.errors()
            )
            raise ValueError(f"{where}: invalid lexicon entry: {problems}") from error
        if entry.category != path.stem:
            raise ValueError(f"{where}: category {entry.category!r} does not belong in {path.name}")
        entries.append((entry, where))
    return entries


def _reject_duplicates(located: list[tuple[LexiconEntry, str]]) -> None:
    """Each surface form may appear once per kind across all files (one source of truth)."""
    seen: dict[tuple[str, tuple[str, ...]], str] = {}
    for entry, where in located:
        for surface in entry.surfaces:
            key = (entry.kind, term_tokens(surface))
            if key in seen:
                raise ValueError(
                    f"{where}: duplicate {entry.kind} term {surface!r} "
                    f"(already defined at {seen[key]})"
                )
            seen[key] = where


def load_lexicon(directory: Path | None = None) -> Lexicon:
    """Load and validate every ``*.jsonl`` file in ``directory`` (default: the bundled lexicons).

    Raises ``ValueError`` naming the file and line of an invalid or duplicate row. The default
    lexicon is loaded once and cached.
    """
    if directory is None:
        return _load_default()
    return _load(Path(directory))


@lru_cache(maxsize=1)
def _load_default() -> Lexicon:
    return _load(DEFAULT_LEXICON_DIR)


def _load(directory: Path) -> Lexicon:
    paths = sorted(directory.glob("*.jsonl"))
    if not paths:
        raise ValueError(f"no lexicon files (*.jsonl) in {directory}")
    digest = hashlib.sha256()
    located: list[tuple[LexiconEntry, str]] = []
    for path in paths:
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
        located.extend(_read_file(path))
    _reject_duplicates(located)
    return Lexicon((entry for entry, _ in located), version=digest.hexdigest()[:12])
