"""One output row per article: the score response flattened for tables (JSONL and Parquet alike).

The columns are fixed by the lexicon's categories and the response's literals, never by what one
chunk of articles happened to contain, so every part of a run (and every run of one model) has
the same columns and a Parquet file can be streamed part by part with one schema.

Nested columns hold lists of small records (``cue_terms``, ``reporting``, ``sources``,
``leaning_probabilities``) rather than maps with data-dependent keys: Parquet stores them as lists
of structs and pandas reads them back as lists of dicts from either format.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, get_args

from service.schemas import ScoreResponse, SourceKind, Stance
from training.cues import VOICES
from training.lexicon import FRAMING_CATEGORIES

STANCES: tuple[str, ...] = get_args(Stance)
SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)
DIMENSIONS: tuple[str, ...] = (
    "loaded_language", "doubt", "glorification", "demonization", "attribution_imbalance",
)
META_FIELDS: tuple[str, ...] = ("id", "outlet", "title", "date", "topic")
BIASED_SENTENCE = 0.5  # a sentence counts as biased from this probability on


def cue_column(category: str, voice: str) -> str:
    return f"cues_{category}_{voice}"


def dimension_column(dimension: str) -> str:
    return f"dim_{dimension}"


CUE_COLUMNS: tuple[str, ...] = tuple(
    cue_column(category, voice) for category in FRAMING_CATEGORIES for voice in VOICES
)
STANCE_COLUMNS: tuple[str, ...] = tuple(f"attr_stance_{stance}" for stance in STANCES)
KIND_COLUMNS: tuple[str, ...] = tuple(f"attr_kind_{kind}" for kind in SOURCE_KINDS)
SCORE_COLUMNS: tuple[str, ...] = (
    "framing", *(dimension_column(name) for name in DIMENSIONS), "sentence_bias_mean",
    "sentence_bias_max", "source_asymmetry",
)
COUNT_COLUMNS: tuple[str, ...] = (
    "chars", "words", "sentences", "biased_sentences", "cues", *CUE_COLUMNS, "attributions",
    *STANCE_COLUMNS, *KIND_COLUMNS,
)


@dataclass(frozen=True)
class ArticleMeta:
    """What the input says about an article besides its text (all optional but ``id``)."""

    id: str
    outlet: str | None = None
    title: str | None = None
    date: str | None = None
    topic: str | None = None
    kept: dict[str, Any] = field(default_factory=dict)  # input fields copied as they are

    def columns(self) -> dict[str, Any]:
        return {"id": self.id, "outlet": self.outlet, "title": self.title, "date": self.date,
                "topic": self.topic, **self.kept}


def article_row(
    response: ScoreResponse, meta: ArticleMeta, *, full: bool = False
) -> dict[str, Any]:
    """The row of a scored article; ``full`` adds the whole response as ``result`` (JSON text)."""
    biases = [sentence.bias for sentence in response.sentences]
    leaning = response.article.leaning
    row: dict[str, Any] = {
        **meta.columns(),
        "status": "ok",
        "error": None,
        "model_version": response.model.version,
        "label": response.article.label,
        "framing": response.article.framing,
        **{dimension_column(name): getattr(response.article.dimensions, name)
           for name in DIMENSIONS},
        "sentence_bias_mean": sum(biases) / len(biases) if biases else 0.0,
        "sentence_bias_max": max(biases, default=0.0),
        "source_asymmetry": response.source_asymmetry,
        "chars": len(response.text),
        "words": len(response.text.split()),
        "sentences": len(biases),
        "biased_sentences": sum(bias >= BIASED_SENTENCE for bias in biases),
        **_cue_counts(response),
        **_attribution_counts(response),
        "leaning_label": leaning.get("label") if leaning else None,
        "leaning_probabilities": (
            [{"label": str(label), "probability": float(probability)}
             for label, probability in leaning.get("probabilities", {}).items()]
            if leaning else None
        ),
        "cue_terms": _cue_terms(response),
        "reporting": _reporting(response),
        "sources": [
            {"name": source.name, "kind": source.kind, "mentions": source.mentions,
             **{stance: source.stances.get(stance, 0) for stance in STANCES}}
            for source in response.sources
        ],
    }
    if full:
        row["result"] = response.model_dump_json()
    return row


def error_row(meta: ArticleMeta, message: str, model_version: str) -> dict[str, Any]:
    """The row of an article that could not be scored: it is reported, never silently skipped."""
    return {**meta.columns(), "status": "error", "error": message, "model_version": model_version}


def _cue_counts(response: ScoreResponse) -> dict[str, int]:
    counts = dict.fromkeys(CUE_COLUMNS, 0)
    for cue in response.cues:
        column = cue_column(cue.category, cue.voice)
        if column in counts:  # a category no lexicon of this version knows is counted in "cues"
            counts[column] += 1
    return {"cues": len(response.cues), **counts}


def _attribution_counts(response: ScoreResponse) -> dict[str, int]:
    stances: Counter[str] = Counter(
        attribution.cue.stance for attribution in response.attributions
    )
    kinds: Counter[str] = Counter(
        attribution.source.kind for attribution in response.attributions
        if attribution.source is not None
    )
    return {
        "attributions": len(response.attributions),
        **{f"attr_stance_{stance}": stances[stance] for stance in STANCES},
        **{f"attr_kind_{kind}": kinds[kind] for kind in SOURCE_KINDS},
    }


def _cue_terms(response: ScoreResponse) -> list[dict[str, Any]]:
    """Each loaded term with its category, voice and count, most frequent first."""
    counts = Counter((cue.term, cue.category, cue.voice) for cue in response.cues)
    return [
        {"term": term, "category": category, "voice": voice, "count": count}
        for (term, category, voice), count in sorted(counts.items(), key=lambda item: -item[1])
    ]


def _reporting(response: ScoreResponse) -> list[dict[str, Any]]:
    """Each (source kind, reporting cue, stance) with its count; ``unattributed`` for no source."""
    counts = Counter(
        (attribution.source.kind if attribution.source else "unattributed",
         attribution.cue.term, attribution.cue.stance)
        for attribution in response.attributions
    )
    return [
        {"source_kind": kind, "verb": verb, "stance": stance, "count": count}
        for (kind, verb, stance), count in sorted(counts.items(), key=lambda item: -item[1])
    ]
