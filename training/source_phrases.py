"""Source noun phrases found by scanning tokens left or right from a reporting cue.

A phrase is made of name words (capitalized, or with a capitalized part after a hyphen), source
head words (``SOURCE_HEADS``: titles, bodies, outlets, unnamed and vague groups), a few lowercase
modifiers ("senior", "former"), possessors ("Lebanon's") and "of" after a head ("secretary
general of the movement"); function words end it.
"""

from __future__ import annotations

from collections.abc import Sequence

from training.document import Token
from training.sources import (
    ANONYMITY_MODIFIERS,
    DETERMINERS,
    FUNCTION_WORDS,
    SOURCE_HEADS,
    is_name_word,
    phrase_head,
    words,
)

# Phrase-internal lowercase modifiers ("senior US officials", "the former foreign minister").
PHRASE_MODIFIERS = words(
    """former senior top local military security government state federal diplomatic western
    unnamed anonymous other two three four several independent national regional international
    news health intelligence legal political leading prominent veteran informed knowledgeable
    """
)


def can_head(token: Token) -> bool:
    lower = token.lower
    if lower in SOURCE_HEADS:
        return True
    return is_name_word(token) and lower not in FUNCTION_WORDS and lower not in DETERMINERS


def phrase_word(token: Token) -> bool:
    lower = token.lower
    if lower in FUNCTION_WORDS:
        return False
    return is_name_word(token) or lower in SOURCE_HEADS or lower in PHRASE_MODIFIERS


def matches_at(tokens: Sequence[Token], start: int, pattern: tuple[str, ...]) -> bool:
    if start < 0 or start + len(pattern) > len(tokens):
        return False
    return all(
        word == "*" or tokens[start + offset].lower == word for offset, word in enumerate(pattern)
    )


def phrase_left(tokens: Sequence[Token], last: int, floor: int) -> int | None:
    """First token of the source phrase ending at ``last``, or None when none ends there."""
    if not can_head(tokens[last]):
        return None
    first = last
    position = last - 1
    while position >= floor:
        token = tokens[position]
        lower = token.lower
        if lower in DETERMINERS:
            first = position
            # "secretary general of the ... movement": go on through "of" after a head word
            if (
                position - 2 >= floor
                and tokens[position - 1].lower == "of"
                and tokens[position - 2].lower in SOURCE_HEADS
            ):
                first = position - 2
                position -= 3
                continue
            break
        if lower == "'s" and position - 1 >= floor and tokens[position - 1].text[0].isalnum():
            first = position - 1  # a possessor: "Lebanon's", "Hamas's"
            position -= 2
            continue
        if lower == "of" and position - 1 >= floor and tokens[position - 1].lower in SOURCE_HEADS:
            first = position - 1
            position -= 2
            continue
        if phrase_word(token):
            first = position
            position -= 1
            continue
        break
    while first < last and tokens[first].lower in {"of", "'s"}:
        first += 1
    return first

def phrase_right(
tokens: Sequence[Token], first: int, ceiling: int
) -> tuple[int, int, bool] | None:
    """(phrase end, end with an anonymity modifier, anonymous) of a phrase at ``first``."""
    position = first
    if position <= ceiling and tokens[position].lower in DETERMINERS:
        position += 1
    words_start = position
    while position <= ceiling:
        token = tokens[position]
        lower = token.lower
        if phrase_word(token) or (lower == "'s" and position > words_start):
            position += 1
        elif (
            lower == "of"
            and tokens[position - 1].lower in SOURCE_HEADS
            and position + 1 <= ceiling
        ):
            position += 2 if tokens[position + 1].lower in DETERMINERS else 1
        else:
            break
    while position > words_start and tokens[position - 1].lower in {"'s", "of", "the", "a"}:
        position -= 1
    if position == words_start:
        return None
    words = [token.lower for token in tokens[first:position]]
    if not can_head(tokens[first + phrase_head(words)]):
        return None
    if position <= ceiling:
        following = tokens[position]
        for modifier in ANONYMITY_MODIFIERS:
            end = position + len(modifier)
            if end - 1 <= ceiling and matches_at(tokens, position, modifier):
                return position, end, True
        if following.text[0].islower() and following.lower not in FUNCTION_WORDS:
            return None  # "according to the Iraqi plan": the phrase runs on
    return position, position, False
