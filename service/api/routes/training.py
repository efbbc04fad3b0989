"""Training runs: start one (a background job in its own process) and follow it."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from service.api.body import decode_body, read_capped_body, validation_errors, without_bom
from service.api.deps import SettingsDep
from service.config import Settings
from service.errors import ErrorCode, ServiceError
from service.jobs import Job, JobConflict, JobStore, TrainingOptions, start_training_job
from service.schemas import ErrorResponse
from service.security import AdminDep
from training.gate import DEFAULT_HOLDOUT, DEFAULT_TOLERANCE
from training.importers import NATIVE, load_importers, parse_dataset_spec

router = APIRouter(tags=["training"])

DEFAULT_DATASETS = ("datasets/core",)
_ERRORS: dict[int | str, dict[str, object]] = {
    code.status: {"model": ErrorResponse}
    for code in (ErrorCode.unauthorized, ErrorCode.forbidden, ErrorCode.conflict,
                 ErrorCode.invalid_request, ErrorCode.payload_too_large,
                 ErrorCode.invalid_encoding)
}


class RetrainRequest(BaseModel):
    """What to train on. Paths are the server's, relative to its working directory."""

    model_config = ConfigDict(extra="forbid")

    datasets: list[str] = Field(
        default=list(DEFAULT_DATASETS),
        description='Dataset specs: a native JSONL file or directory, or "FORMAT=PATH".',
    )
    labels: bool = Field(default=False, description="Also train on the label store.")
    eval: list[str] = Field(default=[], description="Extra evaluation data, never trained on.")
    tolerance: float = Field(default=DEFAULT_TOLERANCE, ge=0.0, le=1.0)
    holdout: float = Field(default=DEFAULT_HOLDOUT, ge=0.0, lt=1.0)
    force: bool = Field(default=False, description="Activate even if the gate refuses.")


class JobList(BaseModel):
    jobs: list[Job]  # the latest first, without their logs


def resolve_specs(specs: list[str], field: str) -> list[str]:
    """Each spec checked (known format, existing path) and made absolute; 422 otherwise."""
    formats = {NATIVE, *load_importers()}
    resolved, problems = [], []
    for spec in specs:
        name, path = parse_dataset_spec(spec)
        if name not in formats:
            known = ", ".join(sorted(formats))
            problems.append(f"{spec}: unknown format {name!r} (known: {known})")
        elif not path.exists():
            problems.append(f"{spec}: no such file or directory on the server")
        else:
            absolute = str(Path(path).resolve())
            resolved.append(absolute if name == NATIVE else f"{name}={absolute}")
    if problems:
        raise ServiceError(
            ErrorCode.invalid_request, f"Invalid {field}: {'; '.join(problems)}.",
            detail={field: problems},
        )
    return resolved


@router.post(
    "/retrain", status_code=202, response_model=Job, responses=_ERRORS,
    openapi_extra={"requestBody": {
        "required": False,
        "content": {"application/json": {"schema": RetrainRequest.model_json_schema()}},
    }},
)
async def retrain(
    request: Request, settings: SettingsDep, response: Response, _: AdminDep
) -> Job:
    """Start a training job; 409 while another one is queued or running."""
    # The body is read here, after the token check and within the size limit: a declared body
    # parameter would be read (whole, unbounded) before any dependency ran.
    text = decode_body(await read_capped_body(request, settings.max_body_bytes), "utf-8")
    try:
        body = RetrainRequest.model_validate_json(without_bom(text) or "{}")
    except ValidationError as error:
        raise RequestValidationError(validation_errors(error)) from None
    return await run_in_threadpool(start_job, body, settings, response)


def start_job(body: RetrainRequest, settings: Settings, response: Response) -> Job:
    if not body.datasets and not body.labels:
        raise ServiceError(
            ErrorCode.invalid_request, "Nothing to train on: give datasets or labels: true."
        )
    options = TrainingOptions(
        datasets=resolve_specs(body.datasets, "datasets"),
        labels=body.labels,
        eval=resolve_specs(body.eval, "eval"),
        tolerance=body.tolerance,
        holdout=body.holdout,
        force=body.force,
    )
    try:
        job = start_training_job(settings.home, options)
    except JobConflict as conflict:
        raise ServiceError(
            ErrorCode.conflict, f"{conflict}; wait for it to finish.",
            detail={"job": conflict.job.id, "state": conflict.job.state},
        ) from None
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job


@router.get("/jobs", response_model=JobList)
def list_jobs(settings: SettingsDep, _: AdminDep) -> JobList:
    """Training jobs, the latest first (a job a crash interrupted is listed as failed).

    Behind the admin token like the writes: jobs show server-side data paths and logs."""
    return JobList(jobs=JobStore.open(settings.home).recent())


@router.get(
    "/jobs/{job_id}", response_model=Job,
    responses={ErrorCode.not_found.status: {"model": ErrorResponse}},
)
def get_job(job_id: str, settings: SettingsDep, _: AdminDep) -> Job:
    """One job: state, the stages passed, the log, and the gate's comparison when done."""
    job = JobStore.open(settings.home).get(job_id)
    if job is None:
        raise ServiceError(ErrorCode.not_found, f"No training job {job_id}.")
    return job
