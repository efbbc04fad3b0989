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

Modules: ``attribution_frames`` (pass one: cues and where their sources are),
``attribution_content`` (content and continuations), ``source_phrases``, ``source_names`` and
``sources`` (phrases, canonical names, kinds), ``profile`` (the source profile).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from training.attribution_content import ContentFinder
from training.attribution_frames import COMPLEMENT_REQUIRED_TERMS, Frame, FrameLocator
from training.attribution_types import Attribution, Content, DocumentIndex, ReportingCue
from training.document import Document
from training.lexicon import Lexicon, LexiconMatch
from training.profile import SourceProfile, SourceProfileEntry, source_profile
from training.source_names import SpeakerNames
from training.sources import DETERMINERS, SourceKind, SourceMention

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


def find_attributions(doc: Document, lexicon: Lexicon) -> list[Attribution]:
    """Attributions in text order (continuation quotes after the attribution they continue)."""
    return _Extractor(doc).run(lexicon.find(doc, kind="reporting"))


class _Extractor:
    def __init__(self, doc: Document) -> None:
        self.index = DocumentIndex(doc)
        self.tokens = self.index.tokens
        self.text = doc.text
        self.locator = FrameLocator(self.index)
        self.contents = ContentFinder(self.index, self.locator.statement_tokens)
        self.speakers = SpeakerNames(doc)
        # Sources found so far, with their paragraphs (non-decreasing), for name resolution.
        self.sources: list[SourceMention] = []
        self.source_paragraphs: list[int] = []

    def run(self, matches: Sequence[LexiconMatch]) -> list[Attribution]:
        frames = self.locator.frames(matches)
        for frame in frames:
            frame.unsourced = not self.locator.locate(frame)
        frames = self.locator.outermost(frames)
        attributions: list[Attribution] = []
        sentence_last = self.index.sentence_last
        for position, frame in enumerate(frames):
            following = frames[position + 1] if position + 1 < len(frames) else None
            limit = sentence_last[frame.sentence] + 1
            if following is not None and following.sentence == frame.sentence:
                limit = min(limit, following.first)
            attribution = self._build(frame, limit, attributions)
            if attribution is None:
                continue
            attributions.append(attribution)
            if attribution.source is not None:
                self.sources.append(attribution.source)
                self.source_paragraphs.append(self.index.paragraph(attribution.cue.start))
        return self.contents.add_continuations(attributions)

    def _build(
        self,
        frame: Frame,
        limit: int,
        attributions: list[Attribution],
    ) -> Attribution | None:
        tokens = self.tokens
        source: SourceMention | None
        if frame.unsourced:
            source = None
        elif frame.shared:
            source = next(
                (
                    a.source
                    for a in reversed(attributions)
                    if a.sentence == frame.sentence and a.source is not None
                ),
                None,
            )
        elif frame.passive:  # "it is said": nobody named
            pronoun = tokens[frame.source_first]
            source = SourceMention(pronoun.text, pronoun.start, pronoun.end, "vague", pronoun.text)
        else:
            paragraph = self.index.paragraph(tokens[frame.match_first].start)
            source = self.speakers.mention(
                frame.source_first,
                frame.phrase_end,
                frame.source_end,
                anonymous=frame.anonymous,
                earlier=self.sources,
                nearby=self.sources[bisect_left(self.source_paragraphs, paragraph - 1) :],
            )
        content, introduced = self.contents.content(frame, limit)
        if not introduced and (frame.term in COMPLEMENT_REQUIRED_TERMS or source is None):
            return None
        if source is None and frame.match_first > 0:
            before = tokens[frame.match_first - 1].lower
            if before in DETERMINERS or before == "'s":
                return None  # "the alleged gunman", "Trump's proposed wall": not a verb
        cue_start = tokens[frame.match_first].start
        cue_end = tokens[frame.match_end - 1].end
        cue_text = self.text[cue_start:cue_end]
        cue = ReportingCue(cue_text, cue_start, cue_end, frame.stance, frame.term)
        return Attribution(source, cue, content, frame.sentence)
