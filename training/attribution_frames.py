"""Pass one of attribution extraction: a frame per reporting cue, with where its source is.

Each rule is a short scan over ``Document.tokens`` around the cue (see ``training.attribution``
for the order in which the rules are tried); nothing is parsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from training.attribution_types import DocumentIndex
from training.lexicon import LexiconMatch, Stance
from training.source_phrases import matches_at, phrase_left, phrase_right
from training.sources import (
    ANONYMITY_MODIFIERS,
    ANONYMITY_WORDS,
    DETERMINERS,
    FUNCTION_WORDS,
    PRONOUN_KINDS,
    SOURCE_HEADS,
    classify_phrase,
    words,
)

SOURCE_AFTER_TERMS = frozenset({"according to", "carried by", "published by", "broadcast by"})
RELAY_TERMS = frozenset({"carried by", "published by", "broadcast by"})
STATEMENT_TERM = "in a statement"
ADDRESSEE_TERMS = frozenset({"tell"})  # "X told Y": Y is spoken to, not the speaker
COMPLEMENT_REQUIRED_TERMS = words(
    """add maintained stated reported claimed cite quoted learned showed demonstrated revealed
    posted described recalled mentioned indicated estimated promised pledged praised threaten
    dismissed show found proposed charged call expect know feel"""
)
SKIPPABLE_BEFORE_CUE = words(
    """also has have had was is were would will later then further again previously recently
    repeatedly earlier once reportedly did does do not n't never publicly separately"""
)
# Time phrases between a subject and its verb ("Clinton on Tuesday said", "X last week told").
TIME_WORDS = words(
    """monday tuesday wednesday thursday friday saturday sunday today yesterday tonight week
    month year morning afternoon evening night weekend"""
)
TIME_LEADS = words("on last this late early earlier next")
# A lowercase subject phrase stops at these ("voters say" yes, "would say" no).
NOT_SUBJECT_WORDS = FUNCTION_WORDS | words(
    """is was were are be been has had have will would could should can may might must did does
    do not n't to who whom whose what which that than then there nobody none nothing""",
)
PLAIN_PHRASE_WORDS = 5  # longest lowercase subject phrase ("the vast majority of voters")
AFTER_SOURCE_WORDS = 14  # longest "according to" source running to the clause end
CLAUSE_VERBS = words(
    """is was were are has had have will would could should can may might must did does do
    won't can't isn't wasn't aren't"""
)
PASSIVE_BE = frozenset({"is", "was", "were", "are", "been", "being"})
PASSIVE_AUX = PASSIVE_BE | {"has", "have", "had"}
CONJUNCTIONS = frozenset({"and", "but"})
QUOTE_MARKS = frozenset('"“”‘’\'«»')
CLAUSE_END = QUOTE_MARKS | {".", ",", "!", "?", ";", ":", "—", "–"}
# Characters allowed between a quotation and the frame it belongs to ('," Hussein alleged').
QUOTE_GAP_CHARS = frozenset(' ,"“”‘’\'«»—–-')
CONTENT_TRIM = frozenset({".", ",", ";", ":", "!", "?", "and", "but", "—", "–", "-", "(", ")"})
# Tokens before a frame that open a new clause, so the frame is not inside the reported clause
# of an earlier cue ("X said Y, and Z added").
CLAUSE_OPENERS = QUOTE_MARKS | words(
    """, ; : — – ( ) and but or yet so while whereas which who when where as after before because
    since though although if until"""
)


@dataclass(slots=True)
class Frame:
    """Where a cue's source is, in tokens (pass one; names and content come in pass two)."""

    match_first: int
    match_end: int
    stance: Stance
    term: str
    sentence: int
    source_first: int = -1  # -1: no phrase of its own (shared with the previous attribution)
    source_end: int = -1
    phrase_end: int = -1  # end of the noun phrase itself, before an anonymity modifier
    anonymous: bool = False
    shared: bool = False
    source_after: bool = False  # "according to X": the frame runs on to the source
    passive: bool = False
    unsourced: bool = False  # no speaker found: the cue stands alone (content must be introduced)

    @property
    def first(self) -> int:
        if self.source_first >= 0:
            return min(self.source_first, self.match_first)
        return self.match_first

    @property
    def end(self) -> int:
        return max(self.source_end, self.match_end)


# word -> [(its position in the modifier, modifier)], for "who asked not to be named"
_MODIFIERS_BY_WORD: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
for _modifier in ANONYMITY_MODIFIERS:
    for _offset, _word in enumerate(_modifier):
        _MODIFIERS_BY_WORD.setdefault(_word, []).append((_offset, _modifier))
# the modifiers by their last word, for "officials who asked not to be named said"
_MODIFIERS_BY_LAST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _modifier in ANONYMITY_MODIFIERS:
    if _modifier[-1] != "*":
        _MODIFIERS_BY_LAST_WORD.setdefault(_modifier[-1], []).append(_modifier)
_MODIFIERS_ENDING_ANYWHERE = tuple(m for m in ANONYMITY_MODIFIERS if m[-1] == "*")




