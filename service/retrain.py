"""One training run, the body of ``slant train`` (and of a ``POST /v1/retrain`` job's process).

Collects the training mix (datasets, then the label store), holds back the seeded evaluation
split, fits the candidate, runs the quality gate against the active version, saves the version
whatever the gate decides and activates it only when the gate passes (or ``--force``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from service.jobs import TrainingOptions
from service.registry import LabelStoreFingerprint, Registry, RegistryError
from training.dataset import Example
from training.errors import DatasetError
from training.gate import SPLIT_SEED, GateReport, build_split, fit_candidate, run_gate
from training.importers import parse_dataset_spec

log = logging.getLogger(__name__)

LABEL_STORE_NAME = "label-store"
# The label store is read twice around its fingerprint; a write in between means another read.
LABEL_READ_ATTEMPTS = 5



@dataclass(frozen=True, slots=True)
class TrainingOutcome:
    version: str
    activated: bool
    gate: GateReport
    metrics: dict[str, float]


class _Unloadable:
    """Stands for an active model that could not be loaded: it cannot be measured."""


def read_label_store(home: Path) -> tuple[list[Example], LabelStoreFingerprint]:
    """The label store's examples with the fingerprint of exactly that content."""
    from service.labels.store import LabelStore

    store = LabelStore.open(home)
    for _ in range(LABEL_READ_ATTEMPTS):
        before = store.fingerprint()
        examples = store.examples()
        if store.fingerprint() == before:
            return examples, LabelStoreFingerprint(sha256=before, examples=len(examples))
    raise DatasetError("the label store kept changing while it was read; try again")


def collect_mix(
    home: Path, options: TrainingOptions
) -> tuple[list[Example], LabelStoreFingerprint | None]:
    """The training mix: every dataset, then the label store; ids must be unique."""
    from training.train import collect_examples

    mix = collect_examples(options.datasets)
    if not options.labels:
        return mix, None
    labeled, fingerprint = read_label_store(home)
    seen = {example.id for example in mix}
    clashes = sorted(example.id for example in labeled if example.id in seen)
    if clashes:
        raise DatasetError(f"label store ids also used by a dataset: {', '.join(clashes[:5])}")
    log.info("the label store holds %d examples", len(labeled))
    return [*mix, *labeled], fingerprint


def run_training(
    home: Path,
    options: TrainingOptions,
    *,
    job_id: str | None = None,
    progress: Callable[[str], None] = lambda stage: None,
) -> TrainingOutcome:
    """Fit a version on the mix, gate it against the active one, save it, maybe activate it.

    The version is saved whatever the gate decides (inactive when refused, with the comparison
    in its manifest); only the activation depends on the decision.
    """
    from training.train import collect_examples

    registry = Registry(home)
    progress("loading data")
    mix, label_store = collect_mix(home, options)
    extra = collect_examples(options.eval) if options.eval else []
    split = build_split(mix, extra, holdout=options.holdout, seed=SPLIT_SEED)
    log.info(
        "training mix: %d examples; evaluation set: %d held back + %d extra",
        len(mix), split.held_out, split.extra,
    )
    active_version = registry.active_version()
    if active_version is not None and not split.evaluation and not options.force:
        raise DatasetError(
            "the quality gate needs an evaluation set: give a hold-out fraction above 0, "
            "or --eval data (or --force)"
        )
    candidate = fit_candidate(split, progress=progress)
    active: object | None = None
    if active_version is not None:
        progress("evaluating active model")
        try:
            active, _ = registry.load(active_version)
        except RegistryError as error:
            log.warning("the active model %s cannot be measured: %s", active_version, error)
            active = _Unloadable()
    gate = run_gate(
        candidate, active, active_version=active_version, tolerance=options.tolerance,
        force=options.force, holdout=options.holdout, seed=SPLIT_SEED,
    )
    log.info("quality gate: %s (%s)", gate.decision, gate.reason)
    if options.force:
        log.warning("--force: the version is activated whatever the gate says")
    model = candidate.model
    model.trained_on = tuple(
        [*options.datasets, *([LABEL_STORE_NAME] if label_store is not None else [])]
    )
    model.metrics = candidate.metrics
    progress("saving")
    version = registry.save_model(
        model,
        _data_paths(options.datasets),
        label_store=label_store,
        evaluation_paths=_data_paths(options.eval),
        gate=gate,
        job=job_id,
    )
    activated = gate.decision != "rejected"
    if activated:
        progress("activating")
        registry.activate(version)
        log.info("model %s is active", version)
    else:
        log.info("model %s is kept inactive", version)
    return TrainingOutcome(version=version, activated=activated, gate=gate,
                           metrics=candidate.metrics)


def _data_paths(specs: Sequence[str]) -> list[Path]:
    return [parse_dataset_spec(spec)[1] for spec in specs]
