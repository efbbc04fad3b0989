"""The report's figures, drawn with matplotlib and returned as inline SVG text.

Each figure is drawn on its own ``Figure`` with an Agg canvas (no pyplot, no global state, no
display needed) and saved as SVG with ``svg.fonttype = "none"``: labels stay ``<text>`` that
can be searched, copied and read by screen readers. Every chart has a title, axis labels with
units and a legend (a colour bar for the heat map). Labels come from users (outlet names) and are
drawn as plain text: matplotlib escapes them in the SVG, and math text is turned off so a "$"
in a name is a dollar sign.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Sequence
from typing import ParamSpec

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

FRAMING_AXIS = "framing probability (0–1)"
DENSITY_AXIS = "cues per 1,000 words"
ATTRIBUTION_SHARE_AXIS = "share of attributions (%)"
ARTICLE_SHARE_AXIS = "share of articles (%)"
DIMENSION_AXIS = "framing dimension"
MEAN_PROBABILITY = "mean probability (0–1)"
SOURCE_KIND_AXIS = "source kind"
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
# Conventional colours where the values have a meaning: grey for neutral, the US convention
# of blue for the left and red for the right.
STANCE_COLORS = {"neutral": "#bab0ac", "endorsing": "#59a14f", "distancing": "#f28e2b",
                 "emotive": "#e15759"}
LEANING_COLORS = {"left": "#2c5d8f", "lean left": "#8cb3d9", "center": "#bab0ac",
                  "lean right": "#f0a09e", "right": "#c0392b"}
VOICE_TITLES = {"writer": "in the writer's words", "reported": "in reported (indirect) speech",
                "quoted": "inside quotes"}
LABEL_CHARS = 40
_Parameters = ParamSpec("_Parameters")
_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(href="#|url\(#)([^")]+)')


def _svg_settings(draw: Callable[_Parameters, str]) -> Callable[_Parameters, str]:
    """Draw and save under the report's settings (fonts as text, no math text, one size)."""

    @functools.wraps(draw)
    def drawn(*args: _Parameters.args, **kwargs: _Parameters.kwargs) -> str:
        with rc_context({
            "svg.fonttype": "none",
            "svg.hashsalt": "slant-report",  # the same data give the same SVG
            "text.parse_math": False,
            "font.size": 9,
        }):
            return draw(*args, **kwargs)

    return drawn


@_svg_settings
def framing_boxplot(samples: dict[str, list[float]], axis_label: str) -> str:
    """Horizontal box plot of the framing probability of each group's articles."""
    labels = list(samples)
    figure, axes = _figure(len(labels))
    axes.boxplot(
        [samples[label] for label in labels], orientation="horizontal", showmeans=True,
        tick_labels=[_short(label) for label in labels],
        medianprops={"color": PALETTE[1]},
        meanprops={"marker": "D", "markerfacecolor": PALETTE[2], "markeredgecolor": PALETTE[2],
                   "markersize": 4},
        flierprops={"marker": "o", "markersize": 3, "markeredgecolor": PALETTE[9]},
    )
    axes.invert_yaxis()  # the largest group on top, as in the tables
    axes.set_xlim(0, 1)
    axes.set_title("Framing score of each article, by group")
    axes.set_xlabel(FRAMING_AXIS)
    axes.set_ylabel(axis_label)
    axes.legend(handles=[
        Patch(facecolor="white", edgecolor="black", label="middle 50% of articles"),
        Line2D([], [], color=PALETTE[1], label="median"),
        Line2D([], [], color=PALETTE[2], marker="D", linestyle="", label="mean"),
        Line2D([], [], color=PALETTE[9], marker="o", linestyle="", label="outlier"),
    ], loc="lower right", fontsize=8)
    return figure_svg(figure, "framing")


@_svg_settings
def dimension_heatmap(means: pd.DataFrame, axis_label: str) -> str:
    """Groups (rows) × dimensions (columns) of mean probabilities, each cell's value printed."""
    figure, axes = _figure(len(means), width=8.0)
    values = means.to_numpy(dtype=float)
    image = axes.imshow(values, cmap="Reds", vmin=0, vmax=1, aspect="auto")
    for (row, column), value in np.ndenumerate(values):
        if not np.isnan(value):
            axes.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=8,
                      color="white" if value > 0.6 else "black")
    axes.set_xticks(range(len(means.columns)), [name.replace("_", " ") for name in means.columns])
    axes.set_yticks(range(len(means)), [_short(label) for label in means.index])
    axes.tick_params(axis="x", labelrotation=20)
    axes.set_title("Mean framing-dimension scores by group")
    axes.set_xlabel(DIMENSION_AXIS)
    axes.set_ylabel(axis_label)
    colour_bar = figure.colorbar(image, ax=axes, fraction=0.04)
    colour_bar.set_label(MEAN_PROBABILITY)
    return figure_svg(figure, "dimensions")


