"""Reading one scored article: its scores, sources, explanation and most biased sentences."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from service.batch.rows import DIMENSIONS, STANCES
from service.notebook_support.charts import LOWERS, RAISES, THRESHOLD, figure_for_rows, short_label
from service.schemas import ScoreResponse

EVIDENCE_SHOWN = 4  # distinct span texts listed per contribution


def score_table(response: ScoreResponse) -> pd.DataFrame:
    """Every article-level probability of the response: framing, dimensions, leaning."""
    rows = [("framing", response.article.framing)]
    rows += [(f"dimension: {name.replace('_', ' ')}",
              getattr(response.article.dimensions, name)) for name in DIMENSIONS]
    leaning = response.article.leaning or {}
    rows += [(f"leaning: {label}", float(probability))
             for label, probability in leaning.get("probabilities", {}).items()]
    return pd.DataFrame(rows, columns=["score", "probability"])


def sources_table(response: ScoreResponse) -> pd.DataFrame:
    """One row per source: kind, mentions, stance counts and the reporting verbs used for it.

    ``verbs`` lists each reporting cue with its stance and count ("claimed (distancing) ×2"),
    the most frequent first: the words to quote when saying how a source was treated.
    """
    verbs: dict[str, Counter[tuple[str, str]]] = {}
    for attribution in response.attributions:
        if attribution.source is not None:
            verbs.setdefault(attribution.source.name, Counter())[
                (attribution.cue.term, attribution.cue.stance)] += 1
    rows = []
    for source in response.sources:
        counted = verbs.get(source.name, Counter())
        rows.append({
            "source": source.name, "kind": source.kind, "mentions": source.mentions,
            **{stance: source.stances.get(stance, 0) for stance in STANCES},
            "verbs": ", ".join(f"{term} ({stance})" + (f" ×{count}" if count > 1 else "")
                               for (term, stance), count in counted.most_common()),
        })
    columns = ["source", "kind", "mentions", *STANCES, "verbs"]
    return pd.DataFrame(rows, columns=columns)


def explanation_summary(response: ScoreResponse, explanation: str = "framing") -> str:
    """The explanation's arithmetic in one line: intercept + contributions = logit → p."""
    scored = response.explanation[explanation]
    total = scored.logit - scored.intercept
    return (f"{explanation}: intercept {scored.intercept:+.3f} + {len(scored.contributions)} "
            f"contributions {total:+.3f} = logit {scored.logit:+.3f} → probability "
            f"{scored.probability:.3f}")


def contributions_table(
    response: ScoreResponse, explanation: str = "framing", top: int = 15,
) -> pd.DataFrame:
    """The ``top`` largest contributions of an explanation (by size, ties by name), with the
    words behind each (``evidence``: the distinct texts of its spans)."""
    contributions = sorted(response.explanation[explanation].contributions,
                           key=lambda item: (-abs(item.contribution), item.feature))[:top]
    rows = [{
        "feature": item.feature, "value": item.value, "weight": item.weight,
        "contribution": item.contribution,
        "evidence": _evidence(response.text, item.spans),
    } for item in contributions]
    return pd.DataFrame(rows, columns=["feature", "value", "weight", "contribution", "evidence"])


def _evidence(text: str, spans: Iterable[tuple[int, int]]) -> str:
    seen = list(dict.fromkeys(" ".join(text[start:end].split()) for start, end in spans))
    shown = [short_label(words) for words in seen[:EVIDENCE_SHOWN]]
    more = len(seen) - len(shown)
    return " | ".join(shown) + (f" | … (+{more})" if more else "")


def contributions_chart(
    response: ScoreResponse, explanation: str = "framing", top: int = 15,
) -> Figure:
    """Horizontal bars of the ``top`` largest contributions (red raises the score)."""
    table = contributions_table(response, explanation, top)
    name = explanation.split(":")[0] if explanation.startswith("sentence:") else explanation
    figure = figure_for_rows(len(table))
    axes = figure.add_subplot()
    positions = np.arange(len(table))
    values = table["contribution"].to_numpy(dtype=float)
    axes.barh(positions, values, color=[RAISES if value > 0 else LOWERS for value in values])
    axes.set_yticks(positions, [short_label(feature) for feature in table["feature"]])
    axes.invert_yaxis()
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel(f"contribution to the {name} logit")
    scored = response.explanation[explanation]
    axes.set_title(f"The {len(table)} largest of {len(scored.contributions)} contributions to "
                   f"{explanation} (probability {scored.probability:.2f})")
    return figure


def sentence_bias_chart(response: ScoreResponse) -> Figure:
    """Each sentence's bias probability in reading order, with the 0.5 line."""
    bias = [sentence.bias for sentence in response.sentences]
    figure = Figure(figsize=(9.0, 3.2), layout="constrained")
    axes = figure.add_subplot()
    axes.bar(np.arange(len(bias)), bias,
             color=[RAISES if value >= THRESHOLD else "#bab0ac" for value in bias])
    axes.axhline(THRESHOLD, color="black", linestyle="--", linewidth=0.8, label="0.5: biased")
    axes.set_ylim(0, 1)
    axes.set_xlabel("sentence (in reading order, from 0)")
    axes.set_ylabel("probability the sentence is biased")
    axes.set_title("Sentence bias")
    axes.legend(loc="upper right", fontsize=8)
    return figure


def biased_sentences(response: ScoreResponse, top: int = 5) -> pd.DataFrame:
    """The ``top`` most biased sentences with their text and their three largest features."""
    rows = []
    for index, sentence in enumerate(response.sentences):
        explained = response.explanation.get(f"sentence:{index}")
        contributions = explained.contributions[:3] if explained is not None else ()
        features = ", ".join(item.feature for item in contributions)
        rows.append({"sentence": index, "bias": sentence.bias,
                     "text": response.text[sentence.start:sentence.end], "features": features})
    table = pd.DataFrame(rows, columns=["sentence", "bias", "text", "features"])
    return table.sort_values(["bias", "sentence"], ascending=[False, True]).head(top)


def most_biased_explanation(response: ScoreResponse) -> str:
    """The explanation key (``sentence:<i>``) of the response's most biased sentence."""
    if not response.sentences:
        return "framing"
    bias = [sentence.bias for sentence in response.sentences]
    return f"sentence:{int(np.argmax(bias))}"
