"""The quality gate: a fixed evaluation set, and the comparison that decides activation.

**Evaluation set.** By default a held-back part of the training mix (``DEFAULT_HOLDOUT`` = 20%)
plus any extra evaluation data (``--eval``); the new model is fitted on the rest and never sees
it. Whether an example is held back depends only on its own id: the first 8 bytes of
``sha256("<seed>:<id>")`` read as a number in [0, 1) (its *draw*) must fall below the fraction.
Adding examples therefore never moves an existing one between the two sides, so successive
versions are compared on the same examples, and a model trained through this split never saw the
examples it is judged on. The rule is applied per level and label (biased / not biased sentences,
framed / not framed articles), so it is stratified in expectation (a stratum of n examples holds
back about fraction × n of them, with binomial spread). A stratum of two or more examples always
keeps at least one example on each side (its lowest draw held back, its highest draw trained on),
and a stratum of one example is trained on: only such tiny strata can see a member move when
examples are added.

**Decision.** The candidate and the active model are measured on the same evaluation set with the
metric code of ``training.train`` (``evaluate_model``). The candidate passes when no gated metric
(``GATED_METRICS``) is worse than the active model's by more than the tolerance
(``DEFAULT_TOLERANCE`` = 0.02, absolute F1). A metric the active model cannot be measured on (it
is not a ``SlantModel``, or lacks that level) is reported as such and does not block; a metric the
candidate cannot be measured on while the active model can blocks. A metric measured on fewer
than ``MIN_GATED_ITEMS`` items is reported but does not block: one item flipping among 8
held-back articles moves an F1 by 0.2, ten times the tolerance.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from training.dataset import Example

if TYPE_CHECKING:  # the fitting code is imported when used: the registry reads these reports
    from training.analysis import Analysis
    from training.model import SlantModel

log = logging.getLogger(__name__)

DEFAULT_HOLDOUT = 0.2
DEFAULT_TOLERANCE = 0.02
SPLIT_SEED = 42
GATED_METRICS = ("sentence:f1", "article:f1", "cue_tagger:f1")
# An F1 over fewer items than this moves by more than the tolerance when one item flips (8
# held-back articles: 0.2 a flip), so it is reported but does not block; ``--eval`` adds items.
MIN_GATED_ITEMS = 30
# Float noise must not turn an equal score into a failure.
_EPSILON = 1e-9

Progress = Callable[[str], None]


def _no_progress(stage: str) -> None:
    pass


def holdout_draw(example_id: str, seed: int = SPLIT_SEED) -> float:
    """The example's fixed position in [0, 1): held back when below the hold-out fraction."""
    digest = hashlib.sha256(f"{seed}:{example_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def stratum(example: Example) -> tuple[str, str]:
    """Level and label: the groups the hold-out is drawn from separately."""
    if example.level == "article" and not example.has_label("framing"):
        return example.level, "unlabeled"
    return example.level, "biased" if example.biased else "unbiased"


def split_holdout(
    examples: Sequence[Example], fraction: float = DEFAULT_HOLDOUT, seed: int = SPLIT_SEED
) -> tuple[list[Example], list[Example]]:
    """(trained on, held back), each in the input order; see the module docstring."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"the hold-out fraction must be in [0, 1), not {fraction}")
    held: set[str] = set()
    if fraction > 0.0:
        strata: dict[tuple[str, str], list[Example]] = {}
        for example in examples:
            strata.setdefault(stratum(example), []).append(example)
        for members in strata.values():
            ranked = sorted(members, key=lambda e: holdout_draw(e.id, seed))
            chosen = {e.id for e in ranked if holdout_draw(e.id, seed) < fraction}
            if len(ranked) >= 2:
                chosen.add(ranked[0].id)
            chosen.discard(ranked[-1].id)
            held |= chosen
    return [e for e in examples if e.id not in held], [e for e in examples if e.id in held]


@dataclass(frozen=True, slots=True)
class EvaluationSplit:
    """What the candidate is fitted on and what every model is judged on."""

    train: list[Example]
    evaluation: list[Example]
    held_out: int  # of the evaluation examples, how many came from the training mix
    extra: int  # and how many from the extra evaluation data


def build_split(
    mix: Sequence[Example],
    extra_evaluation: Sequence[Example] = (),
    *,
    holdout: float = DEFAULT_HOLDOUT,
    seed: int = SPLIT_SEED,
) -> EvaluationSplit:
    """Hold back part of ``mix`` and add ``extra_evaluation``; an example of the extra data
    that is also in the mix (same id or same text) is never trained on."""
    extra_ids = {e.id for e in extra_evaluation}
    extra_texts = {e.text for e in extra_evaluation}
    remaining = [e for e in mix if e.id not in extra_ids and e.text not in extra_texts]
    train, held = split_holdout(remaining, holdout, seed)
    return EvaluationSplit(
        train=train,
        evaluation=[*held, *extra_evaluation],
        held_out=len(held),
        extra=len(extra_evaluation),
    )


class EvaluationSummary(BaseModel):
    """How the evaluation set was made, and what it holds."""

    holdout: float
    seed: int
    held_out: int
    extra: int
    sentences: int
    articles: int
    ids_sha256: str  # of the sorted example ids: equal sets have equal fingerprints


class MetricComparison(BaseModel):
    metric: str
    active: float | None  # None: the active model cannot be measured on this metric
    candidate: float | None
    delta: float | None  # candidate - active
    tolerance: float
    evaluated: int  # items the metric was computed on
    passed: bool
    note: str | None = None


class GateReport(BaseModel):
    """The gate's comparison, stored in the new version's manifest."""

    decision: Literal["activated", "rejected", "forced", "first"]
    passed: bool
    forced: bool
    tolerance: float
    active_version: str | None
    evaluation: EvaluationSummary
    comparisons: list[MetricComparison]
    reason: str

    @property
    def failed_metrics(self) -> list[str]:
        return [item.metric for item in self.comparisons if not item.passed]


def summarize_evaluation(split: EvaluationSplit, holdout: float, seed: int) -> EvaluationSummary:
    ids = "\n".join(sorted(e.id for e in split.evaluation))
    return EvaluationSummary(
        holdout=holdout,
        seed=seed,
        held_out=split.held_out,
        extra=split.extra,
        sentences=sum(e.level == "sentence" for e in split.evaluation),
        articles=sum(e.level == "article" for e in split.evaluation),
        ids_sha256=hashlib.sha256(ids.encode()).hexdigest(),
    )


@dataclass
class Candidate:
    """A model fitted on the training side of a split, measured on its evaluation side."""

    model: SlantModel
    split: EvaluationSplit
    metrics: dict[str, float]
    analyses: dict[str, Analysis] = field(repr=False)


def fit_candidate(
    split: EvaluationSplit, *, progress: Progress = _no_progress
) -> Candidate:
    """Fit a model on ``split.train`` and measure it on ``split.evaluation``."""
    from training.lexicon import load_lexicon
    from training.train import analyze_examples, evaluate_model, fit_model

    lexicon = load_lexicon()
    progress("analyzing")
    everything = [*split.train, *split.evaluation]
    analyses = analyze_examples(everything, lexicon)
    progress("fitting")
    model = fit_model(split.train, analyses, lexicon)
    progress("evaluating candidate")
    metrics = evaluate_model(model, split.evaluation, analyses) if split.evaluation else {}
    metrics["examples:sentence"] = float(sum(e.level == "sentence" for e in split.train))
    metrics["examples:article"] = float(sum(e.level == "article" for e in split.train))
    log.info(
        "candidate fitted on %d examples, evaluated on %d",
        len(split.train), len(split.evaluation),
    )
    return Candidate(model=model, split=split, metrics=metrics, analyses=analyses)


def measure_active(active: object, candidate: Candidate) -> dict[str, float] | None:
    """The active model's metrics on the candidate's evaluation set; None if it cannot be
    measured (not a ``SlantModel``). Its own lexicon decides its analyses."""
    from training.model import SlantModel
    from training.train import analyze_examples, evaluate_model

    if not isinstance(active, SlantModel):
        return None
    evaluation = candidate.split.evaluation
    if not evaluation:
        return {}
    if active.lexicon_version == candidate.model.lexicon_version:
        analyses = candidate.analyses
    else:
        analyses = analyze_examples(evaluation, active.lexicon)
    return evaluate_model(active, evaluation, analyses)


def compare_metrics(
    candidate: dict[str, float],
    active: dict[str, float] | None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    metrics: Sequence[str] = GATED_METRICS,
) -> list[MetricComparison]:
    """One row per gated metric: active, candidate, delta, and whether it passed."""
    rows = []
    for metric in metrics:
        count_key = metric.rsplit(":", 1)[0] + ":evaluated"
        new = candidate.get(metric)
        old = None if active is None else active.get(metric)
        evaluated = int(candidate.get(count_key, (active or {}).get(count_key, 0)))
        note = None
        if new is None and old is None:
            passed, note = True, "not measured: the evaluation set has nothing for it"
        elif new is None:
            passed, note = False, "the candidate cannot be measured on it"
        elif old is None:
            passed, note = True, "the active model cannot be measured on it"
        else:
            passed = new - old >= -tolerance - _EPSILON
            if not passed and evaluated < MIN_GATED_ITEMS:
                passed = True
                note = (f"not gated: {evaluated} items are too few to judge "
                        f"(fewer than {MIN_GATED_ITEMS})")
        rows.append(
            MetricComparison(
                metric=metric,
                active=old,
                candidate=new,
                delta=None if new is None or old is None else new - old,
                tolerance=tolerance,
                evaluated=evaluated,
                passed=passed,
                note=note,
            )
        )
    return rows


def run_gate(
    candidate: Candidate,
    active: object | None,
    *,
    active_version: str | None,
    tolerance: float = DEFAULT_TOLERANCE,
    force: bool = False,
    holdout: float = DEFAULT_HOLDOUT,
    seed: int = SPLIT_SEED,
) -> GateReport:
    """Compare the candidate with the active model (``None``: there is none) and decide."""
    if tolerance < 0:
        raise ValueError(f"the tolerance must not be negative, not {tolerance}")
    summary = summarize_evaluation(candidate.split, holdout, seed)
    if active is None:
        rows = [
            row.model_copy(update={"note": "no active model"})
            for row in compare_metrics(candidate.metrics, None, tolerance=tolerance)
        ]
        return GateReport(
            decision="first", passed=True, forced=force, tolerance=tolerance,
            active_version=None, evaluation=summary, comparisons=rows,
            reason="no active model to compare with: the first model is activated",
        )
    rows = compare_metrics(candidate.metrics, measure_active(active, candidate),
                           tolerance=tolerance)
    passed = all(row.passed for row in rows)
    failed = [row for row in rows if not row.passed]
    if passed:
        reason = f"no metric is worse than model {active_version}'s by more than {tolerance}"
    else:
        reason = "worse than model {} beyond the tolerance {}: {}".format(
            active_version, tolerance,
            ", ".join(
                f"{row.metric} {row.delta:+.3f}" if row.delta is not None
                else f"{row.metric} ({row.note})"
                for row in failed
            ),
        )
    if not passed and force:
        decision: Literal["activated", "rejected", "forced"] = "forced"
        reason = f"forced: {reason}"
    else:
        decision = "activated" if passed else "rejected"
    return GateReport(
        decision=decision, passed=passed, forced=force, tolerance=tolerance,
        active_version=active_version, evaluation=summary, comparisons=rows, reason=reason,
    )
