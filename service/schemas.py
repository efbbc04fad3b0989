"""Request and response models of the HTTP API (the score response is also the CLI's JSON).

Every ``start``/``end`` is a character offset into ``ScoreResponse.text``, end exclusive.
Explanations (``Contribution``, ``ScoreExplanation``) are the model's own frozen dataclasses from
``training.explain``: the response carries and serializes them without copying.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from training.explain import Contribution as Contribution  # re-exported: response schema
from training.explain import ScoreExplanation

Voice = Literal["writer", "reported", "quoted"]
SourceKind = Literal["person", "organization", "media", "anonymous", "vague", "outlet"]
Stance = Literal["neutral", "endorsing", "distancing", "emotive"]


class ScoreRequest(BaseModel):
    """A JSON scoring request; ``text/plain`` and ``text/html`` bodies are accepted too."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(description="The article, as plain text or HTML (see `format`).")
    format: Literal["text", "html"] = Field(default="text", description="How to read `text`.")
    explain_sentences: bool = Field(
        default=True, description="Also explain every sentence score (`sentence:<i>`)."
    )


class ModelInfo(BaseModel):
    version: str
    trained_on: list[str]


class Dimensions(BaseModel):
    loaded_language: float
    doubt: float
    glorification: float
    demonization: float
    attribution_imbalance: float


class ArticleScore(BaseModel):
    framing: float = Field(description="Probability that the article as a whole is framed.")
    label: Literal["framed", "not framed"]
    dimensions: Dimensions
    leaning: dict[str, Any] | None = Field(
        default=None, description="Outlet leaning, when a leaning model has been trained."
    )


class SentenceScore(BaseModel):
    start: int
    end: int
    bias: float = Field(description="Probability that the sentence is biased.")


class Cue(BaseModel):
    start: int
    end: int
    text: str
    term: str = Field(description="The lexicon term the cue matched.")
    category: str
    voice: Voice = Field(description="Whose words: the writer's, reported, or inside a quote.")
    probability: float
    sentence: int


class AttributionSource(BaseModel):
    text: str
    start: int
    end: int
    kind: SourceKind
    name: str = Field(description="The source's name, pronouns resolved where safe.")


class AttributionCue(BaseModel):
    text: str
    start: int
    end: int
    stance: Stance
    term: str


class AttributionContent(BaseModel):
    start: int
    end: int
    direct: bool = Field(description="True for words inside quotation marks.")


class Attribution(BaseModel):
    source: AttributionSource | None
    cue: AttributionCue
    content: AttributionContent | None
    sentence: int


class SourceProfile(BaseModel):
    name: str
    kind: SourceKind
    mentions: int
    stances: dict[str, int]


class ScoreResponse(BaseModel):
    model: ModelInfo
    text: str = Field(description="The normalized text every offset points into.")
    article: ArticleScore
    sentences: list[SentenceScore]
    cues: list[Cue]
    attributions: list[Attribution]
    sources: list[SourceProfile]
    source_asymmetry: float
    explanation: dict[str, ScoreExplanation] = Field(
        description='Keyed by score: "framing", "dimension:<name>", "sentence:<i>".'
    )
    warnings: list[str]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    model: str | None = Field(description="The active model version, null when none is loaded.")
    detail: str | None = Field(default=None, description="Why no model is loaded.")


class ErrorInfo(BaseModel):
    code: str
    message: str
    detail: Any = None
    request_id: str | None = Field(
        default=None, description="The request's id, as in the X-Request-ID response header."
    )


class ErrorResponse(BaseModel):
    error: ErrorInfo
