"""The one function that turns a text into the score response, for the API and the CLI alike."""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from service.registry import Manifest, ScoringModel
from service.schemas import ScoreResponse
from training.errors import NothingToScore


@runtime_checkable
class ExplainedScoring(Protocol):
    """A model that can hand over its explanations as ``training.explain`` objects."""

    def score_explained(
        self, text: str, *, html: bool = False, explain_sentences: bool = True
    ) -> dict[str, Any]: ...


def score_payload(
    model: ScoringModel,
    manifest: Manifest,
    text: str,
    *,
    html: bool = False,
    explain_sentences: bool = True,
) -> ScoreResponse:
    """Score ``text`` and return the response; raises ``NothingToScore`` for an empty text.

    The model's result is validated against ``ScoreResponse`` here, so the API and ``slant score
    --json`` return exactly the same document and a contract break fails loudly in one place.
    Explanations that are already ``ScoreExplanation`` objects (``SlantModel.score_explained``)
    pass validation as they are: an article has hundreds of contributions, and copying them into
    dicts only to validate them back took a third of the scoring time.
    """
    if not text.strip():
        raise NothingToScore("the text is empty or only whitespace")
    if isinstance(model, ExplainedScoring):
        result = model.score_explained(text, html=html, explain_sentences=explain_sentences)
    else:
        result = model.score(text, html=html, explain_sentences=explain_sentences)
    result["model"] = {"version": manifest.version, "trained_on": list(manifest.trained_on)}
    return ScoreResponse.model_validate(result)


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A loaded model with its manifest: what one request scores with."""

    model: ScoringModel
    manifest: Manifest


@dataclass(frozen=True, slots=True)
class Scored:
    """A scored text as the API sends it, with what the service records about it."""

    body: bytes  # the ``ScoreResponse`` as JSON
    version: str  # the model version that scored it
    text: str  # the normalized text (kept for active learning when asked)
    framing: float
    seconds: float  # time spent scoring
    process: int  # pid of the process that scored it


def score_serialized(
    model: ScoringModel,
    manifest: Manifest,
    text: str,
    *,
    html: bool = False,
    explain_sentences: bool = True,
) -> Scored:
    """``score_payload``, serialized where it ran: in a scoring process, the JSON is made there
    and the HTTP process only sends it."""
    started = time.perf_counter()
    response = score_payload(
        model, manifest, text, html=html, explain_sentences=explain_sentences
    )
    # Scoring and validation, not the dump: close to what ``TimedModel`` measures in-process.
    seconds = time.perf_counter() - started
    return Scored(
        body=response.model_dump_json().encode(),
        version=manifest.version,
        text=response.text,
        framing=response.article.framing,
        seconds=seconds,
        process=os.getpid(),
    )


def freeze_loaded_objects() -> None:
    """Move everything alive now (the loaded model, the libraries) out of the collector's view.

    Scoring allocates thousands of short-lived objects; the collections they trigger used to walk
    every object of the loaded model too, a quarter of the scoring time. Frozen objects are never
    scanned, so collections stay as cheap as the article being scored. Call once, after loading.
    """
    gc.collect()
    gc.freeze()
