"""Features of the learned attribution model (``training.attribution_learned``).

Every feature is a *template* with one categorical *key* per token (or per cue-candidate pair):
``w0`` the word, ``w-1`` the word before, ``lex`` the reporting-lexicon entry covering the
token, ``rule`` whether the rule-based extractor (``training.attribution``) made the token part of
a cue, and so on. Training turns each (template, key) into one binary column; scoring adds one
table look-up per template, which keeps the learned part to a few list comprehensions per
article. Both go through the same key functions below, so a feature is defined once.

Cue tagger (one row per word token outside quotations, and per ':'): the word, its suffix-stripped
form and suffix, the words around it (two each side, and the bigrams with the neighbours), its
capitalization, the word-list memberships (``training/wordlists``: report verbs, assertive,
factive, hedges ...), the reporting-lexicon entry (stance, first or inner word), the rule-based
cue, its position in the sentence and the paragraph, whether the sentence or the neighbouring
tokens hold a quotation, and whether the article's first paragraph (the headline) holds it.

Source ranker (one row per candidate token of the cue's sentence, outside the cue and outside
quotations): the candidate's word, shape and source-kind lists (``training.sources``), its
direction and distance to the cue, the cue's word with the direction ("according" + after), what
lies between (commas, a quotation, another cue, a verb-like word), whether the candidate ends a
name, and whether the rule-based extractor made it the source of this cue.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from training.attribution import find_attributions
from training.attribution_types import DocumentIndex
from training.document import Document
from training.lexicon import Lexicon
from training.sources import (
    ANONYMOUS_HEADS,
    DETERMINERS,
    MEDIA_HEADS,
    MEDIA_NAMES,
    ORGANIZATION_HEADS,
    ORGANIZATION_NAMES,
    PRONOUN_KINDS,
    TITLE_WORDS,
    VAGUE_HEADS,
    is_name_word,
)
from training.tagger_features import memberships
from training.tagger_features import stem as _stem

SOURCE_WINDOW = 20
QUOTE_MARKS = frozenset('"“”‘’«»')
CUE_TEMPLATES = (
    "bias", "w0", "stem", "suffix", "shape", "lists", "w-2", "w-1", "w+1", "w+2", "w-1w0",
    "w0w+1", "shape-1", "shape+1", "lex", "rule", "rule_source", "position", "to_end",
    "quote_sentence", "headline", "lex_w+1", "rule_w0",
)
SOURCE_TOKEN_TEMPLATES = ("w", "stem", "shape", "kind", "name_end", "w-1", "w+1")
SOURCE_PAIR_TEMPLATES = (
    "bias", "direction", "distance", "cue_direction", "between_commas", "between_quote",
    "between_cue", "rule", "rule_any", "adjacent_w",
)
SOURCE_TEMPLATES = (*SOURCE_PAIR_TEMPLATES, *SOURCE_TOKEN_TEMPLATES)


# Word-level keys repeat across tokens and articles: cache them (bounded, like the tagger's).
stem = lru_cache(maxsize=200_000)(_stem)


def _shape(text: str) -> str:
    if not text[0].isalnum():
        return "punct" if text not in QUOTE_MARKS else "quote"
    if text[0].isdigit():
        return "digit"
    if text.isupper() and len(text) > 1:
        return "upper"
    return "cap" if text[0].isupper() else "lower"


def _bucket(value: int) -> str:
    if value <= 3:
        return str(value)
    if value <= 6:
        return "4-6"
    if value <= 10:
        return "7-10"
    return "11+"


@lru_cache(maxsize=200_000)
def _source_kind_word(lower: str) -> str:
    if lower in PRONOUN_KINDS:
        return "pronoun:" + lower
    for name, words in (
        ("title", TITLE_WORDS), ("organization", ORGANIZATION_HEADS | ORGANIZATION_NAMES),
        ("media", MEDIA_HEADS | MEDIA_NAMES), ("anonymous", ANONYMOUS_HEADS),
        ("vague", VAGUE_HEADS), ("determiner", DETERMINERS),
    ):
        if lower in words:
            return name
    return "-"


@dataclass
class DocumentView:
    """Per-token facts of one document that the templates read."""

    document: Document
    index: DocumentIndex
    lowers: list[str]
    shapes: list[str]
    lexicon_keys: list[str]
    rule_cue: list[str]  # "B"/"I" inside a rule-based cue, "-" elsewhere
    rule_sources: dict[int, set[int]]  # first token of a rule cue -> its source's tokens
    rule_cue_first: list[int]  # token -> first token of the rule cue holding it, -1 if none
    sentence_quoted: list[bool] = field(default_factory=list)

    @classmethod
    def build(cls, document: Document, lexicon: Lexicon) -> DocumentView:
        index = DocumentIndex(document)
        tokens = document.tokens
        count = len(tokens)
        lowers = [token.lower for token in tokens]
        lexicon_keys = ["-"] * count
        for match in lexicon.find(document, kind="reporting"):
            stance = match.entry.stance or "neutral"
            lexicon_keys[match.start_token] = "B:" + stance
            for position in range(match.start_token + 1, match.end_token):
                lexicon_keys[position] = "I:" + stance
        rule_cue = ["-"] * count
        rule_cue_first = [-1] * count
        rule_sources: dict[int, set[int]] = {}
        for attribution in find_attributions(document, lexicon):
            first = index.token_at(attribution.cue.start)
            end = index.token_at(attribution.cue.end)
            if rule_cue[first] != "-":
                continue  # a continuation quote reuses its cue
            for position in range(first, end):
                rule_cue[position] = "B" if position == first else "I"
                rule_cue_first[position] = first
            source = attribution.source
            rule_sources[first] = (
                set() if source is None
                else set(range(index.token_at(source.start), index.token_at(source.end)))
            )
        sentence_quoted = [False] * len(document.sentences)
        for quote in index.quotes:
            position = index.token_at(quote.start)
            if position < count:
                sentence_quoted[tokens[position].sentence] = True
        return cls(
            document, index, lowers, [_shape(token.text) for token in tokens], lexicon_keys,
            rule_cue, rule_sources, rule_cue_first, sentence_quoted,
        )


def cue_rows(view: DocumentView) -> list[int]:
    """Tokens the cue tagger looks at: words outside quotations, and colons."""
    quoted = view.index.quoted
    return [
        position for position, token in enumerate(view.document.tokens)
        if not quoted[position] and (token.text[0].isalnum() or token.text == ":")
    ]


def cue_keys(view: DocumentView, rows: Sequence[int]) -> dict[str, list[str]]:
    """For each cue template, the key of every row."""
    lowers, shapes = view.lowers, view.shapes
    last = len(lowers) - 1
    index = view.index
    sentence_of = [view.document.tokens[row].sentence for row in rows]
    first_paragraph_end = index.paragraph_starts[1] if len(index.paragraph_starts) > 1 else -1

    def word(position: int) -> str:
        return lowers[position] if 0 <= position <= last else "<s>"

    def shape(position: int) -> str:
        return shapes[position] if 0 <= position <= last else "<s>"

    previous = [word(row - 1) for row in rows]
    following = [word(row + 1) for row in rows]
    words = [lowers[row] for row in rows]
    rule = [view.rule_cue[row] for row in rows]
    rule_source = [
        "-" if view.rule_cue_first[row] < 0
        else str(bool(view.rule_sources.get(view.rule_cue_first[row])))
        for row in rows
    ]
    return {
        "bias": ["1"] * len(rows),
        "w0": words,
        "stem": [stem(w) for w in words],
        "suffix": [w[-3:] for w in words],
        "shape": [shapes[row] for row in rows],
        "lists": ["+".join(memberships(w)) for w in words],
        "w-2": [word(row - 2) for row in rows],
        "w-1": previous,
        "w+1": following,
        "w+2": [word(row + 2) for row in rows],
        "w-1w0": [f"{p}|{w}" for p, w in zip(previous, words, strict=True)],
        "w0w+1": [f"{w}|{f}" for w, f in zip(words, following, strict=True)],
        "shape-1": [shape(row - 1) for row in rows],
        "shape+1": [shape(row + 1) for row in rows],
        "lex": [view.lexicon_keys[row] for row in rows],
        "rule": rule,
        "rule_source": rule_source,
        "position": [
            _bucket(row - index.sentence_first[s]) for row, s in zip(rows, sentence_of, strict=True)
        ],
        "to_end": [
            _bucket(index.sentence_last[s] - row) for row, s in zip(rows, sentence_of, strict=True)
        ],
        "quote_sentence": [str(view.sentence_quoted[s]) for s in sentence_of],
        "headline": [
            str(view.document.tokens[row].start < first_paragraph_end) for row in rows
        ],
        "lex_w+1": [f"{lex[:1]}|{f}" for lex, f in zip(
            (view.lexicon_keys[row] for row in rows), following, strict=True)],
        "rule_w0": [f"{r}|{w}" for r, w in zip(rule, words, strict=True)],
    }


def source_candidates(view: DocumentView, cue_first: int, cue_end: int) -> list[int]:
    """Word tokens of the cue's sentence outside the cue and outside quotations, at most
    ``SOURCE_WINDOW`` tokens away (a speaker further away is nearly always a shared subject)."""
    index = view.index
    sentence = view.document.tokens[cue_first].sentence
    quoted = index.quoted
    tokens = view.document.tokens
    low = max(index.sentence_first[sentence], cue_first - SOURCE_WINDOW)
    high = min(index.sentence_last[sentence], cue_end + SOURCE_WINDOW)
    return [
        position
        for position in range(low, high + 1)
        if (position < cue_first or position >= cue_end)
        and not quoted[position] and tokens[position].text[0].isalnum()
    ]


def source_token_keys(view: DocumentView, positions: Sequence[int]) -> dict[str, list[str]]:
    """The keys of the source templates that depend on the candidate token alone."""
    lowers, shapes = view.lowers, view.shapes
    tokens = view.document.tokens
    last = len(lowers) - 1
    words = [lowers[position] for position in positions]
    return {
        "w": words,
        "stem": [stem(word) for word in words],
        "shape": [shapes[position] for position in positions],
        "kind": [_source_kind_word(word) for word in words],
        "name_end": [
            str(is_name_word(tokens[position])
                and (position == last or not is_name_word(tokens[position + 1])))
            for position in positions
        ],
        "w-1": [lowers[position - 1] if position > 0 else "<s>" for position in positions],
        "w+1": [lowers[position + 1] if position < last else "<s>" for position in positions],
    }


def source_pair_keys(
    view: DocumentView, cue_first: int, cue_end: int, candidates: Sequence[int],
    cue_starts: Sequence[int],
) -> dict[str, list[str]]:
    """The keys of the source templates that relate the candidate to the cue [cue_first, cue_end).

    ``cue_starts``: first tokens of the document's cues, sorted (for "another cue between").
    """
    lowers = view.lowers
    cue_word = lowers[cue_first] if lowers[cue_first] != "'s" else lowers[cue_end - 1]
    rule_first = view.rule_cue_first[cue_first]
    rule_source = view.rule_sources.get(rule_first, set()) if rule_first >= 0 else set()
    rule_any = f"{rule_first >= 0}:{bool(rule_source)}"
    keys: dict[str, list[str]] = {name: [] for name in SOURCE_PAIR_TEMPLATES}
    for position in candidates:
        before = position < cue_first
        direction = "before" if before else "after"
        low, high = (position + 1, cue_first) if before else (cue_end, position)
        between = lowers[low:high]
        other_cue = bisect_right(cue_starts, high - 1) - bisect_right(cue_starts, low - 1)
        keys["bias"].append("1")
        keys["direction"].append(direction)
        keys["distance"].append(f"{direction}:{_bucket(high - low)}")
        keys["cue_direction"].append(f"{direction}:{cue_word}")
        keys["between_commas"].append(f"{direction}:{min(between.count(','), 3)}")
        keys["between_quote"].append(str(any(word in QUOTE_MARKS for word in between)))
        keys["between_cue"].append(str(other_cue > 0))
        keys["rule"].append(str(position in rule_source))
        keys["rule_any"].append(rule_any)
        keys["adjacent_w"].append(f"{direction}:{lowers[position]}" if high - low <= 1 else "-")
    return keys


def source_keys(
    view: DocumentView, cue_first: int, cue_end: int, candidates: Sequence[int],
    cue_starts: Sequence[int],
) -> dict[str, list[str]]:
    """For each source template, the key of every candidate of the cue [cue_first, cue_end)."""
    return {
        **source_token_keys(view, candidates),
        **source_pair_keys(view, cue_first, cue_end, candidates, cue_starts),
    }