@_svg_settings
def cue_density_bars(densities: pd.DataFrame, axis_label: str, voices: Sequence[str]) -> str:
    """One panel per voice, one bar per group stacked by cue category, on one shared scale.

    ``densities`` has one row per group and columns ``(category, voice)``.
    """
    categories = list(dict.fromkeys(densities.columns.get_level_values(0)))
    rows = len(densities)
    figure = Figure(figsize=(11.0, max(3.0, 0.3 * rows + 2.0)), layout="constrained")
    panels = figure.subplots(1, len(voices), sharex=True, sharey=True, squeeze=False)[0]
    positions = np.arange(rows)
    for axes, voice in zip(panels, voices, strict=True):
        left = np.zeros(rows)
        for index, category in enumerate(categories):
            widths = densities[(category, voice)].fillna(0).to_numpy(dtype=float)
            axes.barh(positions, widths, left=left, color=PALETTE[index % len(PALETTE)],
                      label=category, edgecolor="white", linewidth=0.3)
            left += widths
        axes.set_title(VOICE_TITLES.get(voice, voice))
        axes.set_xlabel(DENSITY_AXIS)
    panels[0].set_yticks(positions, [_short(label) for label in densities.index])
    panels[0].invert_yaxis()
    panels[0].set_ylabel(axis_label)
    figure.suptitle("Loaded-language cues by category and voice")
    handles, labels = panels[0].get_legend_handles_labels()
    figure.legend(handles, labels, title="cue category", loc="outside lower center",
                  ncols=len(categories), fontsize=8)
    return figure_svg(figure, "cues")


@_svg_settings
def stacked_shares(
    counts: pd.DataFrame, *, name: str, title: str, value_axis: str, category_axis: str,
    legend_title: str, colors: dict[str, str] | None = None,
) -> str:
    """100% stacked horizontal bars: each row of ``counts`` split by its columns.

    ``colors`` maps column names to colours; other columns take the palette's.
    """
    totals = counts.sum(axis=1)
    shares = counts.div(totals.replace(0, np.nan), axis=0).fillna(0) * 100
    figure, axes = _figure(len(shares))
    positions = np.arange(len(shares))
    left = np.zeros(len(shares))
    for index, column in enumerate(shares.columns):
        widths = shares[column].to_numpy(dtype=float)
        color = (colors or {}).get(str(column).lower(), PALETTE[index % len(PALETTE)])
        axes.barh(positions, widths, left=left, color=color, label=str(column),
                  edgecolor="white", linewidth=0.3)
        left += widths
    axes.set_yticks(positions, [f"{_short(str(label))} (n={total:g})"
                                for label, total in zip(shares.index, totals, strict=True)])
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_title(title)
    axes.set_xlabel(value_axis)
    axes.set_ylabel(category_axis)
    axes.legend(title=legend_title, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return figure_svg(figure, name)


def figure_svg(figure: Figure, prefix: str) -> str:
    """The figure as an ``<svg>`` element to inline in HTML, its ids unique to this figure.

    Several SVGs on one page share one id space; matplotlib's ids (clip paths, markers) repeat
    across figures, so each gets the figure's prefix. The XML prologue, the RDF metadata and
    the namespace declarations are dropped: HTML parses inline SVG without them, and the page
    then holds no URL at all.
    """
    buffer = io.StringIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = _ID.sub(lambda match: f'id="{prefix}-{match[1]}"', svg)
    svg = _REFERENCE.sub(lambda match: f"{match[1]}{prefix}-{match[2]}", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{prefix} chart" ', 1)


def _figure(rows: int, width: float = 9.0) -> tuple[Figure, Axes]:
    """A figure tall enough for ``rows`` labelled bars or boxes."""
    figure = Figure(figsize=(width, max(3.0, 0.32 * rows + 1.6)), layout="constrained")
    return figure, figure.add_subplot()


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
