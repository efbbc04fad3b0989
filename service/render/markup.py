"""Spans over a text → well-formed HTML, whatever the spans' overlaps.

Sentences, attributed content, sources, reporting verbs and cues are all ``(start, end)`` spans
into one text, and they do not nest cleanly: a cue can sit inside a quote that ends mid-sentence,
a cue can straddle a source's name. HTML needs strict nesting, so the text is cut at every span
boundary and, for each piece, the elements covering it are opened in a fixed order (outer ranks
first); when the set changes, only the elements that must go are closed and the rest reopened.
An element cut in several pieces keeps its attributes on every piece; pieces after the first get
the class ``cont`` (so a per-element decoration such as a margin bar is drawn once).

Paragraphs (``\\n\\n``) become ``<p>`` and single newlines ``<br>``; every piece of text is
escaped. Joining the text of the ``<p>`` elements with ``\\n\\n`` (``<br>`` read as ``\\n``) gives
back the text exactly.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from itertools import pairwise

PARAGRAPH_BREAK = "\n\n"
CONTINUED_CLASS = "cont"


@dataclass(frozen=True, slots=True)
class Element:
    """One span to mark up: ``<tag class="…" attributes…>text[start:end]</tag>``.

    ``rank`` orders nesting: where two elements cover the same piece of text, the lower rank
    encloses the higher one (equal ranks: the earlier, then the longer, encloses).
    """

    start: int
    end: int
    tag: str
    rank: int
    classes: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...] = ()

    def open_tag(self, *, continued: bool) -> str:
        classes = (*self.classes, CONTINUED_CLASS) if continued else self.classes
        pairs = (("class", " ".join(classes)), *self.attributes)
        rendered = " ".join(f'{name}="{escape(value, quote=True)}"' for name, value in pairs)
        return f"<{self.tag} {rendered}>"

    def close_tag(self) -> str:
        return f"</{self.tag}>"


def paragraph_ranges(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph, the ``\\n\\n`` separators left out."""
    ranges: list[tuple[int, int]] = []
    position = 0
    while (separator := text.find(PARAGRAPH_BREAK, position)) >= 0:
        ranges.append((position, separator))
        position = separator + len(PARAGRAPH_BREAK)
    ranges.append((position, len(text)))
    return ranges


def text_html(piece: str) -> str:
    """Escaped text, single newlines as ``<br>``."""
    return escape(piece, quote=True).replace("\n", "<br>")


def render_marked_text(text: str, elements: Iterable[Element]) -> str:
    """The text as ``<p>`` paragraphs with every element's span marked up.

    Elements that are empty or reach outside the text are left out (they cover no character).
    """
    kept = [element for element in elements if 0 <= element.start < element.end <= len(text)]
    starting: dict[int, list[int]] = defaultdict(list)
    ending: dict[int, list[int]] = defaultdict(list)
    for number, element in enumerate(kept):
        starting[element.start].append(number)
        ending[element.end].append(number)
    events = sorted(set(starting) | set(ending))
    nesting_order = {
        number: order
        for order, number in enumerate(sorted(
            range(len(kept)),
            key=lambda n: (kept[n].rank, kept[n].start, -kept[n].end, n),
        ))
    }

    html: list[str] = []
    active: set[int] = set()
    opened_before: set[int] = set()
    next_event = 0
    for paragraph_start, paragraph_end in paragraph_ranges(text):
        html.append("<p>")
        stack: list[int] = []
        cuts = [paragraph_start, *_events_within(events, paragraph_start, paragraph_end),
                paragraph_end]
        for piece_start, piece_end in pairwise(cuts):
            # Everything that starts or ends up to here is now in (or out of) ``active``.
            while next_event < len(events) and events[next_event] <= piece_start:
                position = events[next_event]
                active.difference_update(ending.get(position, ()))
                active.update(starting.get(position, ()))
                next_event += 1
            if piece_start == piece_end:
                continue
            wanted = sorted(active, key=nesting_order.__getitem__)
            kept_open = _common_prefix(stack, wanted)
            html.extend(kept[number].close_tag() for number in reversed(stack[kept_open:]))
            for number in wanted[kept_open:]:
                html.append(kept[number].open_tag(continued=number in opened_before))
                opened_before.add(number)
            stack = wanted
            html.append(text_html(text[piece_start:piece_end]))
        html.extend(kept[number].close_tag() for number in reversed(stack))
        html.append("</p>")
    return "".join(html)


def _events_within(events: Sequence[int], start: int, end: int) -> Sequence[int]:
    """The sorted ``events`` strictly between ``start`` and ``end``."""
    return events[bisect_right(events, start) : bisect_left(events, end)]


def _common_prefix(first: Sequence[int], second: Sequence[int]) -> int:
    length = 0
    for left, right in zip(first, second, strict=False):
        if left != right:
            break
        length += 1
    return length
