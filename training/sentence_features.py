"""Sentence-level features: n-grams of the writer's words, cues by voice, attribution stances.

A unit is a sentence of a document, or a whole text labeled as one sentence. Its features:

- ``ngram:<w>`` and ``ngram:<w1> <w2>``: binary word unigrams and bigrams outside direct quotes;
- ``cue:<category>:<term>``, ``cue:<category>``, ``reported:<category>``, ``quoted:<category>``:
  lexicon cues weighted by the tagger's probability;
- ``tagger:max``, ``tagger:confident``: the most probable writer-voice cue and how many are
  at least even odds, so the model reads the cue tagger's judgement of the unit directly;
- ``quote:scare``: a quotation of at most ``SCARE_QUOTE_TOKENS`` words inside running text
  (“refugees”), a way of distancing the writer from a word;
- ``attr:stance:<stance>``, ``attr:source:<kind>``: the unit's reporting cues and sources.

The feature families the sentence model scales by naive-Bayes log-count ratios are
``SPARSE_PREFIXES``; every feature's spans are the words that produced it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from training.analysis import Analysis
from training.document import Document, Token
from training.features import (
    NGRAM_PREFIX,
    FeatureBag,
    Span,
    cue_feature,
    distinct_reports,
    quoted_token_mask,
    source_kind_feature,
    stance_feature,
    voice_feature,
)

SPARSE_PREFIXES = (NGRAM_PREFIX,)
TAGGER_MAX_FEATURE = "tagger:max"
TAGGER_CONFIDENT_FEATURE = "tagger:confident"
SCARE_QUOTE_FEATURE = "quote:scare"
CONFIDENT_PROBABILITY = 0.5
SCARE_QUOTE_TOKENS = 3


def _add_words(bag: FeatureBag, document: Document, token_indices: Sequence[int],
               quoted: Sequence[bool]) -> None:
    """Binary unigrams and bigrams of consecutive unquoted words (punctuation breaks a bigram).

    Character n-grams were measured too (+0.02 binary F1 on BABE) but dropped: hundreds of
    named columns per sentence made scoring ten times slower and an explanation hundreds of
    kilobytes long.
    """
    tokens = document.tokens
    words = document.word_flags()
    seen: dict[str, list[Span]] = {}
    previous: Token | None = None
    for index in token_indices:
        if quoted[index] or not words[index]:
            previous = None
            continue
        token = tokens[index]
        lower = token.lower
        # Names built inline (``ngram_feature`` spelled out): this loop runs for every word.
        name = NGRAM_PREFIX + lower
        spans = seen.get(name)
        if spans is None:
            seen[name] = [(token.start, token.end)]
        else:
            spans.append((token.start, token.end))
        if previous is not None:
            name = NGRAM_PREFIX + previous.lower + " " + lower
            spans = seen.get(name)
            if spans is None:
                seen[name] = [(previous.start, token.end)]
            else:
                spans.append((previous.start, token.end))
        previous = token
    for name, spans in seen.items():
        bag.values[name] = 1.0
        bag.spans.setdefault(name, []).extend(spans)


def _token_units(document: Document, one_unit: bool) -> list[range]:
    if one_unit:
        return [range(len(document.tokens))]
    # Sentences tile the tokens in order: a sentence's tokens are those starting before its end.
    starts = document.token_starts()
    ranges: list[range] = []
    first = 0
    for sentence in document.sentences:
        last = bisect_left(starts, sentence.end, first)
        ranges.append(range(first, last))
        first = last
    return ranges


def _unit_bags(analysis: Analysis, one_unit: bool) -> list[FeatureBag]:
    document = analysis.document
    quoted = quoted_token_mask(document)
    units = _token_units(document, one_unit)
    bags = [FeatureBag() for _ in units]
    for bag, token_range in zip(bags, units, strict=True):
        _add_words(bag, document, token_range, quoted)

    def unit_of(char_position: int) -> int:
        return 0 if one_unit else document.sentence_of(char_position)

    strongest: dict[int, tuple[float, Span]] = {}
    for cue in analysis.cues:
        unit = 0 if one_unit else cue.sentence
        bag = bags[unit]
        span = (cue.start, cue.end)
        if cue.voice == "writer":
            bag.add(cue_feature(cue.category, cue.term), cue.probability, [span])
            bag.add(cue_feature(cue.category), cue.probability, [span])
            if cue.probability > strongest.get(unit, (0.0, span))[0]:
                strongest[unit] = (cue.probability, span)
            if cue.probability >= CONFIDENT_PROBABILITY:
                bag.add(TAGGER_CONFIDENT_FEATURE, 1.0, [span])
        else:
            bag.add(voice_feature(cue.voice, cue.category), cue.probability, [span])
    for unit, (probability, span) in strongest.items():
        bags[unit].add(TAGGER_MAX_FEATURE, probability, [span])
    for quote in document.quotes:
        inside = document.tokens_in(quote.start, quote.end)
        if 0 < len(inside) <= SCARE_QUOTE_TOKENS and quote.closed:
            bags[unit_of(quote.start)].add(SCARE_QUOTE_FEATURE, 1.0, [(quote.start, quote.end)])
    for attribution in distinct_reports(analysis.attributions):
        bag = bags[unit_of(attribution.cue.start)]
        bag.add(stance_feature(attribution.cue.stance), 1.0,
                [(attribution.cue.start, attribution.cue.end)])
        if attribution.source is not None:
            bag.add(source_kind_feature(attribution.source.kind), 1.0,
                    [(attribution.source.start, attribution.source.end)])
    return bags


def sentence_bags(analysis: Analysis) -> list[FeatureBag]:
    """One bag per sentence of the document."""
    return _unit_bags(analysis, one_unit=False)


def text_bag(analysis: Analysis) -> FeatureBag:
    """One bag for a whole text labeled as one sentence (even if the splitter cut it in two)."""
    return _unit_bags(analysis, one_unit=True)[0]
