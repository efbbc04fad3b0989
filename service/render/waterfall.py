"""One explanation as a waterfall: from the intercept, step by step, to the logit.

The steps are the explanation's own numbers: the intercept, the ``top`` contributions by size,
the rest summed as one "other N features" step, and the logit. Every step carries its exact value
in ``data-amount`` (``repr`` of the float), so ``intercept + Σ shown + other == logit`` can be
checked on the page itself. Bars are plain CSS boxes placed on a shared logit axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Literal

from service.schemas import Contribution, ScoreResponse
from training.explain import ScoreExplanation

StepKind = Literal["intercept", "feature", "other", "total"]

SPAN_WORDS_SHOWN = 3
SPAN_CHARS = 30  # a sentence-long span is shown by its opening words
TICK_TARGET = 6


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    label: str
    amount: float  # what this step adds (the intercept and the total start from 0)
    before: float
    after: float
    contribution: Contribution | None = None


def waterfall_steps(explanation: ScoreExplanation, top: int) -> list[Step]:
    strongest = sorted(
        explanation.contributions, key=lambda item: (-abs(item.contribution), item.feature)
    )
    shown, rest = strongest[:top], strongest[top:]
    steps = [Step("intercept", "intercept", explanation.intercept, 0.0, explanation.intercept)]
    running = explanation.intercept
    for item in shown:
        steps.append(Step("feature", item.feature, item.contribution, running,
                          running + item.contribution, item))
        running += item.contribution
    if rest:
        other = math.fsum(item.contribution for item in rest)
        label = f"other {len(rest)} feature{'s' if len(rest) != 1 else ''}"
        steps.append(Step("other", label, other, running, running + other))
    steps.append(Step("total", "logit", explanation.logit, 0.0, explanation.logit))
    return steps


def shorten(text: str, limit: int = SPAN_CHARS) -> str:
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def span_words(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """The distinct words behind a contribution, the first few of them."""
    words = list(dict.fromkeys(shorten(text[start:end]) for start, end in spans))
    shown = ", ".join(words[:SPAN_WORDS_SHOWN])
    if len(words) > SPAN_WORDS_SHOWN:
        shown += f", … (+{len(words) - SPAN_WORDS_SHOWN})"
    return shown


def nice_ticks(low: float, high: float) -> list[float]:
    """Round axis ticks (1, 2 or 5 × 10^k apart) covering ``[low, high]``."""
    span = high - low
    raw_step = span / TICK_TARGET
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    first = math.ceil(low / step)
    last = math.floor(high / step)
    return [index * step for index in range(first, last + 1)]


class Axis:
    """Logit values → percentages of the bar column's width."""

    def __init__(self, steps: list[Step]) -> None:
        values = [0.0, *(value for step in steps for value in (step.before, step.after))]
        low, high = min(values), max(values)
        margin = max(high - low, 1.0) * 0.05
        self.low, self.high = low - margin, high + margin

    def percent(self, value: float) -> float:
        return (value - self.low) / (self.high - self.low) * 100


def _bar(step: Step, axis: Axis) -> str:
    left = axis.percent(min(step.before, step.after))
    width = abs(axis.percent(step.after) - axis.percent(step.before))
    tone = "total" if step.kind == "total" else "raises" if step.amount > 0 else "lowers"
    return (
        f'<div class="track"><div class="zero" style="left: {axis.percent(0.0):.2f}%"></div>'
        f'<div class="bar {tone}" style="left: {left:.2f}%; width: {width:.2f}%"></div></div>'
    )


def _row(step: Step, axis: Axis, text: str, probability: float) -> str:
    item = step.contribution
    value = f"{item.value:.3g}" if item else ""
    weight = f"{item.weight:+.3f}" if item else ""
    words = span_words(text, item.spans) if item else ""
    if step.kind == "total":
        words = f"probability {probability:.3f}"
    title = f' title="{escape(item.feature, quote=True)}"' if item else ""
    row_class = ' class="total"' if step.kind == "total" else ""
    return (
        f'<tr{row_class} data-step="{step.kind}" data-amount="{step.amount!r}">'
        f'<td class="feature"{title}>{escape(step.label)}</td>'
        f'<td class="num">{value}</td><td class="num">{weight}</td>'
        f'<td class="num">{step.amount:+.3f}</td>'
        f'<td class="words">{escape(words)}</td>'
        f'<td class="bar">{_bar(step, axis)}</td></tr>'
    )


def _axis_row(axis: Axis) -> str:
    ticks = "".join(
        f'<span class="tick" style="left: {axis.percent(tick):.2f}%">{tick:g}</span>'
        for tick in nice_ticks(axis.low, axis.high)
    )
    return (
        '<tr class="axis-row"><td colspan="5"></td>'
        f'<td class="bar"><div class="axis">{ticks}</div>'
        '<div class="axis-label">logit</div></td></tr>'
    )


def render_waterfall(response: ScoreResponse, key: str, *, top: int) -> str:
    """The explanation ``response.explanation[key]`` as a waterfall section."""
    explanation = response.explanation[key]
    steps = waterfall_steps(explanation, top)
    axis = Axis(steps)
    rows = "".join(
        _row(step, axis, response.text, explanation.probability) for step in steps
    )
    caption = (
        f"intercept {explanation.intercept:+.3f} + {len(explanation.contributions)} "
        f"contributions = logit {explanation.logit:+.3f} → probability "
        f"{explanation.probability:.3f}"
    )
    return (
        f'<section class="slant-explanation" data-score="{escape(key, quote=True)}" '
        f'data-intercept="{explanation.intercept!r}" data-logit="{explanation.logit!r}" '
        f'data-probability="{explanation.probability!r}">'
        f"<h3>Why {escape(key)}</h3>"
        f'<table class="waterfall"><caption class="muted">{escape(caption)}</caption>'
        "<thead><tr><th>step</th><th class=\"num\">value</th><th class=\"num\">weight</th>"
        "<th class=\"num\">contribution</th><th>words</th><th>logit</th></tr></thead>"
        f"<tbody>{rows}{_axis_row(axis)}</tbody></table></section>"
    )
