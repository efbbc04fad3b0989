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

_MAX_BOILERPLATE_LINE = 60  # longer lines are never navigation chrome; skip the key computation
_MAX_QUOTED_IN_WARNING = 80


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
    quoted = ", ".join(f'"{_shorten(line)}"' for line in lines)
    return f"removed {len(lines)} {kind} line{'s' if len(lines) > 1 else ''}: {quoted}"


def _is_boilerplate(line: str) -> bool:
    return 0 < len(line) <= _MAX_BOILERPLATE_LINE and boilerplate_key(line) in BOILERPLATE_PHRASES


def _clean_characters(raw: str, warnings: list[str]) -> str:
    text = unicodedata.normalize("NFC", raw)
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
    if removed_controls:
        plural = "s" if removed_controls > 1 else ""
        warnings.append(f"removed {removed_controls} control character{plural}")
    if removed_any:
        # A removed character can leave a base letter next to a combining mark: compose again.
        return unicodedata.normalize("NFC", cleaned)
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
    """Collects the visible text of an HTML page, with block elements as paragraph breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipped: Counter[str] = Counter()
        self._skip_stack: list[str] = []
        self._preformatted = 0
        self._open_articles = 0

    def _keeps(self, tag: str) -> bool:
        # An <article>'s own <header> holds the headline and byline, not site navigation.
        return tag == "header" and self._open_articles > 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            self._open_articles += 1
        if tag in SKIPPED_HTML_ELEMENTS and not self._keeps(tag):
            self._skip_stack.append(tag)
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
        if tag in self._skip_stack:
            # Pop up to the matching element: unclosed children inside it end with it.
            while self._skip_stack.pop() != tag:
                pass
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
        extractor.feed(raw_html)
        extractor.close()
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
