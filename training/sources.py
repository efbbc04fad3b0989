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

Finding the phrase around a cue is ``training.source_phrases``; canonical names across a document
(surnames, titled descriptions, pronouns) are ``training.source_names``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from training.document import Token


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
