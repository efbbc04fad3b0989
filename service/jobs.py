"""Training jobs: the job table, the training subprocess, and recovery after a crash.

**Job table.** ``SLANT_HOME/jobs.sqlite`` (SQLite, WAL): one row a job (state, the stages passed,
pid, times, the resulting version and the gate's comparison) and its log lines. Every process
opens its own short-lived connections, so the API, the training subprocess and the command line
all read and write the same table. At most one job is queued or running: ``create`` checks that
inside one ``BEGIN IMMEDIATE`` transaction, so two processes cannot both start one.

**Subprocess protocol.** ``POST /v1/retrain`` inserts a ``queued`` row and starts
``python -m service train --home HOME --job ID <options>`` in its own session. The child marks the
row ``running`` with its pid, records each stage and its log lines in the table, and ends the row
``succeeded``, ``rejected-by-gate`` or ``failed``. Its stdout and stderr go to
``SLANT_HOME/jobs/ID.log`` (a traceback lands there). A crash or a SIGKILL of the child touches
nothing but the child: the registry only ever gains complete versions (written aside and renamed;
what a killed save leaves aside is removed at the next start), the label store is only read. A
thread of the service waits for the child; if it ended without finishing its row, the row is
marked failed with the exit status and the tail of that file. If the service itself went away
too, the next start (``recover_interrupted``) marks every job left queued or running whose
process is gone as failed ("interrupted: ..."). A pid is "gone" when no such process exists or
it is a zombie; pid reuse by an unrelated process would keep a dead job "running" until that
process ends (the job table records no process start time).

``SLANT_TEST_STAGE_DELAY`` (seconds, for tests only): the training process sleeps that long after
entering each stage, so a test can interrupt it at a known point.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from training.gate import (
    DEFAULT_HOLDOUT,
    DEFAULT_TOLERANCE,
    GateReport,
)

log = logging.getLogger(__name__)

FILENAME = "jobs.sqlite"
LOG_DIR = "jobs"
STAGE_DELAY_ENV = "SLANT_TEST_STAGE_DELAY"
BUSY_TIMEOUT_SECONDS = 30.0
# A queued row gets this long for its process to start before it counts as abandoned.
QUEUED_GRACE = timedelta(seconds=60)
LOG_TAIL_LINES = 20
INTERRUPTED = "interrupted: the training process ended without finishing"

JobState = Literal["queued", "running", "succeeded", "failed", "rejected-by-gate"]
ACTIVE_STATES = ("queued", "running")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,            -- api: started by POST /v1/retrain; cli: by `slant train`
    state TEXT NOT NULL,
    request TEXT NOT NULL,         -- the training options, JSON
    progress TEXT NOT NULL,        -- [{"stage", "at"}], JSON
    pid INTEGER,
    created TEXT NOT NULL,
    started TEXT,
    finished TEXT,
    version TEXT,
    gate TEXT,                     -- the GateReport, JSON
    error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
CREATE TABLE IF NOT EXISTS job_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    at TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_log_job ON job_log (job_id, seq);
"""


class TrainingOptions(BaseModel):
    """What a training run fits on and how the gate judges it (also a job's ``request``)."""

    datasets: list[str] = Field(description="Dataset specs: a native path or FORMAT=PATH.")
    labels: bool = Field(default=False, description="Also train on the label store.")
    eval: list[str] = Field(default=[], description="Extra evaluation data specs.")
    tolerance: float = Field(default=DEFAULT_TOLERANCE, ge=0.0, le=1.0)
    holdout: float = Field(default=DEFAULT_HOLDOUT, ge=0.0, lt=1.0)
    force: bool = Field(default=False, description="Activate even if the gate refuses.")

    def cli_args(self) -> list[str]:
        """The same options for ``slant train``."""
        args: list[str] = []
        for spec in self.datasets:
            args += ["--dataset", spec]
        for spec in self.eval:
            args += ["--eval", spec]
        args += ["--tolerance", repr(self.tolerance), "--holdout", repr(self.holdout)]
        if self.labels:
            args.append("--labels")
        if self.force:
            args.append("--force")
        return args


class StageMark(BaseModel):
    stage: str
    at: str


class LogLine(BaseModel):
    at: str
    message: str


class Job(BaseModel):
    id: str
    kind: Literal["api", "cli"]
    state: JobState
    stage: str | None  # the latest stage reached
    progress: list[StageMark]
    request: dict[str, Any]
    pid: int | None
    created: str
    started: str | None
    finished: str | None
    version: str | None  # the version the run saved (active or not, see the gate)
    gate: GateReport | None
    error: str | None
    log: list[LogLine] = []


