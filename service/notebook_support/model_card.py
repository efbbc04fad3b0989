"""The model card: which model, its recorded metrics and gate, and its held-out errors."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from service.notebook_support.charts import RAISES, THRESHOLD
from service.registry import Manifest
from training.dataset import Example
from training.gate import DEFAULT_HOLDOUT, SPLIT_SEED, build_split
from training.model import SlantModel
from training.train import collect_examples


def model_identity(manifest: Manifest) -> pd.Series:
    """Which model this is: version, date, data (with fingerprints), lexicon and libraries."""
    return pd.Series({
        "version": manifest.version,
        "created (UTC)": manifest.created,
        "trained on": ", ".join(manifest.trained_on),
        "data files": "; ".join(f"{item.path} (sha256 {item.sha256[:12]}…)"
                                for item in manifest.data),
        "lexicon version": manifest.lexicon_version,
        "libraries": ", ".join(f"{name} {number}" for name, number in manifest.libraries.items()),
    }, name=manifest.version)


def metrics_table(manifest: Manifest) -> pd.DataFrame:
    """The manifest's metrics, one row per thing measured (sentence, article, cue_tagger,
    dimension:…), columns ``f1``, ``accuracy`` and ``evaluated`` (the number of items)."""
    rows: dict[str, dict[str, float]] = {}
    for name, value in manifest.metrics.items():
        measured, _, statistic = name.rpartition(":")
        if statistic in ("f1", "accuracy", "evaluated"):
            rows.setdefault(measured, {})[statistic] = value
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["f1", "accuracy", "evaluated"])
    table["evaluated"] = table["evaluated"].astype("Int64")
    return table.rename_axis("measured on")


def other_metrics(manifest: Manifest) -> pd.Series:
    """The manifest's other numbers (training examples, the lexicon's recall of cue spans)."""
    values = {name: value for name, value in manifest.metrics.items()
              if name.rpartition(":")[2] not in ("f1", "accuracy", "evaluated")}
    return pd.Series(values, dtype="float64", name="value")


def gate_summary(manifest: Manifest) -> str:
    """What the quality gate decided when this version was trained, in words."""
    gate = manifest.gate
    if gate is None:
        return ("No quality-gate report: this version was saved without gated training, so "
                "nothing records which examples it was judged on.")
    evaluation = gate.evaluation
    return (f"Decision: {gate.decision}. {gate.reason}. Judged on {evaluation.sentences} "
            f"sentences and {evaluation.articles} articles ({evaluation.held_out} held back "
            f"from the training mix, fraction {evaluation.holdout}, seed {evaluation.seed}; "
            f"{evaluation.extra} from extra evaluation data).")


def gate_table(manifest: Manifest) -> pd.DataFrame:
    """The gate's comparison with the model active at the time (empty without a gate)."""
    columns = ["metric", "active", "candidate", "delta", "tolerance", "evaluated", "passed",
               "note"]
    comparisons = manifest.gate.comparisons if manifest.gate is not None else []
    return pd.DataFrame([row.model_dump() for row in comparisons], columns=columns)


@dataclass(frozen=True)
class HeldOut:
    """The examples a model card evaluates on, and whether the model is known not to have
    trained on them (``None``: nothing records it)."""

    examples: list[Example]
    unseen: bool | None
    note: str


