"""The registry over HTTP: list, activate (promote, roll back), delete, and atomic swaps.

The registries hold the session's real model (active) and the fake model of ``fakes.py``: two
models whose answers differ everywhere, so a response made of one's manifest and the other's
scores would be caught.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.cli import main
from service.config import Settings
from service.labels.store import LabelStore
from service.registry import Registry
from tests.service.conftest import CORE_DATASET
from tests.service.fakes import FakeModel
from training.gate import EvaluationSummary, GateReport, compare_metrics

TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ARTICLE = (
    "The regime claimed that the so-called protesters were paid. "
    'Ali Hassan said the legendary commander had "fought the thugs heroically".'
)
UNKNOWN = "20000101-000000-abcdef"


def refused_gate(active: str) -> GateReport:
    return GateReport(
        decision="rejected", passed=False, forced=False, tolerance=0.02, active_version=active,
        evaluation=EvaluationSummary(holdout=0.2, seed=42, held_out=93, extra=0, sentences=85,
                                     articles=8, ids_sha256="0" * 64),
        comparisons=compare_metrics(
            {"sentence:f1": 0.5, "article:f1": 0.9, "sentence:evaluated": 85.0},
            {"sentence:f1": 0.8, "article:f1": 0.9, "sentence:evaluated": 85.0},
        ),
        reason="worse",
    )


@pytest.fixture
def home(model_home: Path, tmp_path: Path) -> Path:
    """The session model (active) and an inactive fake version saved after it."""
    home = tmp_path / "home"
    shutil.copytree(model_home, home)
    registry = Registry(home)
    active = registry.active_version()
    assert active is not None
    registry.save_model(FakeModel(), [], gate=refused_gate(active), job="job-1")
    return home


@pytest.fixture
def versions(home: Path) -> tuple[str, str]:
    """(the active real model, the inactive fake)."""
    real, fake = Registry(home).list_versions()
    assert Registry(home).active_version() == real
    return real, fake


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(home=home, admin_token=TOKEN))) as test_client:
        yield test_client


def served_version(client: TestClient) -> str:
    version: str = client.post("/v1/score", json={"text": ARTICLE}).json()["model"]["version"]
    return version


def test_models_lists_versions_with_metrics_gate_and_the_active_flag(
    client: TestClient, versions: tuple[str, str]
) -> None:
    real, fake = versions
    body = client.get("/v1/models").json()
    assert body["active"] == real
    first, second = body["models"]
    assert (first["version"], first["active"], second["version"], second["active"]) == (
        real, True, fake, False
    )
    assert second["trained_on"] == ["fake-data"]
    assert second["metrics"] == {"article_f1": 0.75, "sentence_f1": 0.5}
    assert second["job"] == "job-1"
    gate = second["gate"]
    assert (gate["decision"], gate["passed"], gate["compared_with"]) == ("rejected", False, real)
    assert gate["failed"] == ["sentence:f1"]
    row = gate["comparisons"][0]
    assert (row["metric"], row["active"], row["candidate"], row["passed"]) == (
        "sentence:f1", 0.8, 0.5, False
    )
    assert row["delta"] == pytest.approx(-0.3) and row["evaluated"] == 85
    assert first["gate"] is None  # saved without the gate
    assert first["created"] and first["metrics"] == Registry(client.app.state.settings.home
                                                             ).read_manifest(real).metrics
    manifest = client.get(f"/v1/models/{fake}").json()
    assert manifest["gate"]["decision"] == "rejected" and manifest["version"] == fake
    assert client.get(f"/v1/models/{UNKNOWN}").status_code == 404


def test_activate_and_delete_need_the_admin_token(home: Path, versions: tuple[str, str]) -> None:
    real, fake = versions
    with TestClient(create_app(Settings(home=home))) as client:  # no token configured
        for response in (client.post(f"/v1/models/{fake}/activate"),
                         client.delete(f"/v1/models/{fake}")):
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "forbidden"
    with TestClient(create_app(Settings(home=home, admin_token=TOKEN))) as client:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}):
            for response in (client.post(f"/v1/models/{fake}/activate", headers=headers),
                             client.delete(f"/v1/models/{fake}", headers=headers)):
                assert response.status_code == 401
                assert response.json()["error"]["code"] == "unauthorized"
        assert served_version(client) == real
    assert Registry(home).list_versions() == [real, fake]
    assert Registry(home).active_version() == real


def test_activate_promotes_and_rolls_back(
    client: TestClient, home: Path, versions: tuple[str, str]
) -> None:
    real, fake = versions
    response = client.post(f"/v1/models/{fake}/activate", headers=AUTH)
    assert response.status_code == 200
    assert (response.json()["version"], response.json()["active"]) == (fake, True)
    assert Registry(home).active_version() == fake
    assert served_version(client) == fake
    assert client.get("/healthz").json() == {"status": "ok", "model": fake, "detail": None}
    assert client.get("/v1/models/active").json()["version"] == fake
    assert [m["active"] for m in client.get("/v1/models").json()["models"]] == [False, True]

    assert client.post(f"/v1/models/{real}/activate", headers=AUTH).status_code == 200
    assert Registry(home).active_version() == real
    assert served_version(client) == real


def test_activating_an_unknown_or_changed_version_is_refused(
    client: TestClient, home: Path, versions: tuple[str, str]
) -> None:
    real, fake = versions
    for version in (UNKNOWN, "..%2F..%2Fetc", "latest"):
        response = client.post(f"/v1/models/{version}/activate", headers=AUTH)
        assert response.status_code == 404, version
        assert response.json()["error"]["code"] == "not_found"
    with (home / "models" / fake / "model.joblib").open("ab") as artifact:
        artifact.write(b"\0")
    response = client.post(f"/v1/models/{fake}/activate", headers=AUTH)
    assert response.status_code == 409
    assert "refusing to load it" in response.json()["error"]["message"]
    assert Registry(home).active_version() == real and served_version(client) == real


def test_delete_removes_an_inactive_version_only(
    client: TestClient, home: Path, versions: tuple[str, str]
) -> None:
    real, fake = versions
    response = client.delete(f"/v1/models/{real}", headers=AUTH)
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    assert "activate another version first" in response.json()["error"]["message"]
    response = client.delete(f"/v1/models/{fake}", headers=AUTH)
    assert response.status_code == 204 and response.content == b""
    assert Registry(home).list_versions() == [real]
    assert sorted(p.name for p in (home / "models").iterdir()) == sorted([real, "ACTIVE"])
    assert [m["version"] for m in client.get("/v1/models").json()["models"]] == [real]
    assert client.delete(f"/v1/models/{fake}", headers=AUTH).status_code == 404
    assert client.delete("/v1/models/not-a-version", headers=AUTH).status_code == 404
    assert served_version(client) == real


def test_an_activation_by_another_process_is_served_within_a_second(
    client: TestClient, home: Path, versions: tuple[str, str]
) -> None:
    real, fake = versions
    assert served_version(client) == real
    started = time.monotonic()
    Registry(home).activate(fake)  # as `slant models activate` or a training process would
    seen = served_version(client)
    while seen != fake and time.monotonic() - started < 5:
        time.sleep(0.05)
        seen = served_version(client)
    assert seen == fake
    assert time.monotonic() - started < 3  # checked at most once a second, not never
    # The CLI's way: verified, activated, and picked up the same way.
    assert main(["models", "activate", real, "--home", str(home)]) == 0
    started = time.monotonic()
    while served_version(client) != real:  # loaded in the background, requests never wait
        assert time.monotonic() - started < 5
        time.sleep(0.05)


def test_no_request_sees_half_of_two_models_during_activations(
    client: TestClient, versions: tuple[str, str]
) -> None:
    real, fake = versions
    expected = {real: client.post("/v1/score", json={"text": ARTICLE}).json()}
    client.post(f"/v1/models/{fake}/activate", headers=AUTH)
    expected[fake] = client.post("/v1/score", json={"text": ARTICLE}).json()
    assert expected[fake]["model"]["version"] == fake
    assert expected[real]["article"] != expected[fake]["article"]

    answers: list[dict] = []
    stop = threading.Event()

    def score_until_stopped() -> None:
        while not stop.is_set():
            answers.append(client.post("/v1/score", json={"text": ARTICLE}).json())

    threads = [threading.Thread(target=score_until_stopped) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for index in range(8):
            version = real if index % 2 == 0 else fake
            assert client.post(f"/v1/models/{version}/activate", headers=AUTH).status_code == 200
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    seen = {answer["model"]["version"] for answer in answers}
    assert seen == {real, fake}, seen
    for answer in answers:
        assert answer == expected[answer["model"]["version"]]


def test_cli_lists_activates_and_deletes_versions(
    home: Path, versions: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    real, fake = versions
    assert main(["models", "--home", str(home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    [fake_line] = [line for line in lines if fake in line]
    assert "gate rejected (sentence:f1)" in fake_line and not fake_line.startswith("*")
    assert main(["models", "delete", real, "--home", str(home)]) == 1
    assert f"model {real} is active" in capsys.readouterr().err
    assert main(["models", "--home", str(home), "activate", fake]) == 0  # --home either side
    assert Registry(home).active_version() == fake
    assert main(["models", "delete", real, "--home", str(home)]) == 0
    assert Registry(home).list_versions() == [fake]
    assert main(["models", "activate", UNKNOWN, "--home", str(home)]) == 1
    assert f"no model version {UNKNOWN}" in capsys.readouterr().err


# -- the acceptance round trip

DOCCANO_ROWS = [
    {"id": 1, "text": "The so-called reform was rammed through by the regime.",
     "label": [[4, 13, "doubt"], [48, 54, "demonizing"]], "cats": ["biased"]},
    {"id": 2, "text": "The council approved the budget on Tuesday, officials said.",
     "label": [], "cats": ["not_biased"]},
]
LABEL_STUDIO_TASKS = [
    {
        "id": 7,
        "data": {"text": "Critics slammed the outrageous decision as a shocking betrayal."},
        "annotations": [{
            "id": 70, "was_cancelled": False,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "result": [
                {"id": "r1", "from_name": "label", "to_name": "text", "type": "labels",
                 "value": {"start": 20, "end": 30, "text": "outrageous", "labels": ["emotive"]}},
                {"id": "r2", "from_name": "bias", "to_name": "text", "type": "choices",
                 "value": {"choices": ["biased"]}},
            ],
        }],
    },
    {
        "id": 8,
        "data": {"text": "The ministry published the figures on Monday."},
        "annotations": [{
            "id": 80, "was_cancelled": False,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "result": [
                {"id": "r3", "from_name": "bias", "to_name": "text", "type": "choices",
                 "value": {"choices": ["not_biased"]}},
            ],
        }],
    },
]


def test_import_retrain_activate_and_roll_back(
    client: TestClient, home: Path, versions: tuple[str, str], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real, fake = versions
    doccano = tmp_path / "doccano.jsonl"
    doccano.write_text("".join(json.dumps(row) + "\n" for row in DOCCANO_ROWS))
    label_studio = tmp_path / "label_studio.json"
    label_studio.write_text(json.dumps(LABEL_STUDIO_TASKS))
    for path, format in ((doccano, "doccano"), (label_studio, "labelstudio")):
        code = main(["labels", "import", str(path), "--format", format, "--home", str(home)])
        assert code == 0, capsys.readouterr().err
    store = LabelStore.open(home)
    assert store.count() == 4
    texts = {example.text: example for example in store.examples()}
    assert texts[DOCCANO_ROWS[0]["text"]].label == {"biased": True}  # type: ignore[index]
    assert [(s.start, s.end, s.label) for s in texts[DOCCANO_ROWS[0]["text"]].spans] == [
        (4, 13, "doubt"), (48, 54, "demonizing")
    ]

    response = client.post(
        "/v1/retrain", json={"datasets": [str(CORE_DATASET)], "labels": True}, headers=AUTH
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    deadline = time.monotonic() + 300
    while (job := client.get(f"/v1/jobs/{job_id}", headers=AUTH).json())["finished"] is None:
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
    assert job["state"] in ("succeeded", "rejected-by-gate"), job
    new = job["version"]
    assert [mark["stage"] for mark in job["progress"]] == [
        "loading data", "analyzing", "fitting", "evaluating candidate",
        "evaluating active model", "saving",
        *(["activating"] if job["state"] == "succeeded" else []),
    ]
    assert any("the label store holds 4 examples" in line["message"] for line in job["log"])
    assert job["gate"]["active_version"] == real

    listed = {m["version"]: m for m in client.get("/v1/models").json()["models"]}
    assert set(listed) == {real, fake, new}
    assert listed[new]["trained_on"] == [str(CORE_DATASET), "label-store"]
    assert listed[new]["metrics"]["sentence:f1"] > 0.5
    assert listed[new]["metrics"]["sentence:evaluated"] > 80
    assert listed[new]["job"] == job_id
    assert listed[new]["active"] == (job["state"] == "succeeded")
    manifest = Registry(home).read_manifest(new)
    assert manifest.label_store is not None
    assert (manifest.label_store.sha256, manifest.label_store.examples) == (
        store.fingerprint(), 4
    )

    assert client.post(f"/v1/models/{new}/activate", headers=AUTH).status_code == 200
    assert served_version(client) == new and Registry(home).active_version() == new
    assert client.post(f"/v1/models/{real}/activate", headers=AUTH).status_code == 200  # back
    assert served_version(client) == real and Registry(home).active_version() == real
    assert client.get("/v1/models").json()["active"] == real
