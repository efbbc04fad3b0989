"""The attribution dataclasses and a per-document index of tokens, sentences and quotations.

``Attribution`` (source, cue, content) is what ``training.attribution.find_attributions`` returns;
``DocumentIndex`` holds the lookups that the frame, content and continuation rules share.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from training.document import Document
from training.lexicon import Stance
from training.sources import SourceMention


@dataclass(frozen=True, slots=True)
class ReportingCue:
    text: str
    start: int
    end: int
    stance: Stance
    term: str  # the lexicon term


@dataclass(frozen=True, slots=True)
class Content:
    start: int
    end: int
    direct: bool  # True: the words inside quotation marks (without the marks)


@dataclass(frozen=True, slots=True)
class Attribution:
    source: SourceMention | None
    cue: ReportingCue
    content: Content | None
    sentence: int


class DocumentIndex:
    """Token positions of sentences, top-level quotations and paragraphs of one document."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.tokens = doc.tokens
        self.text = doc.text
        self.token_starts = doc.token_starts()  # the document's own column: read only
        self.sentence_first = [
            bisect_left(self.token_starts, sentence.start) for sentence in doc.sentences
        ]
        self.sentence_last = [
            bisect_left(self.token_starts, sentence.end) - 1 for sentence in doc.sentences
        ]
        self.quotes = [quote for quote in doc.quotes if quote.depth == 0]
        self.quote_starts = [quote.start for quote in self.quotes]
        self.quote_ends = [quote.end for quote in self.quotes]
        # 1 for every token inside any quotation (nested ones included)
        self.quoted = bytearray(len(self.tokens))
        for quote in doc.quotes:
            first = bisect_right(self.token_starts, quote.start - 1)
            last = bisect_right(self.token_starts, quote.end - 1)
            self.quoted[first:last] = b"\x01" * (last - first)
        self.paragraph_starts = [start for start, _ in doc.paragraphs] or [0]

    def paragraph(self, char: int) -> int:
        return max(bisect_right(self.paragraph_starts, char) - 1, 0)

    def token_at(self, char: int) -> int:
        """Index of the first token starting at or after ``char``."""
        return bisect_right(self.token_starts, char - 1)
