"""Paragraphs, tokens and sentences of a normalized text, as ``(start, end)`` character offsets.

Tokenization: words keep internal hyphens and apostrophes ("so-called", "Asa’ib", "don't");
a final possessive/clitic "'s"/"’s" is its own token; numbers keep internal ``. , : /`` between
digits ("3.5", "1,000", "9/11"); known abbreviations, dotted acronyms and initials keep their
periods ("Mr.", "U.S.", "J."); every other non-space character is a token by itself.

Sentences end at ``. ! ? …`` (plus any closing quotes or brackets right after them, so
``"We need help." He said`` ends after the closing mark) followed by whitespace and a character
that is not lowercase. After a title abbreviation ("Mr.", "Gen.", "e.g.") a sentence never ends;
after another abbreviation, a dotted acronym or an initial ("Inc.", "Jan.", "U.S.", "J.") it ends
only before an opening quote or a word that usually starts a sentence ("The", "He", ...).
Sentences also end at a line break not followed by a lowercase letter (a hard-wrapped line goes
on in lowercase), and always at a paragraph end. A decimal point ("3.5") is inside a token.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from itertools import accumulate, groupby
from operator import sub


def _combining_mark_ranges() -> str:
    """Character-class ranges of the BMP's combining marks (Mn, Mc, Me), plus ZWNJ and ZWJ."""
    ranges: list[str] = []
    run_start: int | None = None
    for code in range(0x10000):
        is_mark = unicodedata.category(chr(code))[0] == "M"
        if is_mark and run_start is None:
            run_start = code
        elif not is_mark and run_start is not None:
            ranges.append(f"\\u{run_start:04x}-\\u{code - 1:04x}")
            run_start = None
    return "".join(ranges) + "\\u200c\\u200d"


# A word character: a letter, digit or underscore, or a combining mark that belongs to a letter.
_WORD_CHARACTER = f"[\\w{_combining_mark_ranges()}]"

# Abbreviations after which a sentence never ends (a name or a number always follows).
NON_FINAL_ABBREVIATIONS: frozenset[str] = frozenset(
    {
        "Mr", "Mrs", "Ms", "Messrs", "Dr", "Prof", "Gen", "Gens", "Sen", "Sens", "Rep", "Reps",
        "Gov", "Govs", "Lt", "Col", "Sgt", "Capt", "Maj", "Adm", "Cmdr", "Rev", "Hon", "Pres",
        "Brig", "Cpl", "Pvt", "Supt", "Insp", "Atty", "Amb", "Mt", "Ft", "vs", "cf",
        "e.g", "i.e", "E.g", "I.e",
    }
)  # fmt: skip

# Abbreviations that may also end a sentence ("... a unit of Apple Inc. The company said").
OTHER_ABBREVIATIONS: frozenset[str] = frozenset(
    {
        "St", "Jr", "Sr", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct",
        "Nov", "Dec", "Inc", "Corp", "Co", "Ltd", "Bros", "Dept", "Univ", "Ave", "Blvd", "Rd",
        "etc", "approx", "Ala", "Ariz", "Ark", "Calif", "Colo", "Conn", "Del", "Fla", "Ga", "Ill",
        "Ind", "Kan", "Ky", "La", "Md", "Mass", "Mich", "Minn", "Miss", "Mo", "Mont", "Neb",
        "Nev", "Okla", "Ore", "Pa", "Tenn", "Tex", "Va", "Vt", "Wash", "Wis", "Wyo",
    }
)  # fmt: skip

# Capitalized words that start a sentence far more often than they continue a name; after an
# abbreviation that may end a sentence, one of these starts a new sentence.
SENTENCE_STARTERS: frozenset[str] = frozenset(
    {
        "A", "An", "The", "He", "She", "It", "They", "We", "I", "You", "His", "Her", "Its",
        "Their", "Our", "My", "This", "That", "These", "Those", "There", "Here", "In", "On", "At",
        "But", "And", "Or", "So", "As", "After", "Before", "When", "While", "If", "However",
        "Meanwhile", "Also", "Yet", "Still", "Then", "Now", "Since", "Although", "Though",
        "According", "For", "With", "By", "From", "Some", "Many", "Most", "All", "Both", "Such",
        "What", "Who", "Why", "How", "Where", "Earlier", "Later", "Last", "Next",
    }
)  # fmt: skip

_CLITIC = rf"['’](?<={_WORD_CHARACTER}['’])[sS](?!{_WORD_CHARACTER})"
_WORD = (  # possessive quantifiers: a word never needs to give characters back
    rf"{_WORD_CHARACTER}++"
    rf"(?:(?:[-\u2010\u2011]|['’](?![sS](?!{_WORD_CHARACTER}))){_WORD_CHARACTER}++"
    rf"|(?<=\d)[.,:/](?=\d){_WORD_CHARACTER}++)*+"
)


def _after_word(alternatives: str) -> str:
    """A look-behind: the word just matched is exactly one of ``alternatives`` (same length)."""
    return rf"(?<=(?<!{_WORD_CHARACTER})(?:{alternatives}))"


