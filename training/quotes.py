"""Quoted regions: where a text reports someone's own words.

Marks: straight double ``"``, curly ``“ ”``, guillemets ``« »``, low ``„``, curly single ``‘ ’``
and straight single ``'``. Rules, applied within one paragraph at a time:

- ``“ « „`` open a double quotation; ``” »`` close the innermost open double quotation (a closing
  mark with nothing open is ignored). A straight ``"`` alternates: it closes an open quotation
  opened by ``"`` and otherwise opens one (inside a curly quotation it opens a nested one when it
  stands before a word, else it closes the curly one: writers mix marks).
- ``’`` and ``'`` are apostrophes between letters (Asa’ib, don't) and in elisions ('90s, 'em).
  A single mark opens a quotation only at a word start after whitespace or opening punctuation,
  and closes one only at a word end before whitespace or punctuation, and only when a single
  quotation is the innermost open one (so "the students' union" closes nothing).
- An unclosed double or ``‘`` quotation runs to the end of its paragraph (``closed=False``); an
  unclosed straight ``'`` is taken as an apostrophe and dropped. A quotation continued over
  several paragraphs (each paragraph reopening with a mark) is one unclosed region per paragraph.
- Depth is the number of regions containing a region: 0 outermost, 1 for a quote in a quote.
- At most ``MAX_OPEN_QUOTATIONS`` quotations are open at once; an opening mark beyond that is
  left alone. Prose never nests that deep, and without the cap a run of unclosed marks ("“““…")
  would make thousands of regions nested inside each other, each spanning the whole paragraph.

Every mark is handled in constant time (amortized), so finding the regions is linear in the text.

Region spans exclude the marks.
"""

from __future__ import annotations

import re

_QUOTE_MARK = re.compile("[\"'“”‘’«»„]")
_DOUBLE_OPENERS = frozenset("“«„")
_DOUBLE_MARKS = frozenset('"“«„')
_SINGLE_MARKS = frozenset("'‘")
# Characters after which a mark standing before a word opens a quotation.
_OPENING_CONTEXT = frozenset("([{<“‘\"'«„—–-/:")
# Words that start with an apostrophe rather than an opening quote: the '90s, 'em, rock 'n' roll.
_ELISION = re.compile(r"(?:\d\ds?|em|til|cause|n|tis|twas)(?!\w)", re.IGNORECASE)

QuoteSpan = tuple[int, int, int, bool]  # start, end, depth, closed

MAX_OPEN_QUOTATIONS = 4


class _OpenQuotations:
    """The quotations open at a point of a paragraph, innermost last.

    The positions of the double ones are kept on a stack of their own, so that finding the
    innermost open double quotation never scans past the single ones opened inside it.
    """

    __slots__ = ("doubles", "stack")

    def __init__(self) -> None:
        self.stack: list[tuple[str, int]] = []  # (opening mark, offset just after it)
        self.doubles: list[int] = []  # positions in ``stack`` of the double quotations

    def innermost_double(self) -> int | None:
        return self.doubles[-1] if self.doubles else None

    def open(self, mark: str, content_start: int) -> None:
        if len(self.stack) >= MAX_OPEN_QUOTATIONS:
            return
        if mark in _DOUBLE_MARKS:
            self.doubles.append(len(self.stack))
        self.stack.append((mark, content_start))

    def close(self, position: int, at: int, regions: list[tuple[int, int, bool]]) -> None:
        """Close ``stack[position]`` at ``at``; quotations opened inside it end with it,
        unclosed."""
        stack = self.stack
        for mark, start in stack[position + 1 :]:
            if mark != "'":
                regions.append((start, at, False))
        regions.append((stack[position][1], at, True))
        del stack[position:]
        while self.doubles and self.doubles[-1] >= position:
            self.doubles.pop()


def _paragraph_quotes(
    text: str, start: int, end: int, regions: list[tuple[int, int, bool]]
) -> None:
    quotations = _OpenQuotations()
    stack = quotations.stack
    for match in _QUOTE_MARK.finditer(text, start, end):
        at = match.start()
        mark = match.group()
        previous = text[at - 1] if at > start else " "
        following = text[at + 1] if at + 1 < end else " "
        opening = (previous.isspace() or previous in _OPENING_CONTEXT) and not following.isspace()
        closing = not previous.isspace() and not following.isalnum()
        double = quotations.innermost_double()

        if mark == '"':
            if double is not None and (stack[double][0] == '"' or not opening):
                quotations.close(double, at, regions)
            else:
                quotations.open(mark, at + 1)
        elif mark in _DOUBLE_OPENERS:
            # „…“ closes with “, and a “ glued to the end of a word is a mistyped closing mark.
            if double is not None and (stack[double][0] == "„" or (closing and not opening)):
                quotations.close(double, at, regions)
            else:
                quotations.open(mark, at + 1)
        elif mark in "”»":
            if double is not None:
                quotations.close(double, at, regions)
        elif previous.isalnum() and following.isalnum():
            continue  # an apostrophe inside a word
        elif closing and stack and stack[-1][0] in _SINGLE_MARKS:
            quotations.close(len(stack) - 1, at, regions)
        elif mark in "'‘" and opening and not _ELISION.match(text, at + 1, end):
            quotations.open(mark, at + 1)

    for mark, content_start in stack:
        if mark != "'":
            regions.append((content_start, end, False))


def quoted_spans(text: str, paragraphs: list[tuple[int, int]]) -> list[QuoteSpan]:
    """Quoted regions as ``(start, end, depth, closed)``, outer before inner, by start."""
    regions: list[tuple[int, int, bool]] = []
    for paragraph_start, paragraph_end in paragraphs:
        _paragraph_quotes(text, paragraph_start, paragraph_end, regions)
    regions = [region for region in regions if region[0] < region[1]]
    regions.sort(key=lambda region: (region[0], -region[1]))

    spans: list[QuoteSpan] = []
    open_ends: list[int] = []
    for start, end, closed in regions:
        while open_ends and open_ends[-1] < end:
            open_ends.pop()
        spans.append((start, end, len(open_ends), closed))
        open_ends.append(end)
    return spans
