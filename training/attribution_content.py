"""Pass two of attribution extraction: the reported words of each frame, and continuation quotes.

Content is direct when a top-level quotation touches the frame, otherwise the clause after the
frame (or before it, when the frame ends the clause). A quotation standing alone continues the
previous speaker (see ``training.attribution``).
"""

from __future__ import annotations

from bisect import bisect_right, insort
from itertools import accumulate

from training.attribution_frames import (
    ADDRESSEE_TERMS,
    CLAUSE_VERBS,
    CONTENT_TRIM,
    QUOTE_GAP_CHARS,
    Frame,
)
from training.attribution_types import Attribution, Content, DocumentIndex
from training.source_phrases import phrase_right


class ContentFinder:
    """The content of frames; remembers which quotations are taken."""

    def __init__(self, index: DocumentIndex, statement_tokens: set[int]) -> None:
        self.index = index
        self.tokens = index.tokens
        self.text = index.text
        self.quotes = index.quotes
        self.sentence_first = index.sentence_first
        self.sentence_last = index.sentence_last
        self.statement_tokens = statement_tokens
        self.used_quotes: set[int] = set()
        self._words_before: list[int] | None = None  # built on first use by _quote_only

    def content(self, frame: Frame, limit: int) -> tuple[Content | None, bool]:
        """The reported words, and whether they were introduced (quote, 'that', ':', clause end)."""
        tokens = self.tokens
        frame_start = tokens[frame.first].start
        frame_end = tokens[frame.end - 1].end
        after = self._quote_after(frame_end)
        before = self._quote_before(frame_start)
        if after is not None and (
            ":" in self.text[frame_end : self.quotes[after].start] or before is None
        ):
            return self._use_quote(after), True
        if before is not None:
            return self._use_quote(before), True
        position = frame.end
        introduced = False
        if frame.term in ADDRESSEE_TERMS and frame.match_end == frame.end:
            position = self._skip_addressee(position, limit)
        while position < limit and position in self.statement_tokens:
            position += 1
        if position < limit and tokens[position].lower in {"that", ":"}:
            position += 1
            introduced = True
        if frame.source_after and position < limit and tokens[position].text == ",":
            position += 1
            limit = self.sentence_last[frame.sentence] + 1  # the whole relayed clause
        span = self._trimmed(position, limit)
        if span is not None:
            # A cue opening its sentence without a speaker needs a marked complement ("Asked
            # about the deal, ..." is a question put to someone, not a report of it).
            if frame.unsourced and frame.match_first == self.sentence_first[frame.sentence]:
                return Content(*span, direct=False), introduced
            introduced = introduced or self._clause_like(position, limit)
            return Content(*span, direct=False), introduced
        # Nothing after the frame: '..., Press TV reported.' reports what came before it.
        span = self._trimmed(self.sentence_first[frame.sentence], frame.first)
        if span is None:
            return None, False
        return Content(*span, direct=False), True

    def _clause_like(self, first: int, end: int) -> bool:
        """Whether the words after a verb read as a clause ("the vaccine failed"), not an object
        ("its troops in the region"): an auxiliary or a past-tense-looking word within reach."""
        for token in self.tokens[first : min(end, first + 12)]:
            lower = token.lower
            past_tense = len(lower) > 3 and lower.endswith("ed") and lower.isalpha()
            if lower in CLAUSE_VERBS or past_tense:
                return True
        return False

    def _skip_addressee(self, position: int, limit: int) -> int:
        for ahead in range(position, min(limit, position + 8)):
            lower = self.tokens[ahead].lower
            if lower == "that":
                return ahead
            if not self.tokens[ahead].text[0].isalnum():
                break
        found = phrase_right(self.tokens, position, limit - 1) if position < limit else None
        return found[1] if found is not None else position

    def _trimmed(self, first: int, end: int) -> tuple[int, int] | None:
        tokens = self.tokens
        while end > first and tokens[end - 1].lower in CONTENT_TRIM:
            end -= 1
        while first < end and tokens[first].lower in CONTENT_TRIM:
            first += 1
        if first >= end:
            return None
        return tokens[first].start, tokens[end - 1].end

    def _quote_before(self, char: int) -> int | None:
        index = bisect_right(self.index.quote_ends, char) - 1
        if index < 0 or index in self.used_quotes:
            return None
        gap = self.text[self.index.quote_ends[index] : char]
        return index if all(ch in QUOTE_GAP_CHARS for ch in gap) else None

    def _quote_after(self, char: int) -> int | None:
        index = bisect_right(self.index.quote_starts, char)
        if index >= len(self.quotes) or index in self.used_quotes:
            return None
        gap = self.text[char : self.index.quote_starts[index]]
        return index if all(ch in QUOTE_GAP_CHARS or ch == ":" for ch in gap) else None

    def _use_quote(self, index: int) -> Content:
        self.used_quotes.add(index)
        quote = self.quotes[index]
        return Content(quote.start, quote.end, direct=True)

    def add_continuations(self, attributions: list[Attribution]) -> list[Attribution]:
        cue_sentences = {a.sentence for a in attributions}
        ordered = list(attributions)
        sorted_once = False
        for index, quote in enumerate(self.quotes):
            if index in self.used_quotes:
                continue
            first = bisect_right(self.index.token_starts, quote.start - 1)
            if first >= len(self.tokens):
                continue
            sentence = self.tokens[first].sentence
            if not self._quote_only(quote.start, quote.end) or sentence in cue_sentences:
                continue
            paragraph = self.index.paragraph(quote.start)
            speaker = None
            for earlier in reversed(ordered):
                if earlier.cue.start < quote.start and earlier.source is not None:
                    speaker = earlier
                    break
            if speaker is None:
                continue
            speaker_paragraph = self.index.paragraph(speaker.cue.start)
            opens_paragraph = all(
                ch in QUOTE_GAP_CHARS
                for ch in self.text[self.index.paragraph_starts[paragraph] : quote.start]
            )
            if not (
                speaker_paragraph == paragraph
                or (speaker_paragraph == paragraph - 1 and opens_paragraph)
            ):
                continue
            continuation = Attribution(
                speaker.source, speaker.cue, Content(quote.start, quote.end, True), sentence
            )
            if sorted_once:
                # The list is sorted: inserting after equal keys is what a stable sort of
                # the appended item does, without a sort per continuation.
                insort(ordered, continuation, key=_attribution_order)
            else:
                ordered.append(continuation)
                ordered.sort(key=_attribution_order)
                sorted_once = True
        return ordered

    def _quote_only(self, start: int, end: int) -> bool:
        """Whether the sentences around [start, end) hold nothing but this quotation."""
        first = bisect_right(self.index.token_starts, start - 1)
        last = bisect_right(self.index.token_starts, end - 1) - 1
        sentence_first = self.sentence_first[self.tokens[first].sentence]
        sentence_last = self.sentence_last[self.tokens[last].sentence]
        if self._words_before is None:
            # Running count of tokens starting with a letter or digit: any stretch of tokens
            # is checked in constant time, however many quotations share a sentence.
            starts_word = (int(token.text[0].isalnum()) for token in self.tokens)
            self._words_before = [0, *accumulate(starts_word)]
        words = self._words_before
        outside = (words[first] - words[sentence_first]) + (
            words[sentence_last + 1] - words[last + 1]
        )
        return outside == 0


def _attribution_order(attribution: Attribution) -> tuple[int, int]:
    anchor = attribution.content.start if attribution.content is not None else 0
    return (max(attribution.cue.start, anchor), attribution.cue.start)


