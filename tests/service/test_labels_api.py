"""/v1/labels: submitting, validation errors, paging and filters, stats, imports, suggestions,
and keeping scored texts for active learning."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.labels import LabelStore, label_id
from tests.service.conftest import save_active
from tests.service.fakes import FakeModel
from training.dataset import Example

TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REGIME = "The regime said the so-called reform failed."
SENTENCE: dict[str, Any] = {
    "id": "s1", "text": REGIME, "level": "sentence", "label": {"biased": True},
    "spans": [{"start": 4, "end": 10, "label": "demonizing"},
              {"start": 20, "end": 29, "label": "doubt"}],
}
NEUTRAL: dict[str, Any] = {
    "id": "s2", "text": "Officials met on Monday.", "level": "sentence", "label": {"biased": False},
}
ARTICLE: dict[str, Any] = {
    "id": "a1", "text": "The regime's thugs attacked.\n\nOfficials said nothing.",
    "level": "article",
    "label": {"framing": True, "dimensions": {"demonization": True}},
    "attributions": [{"source": {"start": 30, "end": 39, "kind": "person"},
                      "cue": {"start": 40, "end": 44, "stance": "neutral"}, "content": None}],
}


def make_client(home: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(home=home, admin_token=TOKEN, **settings)))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with make_client(home) as test_client:
        yield test_client


def post(client: TestClient, body: Any, **params: str) -> Any:
    return client.post("/v1/labels", json=body, headers=AUTH, params=params)


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    return error


# Submitting


def test_one_example_answers_201_with_its_content_id(client: TestClient, home: Path) -> None:
    response = post(client, SENTENCE)
    assert response.status_code == 201, response.text
    assert response.json() == [{"id": label_id(Example.model_validate(SENTENCE)), "created": True}]
    assert LabelStore.open(home).count() == 1


def test_a_list_dedups_and_keeps_the_order(client: TestClient, home: Path) -> None:
    response = post(client, [SENTENCE, ARTICLE, {**SENTENCE, "id": "other"}])
    assert response.status_code == 201
    ids = [label_id(Example.model_validate(body)) for body in (SENTENCE, ARTICLE, SENTENCE)]
    assert response.json() == [
        {"id": ids[0], "created": True},
        {"id": ids[1], "created": True},
        {"id": ids[0], "created": False},
    ]
    again = post(client, ARTICLE)
    assert again.json() == [{"id": ids[1], "created": False}]
    assert LabelStore.open(home).count() == 2


def test_id_is_optional_and_source_is_recorded(client: TestClient) -> None:
    body = {key: value for key, value in NEUTRAL.items() if key != "id"}
    assert post(client, body, source="annotator-7").status_code == 201
    [item] = client.get("/v1/labels").json()["items"]
    assert item["source"] == "annotator-7"
    assert item["submitted_id"] == ""
    assert item["example"]["id"] == item["id"]
    assert item["example"]["text"] == NEUTRAL["text"]
    post(client, SENTENCE)
    assert client.get("/v1/labels", params={"source": "api"}).json()["items"][0]["id"] == (
        label_id(Example.model_validate(SENTENCE))
    )


def test_a_bad_example_names_its_index_and_nothing_of_the_batch_is_stored(
    client: TestClient, home: Path
) -> None:
    out_of_text = {**NEUTRAL, "spans": [{"start": 10, "end": 99, "label": "doubt"}]}
    bad_label = {**NEUTRAL, "label": {"biased": "yes"}}
    unknown_category = {**NEUTRAL, "spans": [{"start": 0, "end": 9, "label": "sarcasm"}]}
    response = post(client, [SENTENCE, out_of_text, bad_label, ARTICLE, unknown_category])
    error = error_of(response, 422, "invalid_labels")
    assert "3 of 5" in error["message"] and "nothing was stored" in error["message"]
    assert [problem["index"] for problem in error["detail"]] == [1, 2, 4]
    assert "span (10, 99) is outside the text (length 24)" in error["detail"][0]["errors"][0]["msg"]
    assert "biased" in error["detail"][1]["errors"][0]["msg"]
    assert error["detail"][2]["errors"][0]["loc"] == ["spans", 0, "label"]
    assert LabelStore.open(home).count() == 0


def test_text_must_be_normalized(client: TestClient) -> None:
    response = post(client, {**NEUTRAL, "text": "Officials  met on Monday."})
    error = error_of(response, 422, "invalid_labels")
    assert error["detail"][0]["index"] == 0
    reason = error["detail"][0]["errors"][0]["msg"]
    assert "not normalized (first difference at offset 10)" in reason


@pytest.mark.parametrize(
    ("content", "code", "status"),
    [
        (b"not json", "invalid_labels", 422),
        (b"[]", "invalid_labels", 422),
        (b"42", "invalid_labels", 422),
        (b"[42]", "invalid_labels", 422),
    ],
)
def test_malformed_bodies(client: TestClient, content: bytes, code: str, status: int) -> None:
    response = client.post(
        "/v1/labels", content=content, headers={**AUTH, "Content-Type": "application/json"}
    )
    error_of(response, status, code)


def test_only_json_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/v1/labels", content=b"text", headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert error_of(response, 415, "unsupported_media_type")["detail"] == {
        "accepted": ["application/json"]
    }


def test_body_size_is_capped(home: Path) -> None:
    with make_client(home, max_body_bytes=200) as small:
        error_of(post(small, [SENTENCE, NEUTRAL, ARTICLE]), 413, "payload_too_large")


# Reading


def submit_many(client: TestClient, count: int) -> list[str]:
    bodies = [
        {"id": str(i), "text": f"Sentence {i} is here.", "level": "sentence",
         "label": {"biased": i % 3 == 0}}
        for i in range(count)
    ]
    return [item["id"] for item in post(client, bodies).json()]


def test_paging_with_a_cursor(client: TestClient) -> None:
    ids = submit_many(client, 5)
    first = client.get("/v1/labels", params={"limit": 2}).json()
    assert [item["id"] for item in first["items"]] == ids[:2]
    second = client.get("/v1/labels", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in second["items"]] == ids[2:4]
    third = client.get("/v1/labels", params={"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [item["id"] for item in third["items"]] == ids[4:]
    assert third["next_cursor"] is None


def test_filters(client: TestClient) -> None:
    ids = submit_many(client, 6)
    post(client, ARTICLE, source="tool")
    biased = client.get("/v1/labels", params={"biased": "true"}).json()["items"]
    assert [item["id"] for item in biased] == [ids[0], ids[3]]
    not_biased = client.get("/v1/labels", params={"biased": "false", "level": "sentence"})
    assert len(not_biased.json()["items"]) == 4
    framed = client.get("/v1/labels", params={"framing": "true"}).json()["items"]
    assert [item["example"]["text"] for item in framed] == [ARTICLE["text"]]
    assert client.get("/v1/labels", params={"level": "article", "source": "api"}).json() == {
        "items": [], "next_cursor": None,
    }


@pytest.mark.parametrize(
    "params", [{"cursor": "abc"}, {"limit": "0"}, {"limit": "501"}, {"level": "paragraph"}]
)
def test_bad_query_parameters(client: TestClient, params: dict[str, str]) -> None:
    error_of(client.get("/v1/labels", params=params), 422, "invalid_request")


def test_stats(client: TestClient) -> None:
    submit_many(client, 6)
    post(client, ARTICLE, source="tool")
    assert client.get("/v1/labels/stats").json() == {
        "total": 7,
        "by_level": {"article": 1, "sentence": 6},
        "by_source": {"api": 6, "tool": 1},
        "by_label": {
            "biased": {"true": 2, "false": 4},
            "framing": {"true": 1},
            "dimensions.demonization": {"true": 1},
        },
    }


# Importing


def test_import_native_jsonl(client: TestClient, home: Path) -> None:
    lines = "\n".join(json.dumps(body) for body in (SENTENCE, NEUTRAL, ARTICLE)) + "\n"
    response = client.post(
        "/v1/labels/import", params={"format": "native"}, content=lines.encode(), headers=AUTH
    )
    assert response.status_code == 201, response.text
    assert [item["created"] for item in response.json()] == [True, True, True]
    assert LabelStore.open(home).stats().by_source == {"import:native": 3}


def test_import_doccano_with_and_without_a_mapping(client: TestClient, home: Path) -> None:
    row = {"id": 1, "text": REGIME, "label": [[4, 10, "LOADED"]], "cats": ["biased"]}
    content = (json.dumps(row) + "\n").encode()
    refused = client.post(
        "/v1/labels/import", params={"format": "doccano"}, content=content, headers=AUTH
    )
    message = error_of(refused, 422, "invalid_labels")["message"]
    assert "LOADED" in message
    assert "/tmp" not in message and "upload.jsonl" in message
    response = client.post(
        "/v1/labels/import",
        params={"format": "doccano", "mapping": json.dumps({"LOADED": "demonizing"}),
                "source": "doccano:batch-1"},
        content=content,
        headers=AUTH,
    )
    assert response.status_code == 201, response.text
    [example] = LabelStore.open(home).examples(source="doccano:batch-1")
    assert example.label == {"biased": True}
    assert [(s.start, s.end, s.label) for s in example.spans] == [(4, 10, "demonizing")]


def test_import_a_zipped_folder(client: TestClient, home: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("corpus/a.jsonl", json.dumps(SENTENCE) + "\n")
        zipped.writestr("corpus/b.jsonl", json.dumps(ARTICLE) + "\n")
    response = client.post(
        "/v1/labels/import",
        params={"format": "native"},
        content=archive.getvalue(),
        headers={**AUTH, "Content-Type": "application/zip"},
    )
    assert response.status_code == 201, response.text
    assert {e.text for e in LabelStore.open(home).examples()} == {REGIME, ARTICLE["text"]}


@pytest.mark.parametrize(
    ("params", "content", "code", "fragment"),
    [
        ({"format": "nonsense"}, b"{}", "invalid_labels", "unknown dataset format 'nonsense'"),
        ({"format": "native"}, b'{"id": "1"}\n', "invalid_labels", "upload.jsonl:1"),
        ({"format": "doccano", "mapping": "{not json"}, b"", "invalid_request", "mapping"),
        ({"format": "doccano", "mapping": '{"a": 1}'}, b"", "invalid_request", "mapping"),
        ({"format": "native"}, b"PK not a zip", "invalid_labels", "not a zip archive"),
    ],
)
def test_import_errors(
    client: TestClient, home: Path, params: dict[str, str], content: bytes, code: str,
    fragment: str,
) -> None:
    headers = dict(AUTH)
    if content.startswith(b"PK"):
        headers["Content-Type"] = "application/zip"
    response = client.post("/v1/labels/import", params=params, content=content, headers=headers)
    assert fragment in error_of(response, 422, code)["message"]
    assert LabelStore.open(home).count() == 0


# Active learning: keeping scored texts and suggesting them


@pytest.fixture
def scoring_home(tmp_path: Path) -> Path:
    home = tmp_path / "scoring-home"
    save_active(home, FakeModel())
    return home


# The fake model's framing is σ(-1 + 0.8 × loaded words [+ 0.5 for "claimed"]).
NO_CUE = "Officials met on Monday to talk."  # σ(-1.0) = 0.269: margin 0.231
ONE_CUE = "Officials met the regime on Monday."  # σ(-0.2) = 0.450: margin 0.050
TWO_CUES = "The regime met the thugs on Monday."  # σ(0.6) = 0.646: margin 0.146


def test_scored_texts_are_kept_and_suggested_least_certain_first(scoring_home: Path) -> None:
    with make_client(scoring_home, keep_scored=True) as client:
        for text in (NO_CUE, ONE_CUE, TWO_CUES):
            assert client.post("/v1/score", json={"text": text}).status_code == 200
        suggestions = client.get("/v1/labels/suggest", params={"n": 2}, headers=AUTH).json()
        assert [item["text"] for item in suggestions["items"]] == [ONE_CUE, TWO_CUES]
        first = suggestions["items"][0]
        assert first["framing"] == pytest.approx(0.4502, abs=1e-4)
        assert first["margin"] == pytest.approx(0.0498, abs=1e-4)
        assert first["model_version"] == client.get("/v1/models/active").json()["version"]
        # Once labeled, a text is no longer suggested.
        post(client, {"text": ONE_CUE, "level": "article", "label": {"framing": False}})
        remaining = client.get("/v1/labels/suggest", headers=AUTH).json()["items"]
        assert [item["text"] for item in remaining] == [TWO_CUES, NO_CUE]


def test_scored_texts_are_not_kept_unless_turned_on(scoring_home: Path) -> None:
    with make_client(scoring_home) as client:
        assert client.post("/v1/score", json={"text": ONE_CUE}).status_code == 200
        assert client.get("/v1/labels/suggest", headers=AUTH).json() == {"items": []}
    assert LabelStore.open(scoring_home).scored_count() == 0


def test_a_failure_to_keep_a_scored_text_never_fails_scoring(
    scoring_home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(LabelStore, "record_scored", broken)
    with make_client(scoring_home, keep_scored=True) as client, caplog.at_level(logging.ERROR):
        response = client.post("/v1/score", json={"text": ONE_CUE})
    assert response.status_code == 200
    assert response.json()["article"]["framing"] == pytest.approx(0.4502, abs=1e-4)
    assert "could not keep the scored text" in caplog.text
    assert "disk full" in caplog.text


def test_keeping_scored_texts_is_off_by_default_and_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SLANT_KEEP_SCORED", raising=False)
    assert Settings().keep_scored is False
    monkeypatch.setenv("SLANT_KEEP_SCORED", "true")
    assert Settings().keep_scored is True


def test_suggest_n_is_bounded(client: TestClient) -> None:
    error_of(client.get("/v1/labels/suggest", params={"n": 0}, headers=AUTH), 422,
             "invalid_request")


# 1,000 concurrent submissions over HTTP, to two server processes sharing one store

SERVERS = 2
CLIENTS = 4
PER_CLIENT = 250


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, "the server exited"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[list[str], Path]]:
    """Two uvicorn processes serving the app over the same SLANT_HOME: their URLs and home.

    Two separate servers rather than ``--workers 2``: uvicorn's multi-worker mode answers
    every request ~45 ms late here, which would only measure uvicorn.
    """
    home = tmp_path / "server-home"
    environment = {**os.environ, "SLANT_HOME": str(home), "SLANT_ADMIN_TOKEN": TOKEN}
    urls, processes = [], []
    try:
        for _ in range(SERVERS):
            port = _free_port()
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                env=environment, cwd=Path(__file__).resolve().parents[2],
            ))
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            _wait_until_up(url, process)
        yield urls, home
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


@pytest.mark.slow
def test_1000_concurrent_http_submissions_lose_none(servers: tuple[list[str], Path]) -> None:
    urls, home = servers

    def submit(client_number: int) -> list[tuple[int, dict[str, Any]]]:
        answers = []
        url = urls[client_number % len(urls)]
        with httpx.Client(base_url=url, headers=AUTH, timeout=60) as client:
            for i in range(PER_CLIENT):
                body = {"text": f"Client {client_number} sent sentence {i}.",
                        "level": "sentence", "label": {"biased": i % 2 == 0}}
                response = client.post("/v1/labels", json=body)
                answers.append((response.status_code, response.json()[0]))
        return answers

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        answers = [answer for batch in pool.map(submit, range(CLIENTS)) for answer in batch]
    total = CLIENTS * PER_CLIENT
    assert [status for status, _ in answers] == [201] * total
    assert all(answer["created"] for _, answer in answers)
    assert len({answer["id"] for _, answer in answers}) == total
    # Counted three ways: through each server and straight from the file.
    for url in urls:
        assert httpx.get(f"{url}/v1/labels/stats").json()["total"] == total
    assert LabelStore.open(home).count() == total
    assert {e.id for e in LabelStore.open(home).examples()} == {a["id"] for _, a in answers}
