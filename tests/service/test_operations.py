"""Operations: request ids, JSON logs, Prometheus metrics, readiness, timeouts, and a real
``slant serve`` that shuts down gracefully, with and without scoring processes."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from service.app import create_app
from service.cli import EXIT_INPUT, main
from service.config import Settings
from service.logs import JsonFormatter, TextFormatter, request_id_from
from service.registry import Registry
from tests.service.conftest import REPO, save_active
from tests.service.fakes import ChattyModel, FakeModel, SlowModel

ARTICLE = "Ali Hassan claimed the so-called reform was a success."
TOKEN = "operations-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HEX_ID = r"[0-9a-f]{32}"


def client_for(home: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(home=home, **settings)))


def metric_samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def metric_total(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(
        value
        for sample_name, sample_labels, value in metric_samples(text)
        if sample_name == name and labels.items() <= sample_labels.items()
    )


def metric_labels(text: str, name: str) -> list[dict[str, str]]:
    return [labels for sample_name, labels, _ in metric_samples(text) if sample_name == name]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged during the test, formatted as the service formats it, line by line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def log_entries(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def access_entries(stream: io.StringIO) -> list[dict[str, Any]]:
    return [entry for entry in log_entries(stream) if entry["logger"] == "service.access"]


# Request ids


@pytest.mark.parametrize("sane", ["abc", "trace-42", "a.b_c-D9", "x" * 64])
def test_a_sane_client_request_id_is_kept(sane: str) -> None:
    assert request_id_from(sane) == sane


@pytest.mark.parametrize(
    "odd", [None, "", "x" * 65, "has space", "a/b", "ünï", "id\r\nX-Injected: 1", "a;b"]
)
def test_an_odd_client_request_id_is_replaced_by_a_new_one(odd: str | None) -> None:
    first, second = request_id_from(odd), request_id_from(odd)
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


def test_the_request_id_is_echoed_and_put_in_error_bodies(fake_client: TestClient) -> None:
    response = fake_client.get("/v1/nothing-here", headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "trace-42"
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "Not Found",
        "detail": None,
        "request_id": "trace-42",
    }


def test_a_new_request_id_is_made_for_each_request(fake_client: TestClient) -> None:
    ids = [fake_client.get("/healthz").headers["X-Request-ID"] for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(len(request_id) == 32 and int(request_id, 16) >= 0 for request_id in ids)
    odd = fake_client.get("/healthz", headers={"X-Request-ID": "two words"})
    assert odd.headers["X-Request-ID"] != "two words"


# Logs


def test_every_line_logged_during_a_request_has_its_id(
    tmp_path: Path, json_log: io.StringIO
) -> None:
    save_active(tmp_path, ChattyModel())
    with client_for(tmp_path) as client:
        response = client.post("/v1/score", json={"text": ARTICLE}, headers={"X-Request-ID": "r-1"})
        assert response.status_code == 200
    entries = log_entries(json_log)
    model_line = next(entry for entry in entries if entry["logger"] == "tests.chatty_model")
    # Logged by the model, in the worker thread the endpoint runs in.
    assert model_line["message"] == f"scoring {len(ARTICLE)} characters"
    assert model_line["request_id"] == "r-1"
    startup = next(entry for entry in entries if entry["logger"] == "service.app")
    assert startup["message"].startswith("serving model ")
    assert "request_id" not in startup  # written outside any request


def test_one_access_line_per_request_with_its_fields(
    fake_client: TestClient, json_log: io.StringIO
) -> None:
    fake_client.get("/v1/models/20260101-000000-abcdef", headers={"X-Request-ID": "r-2"})
    fake_client.post("/v1/score", json={"text": ARTICLE})
    first, second = access_entries(json_log)
    assert first["message"] == "GET /v1/models/20260101-000000-abcdef 404"
    assert {key: first[key] for key in ("request_id", "method", "route", "status", "client")} == {
        "request_id": "r-2",
        "method": "GET",
        "route": "/v1/models/{version}",
        "status": 404,
        "client": "testclient",
    }
    assert (second["route"], second["status"]) == ("/v1/score", 200)
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert {"time", "level", "logger", "process"} <= set(first)
    assert first["level"] == "INFO" and first["process"] == os.getpid()


def test_json_formatter_writes_one_object_with_extras_and_the_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x.y").makeRecord(
            "x.y", logging.ERROR, __file__, 1, "failed on %s", ("a\nb",), sys.exc_info(),
            extra={"route": "/v1/score", "path_obj": Path("/tmp/p")},
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"]) == ("ERROR", "x.y", "failed on a\nb")
    assert entry["route"] == "/v1/score"
    assert entry["path_obj"] == "/tmp/p"  # not JSON by itself: written as its text
    assert entry["exception"].startswith("Traceback") and "ValueError: boom" in entry["exception"]
    assert entry["time"].endswith("+00:00") and "T" in entry["time"]
    assert "request_id" not in entry


def test_text_formatter_writes_the_fields_as_key_value_pairs() -> None:
    record = logging.getLogger("service.access").makeRecord(
        "service.access", logging.INFO, __file__, 1, "GET /healthz 200", (), None,
        extra={"request_id": "r-3", "status": 200},
    )
    line = TextFormatter().format(record)
    assert line.endswith(" INFO service.access GET /healthz 200 request_id=r-3 status=200")


def test_log_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings().log_format, Settings().log_level) == ("json", "INFO")
    monkeypatch.setenv("SLANT_LOG_FORMAT", "text")
    monkeypatch.setenv("SLANT_LOG_LEVEL", "debug")
    assert (Settings().log_format, Settings().log_level) == ("text", "DEBUG")
    monkeypatch.setenv("SLANT_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="log_format"):
        Settings()


# Metrics


def test_requests_are_counted_by_route_template_method_and_status(
    fake_client: TestClient,
) -> None:
    for version in ("20260101-000000-abcdef", "20260101-000000-123456"):
        fake_client.get(f"/v1/models/{version}")
    for _ in range(2):
        fake_client.post("/v1/score", json={"text": ARTICLE})
    fake_client.get("/no/such/page")
    fake_client.request("PURGE", "/healthz")
    text = fake_client.get("/metrics").text
    counted = {
        (labels["route"], labels["method"], labels["status"]): value
        for name, labels, value in metric_samples(text)
        if name == "slant_requests_total"
    }
    assert counted == {
        ("/v1/models/{version}", "GET", "404"): 2.0,
        ("/v1/score", "POST", "200"): 2.0,
        ("unmatched", "GET", "404"): 1.0,
        ("/healthz", "OTHER", "405"): 1.0,
    }
    assert metric_total(
        text, "slant_request_duration_seconds_count", route="/v1/score", method="POST"
    ) == 2.0


def test_scoring_time_is_the_time_spent_in_the_model(tmp_path: Path) -> None:
    save_active(tmp_path, SlowModel(0.05))
    with client_for(tmp_path) as client:
        for _ in range(2):
            assert client.post("/v1/score", json={"text": ARTICLE}).status_code == 200
        client.get("/healthz")
        text = client.get("/metrics").text
    assert metric_total(text, "slant_scoring_duration_seconds_count") == 2.0
    scoring = metric_total(text, "slant_scoring_duration_seconds_sum")
    assert 0.1 <= scoring < 2.0
    requests = metric_total(text, "slant_request_duration_seconds_sum", route="/v1/score")
    assert requests >= scoring


def test_model_info_names_the_version_served(tmp_path: Path) -> None:
    first = save_active(tmp_path, FakeModel())
    second = Registry(tmp_path).save_model(FakeModel(), [])
    with client_for(tmp_path, admin_token=TOKEN) as client:
        text = client.get("/metrics").text
        assert [
            (labels, value) for name, labels, value in metric_samples(text)
            if name == "slant_model_info"
        ] == [({"version": first}, 1.0)]
        assert client.post(f"/v1/models/{second}/activate", headers=AUTH).status_code == 200
        text = client.get("/metrics").text
    assert metric_labels(text, "slant_model_info") == [{"version": second}]
    assert metric_total(text, "slant_model_info", version=second) == 1.0


def test_no_model_info_without_a_model(empty_client: TestClient) -> None:
    assert metric_labels(empty_client.get("/metrics").text, "slant_model_info") == []


def test_the_scrape_counts_itself_in_flight_and_once_answered(fake_client: TestClient) -> None:
    first = fake_client.get("/metrics")
    assert first.headers["content-type"].startswith("text/plain")
    assert metric_total(first.text, "slant_requests_in_flight") == 1.0
    assert metric_total(first.text, "slant_requests_total") == 0.0
    second = fake_client.get("/metrics").text
    assert metric_total(second, "slant_requests_total", route="/metrics") == 1.0


def test_metrics_are_per_app(fake_home: Path) -> None:
    with client_for(fake_home) as one, client_for(fake_home) as other:
        one.get("/healthz")
        assert metric_total(other.get("/metrics").text, "slant_requests_total") == 0.0


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(fake_client: TestClient) -> None:
    response = fake_client.get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


# Readiness


def test_readyz_names_the_model_when_ready(fake_client: TestClient, fake_home: Path) -> None:
    response = fake_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "model": Registry(fake_home).active_version()}


def test_readyz_is_503_without_a_model_while_healthz_stays_200(empty_client: TestClient) -> None:
    response = empty_client.get("/readyz", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 503
    error = response.json()["error"]
    assert (error["code"], error["request_id"]) == ("model_not_loaded", "probe-1")
    assert "no active model" in error["message"]
    assert empty_client.get("/healthz").status_code == 200


def test_readyz_is_503_when_the_registry_is_gone(tmp_path: Path) -> None:
    version = save_active(tmp_path, FakeModel())
    with client_for(tmp_path) as client:
        shutil.rmtree(tmp_path / "models")
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "registry_unavailable"
        assert "No such file or directory" in response.json()["error"]["message"]
        # Alive, and still serving the model it loaded.
        assert client.get("/healthz").json() == {"status": "ok", "model": version, "detail": None}


def test_readyz_is_503_when_active_names_no_version(tmp_path: Path) -> None:
    save_active(tmp_path, FakeModel())
    with client_for(tmp_path) as client:
        (tmp_path / "models" / "ACTIVE").write_text("../../etc/passwd\n")
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "registry_unavailable"
        assert "is not a model version" in response.json()["error"]["message"]


# Timeouts


def test_a_request_over_the_timeout_gets_503_timeout_on_time(
    tmp_path: Path, json_log: io.StringIO
) -> None:
    save_active(tmp_path, SlowModel(1.0))
    with client_for(tmp_path, request_timeout=0.2) as client:
        response = client.post("/v1/score", json={"text": ARTICLE}, headers={"X-Request-ID": "t-1"})
        assert response.status_code == 503
        assert response.headers["X-Request-ID"] == "t-1"
        assert response.json()["error"] == {
            "code": "timeout",
            "message": "The request took longer than 0.2 seconds and was abandoned.",
            "detail": {"timeout_seconds": 0.2},
            "request_id": "t-1",
        }
        assert client.get("/healthz").status_code == 200  # quick requests are unaffected
        text = client.get("/metrics").text
    assert metric_total(text, "slant_request_timeouts_total", route="/v1/score") == 1.0
    assert metric_total(text, "slant_request_timeouts_total") == 1.0
    assert metric_total(text, "slant_requests_total", route="/v1/score", status="503") == 1.0
    timed_out = next(entry for entry in access_entries(json_log) if entry["request_id"] == "t-1")
    assert (timed_out["status"], timed_out["timed_out"]) == (503, True)
    # Answered when the deadline passed, not when the model finished a second later.
    assert 200 <= timed_out["duration_ms"] < 900


def test_a_request_within_the_timeout_is_answered_normally(tmp_path: Path) -> None:
    save_active(tmp_path, SlowModel(0.05))
    with client_for(tmp_path, request_timeout=5) as client:
        assert client.post("/v1/score", json={"text": ARTICLE}).status_code == 200
        text = client.get("/metrics").text
    assert metric_total(text, "slant_request_timeouts_total") == 0.0


def test_a_defect_is_a_500_with_the_request_id_and_counted(
    tmp_path: Path, json_log: io.StringIO
) -> None:
    from tests.service.fakes import BrokenModel

    save_active(tmp_path, BrokenModel())
    with TestClient(create_app(Settings(home=tmp_path)), raise_server_exceptions=False) as client:
        response = client.post("/v1/score", json={"text": ARTICLE}, headers={"X-Request-ID": "d-1"})
        text = client.get("/metrics").text
    assert response.status_code == 500
    assert response.json()["error"]["request_id"] == "d-1"
    assert "secret" not in response.text
    assert metric_total(text, "slant_requests_total", route="/v1/score", status="500") == 1.0
    error_line = next(entry for entry in log_entries(json_log) if entry["level"] == "ERROR")
    assert error_line["request_id"] == "d-1"
    assert "RuntimeError: internal defect" in error_line["exception"]


# The command line


def test_serve_refuses_zero_workers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "0"]) == EXIT_INPUT
    assert "--workers must be at least 1" in capsys.readouterr().err


# A real server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def connection_refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


class Server:
    """``slant serve`` in a subprocess on a free loopback port, its log in a file."""

    def __init__(self, home: Path, log: Path, *options: str) -> None:
        self.port = free_port()
        self.log = log
        environment = {**os.environ, "SLANT_LOG_FORMAT": "json", "SLANT_LOG_LEVEL": "INFO"}
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service", "serve", "--home", str(home),
                 "--port", str(self.port), *options],
                cwd=REPO,  # the fake models are pickled as tests.service.fakes classes
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_until_listening(self, timeout: float = 120) -> None:
        """Connect without sending a request, so no request is counted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"slant serve did not listen within {timeout} s")

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(
    tmp_path: Path, servers: list[Server], workers: str
) -> None:
    save_active(tmp_path / "home", SlowModel(3.0))
    server = Server(tmp_path / "home", tmp_path / "serve.log", "--workers", workers)
    servers.append(server)
    server.wait_until_listening()
    assert httpx.get(f"{server.url}/readyz").status_code == 200

    slow: dict[str, httpx.Response] = {}

    def score() -> None:
        slow["response"] = httpx.post(f"{server.url}/v1/score", json={"text": ARTICLE}, timeout=60)

    request = threading.Thread(target=score)
    request.start()
    deadline = time.monotonic() + 30
    while True:  # until the scoring request is in flight (the scrape itself is the other one)
        metrics = httpx.get(f"{server.url}/metrics").text
        if metric_total(metrics, "slant_requests_in_flight") >= 2:
            break
        assert time.monotonic() < deadline, "the scoring request never arrived"
        time.sleep(0.05)

    server.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    while not connection_refused(server.port):
        assert time.monotonic() < deadline, "still accepting connections after SIGTERM"
        time.sleep(0.05)
    assert request.is_alive()  # new connections are refused while the request still runs

    request.join(timeout=60)
    response = slow["response"]
    assert response.status_code == 200
    assert response.json()["text"] == ARTICLE
    assert server.process.wait(timeout=60) == 0
    assert connection_refused(server.port)
    messages = [entry["message"] for entry in server.entries()]
    assert messages.index("Shutting down") < messages.index("POST /v1/score 200")
    assert messages[-1].startswith("Finished server process")


