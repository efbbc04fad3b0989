"""Sentence-level features: n-grams of the writer's words, cues by voice, attribution stances."""

from __future__ import annotations

from collections.abc import Sequence

from training.analysis import Analysis
from training.document import Document
from training.features import (
    FeatureBag,
    Span,
    cue_feature,
    distinct_reports,
    is_word,
    ngram_feature,
    quoted_token_mask,
    source_kind_feature,
    stance_feature,
    voice_feature,
)


def _add_ngrams(bag: FeatureBag, document: Document, token_indices: Sequence[int],
                quoted: Sequence[bool]) -> None:
    """Binary unigrams and bigrams of consecutive unquoted words (punctuation breaks a bigram)."""
    tokens = document.tokens
    seen: dict[str, list[Span]] = {}
    previous: int | None = None
    for index in token_indices:
        token = tokens[index]
        if quoted[index] or not is_word(token.text):
            previous = None
            continue
        seen.setdefault(ngram_feature((token.lower,)), []).append((token.start, token.end))
        if previous is not None:
            first = tokens[previous]
            name = ngram_feature((first.lower, token.lower))
            seen.setdefault(name, []).append((first.start, token.end))
        previous = index
    for name, spans in seen.items():
        bag.add(name, 1.0, spans)


def _sentence_token_ranges(document: Document) -> list[range]:
    ranges: list[range] = []
    tokens = document.tokens
    first = 0
    for sentence in document.sentences:
        last = first
        while last < len(tokens) and tokens[last].sentence == sentence.index:
            last += 1
        ranges.append(range(first, last))
        first = last
    return ranges


def sentence_bags(analysis: Analysis) -> list[FeatureBag]:
    """One bag per sentence of the document."""
    document = analysis.document
    quoted = quoted_token_mask(document)
    bags = [FeatureBag() for _ in document.sentences]
    for bag, token_range in zip(bags, _sentence_token_ranges(document), strict=True):
        _add_ngrams(bag, document, token_range, quoted)
    for cue in analysis.cues:
        bag = bags[cue.sentence]
        span = [(cue.start, cue.end)]
        if cue.voice == "writer":
            bag.add(cue_feature(cue.category, cue.term), cue.probability, span)
            bag.add(cue_feature(cue.category), cue.probability, span)
        else:
            bag.add(voice_feature(cue.voice, cue.category), cue.probability, span)
    for attribution in distinct_reports(analysis.attributions):
        bag = bags[document.sentence_of(attribution.cue.start)]
        bag.add(stance_feature(attribution.cue.stance), 1.0,
                [(attribution.cue.start, attribution.cue.end)])
        if attribution.source is not None:
            bag.add(source_kind_feature(attribution.source.kind), 1.0,
                    [(attribution.source.start, attribution.source.end)])
    return bags


