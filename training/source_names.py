"""Canonical speaker names across one document: surnames, titled descriptions and pronouns.

``SpeakerNames.mention`` turns a located source phrase into a ``SourceMention`` whose ``name`` is
canonical: a lone surname ("Hussein") takes the one full name ending with it written earlier; a
titled description ("the Iraqi foreign minister") takes the one name introduced earlier by the
same title; a bare description ("the committee") takes the one earlier organization source with
that head word; a pronoun takes the last nearby source of a matching kind.
"""

from __future__ import annotations

from collections.abc import Sequence

from training.document import Document, Token
from training.sources import (
    DETERMINERS,
    FUNCTION_WORDS,
    PRONOUN_ANTECEDENT_KINDS,
    PRONOUN_KINDS,
    TITLE_WORDS,
    SourceKind,
    SourceMention,
    classify_phrase,
    is_name_word,
    phrase_head,
)


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
