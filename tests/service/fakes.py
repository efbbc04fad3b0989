"""Small stand-in models with the ``SlantModel`` interface, for tests that need exact control.

``FakeModel`` finds a handful of loaded words and "X said/claimed/noted" attributions with
regular expressions and builds a response with the same shape and arithmetic as the real model:
every explanation is exactly additive and every span points into the returned text.
"""

from __future__ import annotations

import html as html_lib
import logging
import math
import re
import time
from typing import Any

from training.errors import NothingToScore

TERMS: dict[str, str] = {
    "alleged": "doubt",
    "so-called": "doubt",
    "regime": "demonizing",
    "thugs": "demonizing",
    "legendary": "glorifying",
    "heroic": "glorifying",
    "shocking": "emotive",
}
STANCES: dict[str, str] = {"said": "neutral", "noted": "endorsing", "claimed": "distancing"}
DIMENSION_CATEGORIES: dict[str, tuple[str, ...]] = {
    "loaded_language": ("doubt", "demonizing", "glorifying", "emotive"),
    "doubt": ("doubt",),
    "glorification": ("glorifying",),
    "demonization": ("demonizing",),
    "attribution_imbalance": (),
}
CUE_WEIGHT = 0.8
DISTANCING_WEIGHT = 0.5
INTERCEPT = -1.0

_TERM_PATTERN = re.compile(r"\b(" + "|".join(map(re.escape, TERMS)) + r")\b", re.IGNORECASE)
_ATTRIBUTION_PATTERN = re.compile(r"\b([A-Z][a-z]+(?: [A-Z][a-z]+)*) (said|noted|claimed)\b")
_SENTENCE_PATTERN = re.compile(r"[^.!?\n]+[.!?]?")
_QUOTE_PATTERN = re.compile(r"[\"“]([^\"”]*)[\"”]")


def _sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-logit))


def _normalize(raw: str, html: bool) -> str:
    if html:
        raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.DOTALL | re.IGNORECASE)
        raw = html_lib.unescape(re.sub(r"<[^>]+>", " ", raw))
    lines = (" ".join(line.split()) for line in raw.splitlines())
    return "\n".join(line for line in lines if line)


def _explanation(intercept: float, contributions: list[dict[str, Any]]) -> dict[str, Any]:
    logit = intercept + sum(item["contribution"] for item in contributions)
    return {
        "intercept": intercept,
        "logit": logit,
        "probability": _sigmoid(logit),
        "contributions": contributions,
    }


