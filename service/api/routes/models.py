"""The model registry: versions, activation (promote or roll back) and deletion."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from service.api.deps import LoadedModelDep, SettingsDep
from service.errors import ErrorCode, ServiceError
from service.registry import ActiveVersion, Manifest, Registry, RegistryError, UnknownVersion
from service.schemas import ErrorResponse
from service.security import AdminDep
from training.gate import MetricComparison

router = APIRouter(prefix="/models", tags=["models"])

_NOT_FOUND: dict[int | str, dict[str, object]] = {
    ErrorCode.not_found.status: {"model": ErrorResponse}
}
_WRITE_ERRORS: dict[int | str, dict[str, object]] = {
    code.status: {"model": ErrorResponse}
    for code in (ErrorCode.unauthorized, ErrorCode.forbidden, ErrorCode.not_found,
                 ErrorCode.conflict)
}


class GateSummary(BaseModel):
    decision: str  # first | activated | rejected | forced
    passed: bool
    forced: bool
    tolerance: float
    compared_with: str | None
    failed: list[str]  # the metrics worse than the tolerance allows
    comparisons: list[MetricComparison]


class ModelSummary(BaseModel):
    version: str
    created: str
    trained_on: list[str]
    metrics: dict[str, float]
    gate: GateSummary | None  # None: saved without the quality gate
    job: str | None
    active: bool


class ModelList(BaseModel):
    active: str | None
    models: list[ModelSummary]  # oldest first


def summarize(manifest: Manifest, active: str | None) -> ModelSummary:
    gate = manifest.gate
    return ModelSummary(
        version=manifest.version,
        created=manifest.created,
        trained_on=manifest.trained_on,
        metrics=manifest.metrics,
        gate=None if gate is None else GateSummary(
            decision=gate.decision, passed=gate.passed, forced=gate.forced,
            tolerance=gate.tolerance, compared_with=gate.active_version,
            failed=gate.failed_metrics, comparisons=gate.comparisons,
        ),
        job=manifest.job,
        active=manifest.version == active,
    )


def _registry_error(error: RegistryError) -> ServiceError:
    if isinstance(error, UnknownVersion):
        return ServiceError(ErrorCode.not_found, str(error))
    return ServiceError(ErrorCode.conflict, str(error))


@router.get("", response_model=ModelList)
def list_models(settings: SettingsDep) -> ModelList:
    """Every version with its metrics and gate comparison; ``active`` marks the active one."""
    registry = Registry(settings.home)
    active = registry.active_version()
    summaries = []
    for version in registry.list_versions():
        try:
            summaries.append(summarize(registry.read_manifest(version), active))
        except UnknownVersion:
            continue  # deleted meanwhile
    return ModelList(active=active, models=summaries)


@router.get(
    "/active",
    response_model=Manifest,
    responses={ErrorCode.model_not_loaded.status: {"model": ErrorResponse}},
)
def active_model(loaded: LoadedModelDep) -> Manifest:
    """The manifest of the model this process serves."""
    return loaded.manifest


@router.get("/{version}", response_model=Manifest, responses=_NOT_FOUND)
def model_manifest(version: str, settings: SettingsDep) -> Manifest:
    """One version's manifest: data fingerprints, metrics, the gate's comparison."""
    try:
        return Registry(settings.home).read_manifest(version)
    except RegistryError as error:
        raise _registry_error(error) from None


@router.post("/{version}/activate", response_model=ModelSummary, responses=_WRITE_ERRORS)
def activate_model(version: str, request: Request, _: AdminDep) -> ModelSummary:
    """Promote or roll back: the version is loaded and verified, then served atomically.

    409 when the version exists but cannot be loaded (changed artifact, other libraries).
    """
    try:
        manifest = request.app.state.model_switch.activate(version)
    except RegistryError as error:
        raise _registry_error(error) from None
    return summarize(manifest, version)


@router.delete(
    "/{version}", status_code=204, response_class=Response, responses=_WRITE_ERRORS
)
def delete_model(version: str, settings: SettingsDep, request: Request, _: AdminDep) -> Response:
    """Delete an inactive version; 409 for the active one (activate another first)."""
    serving = request.app.state.model_state.manifest
    if serving is not None and serving.version == version:
        raise ServiceError(
            ErrorCode.conflict,
            f"model {version} is the one this service serves; activate another version first",
        )
    try:
        Registry(settings.home).delete(version)
    except ActiveVersion as error:
        raise ServiceError(ErrorCode.conflict, str(error)) from None
    except RegistryError as error:
        raise _registry_error(error) from None
    return Response(status_code=204)
