"""The spans of a score response as elements to mark up: sentences, attributions, cues.

Each layer reads the response as it is (no score is computed here); the titles (hover texts) say
what a span is and, for a cue, which explanation features its words feed.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from service.render.markup import Element
from service.render.style import BIAS_STEP_COLORS
from service.schemas import Attribution, Cue, ScoreResponse, SentenceScore

# Nesting ranks, outermost first: a cue mark is innermost so that hovering a word shows the cue.
SENTENCE_RANK = 0
CONTENT_RANK = 1
SOURCE_RANK = 2
REPORTING_RANK = 3
CUE_RANK = 4

BIAS_STEPS = len(BIAS_STEP_COLORS)  # the sentence bar's colour classes bias-0, bias-1, …
MAX_FEATURES_IN_TITLE = 12
FRAMING = "framing"


def css_name(value: str) -> str:
    """A value usable inside a class name (``cat-<category>``): lower case, no spaces."""
    return re.sub(r"[^a-z0-9_-]+", "-", value.lower()).strip("-") or "unknown"


def number(value: float) -> str:
    """How probabilities are written in attributes and titles."""
    return f"{value:.3f}"


def bias_step(bias: float) -> int:
    return min(max(int(bias * BIAS_STEPS), 0), BIAS_STEPS - 1)


def sentence_elements(sentences: Iterable[SentenceScore]) -> list[Element]:
    return [
        Element(
            sentence.start, sentence.end, "span", SENTENCE_RANK,
            ("sentence", f"bias-{bias_step(sentence.bias)}"),
            (
                ("data-sentence", str(index)),
                ("data-bias", number(sentence.bias)),
                ("style", f"--bias: {number(sentence.bias)}"),
                ("title", f"sentence {index} · bias {number(sentence.bias)}"),
            ),
        )
        for index, sentence in enumerate(sentences)
    ]


def attribution_elements(attributions: Iterable[Attribution]) -> list[Element]:
    """Sources, reporting verbs and reported content; a span shared by several attributions
    (one verb introducing two quotes) is marked once, its title naming all of them."""
    contents: dict[tuple[int, int], tuple[bool, list[str]]] = {}
    sources: dict[tuple[int, int], tuple[str, str]] = {}
    verbs: dict[tuple[int, int], tuple[str, str, list[str]]] = {}
    for attribution in attributions:
        speaker = attribution.source.name if attribution.source else "no named source"
        cue = attribution.cue
        reporting = f"{speaker} ({cue.text})"
        if attribution.content is not None:
            content = attribution.content
            entry = contents.setdefault((content.start, content.end), (content.direct, []))
            _append_once(entry[1], reporting)
        if attribution.source is not None:
            source = attribution.source
            sources.setdefault((source.start, source.end), (source.kind, source.name))
        verb = verbs.setdefault((cue.start, cue.end), (cue.stance, cue.term, []))
        _append_once(verb[2], speaker)

    elements: list[Element] = []
    for (start, end), (direct, reported_by) in contents.items():
        way = "direct" if direct else "indirect"
        elements.append(Element(
            start, end, "span", CONTENT_RANK, ("attr-content", way),
            (("data-start", str(start)), ("data-end", str(end)),
             ("data-direct", "true" if direct else "false"),
             ("title", f"{way} reported content · {', '.join(reported_by)}")),
        ))
    for (start, end), (kind, name) in sources.items():
        elements.append(Element(
            start, end, "span", SOURCE_RANK, ("attr-source", f"kind-{css_name(kind)}"),
            (("data-start", str(start)), ("data-end", str(end)), ("data-kind", kind),
             ("data-name", name), ("title", f"source: {name} · {kind}")),
        ))
    for (start, end), (stance, term, speakers) in verbs.items():
        elements.append(Element(
            start, end, "span", REPORTING_RANK, ("attr-cue", f"stance-{css_name(stance)}"),
            (("data-start", str(start)), ("data-end", str(end)), ("data-stance", stance),
             ("data-term", term),
             ("title", f"reporting cue “{term}” · {stance} · {', '.join(speakers)}")),
        ))
    return elements


def _append_once(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


# Spans longer than this (a whole passage) are few and always checked; shorter ones are found
# by their start, which lies at most this far before a cue they contain.
LONG_SPAN = 1000


@dataclass(frozen=True, slots=True)
class FeatureSpans:
    """Every distinct explanation span with the names of the features behind it, indexed so
    that the spans containing a cue are found without scanning every explanation (an article
    has one explanation per sentence, thousands of spans in all)."""

    starts: list[int]  # of ``short``, sorted
    short: list[tuple[int, int, set[str]]]
    long: list[tuple[int, int, set[str]]]
    framing: dict[str, float]  # feature → its contribution to the framing logit

    @classmethod
    def of(cls, response: ScoreResponse) -> FeatureSpans:
        features: dict[tuple[int, int], set[str]] = {}
        for explanation in response.explanation.values():
            for contribution in explanation.contributions:
                for start, end in contribution.spans:
                    features.setdefault((start, end), set()).add(contribution.feature)
        spans = [(start, end, names) for (start, end), names in sorted(features.items())]
        short = [span for span in spans if span[1] - span[0] <= LONG_SPAN]
        long = [span for span in spans if span[1] - span[0] > LONG_SPAN]
        framing_explanation = response.explanation.get(FRAMING)
        framing = (
            {c.feature: c.contribution for c in framing_explanation.contributions}
            if framing_explanation is not None else {}
        )
        return cls([span[0] for span in short], short, long, framing)

    def features_containing(self, start: int, end: int) -> list[str]:
        """Names of the features with a span that includes ``[start, end)``: those in the framing
        explanation first (largest contribution first), then the others by name."""
        nearby = self.short[
            bisect_left(self.starts, end - LONG_SPAN) : bisect_right(self.starts, start)
        ]
        names = {
            name
            for span_start, span_end, span_names in (*nearby, *self.long)
            if span_start <= start and end <= span_end
            for name in span_names
        }
        return sorted(names, key=lambda name: (
            name not in self.framing, -abs(self.framing.get(name, 0.0)), name
        ))


def cue_title(cue: Cue, features: list[str], framing: dict[str, float]) -> str:
    lines = [
        f"{cue.category} · {cue.voice} · probability {number(cue.probability)}",
        f"term: {cue.term}",
    ]
    if features:
        shown = [
            f"{name} ({framing[name]:+.3f} framing logit)" if name in framing else name
            for name in features[:MAX_FEATURES_IN_TITLE]
        ]
        more = len(features) - MAX_FEATURES_IN_TITLE
        lines.append("feeds: " + ", ".join(shown) + (f", … (+{more})" if more > 0 else ""))
    else:
        lines.append("feeds no explained feature")
    return "\n".join(lines)


def cue_elements(response: ScoreResponse) -> list[Element]:
    index = FeatureSpans.of(response)
    return [
        Element(
            cue.start, cue.end, "mark", CUE_RANK,
            ("cue", f"cat-{css_name(cue.category)}", f"voice-{css_name(cue.voice)}"),
            (
                ("data-start", str(cue.start)),
                ("data-end", str(cue.end)),
                ("data-category", cue.category),
                ("data-voice", cue.voice),
                ("data-probability", number(cue.probability)),
                ("data-term", cue.term),
                ("title", cue_title(
                    cue, index.features_containing(cue.start, cue.end), index.framing
                )),
            ),
        )
        for cue in response.cues
    ]


def article_elements(response: ScoreResponse) -> list[Element]:
    """All the layers of one response."""
    return [
        *sentence_elements(response.sentences),
        *attribution_elements(response.attributions),
        *cue_elements(response),
    ]
