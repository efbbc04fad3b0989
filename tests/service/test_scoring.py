"""score_payload: the fast explanation path returns the same document as validating dicts, and
the cyclic garbage collector is paused only while an article is scored."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from pydantic import ValidationError

from service.registry import Manifest
from service.schemas import ScoreResponse
from service.scoring import freeze_loaded_objects, score_payload
from tests.service.fakes import FakeModel
from training.explain import Contribution, ScoreExplanation
from training.model import SlantModel

MANIFEST = Manifest(
    version="20260101-000000-abcdef", created="2026-01-01T00:00:00+00:00", trained_on=["core"],
    data=[], metrics={}, lexicon_version="x", libraries={}, artifact_sha256="0" * 64,
)
ARTICLE = (
    "The regime claimed that the so-called protesters were paid, critics say.\n\n"
    'Ali Hassan said the legendary commander had "fought the thugs heroically".'
)


def test_explanation_objects_serialize_like_the_validated_dicts(trained_model: SlantModel) -> None:
    fast = score_payload(trained_model, MANIFEST, ARTICLE)
    assert isinstance(fast.explanation["framing"], ScoreExplanation)
    slow = ScoreResponse.model_validate(
        {**trained_model.score(ARTICLE), "model": {"version": MANIFEST.version,
                                                  "trained_on": ["core"]}}
    )
    fast_json = json.loads(fast.model_dump_json())
    assert fast_json == json.loads(slow.model_dump_json())
    # ... and both are exactly the model's own JSON-ready dict.
    expected = json.loads(json.dumps(trained_model.score(ARTICLE)))
    assert {key: value for key, value in fast_json.items() if key != "model"} == expected
    framing = fast_json["explanation"]["framing"]
    assert set(framing) == {"intercept", "logit", "probability", "contributions"}
    assert framing["contributions"] and set(framing["contributions"][0]) == {
        "feature", "value", "weight", "contribution", "spans"
    }
    sentence_keys = {key for key in fast_json["explanation"] if key.startswith("sentence:")}
    assert len(sentence_keys) == len(fast_json["sentences"]) > 1


def test_explanations_validate_from_json_into_the_dataclasses() -> None:
    explanation = ScoreExplanation(
        intercept=-1.0, logit=0.5,
        contributions=(Contribution("cue:doubt", 1.0, 1.5, 1.5, ((4, 13),)),),
    )
    response = score_payload(FakeModel(), MANIFEST, "The so-called reform failed.")
    body = json.loads(response.model_dump_json())
    body["explanation"]["framing"] = {**explanation.to_dict(), "probability": 0.99}
    parsed = ScoreResponse.model_validate(body)
    assert parsed.explanation["framing"] == explanation
    # probability is always σ(logit): a stale value in the input is not kept.
    assert parsed.explanation["framing"].probability == pytest.approx(0.6224593312)


def test_a_contract_break_still_fails_validation() -> None:
    class Broken(FakeModel):
        def score(self, text: str, *, html: bool = False,
                  explain_sentences: bool = True) -> dict[str, Any]:
            result = super().score(text, html=html, explain_sentences=explain_sentences)
            result["cues"][0]["voice"] = "narrator"
            return result

    with pytest.raises(ValidationError, match="voice"):
        score_payload(Broken(), MANIFEST, "The regime fell.")


def test_freezing_moves_live_objects_out_of_the_collectors_view() -> None:
    survivor = [object()]
    before = gc.get_freeze_count()
    freeze_loaded_objects()
    try:
        assert gc.get_freeze_count() > before
        assert gc.isenabled()
        assert survivor  # frozen objects stay alive and usable
    finally:
        gc.unfreeze()
