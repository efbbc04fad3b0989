"""Every error status of the API, each with its stable code and the JSON error envelope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from tests.service.conftest import make_client, save_active
from tests.service.fakes import BrokenModel

ARTICLE = "Ali Hassan claimed the so-called reform was a success."


def error_of(response: object, status: int, code: str) -> dict:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "detail", "request_id"}
    assert body["error"]["request_id"] == response.headers["X-Request-ID"]  # type: ignore[attr-defined]
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.fixture
def small_client(model_home: Path) -> Iterator[TestClient]:
    """Limits small enough to cross in a test: 1000 bytes per body, 100 characters of text."""
    with make_client(model_home, max_body_bytes=1000, max_text_chars=100) as test_client:
        yield test_client


# 422: malformed bodies, with pydantic's detail


def test_malformed_json_is_422_with_json_invalid_detail(client: TestClient) -> None:
    response = client.post(
        "/v1/score", content=b'{"text": "abc"', headers={"content-type": "application/json"}
    )
    error = error_of(response, 422, "invalid_request")
    assert [item["type"] for item in error["detail"]] == ["json_invalid"]
    assert error["detail"][0]["loc"][0] == "body"


def test_extra_field_is_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/v1/score", json={"text": ARTICLE, "model_path": "/tmp/x.joblib"})
    error = error_of(response, 422, "invalid_request")
    assert [(item["type"], item["loc"]) for item in error["detail"]] == [
        ("extra_forbidden", ["body", "model_path"])
    ]


@pytest.mark.parametrize(
    ("body", "error_type", "location"),
    [
        ({"text": 123}, "string_type", ["body", "text"]),
        ({"text": ["a"]}, "string_type", ["body", "text"]),
        ({"text": ARTICLE, "format": "pdf"}, "literal_error", ["body", "format"]),
        ({"text": ARTICLE, "explain_sentences": "yes"}, "bool_type", ["body", "explain_sentences"]),
        ({"format": "text"}, "missing", ["body", "text"]),
        ([ARTICLE], "model_type", ["body"]),
    ],
)
def test_wrong_shape_is_422(
    client: TestClient, body: object, error_type: str, location: list[str]
) -> None:
    error = error_of(client.post("/v1/score", json=body), 422, "invalid_request")
    assert [(item["type"], item["loc"]) for item in error["detail"]] == [(error_type, location)]


# 413: too large, by header, by the bytes actually sent, and by text length


def test_declared_content_length_over_limit_is_413_before_reading(
    small_client: TestClient,
) -> None:
    # The body itself is tiny: only the declared length can have triggered the refusal.
    response = small_client.post(
        "/v1/score",
        content=b"short",
        headers={"content-type": "text/plain", "content-length": "5000000"},
    )
    error = error_of(response, 413, "payload_too_large")
    assert error["detail"] == {"max_body_bytes": 1000}


def test_chunked_body_over_limit_is_413_while_streaming(small_client: TestClient) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(50):
            sent.append(1)
            yield b"word " * 100  # 500 bytes a chunk, no Content-Length (chunked)

    response = small_client.post(
        "/v1/score", content=chunks(), headers={"content-type": "text/plain"}
    )
    error_of(response, 413, "payload_too_large")


def test_json_body_over_limit_is_413(small_client: TestClient) -> None:
    response = small_client.post("/v1/score", json={"text": "word " * 300})
    error_of(response, 413, "payload_too_large")


def test_text_over_max_chars_is_413_naming_both_lengths(small_client: TestClient) -> None:
    text = "Officials said the plan was approved. " * 3  # 114 characters, 114 bytes
    error = error_of(small_client.post("/v1/score", json={"text": text}), 413, "payload_too_large")
    assert error["detail"] == {"max_text_chars": 100, "text_chars": len(text)}


def test_text_at_max_chars_is_accepted(small_client: TestClient) -> None:
    text = ("Officials said the plan was approved." + " " * 100)[:100]
    assert small_client.post("/v1/score", json={"text": text}).status_code == 200


# 415: content types


@pytest.mark.parametrize(
    "content_type",
    ["application/xml", "multipart/form-data; boundary=x", "application/octet-stream", None],
)
def test_unsupported_content_type_is_415(client: TestClient, content_type: str | None) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    response = client.post("/v1/score", content=ARTICLE.encode(), headers=headers)
    error = error_of(response, 415, "unsupported_media_type")
    assert error["detail"] == {"accepted": ["application/json", "text/plain", "text/html"]}


def test_unknown_charset_is_415(client: TestClient) -> None:
    response = client.post(
        "/v1/score", content=ARTICLE.encode(), headers={"content-type": "text/plain; charset=x-no"}
    )
    error_of(response, 415, "unsupported_media_type")


# 400: nothing to score, invalid encoding


@pytest.mark.parametrize("text", ["", "   ", " \n\n\t \n"])
def test_empty_or_whitespace_json_text_is_400(client: TestClient, text: str) -> None:
    error_of(client.post("/v1/score", json={"text": text}), 400, "nothing_to_score")


@pytest.mark.parametrize("content_type", ["text/plain", "text/html"])
def test_empty_raw_body_is_400(client: TestClient, content_type: str) -> None:
    response = client.post("/v1/score", content=b" \n ", headers={"content-type": content_type})
    error_of(response, 400, "nothing_to_score")


def test_html_with_only_markup_is_400(client: TestClient) -> None:
    response = client.post("/v1/score", json={"text": "<div><p> </p><br/></div>", "format": "html"})
    error_of(response, 400, "nothing_to_score")


def test_invalid_utf8_text_body_is_400_naming_the_offset(client: TestClient) -> None:
    body = "Café said".encode() + b"\xff\xfe rest"
    response = client.post("/v1/score", content=body, headers={"content-type": "text/plain"})
    error = error_of(response, 400, "invalid_encoding")
    assert error["detail"] == {"charset": "utf-8", "offset": 10}
    assert "offset 10" in error["message"]


# 503, 404, 405, 500


def test_score_without_a_model_is_503(empty_client: TestClient) -> None:
    error = error_of(
        empty_client.post("/v1/score", json={"text": ARTICLE}), 503, "model_not_loaded"
    )
    assert "slant train" in error["message"]


def test_unknown_route_is_404_json(client: TestClient) -> None:
    error_of(client.get("/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_405_json(client: TestClient) -> None:
    error_of(client.get("/v1/score"), 405, "method_not_allowed")


def test_model_defect_is_500_without_internals(tmp_path: Path) -> None:
    save_active(tmp_path, BrokenModel())
    app = create_app(Settings(home=tmp_path))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        error = error_of(test_client.post("/v1/score", json={"text": ARTICLE}), 500, "internal")
    assert "secret" not in error["message"]
    assert error["detail"] is None