class FrameLocator:
    """Finds the frames of a document's reporting cues (``locate`` one, ``frames`` all)."""

    def __init__(self, index: DocumentIndex) -> None:
        self.index = index
        self.tokens = index.tokens
        self.sentence_first = index.sentence_first
        self.sentence_last = index.sentence_last
        self.statement_tokens: set[int] = set()

    def frames(self, matches: Sequence[LexiconMatch]) -> list[Frame]:
        frames: list[Frame] = []
        previous: LexiconMatch | None = None
        for match in matches:
            if self.index.quoted[match.start_token]:
                continue  # a reporting verb inside a quotation belongs to the quoted speaker
            if self._inside_anonymity_modifier(match.start_token):
                continue  # "who asked not to be named" describes a source, it reports nothing
            stance = match.entry.stance or "neutral"
            sentence = self.tokens[match.start_token].sentence
            frame = Frame(match.start_token, match.end_token, stance, match.entry.term, sentence)
            if (
                match.entry.term in RELAY_TERMS
                and previous is not None
                and previous.entry.term == STATEMENT_TERM
                and previous.end_token == match.start_token
            ):
                frame.match_first = previous.start_token  # "in a statement carried by"
                self.statement_tokens.difference_update(
                    range(previous.start_token, previous.end_token)
                )
            if match.entry.term == STATEMENT_TERM:
                self.statement_tokens.update(range(match.start_token, match.end_token))
            else:
                frames.append(frame)
            previous = match
        return frames

    def outermost(self, frames: Sequence[Frame]) -> list[Frame]:
        """Frames that are not inside the reported clause of an earlier frame of their sentence.

        "Trump said he wants a wall" reports one attribution: "wants" is part of what Trump
        said (attribution corpora such as PolNeAR mark one attribution per token). A later frame
        stays its own when it shares the earlier subject ("..., adding", "and added"), when it
        opens a new clause (after a comma, "and", a semicolon), or when the earlier frame reports
        what came before it ('"...," said X').
        """
        kept: list[Frame] = []
        opener: Frame | None = None  # the last kept frame whose reported clause follows it
        for frame in frames:
            if (
                opener is not None
                and opener.sentence == frame.sentence
                and not frame.shared
                and (frame.first == 0 or self.tokens[frame.first - 1].lower not in CLAUSE_OPENERS)
            ):
                continue
            kept.append(frame)
            reports_after = (
                frame.unsourced or frame.shared or frame.source_first < frame.match_first
            )
            opener = frame if reports_after and not frame.source_after else None
        return kept

    def _inside_anonymity_modifier(self, position: int) -> bool:
        return any(
            matches_at(self.tokens, position - offset, modifier)
            for offset, modifier in _MODIFIERS_BY_WORD.get(self.tokens[position].lower, ())
        )

    def locate(self, frame: Frame) -> bool:
        """Fill the frame's source position; False when the cue has no speaker."""
        tokens = self.tokens
        floor = self.sentence_first[frame.sentence]
        ceiling = self.sentence_last[frame.sentence]
        if frame.term in SOURCE_AFTER_TERMS:
            found = phrase_right(self.tokens, frame.match_end, ceiling) or self._clause_source(
                frame.match_end, ceiling
            )
            if found is None:
                return False
            frame.source_first, frame.phrase_end, frame.source_end, frame.anonymous = (
                frame.match_end, *found,
            )
            frame.source_after = True
            return True
        before = frame.match_first - 1
        if before < floor:
            return self._inverted(frame, ceiling)
        if self._passive_it(frame, floor):
            return True
        previous = tokens[before]
        if (previous.text == "," and tokens[frame.match_first].lower.endswith("ing")) or (
            previous.lower in CONJUNCTIONS
        ):
            frame.shared = True
            return True
        if previous.text == "," or previous.text in QUOTE_MARKS:
            return self._inverted(frame, ceiling) or (
                previous.text == "," and self._parenthetical(frame, floor)
            )
        position = self._skip_before_cue(before, floor)
        if tokens[position].text == ",":  # "X, however, said"
            return self._parenthetical(frame, floor, comma=position)
        return self._subject_before(frame, position, floor)

    def _skip_before_cue(self, position: int, floor: int) -> int:
        """Back over adverbs, auxiliaries, time phrases and a parenthesis between subject and cue
        ("has also said", "on Tuesday said", "Kasich (R-OH) said")."""
        tokens = self.tokens
        while position > floor:
            lower = tokens[position].lower
            if lower in SKIPPABLE_BEFORE_CUE:
                position -= 1
            elif lower in TIME_WORDS:
                position -= 1
                if position > floor and tokens[position].lower in TIME_LEADS:
                    position -= 1
            elif lower == ")":
                opening = position - 1
                while opening > floor and tokens[opening].text != "(" and position - opening < 8:
                    opening -= 1
                if tokens[opening].text != "(" or opening <= floor:
                    break
                position = opening - 1
            else:
                break
        return position

    def _clause_source(self, first: int, ceiling: int) -> tuple[int, int, bool] | None:
        """'according to a recent poll of Indiana voters,': the words up to the clause end."""
        end = first
        while end <= ceiling and end - first < AFTER_SOURCE_WORDS:
            if self.tokens[end].text in CLAUSE_END:
                break
            end += 1
        if end == first or end - first >= AFTER_SOURCE_WORDS:
            return None
        return end, end, False

    def _plain_subject(self, last: int, floor: int) -> int | None:
        """A lowercase subject phrase ending at ``last`` ("a new poll", "voters", "the woman"):
        words back to a determiner, a number or the clause start."""
        tokens = self.tokens
        if not tokens[last].text.isalpha() or tokens[last].lower in NOT_SUBJECT_WORDS:
            return None
        if tokens[last].lower.endswith("ly"):
            return None
        position = last
        while position - 1 >= floor and last - position < PLAIN_PHRASE_WORDS:
            previous = tokens[position - 1]
            if previous.lower in DETERMINERS or previous.text[0].isdigit():
                return position - 1
            if previous.lower == "of" or previous.lower == "'s":
                position -= 1
                continue
            if not previous.text.replace("-", "").isalnum() or previous.lower in NOT_SUBJECT_WORDS:
                break
            position -= 1
        if position == floor or tokens[position - 1].text in CLAUSE_END:
            return position
        return None

    def _subject_before(self, frame: Frame, last: int, floor: int) -> bool:
        tokens = self.tokens
        if tokens[last].lower in PRONOUN_KINDS:
            frame.source_first, frame.phrase_end = last, last + 1
            frame.source_end = last + 1
            return True
        first = phrase_left(self.tokens, last, floor)
        if first is not None:
            frame.source_first, frame.phrase_end, frame.source_end = first, last + 1, last + 1
            return True
        ending_here = _MODIFIERS_BY_LAST_WORD.get(tokens[last].lower, ())
        for modifier in (*ending_here, *_MODIFIERS_ENDING_ANYWHERE):
            start = last - len(modifier) + 1
            if start - 1 >= floor and matches_at(tokens, start, modifier):
                first = phrase_left(self.tokens, start - 1, floor)
                if first is not None:
                    frame.source_first, frame.phrase_end, frame.source_end = first, start, last + 1
                    frame.anonymous = True
                    return True
        # "the man who ... said": a relative clause without commas.
        for position in range(last, max(floor, last - 15) - 1, -1):
            token = tokens[position]
            if token.lower == "who" and position - 1 >= floor:
                first = phrase_left(self.tokens, position - 1, floor)
                if first is None:
                    return False
                clause = {t.lower for t in tokens[position:last + 1]}
                frame.source_first, frame.phrase_end, frame.source_end = first, position, position
                frame.anonymous = bool(clause & ANONYMITY_WORDS)
                return True
            if not token.text[0].isalnum():
                break
        first = self._plain_subject(last, floor)
        if first is not None:
            frame.source_first, frame.phrase_end, frame.source_end = first, last + 1, last + 1
            return True
        return False

    def _passive_it(self, frame: Frame, floor: int) -> bool:
        """'it is said that', 'it was claimed': no speaker named (kind vague)."""
        position = frame.match_first - 1
        seen_be = False
        while position >= floor and self.tokens[position].lower in PASSIVE_AUX:
            seen_be = seen_be or self.tokens[position].lower in PASSIVE_BE
            position -= 1
        if seen_be and position >= floor and self.tokens[position].lower == "it":
            frame.source_first, frame.phrase_end = position, position + 1
            frame.source_end = position + 1
            frame.passive = True
            return True
        return False

    def _inverted(self, frame: Frame, ceiling: int) -> bool:
        """'"...," said X.': the phrase after the cue ends the clause."""
        if frame.term in ADDRESSEE_TERMS or frame.match_end > ceiling:
            return False
        found = phrase_right(self.tokens, frame.match_end, ceiling)
        if found is None:
            return False
        phrase_end, end, anonymous = found
        if end <= ceiling and self.tokens[end].text not in CLAUSE_END:
            return False  # "said FM Hussein's remarks ...": the phrase starts the content
        frame.source_first, frame.phrase_end, frame.source_end = frame.match_end, phrase_end, end
        frame.anonymous = anonymous
        return True

    def _parenthetical(self, frame: Frame, floor: int, comma: int | None = None) -> bool:
        """'X, who/a/the ..., said': the phrase before an earlier comma of the sentence."""
        tokens = self.tokens
        inner_end = comma if comma is not None else frame.match_first - 1
        commas = 0
        for position in range(inner_end - 1, floor, -1):
            if tokens[position].text != ",":
                continue
            commas += 1
            if commas > 3:
                return False
            first = phrase_left(self.tokens, position - 1, floor)
            if first is None:
                continue
            if first > floor and tokens[first - 1].text not in {",", "(", ":"} and (
                tokens[first - 1].lower not in FUNCTION_WORDS
            ):
                continue
            inner = {token.lower for token in tokens[position + 1 : inner_end]}
            frame.source_first, frame.phrase_end, frame.source_end = first, position, position
            frame.anonymous = bool(inner & ANONYMITY_WORDS) and (
                classify_phrase(tokens[first:position]) != "person"
                or tokens[position - 1].lower in SOURCE_HEADS
            )
            return True
        return False