_abbreviations_by_length = groupby(
    sorted((word for word in NON_FINAL_ABBREVIATIONS | OTHER_ABBREVIATIONS if "." not in word),
           key=len),
    key=len,
)  # fmt: skip
_KNOWN_ABBREVIATION = "|".join(
    _after_word("|".join(words)) for _, words in _abbreviations_by_length
)
# The period that makes a word an abbreviation. Tried only when a period follows the word, which
# keeps the common case (a plain word) as cheap as the word pattern itself.
_ABBREVIATION_PERIOD = (
    r"(?:(?=\.)(?:"
    rf"{_after_word('[A-Za-z]')}(?:\.[A-Za-z])+\."  # U.S., U.K., e.g., a.m.
    rf"|(?:{_KNOWN_ABBREVIATION})\.(?!{_WORD_CHARACTER})"  # Mr., Gen., Jan., Inc.
    rf"|(?:{_after_word('No')}|{_after_word('Nos')})\.(?= ?\d)"  # "No. 1", not "said No."
    rf"|{_after_word('[A-Z]')}\.(?=\s)"  # an initial: "J. K. Rowling"
    r"))?"
)
TOKEN_PATTERN = re.compile(rf"{_WORD}{_ABBREVIATION_PERIOD}|{_CLITIC}|\S")
# A token with the whitespace before it. ``\s`` and ``str.lstrip`` agree on what whitespace is.
_SPACED_TOKEN_PATTERN = re.compile(rf"\s*+(?:{TOKEN_PATTERN.pattern})")

PARAGRAPH_PATTERN = re.compile(r"[^\n]+(?:\n[^\n]+)*")
# A candidate sentence end: a line break inside a paragraph, or terminal punctuation with any
# closing quotes and brackets, followed by whitespace. Written to start with one character class,
# which lets the regex engine skip ahead quickly. A run of punctuation is tried from its first
# mark only (the look-behind), and taken whole (possessive): a run that is not followed by
# whitespace ("?!?!…" without end) then costs one pass, not one pass per mark in it.
_SENTENCE_END = re.compile(
    r"[.!?…\n](?:(?<=\n)|(?<![.!?…].)[.!?…]*+[\"'”’»)\]]*+(?=\s))"
)
_NEXT_WORD = re.compile(r"\s*([\"“‘«(]?)([^\s.,;:!?\"”’]*)")


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the paragraphs: runs of non-empty lines separated by blank lines."""
    return [match.span() for match in PARAGRAPH_PATTERN.finditer(text)]


def tokenize(text: str) -> tuple[list[int], list[int], list[str]]:
    """Start offsets, end offsets and surface texts of every token, in order."""
    # One findall (strings, no match objects) of each token with the whitespace before it: the
    # running sum of those lengths is each token's end, and a token never starts with
    # whitespace, so stripping it gives the surface. C-level passes only: the hot path of
    # document building.
    pieces = _SPACED_TOKEN_PATTERN.findall(text)
    ends = list(accumulate(map(len, pieces)))
    surfaces = list(map(str.lstrip, pieces))
    return list(map(sub, ends, map(len, surfaces))), ends, surfaces


def _abbreviation_before(
    text: str, period: int, token_ends: list[int], token_starts: list[int]
) -> str | None:
    """The abbreviation (without its last period) whose token ends with the period at ``period``."""
    index = bisect_left(token_ends, period + 1)
    if index == len(token_ends) or token_ends[index] != period + 1:
        return None
    start = token_starts[index]
    if period - start < 1:
        return None
    return text[start:period]


def _ends_sentence(
    text: str, match: re.Match[str], token_starts: list[int], token_ends: list[int]
) -> bool:
    end = match.end()
    if match.group() == "\n":
        following = text[end : end + 1]
        return not following.islower()
    if end >= len(text) or text[end] == "\n":
        return True
    following = text[end + 1 : end + 2]
    if following.islower():
        return False
    if match.group() != ".":
        return True
    abbreviation = _abbreviation_before(text, match.start(), token_ends, token_starts)
    if abbreviation is None:
        return True
    if abbreviation in NON_FINAL_ABBREVIATIONS or abbreviation in ("No", "Nos"):
        return False
    # After "Inc.", "Jan.", "U.S." or an initial, only an opening quote or a word that usually
    # starts a sentence ends the sentence: "in the U.S. The plan" but "U.S. Army".
    next_word = _NEXT_WORD.match(text, end)
    return next_word is not None and (
        next_word.group(1) != "" or next_word.group(2) in SENTENCE_STARTERS
    )


def sentence_spans(
    text: str,
    paragraphs: list[tuple[int, int]],
    token_starts: list[int],
    token_ends: list[int],
) -> list[tuple[int, int]]:
    """Sentence spans; each one starts at a token and ends at a token, within one paragraph."""
    sentences: list[tuple[int, int]] = []
    for paragraph_start, paragraph_end in paragraphs:
        cut = paragraph_start
        for match in _SENTENCE_END.finditer(text, paragraph_start, paragraph_end):
            if _ends_sentence(text, match, token_starts, token_ends):
                _add_trimmed(text, cut, match.end(), sentences)
                cut = match.end()
        _add_trimmed(text, cut, paragraph_end, sentences)
    return sentences


def _add_trimmed(text: str, start: int, end: int, sentences: list[tuple[int, int]]) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        start += len(chunk) - len(chunk.lstrip())
        sentences.append((start, start + len(stripped)))
