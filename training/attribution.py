"""Attribution extraction: who is reported as saying what, and with which verb.

Reporting cues come from the ``reporting`` lexicon (``training/lexicons/reporting.jsonl``, each
with a stance). Cues inside quotations are the quoted speaker's words and are skipped. Every rule is
a short scan over ``Document.tokens`` around a cue; nothing is parsed.

Source (who speaks), tried in this order:

1. Source after the cue: "according to X", "(in a statement) carried by X" (the medium relaying a
   statement is the source). "In a statement" followed by "carried by" is one cue.
2. Passive "it is said (that)", "it was claimed": source "it", kind vague.
3. After a comma, a participle shares the subject of the previous attribution in the sentence
   ("the committee warned ..., adding that"); so does a cue after "and"/"but"
   ("the minister said ... and called for").
4. Subject before the cue: "X said", "X told Y", "Iraq's Foreign Minister Fuad Hussein said",
   "X's spokesman said", "the ministry said in a statement", "critics say", skipping adverbs and
   auxiliaries ("has also said"). A pronoun subject ("he added", "it added") resolves to the last
   attribution of a matching kind (a person for he/she, an organization or medium for it, a group
   for they) in the same or the previous paragraph; otherwise the pronoun stays the name.
5. Inverted: '"...," said X.' and '..., said X,' when the phrase after the cue ends the clause.
6. Parenthetical: "X, who ..., said" / "X, a ..., said": the phrase before an earlier comma.
7. Unnamed sources: "officials who asked not to be named said", "people familiar with the
   matter said", "X, speaking on condition of anonymity, said" (kind anonymous; the span includes
   the modifier when it directly follows the phrase). A bare "who" clause before the cue ("the
   man who ... said") takes the phrase before "who".

Source span and name: the span is the minimal phrase; for a person, titles before a name are left
out of the span ("Foreign Minister Fuad Hussein" -> "Fuad Hussein"). The name is canonical: a lone
surname ("Hussein", "FM Hussein") takes the one full name ending with it written earlier; a titled
description ("the Iraqi foreign minister") takes the one name introduced earlier by the same
title; a bare description ("the committee") takes the one earlier organization source with that
head word. Kinds are decided by ``training.sources``.

Content: direct when a top-level quotation touches the frame (before it: '"...," X said';
after it: 'X said: "..."'; a colon after the frame prefers the quotation after). Otherwise
indirect: the clause after the frame (skipping "that", "in a statement" and the addressee of
"told") up to the next cue's frame in the sentence, or, when the frame ends the clause
("..., Press TV reported."), the text before it. Verbs with a common non-reporting sense
(``COMPLEMENT_REQUIRED_TERMS``: "added value", "maintained troops") count only with a quotation,
"that"/":" after them, or as a clause-final frame.

Continuation: a quotation standing alone (its sentences hold only the quotation) is attributed to
the speaker of the previous attribution in the same paragraph, or in the previous paragraph when
the quotation opens its paragraph. A continuation reuses the cue it continues; ``source_profile``
counts each cue once.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from training.document import Document
from training.lexicon import Lexicon, LexiconMatch, Stance
from training.sources import (
    ANONYMITY_MODIFIERS,
    ANONYMITY_WORDS,
    FUNCTION_WORDS,
    PRONOUN_KINDS,
    SOURCE_HEADS,
    SourceKind,
    SourceMention,
    SpeakerNames,
    classify_phrase,
    matches_at,
    phrase_left,
    phrase_right,
    words,
)

__all__ = [
    "Attribution",
    "Content",
    "ReportingCue",
    "SourceKind",
    "SourceMention",
    "SourceProfile",
    "SourceProfileEntry",
    "find_attributions",
    "source_profile",
]


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


@dataclass(frozen=True, slots=True)
class SourceProfileEntry:
    name: str
    kind: SourceKind
    mentions: int
    stances: dict[str, int]


@dataclass(frozen=True, slots=True)
class SourceProfile:
    sources: tuple[SourceProfileEntry, ...]
    asymmetry: float  # in [0, 1]


SOURCE_AFTER_TERMS = frozenset({"according to", "carried by", "published by", "broadcast by"})
RELAY_TERMS = frozenset({"carried by", "published by", "broadcast by"})
STATEMENT_TERM = "in a statement"
ADDRESSEE_TERMS = frozenset({"tell"})  # "X told Y": Y is spoken to, not the speaker
COMPLEMENT_REQUIRED_TERMS = words(
    """add maintained stated reported claimed cite quoted learned showed demonstrated revealed
    posted described recalled mentioned indicated estimated promised pledged praised threaten
    dismissed"""
)
SKIPPABLE_BEFORE_CUE = words(
    """also has have had was is were would will later then further again previously recently
    repeatedly earlier once reportedly did does do not n't never publicly separately"""
)
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


