"""Training jobs: the job table, POST /v1/retrain, one job at a time, and SIGKILL mid-run.

The SIGKILL tests start real training processes and slow them down with
``SLANT_TEST_STAGE_DELAY`` (the process sleeps that long after entering each stage), so they can
be killed while a run is under way: each takes a few seconds, not a whole training.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.cli import build_parser, main
from service.config import Settings
from service.jobs import (
    INTERRUPTED,
    STAGE_DELAY_ENV,
    JobConflict,
    JobStateError,
    JobStore,
    TrainingOptions,
    process_alive,
    training_command,
)
from service.labels.store import LabelStore
from service.registry import Registry
from tests.service.conftest import CORE_DATASET, REPO
from training.dataset import load_examples

TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ARTICLE = "The regime claimed that the so-called protesters were paid."


def options(**overrides: object) -> TrainingOptions:
    return TrainingOptions(**{"datasets": [str(CORE_DATASET)], **overrides})


def wait_for(predicate: object, timeout: float = 120.0, what: str = "condition") -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# -- the job table


def test_one_job_at_a_time_and_the_first_end_wins(tmp_path: Path) -> None:
    store = JobStore.open(tmp_path)
    job = store.create(options(labels=True), kind="api")
    assert (job.state, job.pid, job.started, job.stage) == ("queued", None, None, None)
    assert job.request["datasets"] == [str(CORE_DATASET)] and job.request["labels"] is True
    with pytest.raises(JobConflict, match=f"training job {job.id} is queued"):
        store.create(options(), kind="cli", pid=os.getpid())
    running = store.mark_running(job.id, os.getpid())
    assert running.state == "running" and running.pid == os.getpid() and running.started
    with pytest.raises(JobStateError, match="is running, not queued"):
        store.mark_running(job.id, os.getpid())
    store.stage(job.id, "loading data")
    store.stage(job.id, "fitting")
    store.log(job.id, "fitting on 355 sentences")
    assert store.finish(job.id, "succeeded", version="20260101-000000-abcdef")
    assert not store.finish(job.id, "failed", error="too late")
    done = store.get(job.id)
    assert done is not None
    assert (done.state, done.version, done.error) == ("succeeded", "20260101-000000-abcdef", None)
    assert [mark.stage for mark in done.progress] == ["loading data", "fitting"]
    assert done.stage == "fitting"
    assert [line.message for line in done.log] == ["fitting on 355 sentences"]
    # Finished: the next job may start.
    second = store.create(options(), kind="cli", pid=os.getpid())
    assert second.state == "running"
    assert [j.id for j in store.recent()] == [second.id, job.id]
    assert store.get("nope") is None


def test_jobs_whose_process_is_gone_are_failed_as_interrupted(tmp_path: Path) -> None:
    store = JobStore.open(tmp_path)
    job = store.create(options(), kind="cli", pid=dead_pid())
    assert store.recover_interrupted()[0].id == job.id
    failed = store.get(job.id)
    assert failed is not None and failed.state == "failed" and failed.error == INTERRUPTED
    assert failed.finished is not None
    assert failed.log[-1].message == f"failed: {INTERRUPTED}"
    # A live process keeps its job; nothing else is touched.
    alive = store.create(options(), kind="cli", pid=os.getpid())
    assert store.recover_interrupted() == []
    assert store.get(alive.id).state == "running"  # type: ignore[union-attr]


def test_a_crashed_job_does_not_block_the_next_one(tmp_path: Path) -> None:
    store = JobStore.open(tmp_path)
    crashed = store.create(options(), kind="cli", pid=dead_pid())
    job = store.create(options(), kind="api")  # no 409: the crashed one is failed first
    assert store.get(crashed.id).state == "failed"  # type: ignore[union-attr]
    assert job.state == "queued"


def test_a_queued_job_whose_process_never_started_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JobStore.open(tmp_path)
    job = store.create(options(), kind="api")
    assert store.recover_interrupted() == []  # within the grace period
    monkeypatch.setattr("service.jobs.QUEUED_GRACE", __import__("datetime").timedelta(0))
    assert [j.id for j in store.recover_interrupted()] == [job.id]


def test_a_zombie_counts_as_gone() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    wait_for(lambda: not process_alive(process.pid), 30, "the child to exit")
    assert process.poll() == 0  # it was a zombie until now
    assert process_alive(os.getpid())


def test_the_job_table_is_in_wal_mode(tmp_path: Path) -> None:
    JobStore.open(tmp_path)
    with sqlite3.connect(tmp_path / "jobs.sqlite") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_training_options_travel_to_the_command_line_unchanged() -> None:
    sent = TrainingOptions(
        datasets=["/data/core", "babe=/data/babe.csv"], labels=True, eval=["/data/eval.jsonl"],
        tolerance=0.05, holdout=0.25, force=True,
    )
    command = training_command(Path("/srv/home"), "abc123", sent)
    assert command[:4] == [sys.executable, "-m", "service", "train"]
    args = build_parser().parse_args(command[3:])
    assert (args.home, args.job) == (Path("/srv/home"), "abc123")
    received = TrainingOptions(
        datasets=args.dataset, labels=args.labels, eval=args.eval, tolerance=args.tolerance,
        holdout=args.holdout, force=args.force,
    )
    assert received == sent


def test_cli_training_refuses_while_another_job_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running = JobStore.open(tmp_path).create(options(), kind="api", pid=os.getpid())
    assert main(["train", "--home", str(tmp_path), "--dataset", str(CORE_DATASET)]) == 1
    assert f"training job {running.id} is running" in capsys.readouterr().err
    assert Registry(tmp_path).list_versions() == []


# -- the API


@pytest.fixture
def served_home(model_home: Path, tmp_path: Path) -> Path:
    """A copy of the session registry (its real model active) with a few stored labels."""
    home = tmp_path / "home"
    shutil.copytree(model_home, home)
    examples = load_examples([CORE_DATASET / "sentences_a.jsonl"])[:30]
    LabelStore.open(home).add(examples, source="test")
    return home


@pytest.fixture
def admin_client(served_home: Path) -> Iterator[TestClient]:
    app = create_app(Settings(home=served_home, admin_token=TOKEN))
    with TestClient(app, headers=AUTH) as client:
        yield client


def test_retrain_needs_the_admin_token(served_home: Path) -> None:
    with TestClient(create_app(Settings(home=served_home))) as client:
        refused = client.post("/v1/retrain", json={})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    with TestClient(create_app(Settings(home=served_home, admin_token=TOKEN))) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            response = client.post("/v1/retrain", json={}, headers=headers)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "unauthorized"
        assert client.get("/v1/jobs").status_code == 401  # jobs show paths and logs
        assert client.get("/v1/jobs", headers=AUTH).json() == {"jobs": []}


def test_retrain_validates_the_data_it_is_given(admin_client: TestClient, tmp_path: Path) -> None:
    response = admin_client.post(
        "/v1/retrain",
        json={"datasets": [str(tmp_path / "nope"), f"nosuch={CORE_DATASET}"]}, headers=AUTH,
    )
    assert response.status_code == 422
    problems = response.json()["error"]["detail"]["datasets"]
    assert problems[0] == f"{tmp_path / 'nope'}: no such file or directory on the server"
    assert problems[1].startswith(f"nosuch={CORE_DATASET}: unknown format 'nosuch'")
    for body in ({"datasets": [], "labels": False}, {"tolerance": -1}, {"unknown": 1}):
        response = admin_client.post("/v1/retrain", json=body, headers=AUTH)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid_request"
    assert admin_client.get("/v1/jobs").json() == {"jobs": []}
    assert admin_client.get("/v1/jobs/nope").status_code == 404


def test_a_failing_training_process_fails_its_job_with_the_reason(
    admin_client: TestClient, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "no label", "level": "sentence", "label": {}}\n')
    response = admin_client.post("/v1/retrain", json={"datasets": [str(bad)]}, headers=AUTH)
    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["request"]["datasets"] == [str(bad.resolve())]
    wait_for(lambda: admin_client.get(f"/v1/jobs/{job['id']}").json()["finished"], 120,
             "the job to finish")
    done = admin_client.get(f"/v1/jobs/{job['id']}").json()
    assert done["state"] == "failed"
    assert "bad.jsonl" in done["error"] and "biased" in done["error"]
    assert done["log"][-1]["message"] == f"failed: {done['error']}"
    assert [mark["stage"] for mark in done["progress"]] == ["loading data"]
    assert done["version"] is None
    [listed] = admin_client.get("/v1/jobs").json()["jobs"]
    assert listed["id"] == job["id"] and listed["state"] == "failed" and listed["log"] == []


def test_sigkill_during_retrain_leaves_the_service_serving(
    admin_client: TestClient, served_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STAGE_DELAY_ENV, "1")
    registry = Registry(served_home)
    versions = registry.list_versions()
    before = admin_client.post("/v1/score", json={"text": ARTICLE}).json()
    response = admin_client.post(
        "/v1/retrain", json={"datasets": [str(CORE_DATASET)], "labels": True}, headers=AUTH
    )
    assert response.status_code == 202
    job_id = response.json()["id"]

    def job() -> dict:
        return admin_client.get(f"/v1/jobs/{job_id}").json()

    wait_for(lambda: job()["stage"] == "fitting", 120, "the fitting stage")
    # One job at a time.
    second = admin_client.post("/v1/retrain", json={}, headers=AUTH)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "conflict"
    assert second.json()["error"]["detail"] == {"job": job_id, "state": "running"}

    os.kill(job()["pid"], signal.SIGKILL)
    wait_for(lambda: job()["finished"] is not None, 30, "the watcher to fail the job")
    failed = job()
    assert failed["state"] == "failed"
    assert failed["error"] == "the training process was killed by signal 9"
    assert admin_client.post("/v1/score", json={"text": ARTICLE}).json() == before
    assert registry.list_versions() == versions
    assert sorted(p.name for p in registry.models_dir.iterdir()) == sorted([*versions, "ACTIVE"])


def test_next_start_reports_a_job_killed_with_the_service(
    served_home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The service and its training process both die: the next start fails the job."""
    store = LabelStore.open(served_home)
    labels_before = (store.count(), store.fingerprint())
    registry = Registry(served_home)
    versions, active = registry.list_versions(), registry.active_version()
    jobs = JobStore.open(served_home)
    job = jobs.create(options(labels=True), kind="api")
    environment = {**os.environ, STAGE_DELAY_ENV: "1", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        training_command(served_home, job.id, options(labels=True)), cwd=REPO, env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: jobs.get(job.id).stage == "fitting", 120,  # type: ignore[union-attr]
                 "the fitting stage")
        assert jobs.get(job.id).state == "running"  # type: ignore[union-attr]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert jobs.get(job.id).state == "running"  # type: ignore[union-attr]  # nobody noticed yet

    with caplog.at_level(logging.ERROR, logger="service.app"), TestClient(
        create_app(Settings(home=served_home, admin_token=TOKEN))
    ) as client:
        [listed] = client.get("/v1/jobs", headers=AUTH).json()["jobs"]
        assert listed["id"] == job.id and listed["state"] == "failed"
        assert listed["error"] == INTERRUPTED
        assert client.get("/healthz").json()["model"] == active
        assert client.post("/v1/score", json={"text": ARTICLE}).status_code == 200
    assert f"training job {job.id} failed: {INTERRUPTED}" in caplog.text
    assert registry.list_versions() == versions and registry.active_version() == active
    assert (store.count(), store.fingerprint()) == labels_before == (30, labels_before[1])
    with sqlite3.connect(served_home / "labels.sqlite") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_startup_removes_what_a_killed_save_left_in_the_registry(
    served_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    models = served_home / "models"
    abandoned = models / ".20260101-000000-abcdef-x1y2z3"
    (abandoned).mkdir()
    (abandoned / "model.joblib").write_bytes(b"half")
    os.utime(abandoned, (time.time() - 7200, time.time() - 7200))
    in_progress = models / ".20260101-000001-abcdef-q1w2e3"  # a save happening right now
    in_progress.mkdir()
    with caplog.at_level(logging.WARNING, logger="service.app"), TestClient(
        create_app(Settings(home=served_home))
    ):
        pass
    assert not abandoned.exists() and in_progress.exists()
    assert f"removed {abandoned.name}, left unfinished in the registry" in caplog.text