def wait_until_ended(pids: list[int], message: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while any(psutil.pid_exists(pid) for pid in pids):
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def scoring_pids(server: Server) -> list[int]:
    """The scoring processes' ids, from the line the server logs once they have started."""
    started = next(entry for entry in server.entries()
                   if entry["message"].startswith("2 scoring processes started"))
    return [int(pid) for pid in started["message"].split("[")[1].rstrip("]").split(", ")]


@pytest.mark.slow
def test_two_workers_score_in_two_processes_and_one_scrape_counts_all(
    tmp_path: Path, servers: list[Server]
) -> None:
    home = tmp_path / "home"
    version = save_active(home, FakeModel())
    server = Server(home, tmp_path / "serve.log", "--workers", "2")
    servers.append(server)
    server.wait_until_listening()
    pids = scoring_pids(server)
    assert len(set(pids)) == 2 and server.process.pid not in pids
    holding = {entry["process"] for entry in server.entries()
               if entry["message"] == f"scoring process {entry['process']} holds model {version}"}
    assert holding == set(pids)

    def score(_: int) -> int:
        return httpx.post(f"{server.url}/v1/score", json={"text": ARTICLE}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(score, range(40))) == [200] * 40
    text = httpx.get(f"{server.url}/metrics").text
    assert metric_total(text, "slant_requests_total", route="/v1/score", status="200") == 40
    assert metric_total(text, "slant_scoring_duration_seconds_count") == 40
    assert metric_labels(text, "slant_model_info") == [{"version": version}]

    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=60) == 0
    assert connection_refused(server.port)
    wait_until_ended(pids, "scoring processes outlived the server")


@pytest.mark.slow
def test_scoring_processes_end_when_the_server_is_killed(
    tmp_path: Path, servers: list[Server]
) -> None:
    save_active(tmp_path / "home", FakeModel())
    server = Server(tmp_path / "home", tmp_path / "serve.log", "--workers", "2")
    servers.append(server)
    server.wait_until_listening()
    pids = scoring_pids(server)
    server.process.kill()  # no shutdown at all: they ignore SIGTERM and must notice by themselves
    server.process.wait()
    wait_until_ended(pids, "scoring processes outlived a killed server")


def test_every_answer_says_nosniff(fake_client: TestClient) -> None:
    for response in (fake_client.get("/healthz"), fake_client.post("/v1/score", content=b"{"),
                     fake_client.get("/no/such/path")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