@dataclass(slots=True)
class _Frame:
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

    @property
    def first(self) -> int:
        if self.source_first >= 0:
            return min(self.source_first, self.match_first)
        return self.match_first

    @property
    def end(self) -> int:
        return max(self.source_end, self.match_end)


def find_attributions(doc: Document, lexicon: Lexicon) -> list[Attribution]:
    """Attributions in text order (continuation quotes after the attribution they continue)."""
    return _Extractor(doc).run(lexicon.find(doc, kind="reporting"))


class _Extractor:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.tokens = doc.tokens
        self.text = doc.text
        self.token_starts = [token.start for token in self.tokens]
        self.sentence_first = [
            bisect_left(self.token_starts, sentence.start) for sentence in doc.sentences
        ]
        self.sentence_last = [
            bisect_left(self.token_starts, sentence.end) - 1 for sentence in doc.sentences
        ]
        self.quotes = [quote for quote in doc.quotes if quote.depth == 0]
        self.quote_starts = [quote.start for quote in self.quotes]
        self.quote_ends = [quote.end for quote in self.quotes]
        self.used_quotes: set[int] = set()
        self.quoted = bytearray(len(self.tokens))
        for quote in doc.quotes:
            first = bisect_right(self.token_starts, quote.start - 1)
            last = bisect_right(self.token_starts, quote.end - 1)
            self.quoted[first:last] = b"\x01" * (last - first)
        self.paragraph_starts = [start for start, _ in doc.paragraphs] or [0]
        self.speakers = SpeakerNames(doc)
        self.statement_tokens: set[int] = set()
        # Sources found so far, with their paragraphs (non-decreasing), for name resolution.
        self.sources: list[SourceMention] = []
        self.source_paragraphs: list[int] = []

    # ---- pass one: frames --------------------------------------------------------------------

    def run(self, matches: Sequence[LexiconMatch]) -> list[Attribution]:
        frames = [frame for frame in self._cue_frames(matches) if self._locate_source(frame)]
        attributions: list[Attribution] = []
        for position, frame in enumerate(frames):
            following = frames[position + 1] if position + 1 < len(frames) else None
            limit = self.sentence_last[frame.sentence] + 1
            if following is not None and following.sentence == frame.sentence:
                limit = min(limit, following.first)
            attribution = self._build(frame, limit, attributions)
            if attribution is None:
                continue
            attributions.append(attribution)
            if attribution.source is not None:
                self.sources.append(attribution.source)
                self.source_paragraphs.append(self._paragraph(attribution.cue.start))
        return self._add_continuations(attributions)

    def _cue_frames(self, matches: Sequence[LexiconMatch]) -> list[_Frame]:
        frames: list[_Frame] = []
        previous: LexiconMatch | None = None
        for match in matches:
            if self.quoted[match.start_token]:
                continue  # a reporting verb inside a quotation belongs to the quoted speaker
            if self._inside_anonymity_modifier(match.start_token):
                continue  # "who asked not to be named" describes a source, it reports nothing
            stance = match.entry.stance or "neutral"
            sentence = self.tokens[match.start_token].sentence
            frame = _Frame(match.start_token, match.end_token, stance, match.entry.term, sentence)
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

    def _inside_anonymity_modifier(self, position: int) -> bool:
        return any(
            matches_at(self.tokens, position - offset, modifier)
            for offset, modifier in _MODIFIERS_BY_WORD.get(self.tokens[position].lower, ())
        )

    def _locate_source(self, frame: _Frame) -> bool:
        """Fill the frame's source position; False when the cue has no speaker."""
        tokens = self.tokens
        floor = self.sentence_first[frame.sentence]
        ceiling = self.sentence_last[frame.sentence]
        if frame.term in SOURCE_AFTER_TERMS:
            found = phrase_right(self.tokens, frame.match_end, ceiling)
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
        position = before
        while position > floor and tokens[position].lower in SKIPPABLE_BEFORE_CUE:
            position -= 1
        if tokens[position].text == ",":  # "X, however, said"
            return self._parenthetical(frame, floor, comma=position)
        return self._subject_before(frame, position, floor)

    def _subject_before(self, frame: _Frame, last: int, floor: int) -> bool:
        tokens = self.tokens
        if tokens[last].lower in PRONOUN_KINDS:
            frame.source_first, frame.phrase_end = last, last + 1
            frame.source_end = last + 1
            return True
        first = phrase_left(self.tokens, last, floor)
        if first is not None:
            frame.source_first, frame.phrase_end, frame.source_end = first, last + 1, last + 1
            return True
        for modifier in ANONYMITY_MODIFIERS:
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
        return False

    def _passive_it(self, frame: _Frame, floor: int) -> bool:
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

    def _inverted(self, frame: _Frame, ceiling: int) -> bool:
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

    def _parenthetical(self, frame: _Frame, floor: int, comma: int | None = None) -> bool:
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

    # ---- pass two: mentions and content -----------------------------------------------------

    def _build(
        self,
        frame: _Frame,
        limit: int,
        attributions: list[Attribution],
    ) -> Attribution | None:
        tokens = self.tokens
        source: SourceMention | None
        if frame.shared:
            source = next(
                (
                    a.source
                    for a in reversed(attributions)
                    if a.sentence == frame.sentence and a.source is not None
                ),
                None,
            )
            if source is None:
                return None
        elif frame.passive:  # "it is said": nobody named
            pronoun = tokens[frame.source_first]
            source = SourceMention(pronoun.text, pronoun.start, pronoun.end, "vague", pronoun.text)
        else:
            paragraph = self._paragraph(tokens[frame.match_first].start)
            source = self.speakers.mention(
                frame.source_first,
                frame.phrase_end,
                frame.source_end,
                anonymous=frame.anonymous,
                earlier=self.sources,
                nearby=self.sources[bisect_left(self.source_paragraphs, paragraph - 1) :],
            )
        content, introduced = self._content(frame, limit)
        if frame.term in COMPLEMENT_REQUIRED_TERMS and not introduced:
            return None
        cue_start = tokens[frame.match_first].start
        cue_end = tokens[frame.match_end - 1].end
        cue_text = self.text[cue_start:cue_end]
        cue = ReportingCue(cue_text, cue_start, cue_end, frame.stance, frame.term)
        return Attribution(source, cue, content, frame.sentence)

    def _content(self, frame: _Frame, limit: int) -> tuple[Content | None, bool]:
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
        index = bisect_right(self.quote_ends, char) - 1
        if index < 0 or index in self.used_quotes:
            return None
        gap = self.text[self.quote_ends[index] : char]
        return index if all(ch in QUOTE_GAP_CHARS for ch in gap) else None

    def _quote_after(self, char: int) -> int | None:
        index = bisect_right(self.quote_starts, char)
        if index >= len(self.quotes) or index in self.used_quotes:
            return None
        gap = self.text[char : self.quote_starts[index]]
        return index if all(ch in QUOTE_GAP_CHARS or ch == ":" for ch in gap) else None

    def _use_quote(self, index: int) -> Content:
        self.used_quotes.add(index)
        quote = self.quotes[index]
        return Content(quote.start, quote.end, direct=True)

    # ---- continuation quotes -----------------------------------------------------------------

    def _add_continuations(self, attributions: list[Attribution]) -> list[Attribution]:
        cue_sentences = {a.sentence for a in attributions}
        ordered = list(attributions)
        for index, quote in enumerate(self.quotes):
            if index in self.used_quotes:
                continue
            first = bisect_right(self.token_starts, quote.start - 1)
            if first >= len(self.tokens):
                continue
            sentence = self.tokens[first].sentence
            if not self._quote_only(quote.start, quote.end) or sentence in cue_sentences:
                continue
            paragraph = self._paragraph(quote.start)
            speaker = None
            for earlier in reversed(ordered):
                if earlier.cue.start < quote.start and earlier.source is not None:
                    speaker = earlier
                    break
            if speaker is None:
                continue
            speaker_paragraph = self._paragraph(speaker.cue.start)
            opens_paragraph = all(
                ch in QUOTE_GAP_CHARS
                for ch in self.text[self.paragraph_starts[paragraph] : quote.start]
            )
            if not (
                speaker_paragraph == paragraph
                or (speaker_paragraph == paragraph - 1 and opens_paragraph)
            ):
                continue
            ordered.append(
                Attribution(speaker.source, speaker.cue, Content(quote.start, quote.end, True),
                            sentence)
            )
            ordered.sort(key=_attribution_order)
        return ordered

    def _quote_only(self, start: int, end: int) -> bool:
        """Whether the sentences around [start, end) hold nothing but this quotation."""
        first = bisect_right(self.token_starts, start - 1)
        last = bisect_right(self.token_starts, end - 1) - 1
        sentence_first = self.sentence_first[self.tokens[first].sentence]
        sentence_last = self.sentence_last[self.tokens[last].sentence]
        outside = [*self.tokens[sentence_first:first], *self.tokens[last + 1 : sentence_last + 1]]
        return all(not token.text[0].isalnum() for token in outside)

    def _paragraph(self, char: int) -> int:
        return max(bisect_right(self.paragraph_starts, char) - 1, 0)



