"""The one function that turns a text into the score response, for the API and the CLI alike."""

from __future__ import annotations

from service.registry import Manifest, ScoringModel
from service.schemas import ModelInfo, ScoreResponse
from training.errors import NothingToScore


def score_payload(
    model: ScoringModel,
    manifest: Manifest,
    text: str,
    *,
    html: bool = False,
    explain_sentences: bool = True,
) -> ScoreResponse:
    """Score ``text`` and return the response; raises ``NothingToScore`` for an empty text.

    The model's dict is validated against ``ScoreResponse`` here, so the API and ``slant score
    --json`` return exactly the same document and a contract break fails loudly in one place.
    """
    if not text.strip():
        raise NothingToScore("the text is empty or only whitespace")
    result = model.score(text, html=html, explain_sentences=explain_sentences)
    info = ModelInfo(version=manifest.version, trained_on=list(manifest.trained_on))
    return ScoreResponse.model_validate({**result, "model": info.model_dump()})
