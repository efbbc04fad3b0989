"""The document model: one normalized text, and every span as offsets into it.

Everything downstream (cues, attributions, features, explanations) works on a ``Document``
and never re-tokenizes. A span is ``(start, end)`` into ``Document.text``, end exclusive.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import itemgetter, not_

from training.normalize import html_to_text, normalize_text
from training.quotes import quoted_spans
from training.segment import paragraph_spans, sentence_spans, tokenize


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    index: int


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str  # == document.text[start:end]
    lower: str  # casefolded text, with curly apostrophes mapped to "'"
    sentence: int  # index into Document.sentences
    index: int  # position in Document.tokens


@dataclass(frozen=True, slots=True)
class QuotedRegion:
    """A quotation: ``start``/``end`` cover the quoted words, without the quote marks."""

    start: int
    end: int
    depth: int  # 0 for an outermost quotation, 1 for a quote inside a quote, ...
    closed: bool  # False when the closing mark is missing (region runs to paragraph end)


@dataclass
class Document:
    # Not slotted, unlike the small types: the look-up indexes below are plain attributes, so
    # that ``dataclasses.fields(Document)`` stays exactly the shared contract.
    text: str
    sentences: list[Sentence]
    tokens: list[Token]
    quotes: list[QuotedRegion]
    paragraphs: list[tuple[int, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what normalization removed or ignored

    def __post_init__(self) -> None:
        # Sorted start offsets for bisect look-ups, built on first use (and rebuilt if a list
        # was changed in place).
        self._token_starts: list[int] = []
        self._sentence_starts: list[int] = []
        self._quote_starts: list[int] = []
        self._paragraph_starts: list[int] = []
        self._token_lowers: list[str] = []
        self._token_texts: list[str] = []
        self._word_flags: list[bool] = []

    def token_lowers(self) -> list[str]:
        """``[token.lower for token in tokens]``, built once: matchers scan it many times."""
        if len(self._token_lowers) != len(self.tokens):
            self._token_lowers = [token.lower for token in self.tokens]
        return self._token_lowers

    def token_texts(self) -> list[str]:
        """``[token.text for token in tokens]``, built once (for C-level passes over words)."""
        if len(self._token_texts) != len(self.tokens):
            self._token_texts = [token.text for token in self.tokens]
        return self._token_texts

    def word_flags(self) -> list[bool]:
        """For every token, whether it is a word (``is_word``: it has a letter or digit), built
        once."""
        if len(self._word_flags) != len(self.tokens):
            texts = self.token_texts()
            # Most tokens start with a letter or digit; only the others need a closer look.
            flags = list(map(str.isalnum, map(itemgetter(0), texts)))
            for index in compress(range(len(flags)), map(not_, flags)):
                flags[index] = is_word(texts[index])
            self._word_flags = flags
        return self._word_flags

    def token_starts(self) -> list[int]:
        """``[token.start for token in tokens]``, built once (sorted: bisect it)."""
        return self._token_index()

    def _token_index(self) -> list[int]:
        if len(self._token_starts) != len(self.tokens):
            self._token_starts = [token.start for token in self.tokens]
        return self._token_starts

    def _sentence_index(self) -> list[int]:
        if len(self._sentence_starts) != len(self.sentences):
            self._sentence_starts = [sentence.start for sentence in self.sentences]
        return self._sentence_starts

    def _quote_index(self) -> list[int]:
        if len(self._quote_starts) != len(self.quotes):
            self._quote_starts = [quote.start for quote in self.quotes]
        return self._quote_starts

    def span_text(self, start: int, end: int) -> str:
        return self.text[start:end]

    def sentence_of(self, char_pos: int) -> int:
        """Index of the sentence containing ``char_pos``.

        A position between two sentences belongs to the preceding one, a position before the
        first sentence to the first. Raises ``ValueError`` for a document without sentences.
        """
        if not self.sentences:
            raise ValueError("the document has no sentences")
        return max(bisect_right(self._sentence_index(), char_pos) - 1, 0)

    def token_at(self, char_pos: int) -> Token | None:
        """The token covering ``char_pos``, or None when it falls on whitespace or out of range."""
        index = bisect_right(self._token_index(), char_pos) - 1
        if index >= 0 and char_pos < self.tokens[index].end:
            return self.tokens[index]
        return None

    def tokens_in(self, start: int, end: int) -> list[Token]:
        """The tokens lying entirely within ``[start, end)``."""
        starts = self._token_index()
        first = bisect_left(starts, start)
        last = bisect_left(starts, end)
        selected = self.tokens[first:last]
        if selected and selected[-1].end > end:
            selected.pop()
        return selected

    def tokens_overlapping(self, start: int, end: int) -> list[Token]:
        """The tokens sharing at least one character with ``[start, end)``."""
        starts = self._token_index()
        first = bisect_right(starts, start) - 1
        if first < 0 or self.tokens[first].end <= start:
            first += 1
        return self.tokens[first : bisect_left(starts, end)]

    def sentence_tokens(self, index: int) -> list[Token]:
        """The tokens of sentence ``index``."""
        sentence = self.sentences[index]
        return self.tokens_in(sentence.start, sentence.end)

    def sentence_text(self, index: int) -> str:
        sentence = self.sentences[index]
        return self.text[sentence.start : sentence.end]

    def quote_at(self, char_pos: int) -> QuotedRegion | None:
        """The innermost quoted region containing ``char_pos``, or None."""
        index = bisect_right(self._quote_index(), char_pos) - 1
        while index >= 0:
            quote = self.quotes[index]
            if char_pos < quote.end:
                return quote  # the latest-starting container is the innermost
            if quote.depth == 0:
                return None  # outermost regions are disjoint: nothing earlier contains it
            index -= 1
        return None

    def is_quoted(self, start: int, end: int | None = None) -> bool:
        """Whether ``[start, end)`` (or the character at ``start``) lies inside one quotation."""
        quote = self.quote_at(start)
        if quote is None:
            return False
        return end is None or end <= quote.end or self._outer_contains(quote, end)

    def _outer_contains(self, quote: QuotedRegion, end: int) -> bool:
        index = self.quotes.index(quote)
        for outer in reversed(self.quotes[:index]):
            if outer.start <= quote.start and end <= outer.end:
                return True
            if outer.depth == 0:
                break
        return False

    def paragraph_of(self, char_pos: int) -> int:
        """Index of the paragraph containing ``char_pos`` (or the preceding one)."""
        if len(self._paragraph_starts) != len(self.paragraphs):
            self._paragraph_starts = [start for start, _ in self.paragraphs]
        return max(bisect_right(self._paragraph_starts, char_pos) - 1, 0)


def is_word(text: str) -> bool:
    """Whether a token is a word: it has a letter or digit (punctuation and symbols are not)."""
    # Most tokens start with a letter or digit; only the rest ("'s", "$5") need a full scan.
    return text[:1].isalnum() or any(character.isalnum() for character in text)


# Frozen dataclasses pay for object.__setattr__ on every field, and a Document holds thousands
# of tokens: tokens (and sentences) are allocated in bulk and filled column by column through
# the slot descriptors (same type, same values, no per-object Python frame).
_TOKEN_FIELD_SETTERS: tuple[Callable[[Token, object], None], ...] = tuple(
    getattr(Token, name).__set__ for name in ("start", "end", "text", "lower", "sentence", "index")
)
_SENTENCE_FIELD_SETTERS: tuple[Callable[[Sentence, object], None], ...] = tuple(
    getattr(Sentence, name).__set__ for name in ("start", "end", "index")
)


def _make_tokens(
    starts: list[int], ends: list[int], texts: list[str], lowers: list[str], sentences: list[int]
) -> list[Token]:
    count = len(starts)
    tokens: list[Token] = list(map(object.__new__, repeat(Token, count)))
    columns: tuple[Sequence[object], ...] = (starts, ends, texts, lowers, sentences, range(count))
    for setter, column in zip(_TOKEN_FIELD_SETTERS, columns, strict=True):
        deque(map(setter, tokens, column), maxlen=0)
    return tokens


def _make_sentences(bounds: list[tuple[int, int]]) -> list[Sentence]:
    count = len(bounds)
    sentences: list[Sentence] = list(map(object.__new__, repeat(Sentence, count)))
    set_start, set_end, set_index = _SENTENCE_FIELD_SETTERS
    deque(map(set_start, sentences, map(itemgetter(0), bounds)), maxlen=0)
    deque(map(set_end, sentences, map(itemgetter(1), bounds)), maxlen=0)
    deque(map(set_index, sentences, range(count)), maxlen=0)
    return sentences


def _sentence_column(sentence_bounds: list[tuple[int, int]], token_starts: list[int]) -> list[int]:
    """The sentence index of every token (tokens are sorted and each lies in one sentence)."""
    column: list[int] = []
    first = 0
    for index, (_, end) in enumerate(sentence_bounds):
        after = bisect_left(token_starts, end, first)
        column.extend(repeat(index, after - first))
        first = after
    return column


def build_document(raw: str, *, html: bool = False) -> Document:
    """Normalize ``raw`` (plain text, or HTML when ``html``) and segment it into a Document."""
    normalized = html_to_text(raw) if html else normalize_text(raw)
    text = normalized.text
    paragraphs = paragraph_spans(text)
    starts, ends, surfaces = tokenize(text)
    sentence_bounds = sentence_spans(text, paragraphs, starts, ends)
    sentences = _make_sentences(sentence_bounds)

    lowers = list(map(str.casefold, surfaces))
    if "’" in text:  # str.replace returns the same string when there is nothing to replace
        lowers = list(map(str.replace, lowers, repeat("’"), repeat("'")))
    tokens = _make_tokens(starts, ends, surfaces, lowers, _sentence_column(sentence_bounds, starts))

    quotes = [
        QuotedRegion(start, end, depth, closed)
        for start, end, depth, closed in quoted_spans(text, paragraphs)
    ]
    document = Document(text, sentences, tokens, quotes, paragraphs, normalized.warnings)
    document._token_starts = starts  # the columns the tokens were built from
    document._token_lowers = lowers
    document._token_texts = surfaces
    return document
