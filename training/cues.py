"""Framing cues: lexicon candidates (high recall) with voice, scored in context by a tagger.

A candidate is a framing-lexicon match. Its **voice** says whose words it is: ``quoted`` inside a
direct quotation (the quoted source's words), ``reported`` inside the content of an indirect
attribution (the source's claim in the writer's paraphrase), ``writer`` otherwise (the outlet's
own words). The ``CueTagger`` is a logistic regression over the candidate's term, category, voice
and neighbouring words; it decides how likely each candidate is used as a loaded cue here
("regime" in "the Zionist regime" versus "the sanctions regime").
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from training.attribution import Attribution
from training.document import Document
from training.lexicon import Lexicon

Voice = Literal["writer", "reported", "quoted"]
VOICES: tuple[Voice, ...] = ("writer", "reported", "quoted")

# Without a trained tagger every candidate counts half: a lexicon hit alone is weak evidence.
UNTRAINED_PROBABILITY = 0.5


@dataclass(frozen=True, slots=True)
class Cue:
    start: int
    end: int
    text: str
    term: str
    category: str
    voice: Voice
    sentence: int
    start_token: int
    end_token: int
    probability: float = UNTRAINED_PROBABILITY


class _SpanIndex:
    """Sorted, non-nested spans with a bisect lookup of the span containing a position."""

    def __init__(self, spans: Sequence[tuple[int, int]]) -> None:
        self._spans = sorted(spans)
        self._starts = [start for start, _ in self._spans]

    def contains(self, start: int, end: int) -> bool:
        position = bisect.bisect_right(self._starts, start) - 1
        # Content spans may overlap (an attribution inside another's content); look back a few.
        for candidate in range(position, max(position - 4, -1), -1):
            span_start, span_end = self._spans[candidate]
            if span_start <= start and end <= span_end:
                return True
        return False


def find_candidates(
    document: Document, lexicon: Lexicon, attributions: Sequence[Attribution]
) -> list[Cue]:
    """Every framing-lexicon match with its voice, except words serving as reporting cues."""
    quoted = _SpanIndex([(quote.start, quote.end) for quote in document.quotes])
    reported = _SpanIndex(
        [
            (a.content.start, a.content.end)
            for a in attributions
            if a.content is not None and not a.content.direct
        ]
    )
    reporting_cues = _SpanIndex([(a.cue.start, a.cue.end) for a in attributions])
    candidates = []
    for match in lexicon.find(document, kind="framing"):
        if reporting_cues.contains(match.start, match.end):
            continue  # "alleged" as a reporting verb is an attribution's stance, not a cue
        voice: Voice
        if quoted.contains(match.start, match.end):
            voice = "quoted"
        elif reported.contains(match.start, match.end):
            voice = "reported"
        else:
            voice = "writer"
        candidates.append(
            Cue(
                start=match.start,
                end=match.end,
                text=match.surface,
                term=match.entry.term,
                category=match.entry.category,
                voice=voice,
                sentence=document.tokens[match.start_token].sentence,
                start_token=match.start_token,
                end_token=match.end_token,
            )
        )
    return candidates


def _context_features(document: Document, cue: Cue) -> dict[str, float]:
    tokens = document.tokens
    before = tokens[cue.start_token - 1].lower if cue.start_token > 0 else "<s>"
    after = tokens[cue.end_token].lower if cue.end_token < len(tokens) else "</s>"
    if cue.start_token > 0 and tokens[cue.start_token - 1].sentence != cue.sentence:
        before = "<s>"
    if cue.end_token < len(tokens) and tokens[cue.end_token].sentence != cue.sentence:
        after = "</s>"
    first = tokens[cue.start_token]
    features = {
        f"term={cue.term}": 1.0,
        f"category={cue.category}": 1.0,
        f"voice={cue.voice}": 1.0,
        f"category={cue.category}|voice={cue.voice}": 1.0,
        f"before={before}": 1.0,
        f"after={after}": 1.0,
        f"term={cue.term}|after={after}": 1.0,
        f"term={cue.term}|before={before}": 1.0,
    }
    if first.text[:1].isupper() and before != "<s>":
        features["capitalized_inside_sentence"] = 1.0
    return features


class CueTagger:
    """Token-level cue model: P(candidate is used as a loaded cue in this context)."""

    def __init__(self, regularization: float = 1.0) -> None:
        self.regularization = regularization

    def fit(self, documents: Sequence[Document], candidates: Sequence[Sequence[Cue]],
            labels: Sequence[Sequence[int]]) -> CueTagger:
        rows = [
            _context_features(document, cue)
            for document, cues in zip(documents, candidates, strict=True)
            for cue in cues
        ]
        y = np.array([label for per_document in labels for label in per_document], dtype=int)
        self.vectorizer_ = DictVectorizer()
        matrix = self.vectorizer_.fit_transform(rows)
        self.classes_ = np.unique(y)
        self.constant_: float | None
        if len(self.classes_) < 2:
            self.constant_ = float(self.classes_[0]) if len(y) else UNTRAINED_PROBABILITY
            return self
        self.constant_ = None
        self.model_ = LogisticRegression(C=self.regularization, max_iter=2000).fit(matrix, y)
        return self

    def score(self, document: Document, candidates: Sequence[Cue]) -> list[Cue]:
        """The candidates with their probability set."""
        if not candidates:
            return []
        if self.constant_ is not None:
            return [replace(cue, probability=self.constant_) for cue in candidates]
        matrix = self.vectorizer_.transform([_context_features(document, c) for c in candidates])
        probabilities = self.model_.predict_proba(matrix)[:, 1]
        return [
            replace(cue, probability=float(p))
            for cue, p in zip(candidates, probabilities, strict=True)
        ]