class JobConflict(Exception):
    """Another job is queued or running."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"training job {job.id} is {job.state}; one job runs at a time")
        self.job = job


class JobStateError(Exception):
    """The job is not in a state that allows the change."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, killed but not reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust the signal check
    return stat.rpartition(")")[2].split()[0] != "Z"


class JobStore:
    """The job table under a home directory; safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, home: Path) -> JobStore:
        Path(home).mkdir(parents=True, exist_ok=True)
        store = cls(Path(home) / FILENAME)
        with store._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
        return store

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
        )
        connection.row_factory = sqlite3.Row
        try:
            yield connection
        finally:
            connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    # -- reading

    def get(self, job_id: str, *, with_log: bool = True) -> Job | None:
        with self._connect() as connection:
            row = connection.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            lines = (
                connection.execute(
                    "SELECT at, message FROM job_log WHERE job_id = ? ORDER BY seq", (job_id,)
                ).fetchall()
                if with_log
                else []
            )
        return _job(row, lines)

    def recent(self, limit: int = 100) -> list[Job]:
        """The latest jobs first, without their logs."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT * FROM jobs ORDER BY created DESC, rowid DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_job(row, []) for row in rows]

    # -- changing

    def create(
        self, options: TrainingOptions, *, kind: Literal["api", "cli"], pid: int | None = None
    ) -> Job:
        """A new job, ``running`` when ``pid`` is given (the caller is the process), else
        ``queued``; raises ``JobConflict`` while another job is queued or running."""
        job_id = secrets.token_hex(8)
        now = _now()
        with self._transaction() as connection:
            self._fail_abandoned(connection)
            busy = connection.execute(
                "SELECT * FROM jobs WHERE state IN ('queued', 'running') LIMIT 1"
            ).fetchone()
            if busy is not None:
                raise JobConflict(_job(busy, []))
            connection.execute(
                "INSERT INTO jobs (id, kind, state, request, progress, pid, created, started) "
                "VALUES (?, ?, ?, ?, '[]', ?, ?, ?)",
                (job_id, kind, "queued" if pid is None else "running",
                 options.model_dump_json(), pid, now, None if pid is None else now),
            )
        job = self.get(job_id)
        assert job is not None
        return job

    def set_pid(self, job_id: str, pid: int) -> None:
        with self._connect() as connection:
            connection.execute(
                "UPDATE jobs SET pid = ? WHERE id = ? AND finished IS NULL", (pid, job_id)
            )

    def mark_running(self, job_id: str, pid: int) -> Job:
        """The training process takes its queued job; anything else is refused."""
        with self._transaction() as connection:
            row = connection.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise JobStateError(f"no training job {job_id}")
            if row["state"] != "queued":
                raise JobStateError(f"training job {job_id} is {row['state']}, not queued")
            connection.execute(
                "UPDATE jobs SET state = 'running', pid = ?, started = ? WHERE id = ?",
                (pid, _now(), job_id),
            )
        job = self.get(job_id)
        assert job is not None
        return job

    def stage(self, job_id: str, name: str) -> None:
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT progress FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            if row is None:
                return
            progress = [*json.loads(row["progress"]), {"stage": name, "at": _now()}]
            connection.execute(
                "UPDATE jobs SET progress = ? WHERE id = ?", (json.dumps(progress), job_id)
            )

    def log(self, job_id: str, message: str) -> None:
        with self._connect() as connection:
            connection.execute(
                "INSERT INTO job_log (job_id, at, message) VALUES (?, ?, ?)",
                (job_id, _now(), message),
            )

    def finish(
        self,
        job_id: str,
        state: JobState,
        *,
        version: str | None = None,
        gate: GateReport | None = None,
        error: str | None = None,
    ) -> bool:
        """End an unfinished job; False if it had already ended (the first end wins)."""
        with self._transaction() as connection:
            changed = connection.execute(
                "UPDATE jobs SET state = ?, finished = ?, version = ?, gate = ?, error = ? "
                "WHERE id = ? AND finished IS NULL",
                (state, _now(), version, None if gate is None else gate.model_dump_json(),
                 error, job_id),
            ).rowcount
            if changed and error is not None:
                connection.execute(
                    "INSERT INTO job_log (job_id, at, message) VALUES (?, ?, ?)",
                    (job_id, _now(), f"failed: {error}"),
                )
        return bool(changed)

    def recover_interrupted(self) -> list[Job]:
        """Mark jobs left queued or running by a process that is gone as failed."""
        with self._transaction() as connection:
            failed = self._fail_abandoned(connection)
        return [job for job in (self.get(job_id) for job_id in failed) if job is not None]

    def _fail_abandoned(self, connection: sqlite3.Connection) -> list[str]:
        rows = connection.execute(
            "SELECT id, pid, created FROM jobs WHERE state IN ('queued', 'running')"
        ).fetchall()
        now = datetime.now(UTC)
        failed = []
        for row in rows:
            if row["pid"] is None:
                gone = now - datetime.fromisoformat(row["created"]) > QUEUED_GRACE
            else:
                gone = not process_alive(row["pid"])
            if gone:
                connection.execute(
                    "UPDATE jobs SET state = 'failed', finished = ?, error = ? WHERE id = ?",
                    (_now(), INTERRUPTED, row["id"]),
                )
                connection.execute(
                    "INSERT INTO job_log (job_id, at, message) VALUES (?, ?, ?)",
                    (row["id"], _now(), f"failed: {INTERRUPTED}"),
                )
                failed.append(row["id"])
        return failed


