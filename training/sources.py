"""Who speaks: the word lists that decide a source's kind, and names resolved across a document.

The lists are data (module-level frozensets, lowercase, compared with ``Token.lower``); the logic
below only looks words up. A source phrase is classified by its *head* (its last word, or the word
before "of": "secretary general of the movement" -> "general") and by the names it contains:

- ``outlet``: the publishing outlet itself ("this newspaper", "our correspondent", editorial "we");
- ``person``: a title or a personal name ("Foreign Minister Fuad Hussein", "Hussein",
  "Hamas's spokesman", "he"/"she");
- ``media``: a news outlet quoted as a source ("Press TV", "Reuters", "al-Mayadeen TV channel");
- ``organization``: a body, party, state or group ("the ministry", "Hamas", "Washington");
- ``anonymous``: unnamed insiders ("sources", "officials who asked not to be named",
  "people familiar with the matter");
- ``vague``: unspecified groups ("critics", "some", "experts", "it is said").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from training.document import Document, Token


def words(text: str) -> frozenset[str]:
    """A word list written as whitespace-separated words."""
    return frozenset(text.split())


SourceKind = Literal["person", "organization", "media", "anonymous", "vague", "outlet"]

@dataclass(frozen=True, slots=True)
class SourceMention:
    text: str
    start: int
    end: int
    kind: SourceKind
    name: str  # canonical: a resolved pronoun or surname carries the full name of its speaker


# Personal titles and the words that compose them ("foreign minister", "secretary general").
TITLE_WORDS = words(
    """minister ministers president vice prime premier foreign defense defence interior finance
    secretary general spokesman spokeswoman spokesperson chairman chairwoman chair director chief
    head leader commander ambassador envoy governor mayor senator sen. rep. representative
    congressman congresswoman lawmaker mp judge justice fm pm gen. col. lt. maj. capt. sgt. mr.
    mrs. ms. dr. prof. king queen prince princess sheikh ayatollah cleric imam pope emir sultan
    chancellor speaker deputy adviser advisor professor ceo founder executive manager lawyer
    attorney prosecutor counterpart colonel captain lieutenant admiral marshal sergeant
    secretary-general director-general coach"""
)
# Heads naming a body rather than a person.
ORGANIZATION_HEADS = words(
    """ministry committee movement party group army government department council office
    commission parliament court police military administration embassy union organization
    organisation company firm bank university institute foundation coalition alliance front
    militia brigade brigades forces authority authorities cabinet senate congress assembly board
    corporation campaign federation association bureau service unit units guard corps navy
    agency presidency secretariat leadership faction factions house"""
)
# Bodies usually named without a head noun.
ORGANIZATION_NAMES = words(
    """hamas hezbollah hizbollah nato un eu imf opec fbi cia idf irgc isis daesh taliban houthis
    ansarullah pentagon kremlin unicef unesco unhcr asean"""
)
# States and capitals that speak as governments ("Iran said", "Washington warned").
GEOPOLITICAL_NAMES = words(
    """us u.s. usa america britain uk u.k. france germany russia china iran iraq israel syria
    lebanon yemen turkey egypt jordan qatar ukraine india pakistan japan saudi arabia afghanistan
    washington moscow beijing tehran baghdad london paris berlin kyiv kiev ankara riyadh
    damascus beirut cairo tel aviv jerusalem brussels"""
)
# Outlet names and capitalized name parts marking a news outlet ("Fox News", "Press TV").
MEDIA_NAMES = words(
    """reuters ap afp xinhua tasnim al-mayadeen mayadeen cnn bbc rt fox msnbc nbc abc cbs npr
    bloomberg sputnik tass irna isna fars mehr anadolu yonhap kyodo dpa efe ansa al-jazeera
    jazeera al-arabiya axios politico guardian telegraph tv news press times post journal
    herald gazette tribune"""
)
# Common-noun heads of a news outlet ("the channel", "the newspaper").
MEDIA_HEADS = words(
    """channel newspaper daily broadcaster network magazine website outlet station radio
    television tv tabloid"""
)
# Unnamed individuals: anonymous unless a name comes with them.
ANONYMOUS_HEADS = words(
    "source sources official officials insider insiders aide aides diplomat diplomats"
)
# Unspecified groups and hedged people.
VAGUE_HEADS = words(
    """critics critic some many others experts expert observers analysts analyst commentators
    people residents witnesses activists opponents supporters skeptics sceptics pundits scholars
    scientists economists researchers detractors most several few everyone somebody someone
    one person"""
)
# The publishing outlet in its own voice, after "this"/"our".
OUTLET_HEADS = words(
    """newspaper paper website site outlet channel agency reporter correspondent publication
    magazine"""
)
OUTLET_DETERMINERS = frozenset({"this", "our"})
PRONOUN_KINDS: dict[str, SourceKind] = {
    "he": "person",
    "she": "person",
    "it": "organization",
    "they": "vague",
    "we": "outlet",
}
PRONOUN_ANTECEDENT_KINDS: dict[str, frozenset[SourceKind]] = {
    "he": frozenset({"person"}),
    "she": frozenset({"person"}),
    "it": frozenset({"organization", "media"}),
    "they": frozenset({"organization", "anonymous", "vague"}),
}
# Modifiers marking an unnamed source ("who asked not to be named"); "*" matches any one word.
ANONYMITY_MODIFIERS: tuple[tuple[str, ...], ...] = (
    ("who", "asked", "not", "to", "be", "named"),
    ("who", "asked", "not", "to", "be", "identified"),
    ("who", "declined", "to", "be", "named"),
    ("who", "declined", "to", "be", "identified"),
    ("who", "requested", "anonymity"),
    ("who", "spoke", "on", "condition", "of", "anonymity"),
    ("speaking", "on", "condition", "of", "anonymity"),
    ("on", "condition", "of", "anonymity"),
    ("who", "were", "not", "authorized", "to", "speak", "publicly"),
    ("who", "was", "not", "authorized", "to", "speak", "publicly"),
    ("not", "authorized", "to", "speak", "publicly"),
    ("familiar", "with", "the", "*"),
    ("close", "to", "the", "*"),
    ("briefed", "on", "the", "*"),
)
ANONYMITY_WORDS = frozenset({"anonymity", "named", "identified", "authorized", "familiar"})

DETERMINERS = words("the a an this these those our its his her their")
# Words that end a noun phrase even when capitalized at a sentence's start.
FUNCTION_WORDS = words(
    """the a an this that these those in on at by for from with to of as after before during
    meantime meanwhile also however but and or nor so then later earlier still yet thus
    speaking according since while when where if although though because it he she they we i
    you his her its their our my your who which what there here today yesterday"""
)

SOURCE_HEADS = (
    TITLE_WORDS | ORGANIZATION_HEADS | MEDIA_HEADS | ANONYMOUS_HEADS | VAGUE_HEADS | OUTLET_HEADS
)


def is_name_word(token: Token) -> bool:
    """A capitalized word ("Hussein", "FM") or a name with a lowercase particle ("al-Mayadeen")."""
    text = token.text
    if text[0].isupper():
        return True
    if "-" in text:
        return any(part[:1].isupper() for part in text.split("-")[1:])
    return False


def phrase_head(words: Sequence[str]) -> int:
    """Index of the head word: the word before the first "of", otherwise the last word."""
    for position, word in enumerate(words):
        if word == "of" and position > 0:
            return position - 1
    return len(words) - 1


def classify_phrase(tokens: Sequence[Token], *, anonymous: bool = False) -> SourceKind:
    """The kind of a source phrase (tokens of one noun phrase, determiner included)."""
    words = [token.lower for token in tokens]
    head = words[phrase_head(words)]
    if len(words) == 1 and head in PRONOUN_KINDS:
        return PRONOUN_KINDS[head]
    if anonymous:
        return "anonymous"
    if words[0] in OUTLET_DETERMINERS and head in OUTLET_HEADS:
        return "outlet"
    if head in TITLE_WORDS:
        return "person"
    named = [token for token in tokens if is_name_word(token) and token.lower not in TITLE_WORDS]
    if head in MEDIA_HEADS or any(token.lower in MEDIA_NAMES for token in named):
        return "media"
    if head in ORGANIZATION_HEADS or head in GEOPOLITICAL_NAMES:
        return "organization"
    if any(token.lower in ORGANIZATION_NAMES for token in named):
        return "organization"
    if head in ANONYMOUS_HEADS:
        return "anonymous"
    if head in VAGUE_HEADS:
        return "vague"
    head_token = tokens[phrase_head(words)]
    if len(head_token.text) > 1 and head_token.text.isupper() and head_token.text.isalpha():
        return "organization"  # an acronym: "PMU", "NATO"
    return "person"


class NameIndex:
    """Personal names seen in a document, for resolving "Hussein" and "the foreign minister".

    Built from runs of capitalized words; titles inside a run are split off and remembered with
    the name they introduce ("Foreign Minister Fuad Hussein" -> ("foreign", "minister"),
    "Fuad Hussein"). Resolution only uses names written *before* the mention and only when exactly
    one name matches, so "Hussein" is not resolved when both "Fuad Hussein" and "Saddam Hussein"
    came earlier.
    """

    def __init__(self, document: Document) -> None:
        self._names: list[tuple[int, str, tuple[str, ...]]] = []  # (start, name, title words)
        text = document.text
        titles: list[str] = []
        run_start = run_end = run_length = 0
        # One pass over every token: kept to plain comparisons, it runs once per document.
        for token in document.tokens:
            lower = token.lower
            if lower in TITLE_WORDS:
                if run_length:
                    self._add(text, run_start, run_end, run_length, titles)
                    run_length, titles = 0, []
                titles.append(lower)
                continue
            if (token.text[0].isupper() or ("-" in lower and is_name_word(token))) and (
                lower not in FUNCTION_WORDS  # "The", "Meantime" open sentences
            ):
                if not run_length:
                    run_start = token.start
                run_end = token.end
                run_length += 1
                continue
            if run_length:
                self._add(text, run_start, run_end, run_length, titles)
                run_length = 0
            titles = []
        if run_length:
            self._add(text, run_start, run_end, run_length, titles)

    def _add(self, text: str, start: int, end: int, length: int, titles: list[str]) -> None:
        if length >= 2:
            self._names.append((start, text[start:end], tuple(titles)))

    def full_name(self, surname: str, before: int) -> str | None:
        """The one earlier multi-word name ending with ``surname``, if exactly one."""
        found = {
            name for start, name, _ in self._names if start < before and name.endswith(surname)
            and name[-len(surname) - 1] == " "
        }
        return found.pop() if len(found) == 1 else None

    def titled_name(self, title_words: tuple[str, ...], before: int) -> str | None:
        """The one earlier name introduced by exactly these title words, if exactly one."""
        if not title_words:
            return None
        found = {
            name for start, name, titles in self._names
            if start < before and titles == title_words
        }
        return found.pop() if len(found) == 1 else None


class SpeakerNames:
    """Builds source mentions with canonical names for one document (see the module docstring)."""

    def __init__(self, document: Document) -> None:
        self.tokens = document.tokens
        self.text = document.text
        self._document = document
        self._names: NameIndex | None = None

    def mention(
        self,
        first: int,
        phrase_end: int,
        end: int,
        *,
        anonymous: bool,
        earlier: Sequence[SourceMention],
        nearby: Sequence[SourceMention],
    ) -> SourceMention:
        """The mention for tokens [first, end) whose noun phrase is [first, phrase_end).

        ``earlier``: the document's previous source mentions; ``nearby``: those of the same and
        the previous paragraph (pronoun antecedents), both oldest first.
        """
        tokens = self.tokens
        phrase = tokens[first:phrase_end]
        if len(phrase) == 1 and phrase[0].lower in PRONOUN_KINDS:
            return self.pronoun(phrase[0], nearby)
        kind = classify_phrase(phrase, anonymous=anonymous)
        span_first = first
        title_words = tuple(token.lower for token in phrase if token.lower in TITLE_WORDS)
        if kind == "person":
            last_title = max((t.index for t in phrase if t.lower in TITLE_WORDS), default=first - 1)
            if last_title + 1 < phrase_end and all(
                is_name_word(t) for t in tokens[last_title + 1 : phrase_end]
            ):
                span_first = last_title + 1  # "Foreign Minister Fuad Hussein" -> "Fuad Hussein"
        span_start = tokens[span_first].start
        span_end = tokens[end - 1].end
        name = self._canonical(kind, tokens[span_first:phrase_end], title_words, earlier)
        return SourceMention(self.text[span_start:span_end], span_start, span_end, kind, name)

    def pronoun(self, token: Token, nearby: Sequence[SourceMention]) -> SourceMention:
        """A pronoun named after the last nearby source of a matching kind, else after itself."""
        wanted = PRONOUN_ANTECEDENT_KINDS.get(token.lower, frozenset())
        for source in reversed(nearby):
            unresolved = source.text.lower() in PRONOUN_KINDS and source.name == source.text
            if source.kind in wanted and not unresolved:
                return SourceMention(token.text, token.start, token.end, source.kind, source.name)
        kind = PRONOUN_KINDS[token.lower]
        return SourceMention(token.text, token.start, token.end, kind, token.text)

    def _canonical(
        self,
        kind: SourceKind,
        phrase: Sequence[Token],
        title_words: tuple[str, ...],
        earlier: Sequence[SourceMention],
    ) -> str:
        start = phrase[0].start
        if phrase[0].lower in DETERMINERS and len(phrase) > 1:
            phrase = phrase[1:]
        plain = self.text[phrase[0].start : phrase[-1].end]
        named = [t for t in phrase if is_name_word(t) and t.lower not in TITLE_WORDS]
        if kind == "person":
            if len(named) == 1 and len(phrase) == 1:
                return self._name_index().full_name(plain, start) or plain
            if phrase[-1].lower in TITLE_WORDS:  # a description: "the Iraqi foreign minister"
                return self._name_index().titled_name(title_words, start) or plain
        if kind == "organization" and not named:
            head = phrase[phrase_head([token.lower for token in phrase])].lower
            candidates = {
                source.name
                for source in earlier
                if source.kind == "organization"
                and source.name.rsplit(" ", 1)[-1].casefold() == head
                and source.name.casefold() != plain.casefold()
            }
            if len(candidates) == 1:
                return candidates.pop()
        if kind == "media":  # "Lebanon's al-Mayadeen TV channel" -> "al-Mayadeen TV channel"
            possessive = [p for p, token in enumerate(phrase) if token.lower == "'s"]
            if possessive and possessive[-1] + 1 < len(phrase):
                return self.text[phrase[possessive[-1] + 1].start : phrase[-1].end]
        return plain

    def _name_index(self) -> NameIndex:
        if self._names is None:
            self._names = NameIndex(self._document)
        return self._names


# ---- noun phrases -------------------------------------------------------------------------

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