def held_out_examples(eval_data: str | Path | Sequence[str | Path],
                      manifest: Manifest) -> HeldOut:
    """The quality gate's hold-out of ``eval_data``, drawn with the fraction and seed the
    manifest's gate used, and checked against the gate's fingerprint of the example ids."""
    datasets = [eval_data] if isinstance(eval_data, str | Path) else list(eval_data)
    gate = manifest.gate
    holdout = gate.evaluation.holdout if gate is not None else DEFAULT_HOLDOUT
    seed = gate.evaluation.seed if gate is not None else SPLIT_SEED
    examples = build_split(collect_examples(datasets), holdout=holdout, seed=seed).evaluation
    described = (f"{len(examples)} examples ({sum(e.level == 'sentence' for e in examples)} "
                 f"sentences, {sum(e.level == 'article' for e in examples)} articles)")
    if gate is None:
        return HeldOut(examples, None, (
            f"The {described} are the gate's hold-out (fraction {holdout}, seed {seed}), but "
            "this version has no gate report, so nothing shows it was trained without them: "
            "the numbers below may be optimistic."))
    ids = "\n".join(sorted(example.id for example in examples))
    if hashlib.sha256(ids.encode()).hexdigest() == gate.evaluation.ids_sha256:
        return HeldOut(examples, True, (
            f"The {described} are exactly the ones the quality gate held back when this version "
            "was trained (the fingerprint of their ids matches the manifest's): the model never "
            "saw them."))
    return HeldOut(examples, False, (
        f"The {described} differ from the ones the quality gate held back (the fingerprint of "
        "their ids does not match the manifest's: other data, or a label store, was in the "
        "training mix), so some may have been trained on: the numbers below may be optimistic."))


def predictions_table(model: SlantModel, examples: Sequence[Example]) -> pd.DataFrame:
    """One row per (example, labeled score): the gold label, the probability, the prediction.

    ``score`` is ``sentence``, ``framing`` or ``dimension:<name>``; ``annotated`` lists the
    example's annotated cue spans, to compare with what the model found.
    """
    rows = []
    for example in examples:
        annotated = "; ".join(example.text[span.start:span.end] for span in example.spans)
        for score, probability in model.example_probabilities(example).items():
            label = _gold(example, score)
            if label is not None:
                rows.append({"id": example.id, "score": score, "label": label,
                             "probability": probability, "predicted": probability >= THRESHOLD,
                             "text": example.text, "annotated": annotated})
    columns = ["id", "score", "label", "probability", "predicted", "text", "annotated"]
    return pd.DataFrame(rows, columns=columns)


def _gold(example: Example, score: str) -> bool | None:
    if score == "sentence" or (score == "framing" and example.has_label("framing")):
        return example.biased
    name = score.removeprefix("dimension:")
    if score.startswith("dimension:") and example.has_label(name):
        return example.dimension(name)
    return None


def recomputed_metrics(predictions: pd.DataFrame) -> pd.DataFrame:
    """F1 and accuracy of each score on the predictions, computed as training computes them
    (``<score>:f1`` in the manifest, where ``framing`` is called ``article``)."""
    rows = {}
    for score, chosen in predictions.groupby("score", sort=False):
        truth, predicted = chosen["label"].astype(bool), chosen["predicted"].astype(bool)
        rows[str(score)] = {"f1": f1_score(truth, predicted, zero_division=0.0),
                            "accuracy": accuracy_score(truth, predicted),
                            "evaluated": len(chosen)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("score")


def confusion_table(predictions: pd.DataFrame, score: str) -> pd.DataFrame:
    """The 2×2 confusion matrix of one score (rows: the gold label; columns: the prediction)."""
    chosen = predictions[predictions["score"] == score]
    matrix = confusion_matrix(chosen["label"].astype(bool), chosen["predicted"].astype(bool),
                              labels=[False, True])
    positive = "biased" if score == "sentence" else "framed"
    names = [f"not {positive}", positive]
    return pd.DataFrame(matrix, index=[f"actually {name}" for name in names],
                        columns=[f"predicted {name}" for name in names])


def confusion_chart(predictions: pd.DataFrame,
                    scores: Sequence[str] = ("sentence", "framing")) -> Figure:
    """One confusion matrix per score, side by side, each cell's count printed."""
    figure = Figure(figsize=(4.2 * len(scores), 3.6), layout="constrained")
    panels = figure.subplots(1, len(scores), squeeze=False)[0]
    for axes, score in zip(panels, scores, strict=True):
        table = confusion_table(predictions, score)
        values = table.to_numpy()
        axes.imshow(values, cmap="Blues", vmin=0)
        for (row, column), count in np.ndenumerate(values):
            axes.text(column, row, str(count), ha="center", va="center", fontsize=12,
                      color="white" if count > values.max() / 2 else "black")
        axes.set_xticks([0, 1], [name.removeprefix("predicted ") for name in table.columns])
        axes.set_yticks([0, 1], [name.removeprefix("actually ") for name in table.index])
        axes.set_xlabel("predicted")
        axes.set_ylabel("actual (annotated)")
        axes.set_title(f"{score} ({int(values.sum())} held-out items)")
    return figure


def calibration_table(predictions: pd.DataFrame, score: str = "sentence",
                      bins: int = 5) -> pd.DataFrame:
    """Equal-width probability bins: mean predicted probability, observed share, items.

    The first two columns are ``sklearn.calibration.calibration_curve``'s; empty bins are left
    out, as it leaves them out.
    """
    chosen = predictions[predictions["score"] == score]
    labels = chosen["label"].astype(int).to_numpy()
    probabilities = chosen["probability"].to_numpy(dtype=float)
    observed, predicted = calibration_curve(labels, probabilities, n_bins=bins,
                                            strategy="uniform")
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], probabilities), minlength=bins)
    return pd.DataFrame({"predicted": predicted, "observed": observed,
                         "items": counts[counts > 0]})