def _job(row: sqlite3.Row, lines: list[sqlite3.Row]) -> Job:
    progress = [StageMark(**mark) for mark in json.loads(row["progress"])]
    return Job(
        id=row["id"],
        kind=row["kind"],
        state=row["state"],
        stage=progress[-1].stage if progress else None,
        progress=progress,
        request=json.loads(row["request"]),
        pid=row["pid"],
        created=row["created"],
        started=row["started"],
        finished=row["finished"],
        version=row["version"],
        gate=None if row["gate"] is None else GateReport.model_validate_json(row["gate"]),
        error=row["error"],
        log=[LogLine(at=line["at"], message=line["message"]) for line in lines],
    )


class JobReporter:
    """The training process's side: stages and log records go to the job table."""

    def __init__(self, store: JobStore, job_id: str) -> None:
        self.store = store
        self.job_id = job_id
        self.delay = float(os.environ.get(STAGE_DELAY_ENV, "0") or 0)

    def stage(self, name: str) -> None:
        self.store.stage(self.job_id, name)
        self.store.log(self.job_id, f"stage: {name}")
        if self.delay > 0:
            time.sleep(self.delay)

    @contextmanager
    def capturing_logs(self) -> Iterator[None]:
        """Copy INFO and above of the ``training`` and ``service`` loggers into the job log."""
        handler = _JobLogHandler(self)
        handler.setLevel(logging.INFO)
        loggers = [logging.getLogger("training"), logging.getLogger("service")]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.addHandler(handler)
            if logger.getEffectiveLevel() > logging.INFO:
                logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.removeHandler(handler)
                logger.setLevel(level)


class _JobLogHandler(logging.Handler):
    def __init__(self, reporter: JobReporter) -> None:
        super().__init__()
        self.reporter = reporter

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.reporter.store.log(self.reporter.job_id, record.getMessage())
        except Exception:  # a log line is never worth failing the run for
            self.handleError(record)


# -- the service's side: starting and watching the training process


def training_command(home: Path, job_id: str, options: TrainingOptions) -> list[str]:
    return [
        sys.executable, "-m", "service", "train", "--home", str(home), "--job", job_id,
        *options.cli_args(),
    ]


def start_training_job(home: Path, options: TrainingOptions) -> Job:
    """Queue a job and start its training process; ``JobConflict`` if one is running."""
    store = JobStore.open(home)
    job = store.create(options, kind="api")
    log_dir = Path(home) / LOG_DIR
    log_dir.mkdir(parents=True, exist_ok=True)
    output_path = log_dir / f"{job.id}.log"
    # The child must find this very code even when the service was started from elsewhere.
    package_root = str(Path(__file__).resolve().parents[1])
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [package_root, environment.get("PYTHONPATH")])
    )
    try:
        with output_path.open("ab") as output:
            process = subprocess.Popen(
                training_command(Path(home).resolve(), job.id, options),
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                env=environment, start_new_session=True,
            )
    except OSError as error:
        store.finish(job.id, "failed", error=f"the training process did not start: {error}")
        raise
    store.set_pid(job.id, process.pid)
    log.info("training job %s started (pid %d)", job.id, process.pid)
    threading.Thread(
        target=watch_training_process, args=(store, job.id, process, output_path),
        name=f"training-job-{job.id}", daemon=True,
    ).start()
    started = store.get(job.id)
    assert started is not None
    return started


def watch_training_process(
    store: JobStore, job_id: str, process: subprocess.Popen[bytes], output_path: Path
) -> None:
    """Wait for the child; if it ended without ending its job, the job failed."""
    status = process.wait()
    if status < 0:
        reason = f"the training process was killed by signal {-status}"
    else:
        reason = f"the training process exited with status {status} without finishing"
    try:
        tail = output_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
    except OSError:
        tail = []
    job = store.get(job_id, with_log=False)
    if job is None or job.finished is not None:
        return
    for line in tail:
        store.log(job_id, f"output: {line}")
    if store.finish(job_id, "failed", error=reason):
        log.error("training job %s failed: %s", job_id, reason)
