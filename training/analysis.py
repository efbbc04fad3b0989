"""One article, analyzed once: the document, its attributions, its framing cues."""

from __future__ import annotations

from dataclasses import dataclass

from training.attribution import Attribution, SourceProfile, find_attributions, source_profile
from training.cues import Cue, CueTagger, find_candidates
from training.document import Document, build_document
from training.errors import NothingToScore
from training.lexicon import Lexicon


@dataclass(frozen=True, slots=True)
class Analysis:
    document: Document
    attributions: tuple[Attribution, ...]
    profile: SourceProfile
    cues: tuple[Cue, ...]  # scored by the tagger when one is given


def analyze(
    text: str, lexicon: Lexicon, tagger: CueTagger | None = None, *, html: bool = False
) -> Analysis:
    """Build the document, find attributions, then cues with their voice and probability."""
    document = build_document(text, html=html)
    if not document.tokens:
        raise NothingToScore("the text has no words to score once normalized")
    attributions = find_attributions(document, lexicon)
    candidates = find_candidates(document, lexicon, attributions)
    cues = tagger.tag(document, attributions, candidates) if tagger is not None else candidates
    return Analysis(
        document=document,
        attributions=tuple(attributions),
        profile=source_profile(attributions),
        cues=tuple(cues),
    )