# word -> [(its position in the modifier, modifier)], for "who asked not to be named"
_MODIFIERS_BY_WORD: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
for _modifier in ANONYMITY_MODIFIERS:
    for _offset, _word in enumerate(_modifier):
        _MODIFIERS_BY_WORD.setdefault(_word, []).append((_offset, _modifier))


def _attribution_order(attribution: Attribution) -> tuple[int, int]:
    anchor = attribution.content.start if attribution.content is not None else 0
    return (max(attribution.cue.start, anchor), attribution.cue.start)


# ---- source profile -------------------------------------------------------------------------

# How a stance leans for the speaker: endorsing +1, neutral 0, distancing -1, emotive -1/2.
# Emotive verbs ("slammed", "boasted", "admitted") colour the speaker rather than doubt the
# claim, so they lean against the source at half the weight of a distancing verb.
STANCE_LEAN: dict[str, float] = {
    "endorsing": 1.0,
    "neutral": 0.0,
    "distancing": -1.0,
    "emotive": -0.5,
}


def source_profile(attributions: Sequence[Attribution]) -> SourceProfile:
    """Each source with its reporting stances, and how unevenly the sources are treated.

    Each reporting cue counts once (a continuation quote reuses its cue and adds nothing).
    A source's lean is the mean of ``STANCE_LEAN`` over its cues, in [-1, 1]; the asymmetry is
    half the range of the leans (max - min) / 2, in [0, 1]: 0 when every source is reported
    alike (all "said"), 1 when one is only endorsed and another only distanced. With fewer than two
    sources there is nothing to compare and the asymmetry is 0.
    """
    counted: set[tuple[int, int]] = set()
    kinds: dict[str, SourceKind] = {}
    stances: dict[str, dict[str, int]] = {}
    for attribution in attributions:
        source = attribution.source
        key = (attribution.cue.start, attribution.cue.end)
        if source is None or key in counted:
            continue
        counted.add(key)
        kinds.setdefault(source.name, source.kind)
        tally = stances.setdefault(source.name, {})
        tally[attribution.cue.stance] = tally.get(attribution.cue.stance, 0) + 1
    entries = tuple(
        SourceProfileEntry(name, kinds[name], sum(tally.values()), dict(sorted(tally.items())))
        for name, tally in sorted(stances.items(), key=lambda item: -sum(item[1].values()))
    )
    leans = [
        sum(STANCE_LEAN[stance] * count for stance, count in entry.stances.items()) / entry.mentions
        for entry in entries
    ]
    asymmetry = (max(leans) - min(leans)) / 2 if len(leans) >= 2 else 0.0
    return SourceProfile(entries, asymmetry)