def calibration_chart(predictions: pd.DataFrame, score: str = "sentence", bins: int = 5) -> Figure:
    """The calibration curve against the diagonal; each point is labelled with its items."""
    table = calibration_table(predictions, score, bins)
    chosen = predictions[predictions["score"] == score]
    brier = float(np.mean((chosen["probability"] - chosen["label"].astype(float)) ** 2))
    figure = Figure(figsize=(5.6, 4.8), layout="constrained")
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    axes.plot(table["predicted"], table["observed"], marker="o", color=RAISES, label=score)
    for row in table.itertuples():
        axes.annotate(f"n={row.items}", (row.predicted, row.observed),
                      textcoords="offset points", xytext=(6, -10), fontsize=8)
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("predicted probability")
    axes.set_ylabel("observed frequency")
    axes.set_title(f"Calibration: {score} ({len(chosen)} items, Brier score {brier:.3f})")
    axes.legend(loc="upper left", fontsize=8)
    return figure


def strongest_features(model: SlantModel, level: str, top: int = 10) -> pd.DataFrame:
    """The ``top`` largest positive and ``top`` most negative weights of a level.

    A weight is in calibrated-logit units per unit of the feature's raw value (a count, a
    density per word, a probability), so it ranks features within one family better than
    across families.
    """
    weights = pd.Series(model.feature_weights(level), dtype="float64")
    weights = weights[weights != 0].sort_values(ascending=False, kind="stable")
    raising = weights[weights > 0].head(top)
    lowering = weights[weights < 0].sort_values(kind="stable").head(top)
    return pd.DataFrame({
        "direction": ["raises"] * len(raising) + ["lowers"] * len(lowering),
        "feature": [*raising.index, *lowering.index],
        "weight": [*raising.to_numpy(), *lowering.to_numpy()],
    })


def error_examples(predictions: pd.DataFrame, score: str = "sentence",
                   count: int = 5) -> pd.DataFrame:
    """The ``count`` most confidently wrong predictions of a score (farthest from 0.5 first)."""
    wrong = predictions[(predictions["score"] == score)
                        & (predictions["label"] != predictions["predicted"])].copy()
    wrong["confidence"] = (wrong["probability"] - THRESHOLD).abs()
    wrong = wrong.sort_values(["confidence", "id"], ascending=[False, True]).head(count)
    return wrong[["id", "label", "probability", "text", "annotated"]].reset_index(drop=True)
