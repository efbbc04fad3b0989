"""POST /v1/score: response shape, offsets into the returned text, and the accepted bodies."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

from service.registry import Registry
from tests.service.fakes import CUE_WEIGHT, INTERCEPT

ARTICLE = (
    "The regime claimed that the so-called protesters were paid. "
    'Ali Hassan said the legendary commander had "fought the thugs heroically".\n\n'
    "Officials noted that the alleged plot was shocking, according to state media."
)
HTML_ARTICLE = (
    "<html><head><title>News</title><style>p {color: red}</style></head><body>"
    "<p>The <b>regime</b> claimed that the so-called protesters were paid.</p>"
    "<script>var tracking = 'alleged';</script>"
    "<p>Ali Hassan said the legendary commander &amp; his men were heroic.</p></body></html>"
)


def assert_offsets_consistent(body: dict) -> None:
    """Every span in the response points into ``text`` and reproduces what it claims."""
    text = body["text"]
    for cue in body["cues"]:
        assert text[cue["start"] : cue["end"]] == cue["text"]
        sentence = body["sentences"][cue["sentence"]]
        assert sentence["start"] <= cue["start"] < cue["end"] <= sentence["end"]
    for attribution in body["attributions"]:
        for part in ("source", "cue"):
            span = attribution[part]
            if span is not None:
                assert text[span["start"] : span["end"]] == span["text"]
        if attribution["content"] is not None:
            assert 0 <= attribution["content"]["start"] < attribution["content"]["end"] <= len(text)
    previous_end = 0
    for sentence in body["sentences"]:
        assert previous_end <= sentence["start"] < sentence["end"] <= len(text)
        previous_end = sentence["end"]
    for explanation in body["explanation"].values():
        for contribution in explanation["contributions"]:
            for start, end in contribution["spans"]:
                assert 0 <= start < end <= len(text)


def assert_explanations_exact(body: dict) -> None:
    """intercept + Σ contributions == logit, contribution == weight × value, p == σ(logit)."""
    for name, explanation in body["explanation"].items():
        total = explanation["intercept"] + sum(
            c["contribution"] for c in explanation["contributions"]
        )
        assert total == pytest.approx(explanation["logit"], abs=1e-6), name
        for contribution in explanation["contributions"]:
            product = contribution["weight"] * contribution["value"]
            assert contribution["contribution"] == pytest.approx(product, abs=1e-9)
        assert explanation["probability"] == pytest.approx(
            1 / (1 + math.exp(-explanation["logit"]))
        )
    article = body["article"]
    assert article["framing"] == pytest.approx(body["explanation"]["framing"]["probability"])
    for dimension, value in article["dimensions"].items():
        assert value == pytest.approx(body["explanation"][f"dimension:{dimension}"]["probability"])


def test_score_response_has_the_contract_shape(client: TestClient, model_home) -> None:
    response = client.post("/v1/score", json={"text": ARTICLE})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "model",
        "text",
        "article",
        "sentences",
        "cues",
        "attributions",
        "sources",
        "source_asymmetry",
        "explanation",
        "warnings",
    }
    manifest = Registry(model_home).read_manifest(Registry(model_home).active_version() or "")
    assert body["model"] == {"version": manifest.version, "trained_on": manifest.trained_on}
    assert body["article"]["label"] == (
        "framed" if body["article"]["framing"] >= 0.5 else "not framed"
    )
    assert set(body["article"]["dimensions"]) == {
        "loaded_language",
        "doubt",
        "glorification",
        "demonization",
        "attribution_imbalance",
    }
    assert body["cues"], "a text full of loaded words yields cues"
    assert body["attributions"], "'Ali Hassan said' is an attribution"
    assert {cue["voice"] for cue in body["cues"]} <= {"writer", "reported", "quoted"}
    assert_offsets_consistent(body)
    assert_explanations_exact(body)


def test_every_sentence_is_explained_unless_asked_not_to(client: TestClient) -> None:
    explained = client.post("/v1/score", json={"text": ARTICLE}).json()
    sentence_keys = {key for key in explained["explanation"] if key.startswith("sentence:")}
    assert sentence_keys == {f"sentence:{i}" for i in range(len(explained["sentences"]))}
    for index, sentence in enumerate(explained["sentences"]):
        probability = explained["explanation"][f"sentence:{index}"]["probability"]
        assert sentence["bias"] == pytest.approx(probability)

    quiet = client.post("/v1/score", json={"text": ARTICLE, "explain_sentences": False}).json()
    assert not [key for key in quiet["explanation"] if key.startswith("sentence:")]
    assert quiet["article"] == explained["article"]
    assert quiet["sentences"] == explained["sentences"]


def test_text_plain_body_scores_like_json(client: TestClient) -> None:
    as_json = client.post("/v1/score", json={"text": ARTICLE}).json()
    as_text = client.post(
        "/v1/score", content=ARTICLE.encode(), headers={"content-type": "text/plain; charset=utf-8"}
    )
    assert as_text.status_code == 200
    assert as_text.json() == as_json


def test_declared_charset_is_honoured(client: TestClient) -> None:
    text = "Officials in Bogotá said the café was closed."
    response = client.post(
        "/v1/score",
        content=text.encode("latin-1"),
        headers={"content-type": "text/plain; charset=ISO-8859-1"},
    )
    assert response.status_code == 200
    assert "Bogotá" in response.json()["text"]
    assert "café" in response.json()["text"]


def test_html_is_stripped_and_offsets_point_into_the_clean_text(client: TestClient) -> None:
    response = client.post("/v1/score", json={"text": HTML_ARTICLE, "format": "html"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "<" not in body["text"]
    assert "tracking" not in body["text"]
    assert "color: red" not in body["text"]
    assert "commander & his men" in body["text"]
    assert body["cues"]
    assert_offsets_consistent(body)
    assert_explanations_exact(body)


def test_text_html_body_scores_like_json_html(client: TestClient) -> None:
    as_json = client.post("/v1/score", json={"text": HTML_ARTICLE, "format": "html"}).json()
    as_html = client.post(
        "/v1/score", content=HTML_ARTICLE.encode(), headers={"content-type": "text/html"}
    )
    assert as_html.json() == as_json


def test_html_sent_as_text_is_not_stripped(client: TestClient) -> None:
    body = client.post("/v1/score", json={"text": HTML_ARTICLE}).json()
    assert "<b>regime</b>" in body["text"]


def test_fake_model_values_pass_through_unchanged(fake_client: TestClient) -> None:
    body = fake_client.post("/v1/score", json={"text": ARTICLE}).json()
    assert [(cue["text"], cue["category"], cue["voice"]) for cue in body["cues"]] == [
        ("regime", "demonizing", "writer"),
        ("so-called", "doubt", "writer"),
        ("legendary", "glorifying", "writer"),
        ("thugs", "demonizing", "quoted"),
        ("alleged", "doubt", "writer"),
        ("shocking", "emotive", "writer"),
    ]
    assert body["cues"][0]["start"] == ARTICLE.index("regime")
    assert body["sources"] == [
        {"name": "Ali Hassan", "kind": "person", "mentions": 1, "stances": {"neutral": 1}},
        {"name": "Officials", "kind": "person", "mentions": 1, "stances": {"endorsing": 1}},
    ]
    framing = body["explanation"]["framing"]
    assert framing["intercept"] == INTERCEPT
    assert framing["logit"] == pytest.approx(INTERCEPT + 6 * CUE_WEIGHT)
    demonizing = [c for c in framing["contributions"] if c["feature"] == "cue:demonizing:regime"]
    assert demonizing == [
        {
            "feature": "cue:demonizing:regime",
            "value": 1.0,
            "weight": CUE_WEIGHT,
            "contribution": CUE_WEIGHT,
            "spans": [[4, 10]],
        }
    ]
