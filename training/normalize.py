"""Text and HTML normalization: produce the one text that every span of a Document points into.

The plain-text rules (applied after HTML extraction too):
NFC; ``\\r\\n``/``\\r`` and other line separators -> ``\\n``; control characters removed;
tabs and Unicode spaces -> one space; lines trimmed; navigation boilerplate lines removed; a line
repeated immediately (the scraped title shown twice) kept once; paragraphs separated by exactly one
blank line; leading/trailing whitespace stripped. Curly quotes and apostrophes are kept.

``normalize_text(normalize_text(x).text).text == normalize_text(x).text`` always holds.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Lines that are navigation chrome, not article text. Stored as keys (casefolded, every run of
# non-word characters collapsed to one space), so "READ MORE »" and "Read more:" both match.
BOILERPLATE_PHRASES: frozenset[str] = frozenset(
    {
        "most visited in world",
        "most visited",
        "top world stories",
        "top stories",
        "most read",
        "most popular",
        "most viewed",
        "trending",
        "trending now",
        "related",
        "related articles",
        "related stories",
        "related news",
        "related content",
        "related topics",
        "more stories",
        "more on this story",
        "you may also like",
        "you might also like",
        "recommended",
        "recommended for you",
        "also read",
        "read more",
        "read also",
        "continue reading",
        "click here",
        "share",
        "share this",
        "share this article",
        "share this story",
        "share on facebook",
        "share on twitter",
        "share via email",
        "advertisement",
        "sponsored",
        "sponsored content",
        "subscribe",
        "subscribe now",
        "subscribe to our newsletter",
        "sign up for our newsletter",
        "follow us on twitter",
        "follow us on facebook",
        "follow us on instagram",
        "follow us on telegram",
        "skip to content",
        "skip to main content",
        "back to top",
        "print",
        "print this article",
        "email",
        "comments",
        "leave a comment",
        "listen to this article",
    }
)

# Elements whose whole content is dropped from HTML input.
SKIPPED_HTML_ELEMENTS: frozenset[str] = frozenset(
    {
        "script",
        "style",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "noscript",
        "template",
        "title",
        "svg",
        "iframe",
        "select",
        "button",
    }
)

# Elements that end a paragraph in HTML input.
BLOCK_HTML_ELEMENTS: frozenset[str] = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "tr",
        "table",
        "article",
        "section",
        "main",
        "figure",
        "figcaption",
        "pre",
        "hr",
        "dd",
        "dt",
        "dl",
        "body",
    }
)

_LINE_BREAK_CHARACTERS = frozenset("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_SPACE_CHARACTERS = frozenset(
    ["\t", "\xa0", "\u1680", "\u202f", "\u205f", "\u3000", *map(chr, range(0x2000, 0x200B))]
)
_INVISIBLE_CHARACTERS = frozenset("\u200b\u2060\ufeff")
# Every character that cleaning rewrites: line breaks, spaces, invisible and control characters.
_IRREGULAR = re.compile(  # one leading character class, so the engine can skip ahead quickly
    r"[\x00-\x09\x0b-\x1f\x7f-\x9f\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f"
    r"\u2060\u3000\ufeff](?:(?<=\r)\n)?"  # \r\n is one line break
)
_SPACE_RUNS = re.compile(r" {2,}")
_SPACES_AROUND_NEWLINE = re.compile(r" *\n *")
_BLANK_LINE_RUNS = re.compile(r"\n{3,}")
_NON_WORD_RUNS = re.compile(r"[\W_]+")
_HTML_WHITESPACE = re.compile(r"\s+")
_HTML_TAG = re.compile(r"<[^>]*>?")
# Where markup starts (a tag, an end tag, a comment, a declaration, a processing instruction).
_MARKUP_START = re.compile(r"<[a-zA-Z/!?]")
# The keyword of a marked section ("<![CDATA[", "<![if"), as html.parser's base class reads it,
# and the keywords it knows (it raises AssertionError for any other).
_SECTION_KEYWORD = re.compile(r"[a-zA-Z][-_.a-zA-Z0-9]*")
_SECTION_KEYWORDS = frozenset(
    {"temp", "cdata", "ignore", "include", "rcdata", "if", "else", "endif"}
)


# Every character with a non-zero canonical combining class: only these are reordered by NFC.
# Planes 0 and 1 hold all of them (the Unicode versions Python ships have none above U+1FFFF),
# and scanning them takes a few milliseconds, once.
_NON_STARTER_CODES = [code for code in range(0x20000) if unicodedata.combining(chr(code))]


def _character_class(codes: list[int]) -> str:
    """A regex character class of ``codes`` (sorted), as ranges of consecutive code points."""
    ranges: list[str] = []
    first = previous = codes[0]
    for code in [*codes[1:], -1]:  # -1 ends the last range
        if code != previous + 1:
            ranges.append(f"\\U{first:08x}-\\U{previous:08x}")
            first = code
        previous = code
    return f"[{''.join(ranges)}]"


# The longest run of combining marks kept on one character: the limit of Unicode's Stream-Safe
# Text Format (UAX #15). Real text never comes close; "Zalgo" text piles up thousands, and NFC's
# canonical reordering of a run (an insertion sort) takes time quadratic in the run's length.
MAX_COMBINING_MARKS = 30


def _combining_run_excess(non_starter: str) -> re.Pattern[str]:
    return re.compile(f"({non_starter}{{{MAX_COMBINING_MARKS}}}){non_starter}+")


# Two patterns, because re tests a class of Basic Multilingual Plane characters against a bitmap
# but a class with astral ranges range by range, on every character of the text: the complete
# pattern cost over a millisecond per article, the BMP one a tenth of that. Most texts have no
# astral character at all (one range, found or not in a fast scan), and they get the BMP one.
_COMBINING_RUN_EXCESS_BMP = _combining_run_excess(
    _character_class([code for code in _NON_STARTER_CODES if code < 0x10000])
)
_COMBINING_RUN_EXCESS = _combining_run_excess(_character_class(_NON_STARTER_CODES))
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

_MAX_BOILERPLATE_LINE = 60  # longer lines are never navigation chrome; skip the key computation
_MAX_QUOTED_IN_WARNING = 80
# A warning quotes this many removed lines, then counts the rest: a text of a hundred thousand
# repeated lines must not come back with a hundred thousand quotations.
_MAX_LINES_IN_WARNING = 10


@dataclass(slots=True)
class NormalizedText:
    text: str
    warnings: list[str] = field(default_factory=list)


def boilerplate_key(line: str) -> str:
    """The comparison key of a line against ``BOILERPLATE_PHRASES``."""
    return _NON_WORD_RUNS.sub(" ", line.casefold()).strip()


def _shorten(line: str) -> str:
    if len(line) <= _MAX_QUOTED_IN_WARNING:
        return line
    return line[: _MAX_QUOTED_IN_WARNING - 1] + "…"


def _removal_warning(kind: str, lines: list[str]) -> str:
    quoted = ", ".join(f'"{_shorten(line)}"' for line in lines[:_MAX_LINES_IN_WARNING])
    if len(lines) > _MAX_LINES_IN_WARNING:
        quoted += f" and {len(lines) - _MAX_LINES_IN_WARNING} more"
    return f"removed {len(lines)} {kind} line{'s' if len(lines) > 1 else ''}: {quoted}"


def _is_boilerplate(line: str) -> bool:
    return 0 < len(line) <= _MAX_BOILERPLATE_LINE and boilerplate_key(line) in BOILERPLATE_PHRASES


def _cut_combining_runs(text: str, removed: list[int]) -> str:
    """``text`` with every run of combining marks cut to ``MAX_COMBINING_MARKS``; the number of
    marks dropped is added to ``removed[0]``."""
    excess = _COMBINING_RUN_EXCESS if _ASTRAL.search(text) else _COMBINING_RUN_EXCESS_BMP
    if excess.search(text) is None:
        return text

    def cut(match: re.Match[str]) -> str:
        removed[0] += match.end() - match.end(1)
        return match.group(1)

    return excess.sub(cut, text)


def _nfc(text: str, removed: list[int]) -> str:
    # Runs are cut before NFC, which bounds its reordering work, and after it: decomposing a
    # mark can turn it into two (U+0344 -> U+0308 U+0301) and lengthen a run again.
    composed = unicodedata.normalize("NFC", _cut_combining_runs(text, removed))
    return _cut_combining_runs(composed, removed)


def _clean_characters(raw: str, warnings: list[str]) -> str:
    removed_marks = [0]
    text = _nfc(raw, removed_marks)
    removed_controls = 0
    removed_any = False

    def replace(match: re.Match[str]) -> str:
        nonlocal removed_controls, removed_any
        character = match.group()
        if character[0] in _LINE_BREAK_CHARACTERS:
            return "\n"
        if character in _SPACE_CHARACTERS:
            return " "
        if character not in _INVISIBLE_CHARACTERS:
            removed_controls += 1
        removed_any = True
        return ""

    cleaned = _IRREGULAR.sub(replace, text)
    if removed_any:
        # A removed character can leave a base letter next to a combining mark (compose again),
        # or join two runs of marks into one (cut again).
        cleaned = _nfc(cleaned, removed_marks)
    if removed_controls:
        plural = "s" if removed_controls > 1 else ""
        warnings.append(f"removed {removed_controls} control character{plural}")
    if removed_marks[0]:
        plural = "s" if removed_marks[0] > 1 else ""
        warnings.append(
            f"removed {removed_marks[0]} combining mark{plural} beyond {MAX_COMBINING_MARKS} "
            "on one character"
        )
    return cleaned


def _same_line(line: str, previous: str) -> bool:
    # Comparing lengths first spares casefolding every (long) paragraph.
    return len(line) == len(previous) and line.casefold() == previous.casefold()


def _filter_lines(lines: list[str], warnings: list[str]) -> list[str]:
    """Drop boilerplate lines, then lines that repeat the previous kept line."""
    boilerplate: list[str] = []
    kept: list[str] = []
    for line in lines:
        if _is_boilerplate(line):
            boilerplate.append(line)
        else:
            kept.append(line)

    repeated: list[str] = []
    deduplicated: list[str] = []
    previous = ""
    for line in kept:
        if line and _same_line(line, previous):
            repeated.append(line)
            continue
        if line:
            previous = line
        deduplicated.append(line)

    if boilerplate:
        warnings.append(_removal_warning("boilerplate", boilerplate))
    if repeated:
        warnings.append(_removal_warning("repeated", repeated))
    return deduplicated


def normalize_text(raw: str) -> NormalizedText:
    """Normalize plain text; ``warnings`` say what was removed."""
    warnings: list[str] = []
    text = _clean_characters(raw, warnings)
    # Substring tests are much cheaper than a regex scan that finds nothing.
    if "  " in text:
        text = _SPACE_RUNS.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _SPACES_AROUND_NEWLINE.sub("\n", text)
    lines = _filter_lines(text.strip().split("\n"), warnings)
    text = "\n".join(lines)
    if "\n\n\n" in text:
        text = _BLANK_LINE_RUNS.sub("\n\n", text)
    text = text.strip()
    return NormalizedText(text, warnings)


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML page, with block elements as paragraph breaks.

    Given whole documents (``feed_document``), and linear in them whatever they hold. The
    standard library's parser in the Python this project runs on is not: markup it cannot finish
    (a comment or marked section never closed, a tag cut off by the end) it searches to the end
    of the input, then keeps its first character as text and searches again from the next one.
    Here, as in HTML5 and newer Pythons, such markup runs to the end of the document and is
    dropped, in one pass.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipped: Counter[str] = Counter()
        self._skip_stack: list[str] = []
        self._open_skipped: Counter[str] = Counter()  # the skip stack's tags, for O(1) look-ups
        self._preformatted = 0
        self._open_articles = 0
        self._open_at_end = False  # a comment or section never closed took the rest

    def feed_document(self, raw_html: str) -> None:
        """Parse a whole document. After its last ">" nothing can end a tag, an end tag or a
        declaration: that tail never reaches the parser; its text is kept, and the unfinished
        markup in it dropped."""
        cut = raw_html.rfind(">") + 1
        self.feed(raw_html[:cut])
        self.close()
        tail = raw_html[cut:]
        markup = _MARKUP_START.search(tail)
        if markup is not None:
            tail = tail[: markup.start()]
        if tail and self.cdata_elem is None and not self._open_at_end:
            self.handle_data(html.unescape(tail))

    def _to_the_end(self, end: int) -> int:
        if end >= 0:
            return end
        self._open_at_end = True
        return len(self.rawdata)

    def parse_comment(self, i: int, report: bool = True) -> int:
        # Never closed: the rest of the document is inside the comment.
        return self._to_the_end(super().parse_comment(i, report))

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        match = _SECTION_KEYWORD.match(self.rawdata, i + 3)
        if match is None or match.group().lower() not in _SECTION_KEYWORDS:
            # "<![x" would raise and send the whole page to the tag-stripping fallback; HTML5
            # reads it as a bogus comment, up to the next ">".
            return self.parse_bogus_comment(i, report)
        return self._to_the_end(super().parse_marked_section(i, report))

    def _keeps(self, tag: str) -> bool:
        # An <article>'s own <header> holds the headline and byline, not site navigation.
        return tag == "header" and self._open_articles > 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            self._open_articles += 1
        if tag in SKIPPED_HTML_ELEMENTS and not self._keeps(tag):
            self._skip_stack.append(tag)
            self._open_skipped[tag] += 1
            self.skipped[tag] += 1
        elif tag in BLOCK_HTML_ELEMENTS or tag == "header":
            self.parts.append("\n\n")
            if tag == "pre":
                self._preformatted += 1
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A self-closing skipped element (<svg/>) has no content to skip.
        if tag in BLOCK_HTML_ELEMENTS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "article" and self._open_articles:
            self._open_articles -= 1
        if self._open_skipped[tag]:
            # Pop up to the matching element: unclosed children inside it end with it.
            while (popped := self._skip_stack.pop()) != tag:
                self._open_skipped[popped] -= 1
            self._open_skipped[tag] -= 1
        elif tag in BLOCK_HTML_ELEMENTS or tag == "header":
            self.parts.append("\n\n")
            if tag == "pre" and self._preformatted:
                self._preformatted -= 1
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skip_stack:
            return
        if self._preformatted:
            self.parts.append(data)
        else:
            self.parts.append(_HTML_WHITESPACE.sub(" ", data))


def html_to_text(raw_html: str) -> NormalizedText:
    """Extract and normalize the visible text of an HTML document."""
    extractor = _TextExtractor()
    warnings: list[str] = []
    try:
        extractor.feed_document(raw_html)
        extracted = "".join(extractor.parts)
    except Exception as error:  # the stdlib parser can still choke on pathological markup
        warnings.append(f"HTML parser failed ({type(error).__name__}); tags stripped instead")
        extracted = html.unescape(_HTML_TAG.sub(" ", raw_html))
    if extractor.skipped:
        summary = ", ".join(f"<{tag}> x{count}" for tag, count in sorted(extractor.skipped.items()))
        warnings.append(f"removed HTML elements: {summary}")
    normalized = normalize_text(extracted)
    normalized.warnings[:0] = warnings
    return normalized