class FakeModel:
    trained_on: tuple[str, ...] = ("fake-data",)
    metrics: dict[str, float] = {"article_f1": 0.75, "sentence_f1": 0.5}  # noqa: RUF012
    lexicon_version: str = "fake-1"

    def score(
        self, text: str, *, html: bool = False, explain_sentences: bool = True
    ) -> dict[str, Any]:
        text = _normalize(text, html)
        if not text:
            raise NothingToScore("no words to score")
        sentences = [(m.start(), m.end()) for m in _SENTENCE_PATTERN.finditer(text) if m[0].strip()]
        quotes = [(m.start(1), m.end(1)) for m in _QUOTE_PATTERN.finditer(text)]

        def sentence_of(offset: int) -> int:
            return next(i for i, (start, end) in enumerate(sentences) if start <= offset < end)

        cues = [
            {
                "start": m.start(),
                "end": m.end(),
                "text": m[0],
                "term": m[0].lower(),
                "category": TERMS[m[0].lower()],
                "voice": "quoted" if any(s <= m.start() < e for s, e in quotes) else "writer",
                "probability": 0.9,
                "sentence": sentence_of(m.start()),
            }
            for m in _TERM_PATTERN.finditer(text)
        ]
        attributions = [
            {
                "source": {
                    "text": m[1],
                    "start": m.start(1),
                    "end": m.end(1),
                    "kind": "person",
                    "name": m[1],
                },
                "cue": {
                    "text": m[2],
                    "start": m.start(2),
                    "end": m.end(2),
                    "stance": STANCES[m[2]],
                    "term": m[2],
                },
                "content": None,
                "sentence": sentence_of(m.start()),
            }
            for m in _ATTRIBUTION_PATTERN.finditer(text)
        ]
        sources: dict[str, dict[str, Any]] = {}
        for attribution in attributions:
            name, stance = attribution["source"]["name"], attribution["cue"]["stance"]
            profile = sources.setdefault(
                name, {"name": name, "kind": "person", "mentions": 0, "stances": {}}
            )
            profile["mentions"] += 1
            profile["stances"][stance] = profile["stances"].get(stance, 0) + 1

        def contributions(selected: list[dict[str, Any]], with_stances: bool) -> list[dict]:
            items = []
            for term in sorted({cue["term"] for cue in selected}):
                spans = [[c["start"], c["end"]] for c in selected if c["term"] == term]
                items.append(
                    {
                        "feature": f"cue:{TERMS[term]}:{term}",
                        "value": float(len(spans)),
                        "weight": CUE_WEIGHT,
                        "contribution": CUE_WEIGHT * len(spans),
                        "spans": spans,
                    }
                )
            distancing = [a["cue"] for a in attributions if a["cue"]["stance"] == "distancing"]
            if with_stances and distancing:
                items.append(
                    {
                        "feature": "attr:stance:distancing",
                        "value": float(len(distancing)),
                        "weight": DISTANCING_WEIGHT,
                        "contribution": DISTANCING_WEIGHT * len(distancing),
                        "spans": [[cue["start"], cue["end"]] for cue in distancing],
                    }
                )
            return items

        explanation = {"framing": _explanation(INTERCEPT, contributions(cues, True))}
        for name, categories in DIMENSION_CATEGORIES.items():
            selected = [cue for cue in cues if cue["category"] in categories]
            explanation[f"dimension:{name}"] = _explanation(
                INTERCEPT, contributions(selected, name == "attribution_imbalance")
            )
        sentence_explanations = [
            _explanation(INTERCEPT, contributions([c for c in cues if c["sentence"] == i], False))
            for i in range(len(sentences))
        ]
        if explain_sentences:
            for index, item in enumerate(sentence_explanations):
                explanation[f"sentence:{index}"] = item
        framing = explanation["framing"]["probability"]
        distancing_count = sum(a["cue"]["stance"] == "distancing" for a in attributions)
        return {
            "text": text,
            "article": {
                "framing": framing,
                "label": "framed" if framing >= 0.5 else "not framed",
                "dimensions": {
                    name: explanation[f"dimension:{name}"]["probability"]
                    for name in DIMENSION_CATEGORIES
                },
                "leaning": None,
            },
            "sentences": [
                {"start": start, "end": end, "bias": item["probability"]}
                for (start, end), item in zip(sentences, sentence_explanations, strict=True)
            ],
            "cues": cues,
            "attributions": attributions,
            "sources": list(sources.values()),
            "source_asymmetry": distancing_count / max(1, len(attributions)),
            "explanation": explanation,
            "warnings": [],
        }


class BrokenModel(FakeModel):
    """A model with a defect: scoring raises something no client input explains."""

    def score(
        self, text: str, *, html: bool = False, explain_sentences: bool = True
    ) -> dict[str, Any]:
        raise RuntimeError("internal defect with a secret path /srv/secret")


class SlowModel(FakeModel):
    """``FakeModel`` that takes ``delay`` seconds to score (timeouts, graceful shutdown)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def score(
        self, text: str, *, html: bool = False, explain_sentences: bool = True
    ) -> dict[str, Any]:
        time.sleep(self.delay)
        return super().score(text, html=html, explain_sentences=explain_sentences)


class ChattyModel(FakeModel):
    """``FakeModel`` that logs a line while it scores (in the endpoint's worker thread)."""

    def score(
        self, text: str, *, html: bool = False, explain_sentences: bool = True
    ) -> dict[str, Any]:
        logging.getLogger("tests.chatty_model").info("scoring %d characters", len(text))
        return super().score(text, html=html, explain_sentences=explain_sentences)
