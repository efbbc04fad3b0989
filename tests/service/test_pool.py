"""Scoring processes (``--workers N`` above 1): the same answers as scoring in the HTTP process,
versions switched without a failed request, a dead process answered 503 and replaced, and the
processes stopped with the app."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.pool import ScoringPool
from service.registry import Registry
from tests.service.conftest import save_active
from tests.service.fakes import FakeModel, SlowModel
from tests.service.test_operations import metric_labels, metric_total

ARTICLE = "Ali Hassan claimed the so-called reform was a success. Critics said it was heroic."
TOKEN = "pool-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def pooled_client(home: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(home=home, workers=2, admin_token=TOKEN, **settings)))


def scoring_pool(client: TestClient) -> ScoringPool:
    pool = client.app.state.scoring_pool  # type: ignore[attr-defined]
    assert isinstance(pool, ScoringPool)
    return pool


@pytest.fixture
def pooled(tmp_path: Path) -> Iterator[TestClient]:
    save_active(tmp_path, FakeModel())
    with pooled_client(tmp_path) as client:
        yield client


def test_answers_are_those_of_scoring_in_the_http_process(tmp_path: Path) -> None:
    save_active(tmp_path, FakeModel())
    requests: list[dict[str, Any]] = [
        {"text": ARTICLE},
        {"text": f"<p>{ARTICLE}</p><script>x()</script>", "format": "html"},
        {"text": ARTICLE, "explain_sentences": False},
    ]
    with TestClient(create_app(Settings(home=tmp_path))) as in_process:
        expected = [in_process.post("/v1/score", json=body) for body in requests]
    with pooled_client(tmp_path) as client:
        assert scoring_pool(client).processes == 2
        answers = [client.post("/v1/score", json=body) for body in requests]
        text = client.get("/metrics").text
    for answer, reference in zip(answers, expected, strict=True):
        assert (answer.status_code, answer.headers["content-type"]) == (200, "application/json")
        assert answer.json() == reference.json()
    assert metric_total(text, "slant_scoring_duration_seconds_count") == len(requests)
    assert metric_total(text, "slant_requests_total", route="/v1/score", status="200") == 3


def test_every_scoring_process_is_started_and_holds_the_model_before_the_app_serves(
    pooled: TestClient,
) -> None:
    pids = scoring_pool(pooled).pids
    assert len(pids) == 2
    assert os.getpid() not in pids
    assert all(psutil.pid_exists(pid) for pid in pids)
    assert pooled.get("/readyz").status_code == 200


def test_requests_in_parallel_are_scored_in_parallel(tmp_path: Path) -> None:
    save_active(tmp_path, SlowModel(0.5))
    with pooled_client(tmp_path) as client:
        statuses: list[int] = []

        def score() -> None:
            statuses.append(client.post("/v1/score", json={"text": ARTICLE}).status_code)

        threads = [threading.Thread(target=score) for _ in range(4)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    assert statuses == [200] * 4
    # Four half-second scorings: 2 s one after the other, 1 s on two processes.
    assert elapsed < 1.8


def test_an_empty_text_is_400_from_the_scoring_process(pooled: TestClient) -> None:
    for body in ({"text": "   "}, {"text": "<p> </p>", "format": "html"}):
        response = pooled.post("/v1/score", json=body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "nothing_to_score"


def test_an_activated_version_reaches_every_process_without_a_failed_request(
    tmp_path: Path,
) -> None:
    first = save_active(tmp_path, FakeModel())
    second = Registry(tmp_path).save_model(FakeModel(), [])
    with pooled_client(tmp_path) as client:
        assert client.post(f"/v1/models/{second}/activate", headers=AUTH).status_code == 200
        versions: list[str] = []
        deadline = time.monotonic() + 60
        # Each process scores with the first version until it has loaded the second.
        while versions[-10:] != [second] * 10:
            assert time.monotonic() < deadline, versions[-20:]
            response = client.post("/v1/score", json={"text": ARTICLE})
            assert response.status_code == 200
            versions.append(response.json()["model"]["version"])
        text = client.get("/metrics").text
    assert set(versions) <= {first, second}
    assert metric_labels(text, "slant_model_info") == [{"version": second}]


def test_a_request_over_the_timeout_is_503_while_its_process_scores_on(tmp_path: Path) -> None:
    save_active(tmp_path, SlowModel(1.0))
    with pooled_client(tmp_path, request_timeout=0.2) as client:
        started = time.monotonic()
        response = client.post("/v1/score", json={"text": ARTICLE})
        assert time.monotonic() - started < 0.9
        assert (response.status_code, response.json()["error"]["code"]) == (503, "timeout")
        assert client.get("/healthz").status_code == 200


def test_a_process_that_dies_is_answered_503_and_replaced(
    tmp_path: Path,
) -> None:
    save_active(tmp_path, SlowModel(2.0))
    with pooled_client(tmp_path) as client:
        pool = scoring_pool(client)
        old_pids = pool.pids
        answer: dict[str, httpx.Response] = {}
        scoring = threading.Thread(
            target=lambda: answer.update(
                response=client.post("/v1/score", json={"text": ARTICLE})
            )
        )
        scoring.start()
        time.sleep(0.5)  # the request is being scored in one of the two processes
        for pid in old_pids:
            os.kill(pid, signal.SIGKILL)
        scoring.join(timeout=30)
        response = answer["response"]
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "scoring_unavailable"
        # New processes take the next request, with the model the app serves.
        retried = client.post("/v1/score", json={"text": ARTICLE})
        assert retried.status_code == 200
        assert retried.json()["text"] == ARTICLE
        deadline = time.monotonic() + 30
        while set(pool.pids) & set(old_pids) or len(pool.pids) != 2:
            assert time.monotonic() < deadline, pool.pids
            time.sleep(0.1)


def test_the_processes_stop_with_the_app(pooled: TestClient) -> None:
    pids = scoring_pool(pooled).pids
    pooled.__exit__(None, None, None)
    deadline = time.monotonic() + 30
    while any(running(pid) for pid in pids):
        assert time.monotonic() < deadline, "scoring processes still running"
        time.sleep(0.1)


def running(pid: int) -> bool:
    """Alive and not a zombie; a process that ends while it is looked at has ended."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_without_a_model_nothing_is_scored_until_one_is_activated(tmp_path: Path) -> None:
    with pooled_client(tmp_path) as client:
        assert client.get("/readyz").status_code == 503
        response = client.post("/v1/score", json={"text": ARTICLE})
        assert response.json()["error"]["code"] == "model_not_loaded"
        version = save_active(tmp_path, FakeModel())  # as `slant models activate` would
        deadline = time.monotonic() + 30
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        response = client.post("/v1/score", json={"text": ARTICLE})
        assert response.status_code == 200
        assert response.json()["model"]["version"] == version
